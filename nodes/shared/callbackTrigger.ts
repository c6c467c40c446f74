import type {
	IHookFunctions,
	IBinaryKeyData,
	IDataObject,
	INodeExecutionData,
	INodeProperties,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { downloadToBinary } from './download';
import { coerceString } from './parameters';
import type { NormalizedTask, TaskStatus } from './task';
import { isTerminal } from './task';

/**
 * What the provider triggers share: the webhook description, the output options, the status
 * filter, duplicate suppression and the emit (with the optional download).
 *
 * How n8n treats a trigger's webhook call (measured in n8n 1.123.81 and 2.41.1, see README
 * "Callbacks (trigger nodes)"): with responseMode `onReceived`, returning `{ noWebhookResponse:
 * true }` after answering through the response object starts nothing; adding `workflowData`
 * starts one execution. n8n has no registration API to call for Kling or Akool: the URL is given
 * per task (Kling callback_url, Akool webhookUrl), so checkExists / create / delete have nothing to do.
 */
export const CALLBACK_WEBHOOKS: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		path: 'callback',
		responseData: '',
	},
];

/** Which confirmed states start the workflow. */
/**
 * The webhook lifecycle of a trigger whose provider has no registration API (Kling, Akool): the
 * URL goes with each create (callback_url / webhookUrl), so there is nothing to create or delete.
 */
export const NO_REGISTRATION_WEBHOOK_METHODS = {
	default: {
		async checkExists(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async create(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async delete(this: IHookFunctions): Promise<boolean> {
			return true;
		},
	},
};

export type StatusFilter = 'succeeded' | 'failed' | 'ended' | 'any';

export function passesStatusFilter(status: TaskStatus, filter: StatusFilter): boolean {
	if (filter === 'any') return true;
	if (filter === 'ended') return status === 'succeeded' || status === 'failed';
	return status === filter;
}

/** The options both triggers show, after their own notice. */
export function callbackTriggerProperties(provider: string): INodeProperties[] {
	return [
		{
			displayName: 'Status Filter',
			name: 'statusFilter',
			type: 'options',
			options: [
				{ name: 'Any Ended (Succeeded or Failed)', value: 'ended', description: 'One execution per task, when it has ended' },
				{ name: 'Any Status Change', value: 'any', description: 'Also queued and processing states, once each' },
				{ name: 'Failed', value: 'failed', description: 'Only tasks that failed' },
				{ name: 'Succeeded', value: 'succeeded', description: 'Only tasks with a video' },
			],
			default: 'ended',
			description: `Which task states start the workflow. The state is the one ${provider} reports when the node asks it, not the one the delivery claims.`,
		},
		{
			displayName: 'Download Video',
			name: 'downloadVideo',
			type: 'boolean',
			default: true,
			description: 'Whether to download the finished video into a binary property (provider links expire after some days)',
		},
		{
			displayName: 'Put Video in Field',
			name: 'videoBinaryProperty',
			type: 'string',
			default: 'video',
			required: true,
			hint: 'The name of the output binary property to put the video in',
			displayOptions: { show: { downloadVideo: [true] } },
		},
	];
}

/** Answers the request now and starts nothing. */
export function answer(ctx: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
	ctx.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}

/**
 * The answers an unauthenticated caller gets: the same body whatever the trigger found (a task that
 * exists or not, its state, a duplicate), so the URL cannot be used to probe tasks. Why is logged
 * (ctx.logger). Only the status codes the providers act on differ: 401 (Akool: invalid), 502 (the
 * provider's API could not be asked) and 503 (the delivery says the task ended, the API does not
 * show it yet); with 502 and 503 the provider sends the delivery again.
 */
export const RECEIVED: IDataObject = { received: true };
export const TRY_AGAIN: IDataObject = { error: 'try again later' };

// ───────────────────────────── duplicates ─────────────────────────────

/** How long a (task, status) is remembered: longer than any provider resends (Akool links last 7 days). */
export const SEEN_TTL_MS = 7 * 24 * 3600_000;
/** Keys kept in the workflow's static data per trigger node. */
export const SEEN_STATIC_MAX = 500;
/** Keys kept in memory per trigger node (per n8n process). */
export const SEEN_MEMORY_MAX = 10_000;

const FINAL_STATUSES: string[] = ['succeeded', 'failed'];

/** Per process: trigger node (workflow, node, mode) → key → when it was emitted. */
const seenInProcess = new Map<string, Map<string, number>>();

function memoryOf(scope: string): Map<string, number> {
	let seen = seenInProcess.get(scope);
	if (!seen) {
		seen = new Map();
		seenInProcess.set(scope, seen);
	}
	return seen;
}

/**
 * Claims a (task, status) for one emit. Providers resend (Kling: several calls per status change;
 * Akool: until it gets HTTP 200), and n8n's webhook context has no deduplication helper, so two
 * records are kept:
 * - in memory, per n8n process: checked and written with no await in between, so concurrent
 *   deliveries in one process cannot both pass;
 * - in the workflow's static data (`recentDeliveries`, at most SEEN_STATIC_MAX keys, pruned after
 *   SEEN_TTL_MS): survives a restart. n8n saves it after the webhook call; on n8n 2.41 concurrent
 *   calls can lose an update, and other n8n processes (queue mode webhook processes, multi-main)
 *   see it only once saved. A duplicate can therefore still pass when two copies reach two
 *   processes at the same moment, or after a restart that lost an update (README: limits).
 * Keys are `<taskId>:<status>`. Returns false when the key was seen already, or when it is a
 * non-final status of a task whose final status was claimed.
 */
export function claimDelivery(ctx: IWebhookFunctions, key: string, now = Date.now()): boolean {
	const scope = `${ctx.getWorkflow().id ?? ''}/${ctx.getNode().id}/${ctx.getMode()}`;
	const memory = memoryOf(scope);
	const stat = ctx.getWorkflowStaticData('node');
	const stored = isObject(stat.recentDeliveries) ? (stat.recentDeliveries as IDataObject) : {};
	const seen = (k: string): boolean => {
		const m = memory.get(k);
		const st = typeof stored[k] === 'number' ? (stored[k] as number) : undefined;
		return (m !== undefined && now - m < SEEN_TTL_MS) || (st !== undefined && now - st < SEEN_TTL_MS);
	};
	if (seen(key)) return false;
	// Any Status Change: a non-final state found after the task's final one was emitted (a fetch that
	// answered late, a slow copy) is stale: the workflow already has the end.
	const cut = key.lastIndexOf(':');
	const [taskId, status] = cut > 0 ? [key.slice(0, cut), key.slice(cut + 1)] : [key, ''];
	if (status && !FINAL_STATUSES.includes(status) && FINAL_STATUSES.some((f) => seen(`${taskId}:${f}`))) return false;

	memory.delete(key);
	memory.set(key, now);
	for (const [k, at] of memory) {
		if (memory.size <= SEEN_MEMORY_MAX && now - at < SEEN_TTL_MS) break;
		memory.delete(k);
	}
	const kept = Object.entries({ ...stored, [key]: now })
		.filter(([, at]) => typeof at === 'number' && now - at < SEEN_TTL_MS)
		.sort((a, b) => (b[1] as number) - (a[1] as number))
		.slice(0, SEEN_STATIC_MAX);
	stat.recentDeliveries = Object.fromEntries(kept);
	return true;
}

/** Forgets every in-process claim, as a restart of n8n does (tests). */
export function clearInProcessDeliveries(): void {
	seenInProcess.clear();
}

/** Forgets a claim made in this process (for tests and a failed emit). */
export function releaseDelivery(ctx: IWebhookFunctions, key: string): void {
	memoryOf(`${ctx.getWorkflow().id ?? ''}/${ctx.getNode().id}/${ctx.getMode()}`).delete(key);
	const stat = ctx.getWorkflowStaticData('node');
	if (isObject(stat.recentDeliveries)) delete (stat.recentDeliveries as IDataObject)[key];
}

// ───────────────────────────── emit ─────────────────────────────

/** How long a trigger may spend downloading a video (a webhook call has no execution to cancel it). */
export const triggerDownloadLimits = { timeoutMs: 10 * 60_000 };

export interface EmitOptions {
	/** "Kling", "Akool" */
	provider: string;
	fileName: string;
	/**
	 * The delivery says the task ended (Kling: succeed / failed; Akool, verified: status 3 / 4). If the
	 * provider's API still shows it running, the answer is 503 so that the provider sends it again.
	 */
	claimsEnded?: boolean;
}

/**
 * Emits a task the provider has confirmed (fetched with the credential), once per (task, status)
 * and only when it passes the status filter. The sender gets HTTP 200 ({received: true}) at once,
 * emitted or not; the video is downloaded after that answer, within triggerDownloadLimits. A
 * download that fails (or takes too long) still emits the task (its videoUrl is there) with
 * `downloadError` set, instead of dropping a delivery the provider will not send again.
 * A delivery that says the task ended while the API still shows it running gets 503 and nothing
 * is emitted or recorded: the provider sends it again, by when the API shows the end.
 */
export async function emitConfirmedTask(ctx: IWebhookFunctions, task: NormalizedTask, options: EmitOptions): Promise<IWebhookResponseData> {
	const log = `${options.provider} trigger: task ${task.taskId}`;
	if (options.claimsEnded && !isTerminal(task.status)) {
		ctx.logger.warn(`${log}: the delivery says it ended but ${options.provider}'s API shows it ${task.status}; answered 503 so that it is sent again`);
		return answer(ctx, 503, TRY_AGAIN);
	}
	const filter = ctx.getNodeParameter('statusFilter', 'ended') as StatusFilter;
	if (!passesStatusFilter(task.status, filter)) {
		ctx.logger.debug(`${log} is ${task.status} at ${options.provider}: not emitted (Status Filter: ${filter})`);
		return answer(ctx, 200, RECEIVED);
	}
	const key = `${task.taskId}:${task.status}`;
	if (!claimDelivery(ctx, key)) {
		ctx.logger.debug(`${log} (${task.status}): emitted already${isTerminal(task.status) ? '' : ', or its final status was'}; not emitted again`);
		return answer(ctx, 200, RECEIVED);
	}
	ctx.getResponseObject().status(200).json(RECEIVED);

	const item: INodeExecutionData = { json: task };
	const download = ctx.getNodeParameter('downloadVideo', true) as boolean;
	if (download && task.status === 'succeeded') {
		// The typed reader's rules (objects, arrays refused; one-element arrays unwrapped), without an item index.
		const name = coerceString(ctx.getNodeParameter('videoBinaryProperty', 'video'), 'id');
		const field = name.ok ? name.value.trim() || 'video' : '';
		if (!name.ok) {
			item.json = { ...task, downloadError: `Invalid "Put Video in Field": ${name.problem}; the video was not downloaded` };
		} else if (!task.videoUrl) {
			item.json = { ...task, downloadError: `${options.provider} reports the task succeeded but gives no video URL` };
		} else {
			try {
				const binary: IBinaryKeyData = {
					[field]: await downloadToBinary(ctx, task.videoUrl, options.fileName, 'video/mp4', 0, { timeoutMs: triggerDownloadLimits.timeoutMs }),
				};
				item.binary = binary;
			} catch (error) {
				ctx.logger.warn(`${log}: downloading the video failed: ${(error as Error).message}`);
				item.json = { ...task, downloadError: (error as Error).message };
			}
		}
	}
	return { noWebhookResponse: true, workflowData: [[item]] };
}

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
