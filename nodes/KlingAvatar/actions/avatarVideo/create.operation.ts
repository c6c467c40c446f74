import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { invalidInput } from '../../../shared/items';
import { checkImage } from '../../../shared/media/validateMedia';
import type { MediaSourceKind } from '../../../shared/mediaInput';
import { resolveMediaInput } from '../../../shared/mediaInput';
import { parseHttpUrl } from '../../../shared/mediaSource';
import { readString } from '../../../shared/parameters';
import { executeTaskOperation } from '../../../shared/taskOperation';
import { runsAsTool } from '../../../shared/toolMode';
import { pollingOptionFields, waitAndDownloadProperties } from '../../../shared/waitOptions';
import type { AudioRef, AvatarCreateRequest } from '../../avatarTaskApi';
import { klingAvatarApi } from '../../avatarTaskApi';
import { KLING_IMAGE_LIMITS, KLING_PROMPT_MAX_CHARS, klingAudioCheck } from '../../limits';
import { klingHost } from '../../transport';

const displayOptions = { show: { resource: ['avatarVideo'], operation: ['create'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Image Source',
		name: 'imageSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Binary File', value: 'binary', description: 'A file from an earlier node (e.g. Read Files, HTTP Request)' },
			{ name: 'URL', value: 'url', description: 'A public http(s) link to the image' },
			{ name: 'Base64', value: 'base64', description: 'Base64 text; a data:...;base64, prefix is removed' },
		],
		default: 'binary',
	},
	{
		displayName: 'Image Binary Field',
		name: 'imageBinaryProperty',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'JPG or PNG, at most 10 MB, each side at least 300 px, aspect ratio between 1:2.5 and 2.5:1',
		displayOptions: { show: { imageSource: ['binary'] } },
	},
	{
		displayName: 'Image URL',
		name: 'imageUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/portrait.png',
		hint: 'Must be reachable by Kling. JPG or PNG, at most 10 MB, each side at least 300 px.',
		displayOptions: { show: { imageSource: ['url'] } },
	},
	{
		displayName: 'Image (Base64)',
		name: 'imageBase64',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		required: true,
		displayOptions: { show: { imageSource: ['base64'] } },
	},
	{
		displayName: 'Audio Source',
		name: 'audioSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Binary File', value: 'binary', description: 'An audio file from an earlier node' },
			{ name: 'URL', value: 'url', description: 'A public http(s) link to the audio' },
			{ name: 'Base64', value: 'base64', description: 'Base64 text; a data:...;base64, prefix is removed' },
			{ name: 'Kling TTS Audio ID', value: 'audioId', description: 'The audio ID from Speech → Create (valid 30 days)' },
		],
		default: 'binary',
	},
	{
		displayName: 'Audio Binary Field',
		name: 'audioBinaryProperty',
		type: 'string',
		default: 'audio',
		required: true,
		hint: 'MP3, WAV, M4A or AAC, at most 5 MB, 2 to 300 seconds (2 to 60 through CometAPI)',
		displayOptions: { show: { audioSource: ['binary'] } },
	},
	{
		displayName: 'Audio URL',
		name: 'audioUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/voice.mp3',
		hint: 'MP3, WAV, M4A or AAC, at most 5 MB, 2 to 300 seconds (2 to 60 through CometAPI)',
		displayOptions: { show: { audioSource: ['url'] } },
	},
	{
		displayName: 'Audio (Base64)',
		name: 'audioBase64',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		required: true,
		displayOptions: { show: { audioSource: ['base64'] } },
	},
	{
		displayName: 'Audio ID',
		name: 'audioId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. {{ $json.audioId }}',
		description: 'The audio ID returned by Kling Avatar → Speech → Create',
		displayOptions: { show: { audioSource: ['audioId'] } },
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		description: 'Optional: the avatar\'s actions, emotions and camera movement (at most 2500 characters)',
	},
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		options: [
			{ name: 'Standard', value: 'std', description: 'Cost-effective' },
			{ name: 'Professional', value: 'pro', description: 'Higher quality, takes longer and costs more' },
		],
		default: 'std',
	},
	...waitAndDownloadProperties({ wait: true, callbackProvider: 'Kling' }),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Callback URL',
				name: 'callbackUrl',
				type: 'string',
				default: '',
				description: 'Kling POSTs the task object here on every status change. To start a workflow when each task ends, use the Production URL of a Kling Avatar Trigger. Not used with Wait By → Provider Callback, which sets it to this execution\'s own resume URL.',
			},
			{
				displayName: 'External Task ID',
				name: 'externalTaskId',
				type: 'string',
				default: '',
				description:
					'Your own ID for the task, unique in your Kling account. Running again with the same ID returns the existing task instead of paying for a new one; if that task failed, the node says so and a new ID is needed. Every item needs its own ID. By default the node makes a new one for each task.',
			},
			...pollingOptionFields,
			{
				displayName: 'Watermark',
				name: 'watermark',
				type: 'boolean',
				default: false,
				description: 'Whether to also generate a watermarked version (its URL is in watermarkVideoUrl)',
			},
		],
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

const PROVIDER = 'Kling';
/** PNG dimensions sit in the first 33 bytes; a JPEG's frame header is nearly always within this. */
const IMAGE_HEADER_BYTES = 256 * 1024;

async function buildRequest(ctx: IExecuteFunctions, i: number): Promise<AvatarCreateRequest> {
	const imageSource = ctx.getNodeParameter('imageSource', i) as MediaSourceKind;
	const image = await resolveMediaInput(ctx, i, {
		source: imageSource,
		value: readSourceValue(ctx, i, 'image', imageSource),
		field: 'Image',
		provider: PROVIDER,
		check: (buffer, totalBytes) => checkImage(buffer, KLING_IMAGE_LIMITS, totalBytes),
		headerBytes: IMAGE_HEADER_BYTES,
	});

	const audioSource = ctx.getNodeParameter('audioSource', i) as MediaSourceKind | 'audioId';
	let audio: AudioRef;
	if (audioSource === 'audioId') {
		const id = readString(ctx, i, 'audioId', { field: 'Audio ID', kind: 'id', provider: PROVIDER, required: 'the audio ID is empty', hintKeys: ['audioId'] });
		audio = { kind: 'audioId', id };
	} else {
		// CometAPI takes shorter audio than Kling (provider-apis.md §6.2): checked before sending too.
		const check = klingAudioCheck((await klingHost(ctx)).cometApi);
		audio = await resolveMediaInput(ctx, i, {
			source: audioSource,
			value: readSourceValue(ctx, i, 'audio', audioSource),
			field: 'Audio',
			provider: PROVIDER,
			check,
		});
	}

	const prompt = readString(ctx, i, 'prompt', { field: 'Prompt', kind: 'text', provider: PROVIDER });
	if (prompt.length > KLING_PROMPT_MAX_CHARS) {
		throw invalidInput(ctx, i, 'Prompt', `the prompt has ${prompt.length} characters; the limit is ${KLING_PROMPT_MAX_CHARS}`, PROVIDER);
	}
	const mode = readString(ctx, i, 'mode', { field: 'Mode', kind: 'id', provider: PROVIDER, fallback: 'std', oneOf: ['std', 'pro'] }) as 'std' | 'pro';
	const options = ctx.getNodeParameter('options', i, {}) as { watermark?: boolean };

	let callbackUrl: string | undefined;
	const callback = readString(ctx, i, 'options.callbackUrl', { field: 'Callback URL', kind: 'url', provider: PROVIDER });
	if (callback) {
		const parsed = parseHttpUrl(callback);
		if (!parsed.ok) throw invalidInput(ctx, i, 'Callback URL', parsed.problem, PROVIDER);
		callbackUrl = parsed.value;
	}
	return { image, audio, prompt, mode, watermark: options.watermark, callbackUrl };
}

/** The fields' names as shown in the editor, for errors. */
const SOURCE_FIELDS = {
	image: { binary: 'Image Binary Field', url: 'Image URL', base64: 'Image (Base64)' },
	audio: { binary: 'Audio Binary Field', url: 'Audio URL', base64: 'Audio (Base64)' },
} as const;

/** The binary field name, URL or Base64 text of a media input, read as the type its source needs. */
function readSourceValue(ctx: IExecuteFunctions, i: number, media: 'image' | 'audio', source: MediaSourceKind): string {
	const field = SOURCE_FIELDS[media][source];
	if (source === 'binary') return readString(ctx, i, `${media}BinaryProperty`, { field, kind: 'id', provider: PROVIDER });
	if (source === 'url') return readString(ctx, i, `${media}Url`, { field, kind: 'url', provider: PROVIDER });
	return readString(ctx, i, `${media}Base64`, { field, kind: 'base64', provider: PROVIDER });
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeTaskOperation(this, items, {
		api: klingAvatarApi(this),
		waitDefault: true,
		buildJob: async (i, settings) => {
			// A callback wait confirms every callback by reading the task, and CometAPI does not serve
			// Kling's avatar query (avatarTaskApi.ts): such a wait could only end at Max Wait. Refused
			// before anything is paid. (As an AI Agent tool the node polls: not concerned.)
			if (settings.wait && settings.by === 'callback' && !runsAsTool(this) && (await klingHost(this)).cometApi) {
				throw new NodeOperationError(this.getNode(), 'Wait By → Provider Callback does not work through CometAPI', {
					itemIndex: i,
					description:
						'The callback wait reads each task back from the provider before it trusts a callback, and CometAPI does not serve Kling\'s avatar query path, so the wait could only end at Max Wait. Nothing was sent to Kling for this item. Choose Wait By → Polling, or Kling\'s own API (Region Global or China) in the credential.',
				});
			}
			const externalTaskId = readString(this, i, 'options.externalTaskId', { field: 'External Task ID', kind: 'id', provider: PROVIDER, hintKeys: ['externalTaskId'] });
			return { itemIndex: i, request: await buildRequest(this, i), ...(externalTaskId ? { externalTaskId } : {}) };
		},
		videoFileName: (task) => `kling-avatar-${task.taskId}.mp4`,
		callback: { withCallbackUrl: (request, url) => ({ ...request, callbackUrl: url }), getOperation: 'Avatar Video → Get' },
	});
}
