import type { IBinaryKeyData, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { CallbackCreate } from './callbackOperation';
import { executeCallbackWait, parkedRunOutput } from './callbackOperation';
import { downloadToBinary } from './download';
import { atItem, continueAfter, errorItem } from './items';
import { readString } from './parameters';
import type { NormalizedTask } from './task';
import type { TaskApi, TaskJob } from './taskEngine';
import { runTasks } from './taskEngine';
import { TaskLedger } from './taskLedger';
import { runsAsTool, taskForAgent } from './toolMode';
import type { WaitSettings } from './waitOptions';
import { readWaitSettings } from './waitOptions';

export interface TaskOperationConfig<Request> {
	api: TaskApi<Request>;
	/** Default of the Wait for Completion field for this operation. */
	waitDefault: boolean;
	/** Seconds before the first status check when the user sets none (the provider's documented pace). */
	firstPollSeconds?: number;
	/**
	 * Reads and validates one item's parameters into a job (a create request or a task id).
	 * Runs for every item before anything is sent, so bad input costs nothing.
	 */
	buildJob(itemIndex: number, settings: WaitSettings): Promise<TaskJob<Request>>;
	/** File name for a downloaded result, e.g. "kling-avatar-<taskId>.mp4". */
	videoFileName(task: NormalizedTask): string;
	/** Optional check of the downloaded file (e.g. a checksum the provider publishes). */
	verifyDownload?(task: NormalizedTask, binary: IBinaryKeyData, itemIndex: number): Promise<void>;
	/** Present where the operation offers Wait By → Provider Callback (callbackOperation.ts). */
	callback?: CallbackCreate<Request>;
}

/**
 * Create / Get for a whole batch: validate every item, submit them all, wait on the set,
 * download results, and return one output item per input item (with pairedItem).
 */
export async function executeTaskOperation<Request>(
	ctx: IExecuteFunctions,
	items: INodeExecutionData[],
	config: TaskOperationConfig<Request>,
): Promise<INodeExecutionData[]> {
	// First, before anything can fail: a later Retry must see that this node ran (taskLedger.ts).
	const ledger = TaskLedger.open(ctx.getContext('node'));
	// An agent gets JSON only: n8n drops a tool's binary output (with a warning), so nothing is downloaded.
	const asTool = runsAsTool(ctx);
	// n8n running the node again in the run that parked (Retry On Fail): before any parameter is read.
	if (config.callback && !asTool) {
		const parked = await parkedRunOutput(ctx);
		if (parked) return parked;
	}
	const settings: WaitSettings[] = [];
	const early = new Map<number, Error>();
	const jobs: Array<TaskJob<Request>> = [];

	for (let i = 0; i < items.length; i++) {
		try {
			settings[i] = readWaitSettings(ctx, i, config.waitDefault, config.firstPollSeconds);
			if (asTool) settings[i].download = false;
			if (settings[i].download) {
				// The output field's name, checked like every identifying string (an object would become "[object Object]").
				settings[i].videoProperty =
					readString(ctx, i, 'videoBinaryProperty', { field: 'Put Video in Field', kind: 'id', provider: config.api.provider, fallback: 'video' }) || 'video';
			}
			const job = await config.buildJob(i, settings[i]);
			jobs.push({ ...job, wait: settings[i].wait, maxWaitMs: settings[i].maxWaitMs, schedule: settings[i].schedule });
		} catch (error) {
			if (!continueAfter(ctx, error)) throw atItem(error, i);
			early.set(i, error);
		}
	}

	// An agent's tool call cannot park the execution: as a tool, the node polls.
	if (config.callback && !asTool && settings.some((s) => s?.wait && s.by === 'callback')) {
		const parked = await executeCallbackWait(ctx, items, {
			api: config.api,
			callback: config.callback,
			settings,
			jobs,
			early,
			ledger,
			finish: { provider: config.api.provider, videoFileName: config.videoFileName, verifyDownload: config.verifyDownload },
		});
		if (parked) return parked;
	}

	const outcomes = await runTasks(ctx, config.api, jobs, {
		wait: config.waitDefault,
		maxWaitMs: 10 * 60_000,
		stopOnFirstError: !ctx.continueOnFail(),
		ledger,
		onSucceeded: async (task, i) => {
			if (!settings[i].download) return undefined;
			if (!task.videoUrl) {
				throw new NodeOperationError(ctx.getNode(), `${config.api.provider} task ${task.taskId} succeeded but returned no video URL`, {
					itemIndex: i,
				});
			}
			const binary: IBinaryKeyData = {
				[settings[i].videoProperty]: await downloadToBinary(ctx, task.videoUrl, config.videoFileName(task), 'video/mp4', i),
			};
			if (config.verifyDownload) await config.verifyDownload(task, binary, i);
			return binary;
		},
	});

	const byItem = new Map(outcomes.map((o) => [o.itemIndex, o]));
	const jobOf = new Map(jobs.map((job) => [job.itemIndex, job]));
	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const error = early.get(i);
		const outcome = byItem.get(i);
		if (error) {
			// Refused before sending: no task exists for this item.
			output.push(errorItem(error, i, {}));
		} else if (outcome?.error) {
			output.push(
				errorItem(atItem(outcome.error, i), i, {
					taskId: outcome.task?.taskId ?? outcome.taskId,
					// Known even without a task ID: a create whose answer was lost names the key it was sent with.
					externalTaskId: outcome.task?.externalTaskId || outcome.externalTaskId || jobOf.get(i)?.externalTaskId,
					status: outcome.task?.status,
				}),
			);
		} else if (outcome?.task) {
			const json = asTool ? taskForAgent(outcome.task) : outcome.task;
			output.push({ json, ...(outcome.binary ? { binary: outcome.binary } : {}), pairedItem: { item: i } });
		}
	}
	return output;
}

/** A Get job: the (required) task ID from `parameter`, named `field` in errors. */
export function taskIdJob<Request>(
	ctx: IExecuteFunctions,
	itemIndex: number,
	parameter: string,
	field: string,
	provider: string,
): TaskJob<Request> {
	const taskId = readString(ctx, itemIndex, parameter, {
		field,
		kind: 'id',
		provider,
		required: 'the ID is empty',
		hintKeys: parameter === 'externalTaskId' ? ['externalTaskId'] : ['taskId'],
	});
	return { itemIndex, taskId };
}
