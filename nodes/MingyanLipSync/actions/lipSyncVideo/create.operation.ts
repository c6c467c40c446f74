import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { invalidInput } from '../../../shared/items';
import { readString } from '../../../shared/parameters';
import { executeTaskOperation } from '../../../shared/taskOperation';
import { pollingOptionFieldsFor, waitAndDownloadProperties } from '../../../shared/waitOptions';
import type { LipSyncCreateRequest } from '../../lipSyncTaskApi';
import { DEFAULT_MODEL, mingyanLipSyncApi } from '../../lipSyncTaskApi';
import { AUDIO_EXTENSIONS, prepareMediaUrl, VIDEO_EXTENSIONS } from '../../urls';
import { MINGYAN_FIRST_POLL_SECONDS } from '../../transport';
import { verifyMingyanDownload } from '../../verify';

const displayOptions = { show: { resource: ['lipSyncVideo'], operation: ['create'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Video URL',
		name: 'videoUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/presenter.mp4',
		description: 'Public http(s) link to the video of the person whose lips are synced',
		hint: 'A network URL, not a local path. Non-ASCII characters (e.g. Chinese file names) are percent-encoded automatically.',
	},
	{
		displayName: 'Audio URL',
		name: 'audioUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/voice.mp3',
		description: 'Public http(s) link to the speech the lips follow',
		hint: 'MP3, WAV, M4A, AAC or MP4. A network URL, not a local path; non-ASCII characters are percent-encoded automatically.',
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'string',
		default: DEFAULT_MODEL,
		required: true,
		description: 'The Mingyan model name',
	},
	{
		displayName: 'Model Version',
		name: 'modelVersion',
		type: 'options',
		options: [
			{ name: 'Version 1', value: 1, description: 'Clearer teeth, better for close-ups' },
			{ name: 'Version 2', value: 2, description: 'Better lip-sync, faster articulation; recommended' },
		],
		default: 2,
		hint: 'Version 2 is the recommended default; choose version 1 for close-up faces where clear teeth matter',
	},
	...waitAndDownloadProperties({ wait: true }),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			...pollingOptionFieldsFor(MINGYAN_FIRST_POLL_SECONDS),
			{
				displayName: 'Side-Face Optimization',
				name: 'sideFace',
				type: 'boolean',
				default: false,
				description: 'Whether to optimize for a strongly turned (side-on) face. Only for such videos: leaving it off usually gives the best result.',
			},
			{
				displayName: 'Tilted-Face Optimization',
				name: 'tiltedFace',
				type: 'boolean',
				default: false,
				description:
					'Whether to optimize for a forward-facing person whose head is tilted and mouth slanted. Only for such videos: leaving it off usually gives the best result.',
			},
		],
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

const PROVIDER = 'Mingyan';

function buildRequest(ctx: IExecuteFunctions, i: number): LipSyncCreateRequest {
	const video = prepareMediaUrl(readString(ctx, i, 'videoUrl', { field: 'Video URL', kind: 'url', provider: PROVIDER }), VIDEO_EXTENSIONS, 'video');
	if (!video.ok) throw invalidInput(ctx, i, 'Video URL', video.problem, PROVIDER);
	const audio = prepareMediaUrl(readString(ctx, i, 'audioUrl', { field: 'Audio URL', kind: 'url', provider: PROVIDER }), AUDIO_EXTENSIONS, 'audio');
	if (!audio.ok) throw invalidInput(ctx, i, 'Audio URL', audio.problem, PROVIDER);
	const model = readString(ctx, i, 'model', { field: 'Model', kind: 'id', provider: PROVIDER, fallback: DEFAULT_MODEL, required: 'the model name is empty' });
	const version = Number(ctx.getNodeParameter('modelVersion', i, 2));
	if (version !== 1 && version !== 2) throw invalidInput(ctx, i, 'Model Version', `${String(version)} is not 1 or 2`, PROVIDER);
	const options = ctx.getNodeParameter('options', i, {}) as { sideFace?: boolean; tiltedFace?: boolean };
	return {
		videoUrl: video.value,
		audioUrl: audio.value,
		model,
		modelVersion: version,
		sideFace: options.sideFace === true,
		tiltedFace: options.tiltedFace === true,
	};
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeTaskOperation(this, items, {
		api: mingyanLipSyncApi(this),
		waitDefault: true,
		firstPollSeconds: MINGYAN_FIRST_POLL_SECONDS,
		buildJob: async (i) => ({ itemIndex: i, request: buildRequest(this, i) }),
		videoFileName: (task) => `mingyan-lipsync-${task.taskId}.mp4`,
		verifyDownload: async (task, binary, i) => await verifyMingyanDownload(this, task, binary, i),
	});
}
