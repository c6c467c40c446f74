import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { atItem, continueAfter, errorItem } from '../../../shared/items';
import { readString } from '../../../shared/parameters';
import type { TaskJob } from '../../../shared/taskEngine';
import { runTasks } from '../../../shared/taskEngine';
import { TaskLedger } from '../../../shared/taskLedger';
import { pollingOptionFields, readWaitSettings } from '../../../shared/waitOptions';
import { AKOOL } from '../../constants';
import { normalizeAkoolAvatar } from '../../normalize';
import type { AvatarCreateRequest } from '../../taskApis';
import { avatarApi } from '../../taskApis';
import { avatarIdValue, requiredUrl } from '../../validate';

const displayOptions = { show: { resource: ['avatar'], operation: ['create'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Video URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/me.mp4',
		hint: 'A public http(s) link to a video of the person (about one minute, face clear, little head turning); local files are not accepted',
	},
	{
		displayName: 'Avatar ID',
		name: 'avatarId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. myAvatar01',
		description: 'Your unique ID for the avatar: letters and digits only',
	},
	{
		displayName: 'Type',
		name: 'avatarType',
		type: 'options',
		options: [
			{ name: 'Streaming Avatar', value: 2, description: 'For live streaming; usable once its status is completed' },
			{ name: 'Talking Avatar', value: 1, description: 'For talking-avatar videos' },
		],
		default: 1,
	},
	{
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: false,
		description: 'Whether to wait until Akool has finished processing the avatar (status completed or failed)',
	},
	{
		displayName: 'Max Wait (Minutes)',
		name: 'maxWaitMinutes',
		type: 'number',
		typeOptions: { minValue: 0.1, numberPrecision: 1 },
		default: 10,
		description: 'How long to wait for one avatar. When reached, the item fails with the avatar\'s record ID so you can continue with Get.',
		displayOptions: { show: { waitForCompletion: [true] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			...pollingOptionFields,
			{
				displayName: 'Name',
				name: 'name',
				type: 'string',
				default: '',
				description: 'A display name for the avatar',
			},
			{
				displayName: 'Video Link Type',
				name: 'urlFrom',
				type: 'options',
				options: [
					{ name: 'Direct Link', value: 1, description: 'A direct link to the file (or an Akool link)' },
					{ name: 'Social or Drive Link', value: 2, description: 'A YouTube, TikTok, X or Google Drive link' },
				],
				default: 1,
			},
		],
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

function buildRequest(ctx: IExecuteFunctions, i: number): AvatarCreateRequest {
	const url = requiredUrl(ctx, i, 'url', 'Video URL');
	const avatarId = avatarIdValue(ctx, i, readString(ctx, i, 'avatarId', { field: 'Avatar ID', kind: 'id', provider: AKOOL, hintKeys: ['avatarId', 'avatar_id'] }), 'Avatar ID', true);
	const type = Number(ctx.getNodeParameter('avatarType', i, 1)) === 2 ? 2 : 1;
	const options = ctx.getNodeParameter('options', i, {}) as { urlFrom?: number };
	const request: AvatarCreateRequest = { url, avatarId, type };
	const name = readString(ctx, i, 'options.name', { field: 'Name', kind: 'text', provider: AKOOL }).trim();
	if (name) request.name = name;
	if (options.urlFrom !== undefined) request.urlFrom = Number(options.urlFrom) === 2 ? 2 : 1;
	return request;
}

/** Uploads avatars for the whole batch (validated first), optionally waiting for all of them together. */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	// First, before anything can fail: a later Retry must see that this node ran (taskLedger.ts).
	const ledger = TaskLedger.open(this.getContext('node'));
	const early = new Map<number, Error>();
	const jobs: Array<TaskJob<AvatarCreateRequest>> = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const settings = readWaitSettings(this, i, false);
			jobs.push({ itemIndex: i, request: buildRequest(this, i), wait: settings.wait, maxWaitMs: settings.maxWaitMs, schedule: settings.schedule });
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			early.set(i, error);
		}
	}
	const outcomes = await runTasks(this, avatarApi(this), jobs, {
		wait: false,
		maxWaitMs: 10 * 60_000,
		stopOnFirstError: !this.continueOnFail(),
		ledger,
	});
	const byItem = new Map(outcomes.map((o) => [o.itemIndex, o]));
	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const error = early.get(i) ?? byItem.get(i)?.error;
		const task = byItem.get(i)?.task;
		if (error) {
			// The avatar's record ID (`id` of a succeeded item) is the task here.
			output.push(errorItem(atItem(error, i), i, { taskId: task?.taskId ?? byItem.get(i)?.taskId, status: task?.status }));
		} else if (task) {
			output.push({ json: normalizeAkoolAvatar(task.raw), pairedItem: { item: i } });
		}
	}
	return output;
}
