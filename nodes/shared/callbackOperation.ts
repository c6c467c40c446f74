import type {
	IBinaryKeyData,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { CallbackHint, CallbackRound, RoundEntry, RoundTask } from './callbackWait';
import {
	EndedTasks,
	ROUND_CONTEXT_KEY,
	ResumeGuard,
	callbackUrlFor,
	confirmRound,
	parkedAlready,
	readRound,
	roundExpression,
	roundItems,
	roundKeyOf,
	unreachableReason,
} from './callbackWait';
import { failureKindOf } from './errors';
import { downloadToBinary } from './download';
import { atItem, continueAfter, errorItem } from './items';
import { ledgerRunScope } from './ledgerScope';
import type { NormalizedTask } from './task';
import { isTerminal } from './task';
import type { TaskApi, TaskJob, TaskOutcome } from './taskEngine';
import { runTasks } from './taskEngine';
import { TaskErrors } from './taskErrors';
import type { TaskLedger } from './taskLedger';
import { ledgerKey, stableFingerprint } from './taskLedger';
import { retryRead } from './readRetry';
import type { WaitSettings } from './waitOptions';

/**
 * The n8n side of "Wait for Completion → By Provider Callback" (the rules are in callbackWait.ts):
 * Create's submit / check / park (`executeCallbackWait`), and the node's `webhook()` that each
 * callback reaches (`callbackWebhook`). Provider specifics come in through CallbackProvider.
 */

/** What a provider's Create needs to wait by callback. */
export interface CallbackCreate<Request> {
	/** The request with the provider's callback field set (Kling callback_url, Akool webhookUrl). */
	withCallbackUrl(request: Request, url: string): Request;
	/** Where the timed-out items send the user: "Avatar Video → Get". */
	getOperation: string;
}

/** What the webhook needs of a provider. */
export interface CallbackProvider {
	provider: string;
	/** Reads a task (the operation's TaskApi.get). `ctx` is the webhook's context, typed for the transport. */
	read(ctx: IExecuteFunctions, taskId: string, itemIndex: number): Promise<NormalizedTask>;
	/** What the callback's body says; 'refused' for a body that is no delivery of the provider at all (answered 401). Never throws. */
	hint(ctx: IWebhookFunctions): Promise<CallbackHint | 'refused'>;
	videoFileName(task: NormalizedTask): string;
	verifyDownload?(ctx: IExecuteFunctions, task: NormalizedTask, binary: IBinaryKeyData, itemIndex: number): Promise<void>;
}

/** What finishing an ended task into its output item needs. */
interface FinishSpec {
	provider: string;
	videoFileName(task: NormalizedTask): string;
	verifyDownload?(task: NormalizedTask, binary: IBinaryKeyData, itemIndex: number): Promise<void>;
}

/**
 * The transport (klingRequest, akoolRequest, downloadToBinary) is typed for IExecuteFunctions but
 * uses only what a webhook's context has too: getNode, getCredentials, logger and the request and
 * binary helpers (n8n-core `WebhookContext`, 1.123.81 and 2.41.1). It has no cancel signal, which
 * the transport reads optionally.
 */
export function transportContext(ctx: IWebhookFunctions): IExecuteFunctions {
	return ctx as unknown as IExecuteFunctions;
}

/**
 * One waited task's output item, as a polling Create outputs it: the task with its video
 * downloaded, or for a failure an error item (items.ts contract). Never throws.
 */
async function finishedItem(ctx: IExecuteFunctions, spec: FinishSpec, t: RoundTask, task: NormalizedTask): Promise<{ item: INodeExecutionData; error?: Error }> {
	const i = t.itemIndex;
	const facts = { taskId: task.taskId || t.taskId, externalTaskId: task.externalTaskId || t.externalTaskId, status: task.status };
	try {
		if (task.status === 'failed') throw new TaskErrors(ctx.getNode(), spec.provider).taskFailed(task, true);
		let binary: IBinaryKeyData | undefined;
		if (t.download) {
			if (!task.videoUrl) {
				throw new NodeOperationError(ctx.getNode(), `${spec.provider} task ${task.taskId} succeeded but returned no video URL`, { itemIndex: i });
			}
			binary = { [t.videoProperty]: await downloadToBinary(ctx, task.videoUrl, spec.videoFileName(task), 'video/mp4', i) };
			if (spec.verifyDownload) await spec.verifyDownload(task, binary, i);
		}
		return { item: { json: { ...task, externalTaskId: facts.externalTaskId }, ...(binary ? { binary } : {}), pairedItem: { item: i } } };
	} catch (error) {
		const e = atItem(error as Error, i);
		return { item: errorItem(e, i, facts), error: e };
	}
}

/**
 * When n8n runs execute() again in the very run that parked (Retry On Fail after an error item
 * first in the output; callbackWait.ts parkedAlready): the items the parking call returned, sent
 * and read nothing, the wait kept as it is. Undefined for any other call. Reads no parameter (they
 * would be evaluated against the timed-out items now on the stack entry).
 */
export async function parkedRunOutput(ctx: IExecuteFunctions): Promise<INodeExecutionData[] | undefined> {
	const round = parkedAlready(readRound(ctx.getContext('node')[ROUND_CONTEXT_KEY]), ctx.getExecutionId(), ledgerRunScope(ctx));
	if (!round?.waiting) return undefined;
	// Idempotent: the same wake-up time as the parking call.
	await ctx.putExecutionToWait(new Date(round.maxWaitUntil));
	ctx.logger.debug(`${round.provider}: this run parked already; n8n ran the node again (Retry On Fail): nothing is sent, the wait goes on`);
	// The waiting items are kept without binary data; a final item's is on the input (the timed-out
	// items, in the same order; a timed-out item has none).
	const input = ctx.getInputData();
	return round.waiting.map((item, i) => (input[i]?.binary ? { ...item, binary: input[i].binary } : item));
}

/**
 * Create with Wait By = Provider Callback: submits the batch through the engine and its ledger
 * (never paying twice), checks every task once, and returns at once when all have ended; else
 * parks the execution until the callbacks (or Max Wait) end the wait. Returns undefined when this
 * run must poll instead: it follows tasks an earlier run created (their callbacks go elsewhere).
 */
export async function executeCallbackWait<Request>(
	ctx: IExecuteFunctions,
	items: INodeExecutionData[],
	setup: {
		api: TaskApi<Request>;
		callback: CallbackCreate<Request>;
		settings: WaitSettings[];
		jobs: Array<TaskJob<Request>>;
		early: Map<number, Error>;
		ledger: TaskLedger;
		finish: FinishSpec;
	},
): Promise<INodeExecutionData[] | undefined> {
	const { api, callback, settings, jobs, early, ledger } = setup;
	const node = ctx.getNode();

	// A task an earlier run created (Retry On Fail, an Executions-list Retry) calls back the URL it
	// was created with, not this execution's: this run would hear nothing of it. Such a run polls.
	const run = ledgerRunScope(ctx);
	const followed = jobs.filter((job) => {
		if (job.request === undefined || !settings[job.itemIndex].wait) return false;
		const key = ledgerKey(api.provider, run, job.itemIndex, api.fingerprint ? api.fingerprint(job.request) : stableFingerprint(job.request));
		const last = ledger.latest(key);
		return !!last && last.status !== 'failed';
	});
	if (followed.length) {
		ctx.logger.info(`${api.provider}: ${followed.length} item(s) follow tasks an earlier run created, whose callbacks go to that run; waiting by polling`);
		return undefined;
	}

	const resumeUrl = String(ctx.evaluateExpression('{{ $execution.resumeUrl }}', 0) ?? '');
	const callbackUrl = callbackUrlFor(resumeUrl, node.id);
	const unreachable = unreachableReason(callbackUrl);
	const warning = unreachable
		? `Callbacks go to ${callbackUrl.replace(/\?.*$/, '')}, which ${api.provider} cannot reach from the internet (${unreachable}); set n8n's WEBHOOK_URL to its public address. Max Wait ends the wait.`
		: undefined;
	if (warning) ctx.logger.warn(`${api.provider}: ${warning}`);

	// 1. Submit: the same engine and ledger as polling, answering with each create's first state.
	const submitJobs = jobs.map((job) => ({
		...job,
		request: job.request !== undefined && settings[job.itemIndex].wait ? callback.withCallbackUrl(job.request, callbackUrl) : job.request,
		wait: false,
	}));
	const stopOnFirstError = !ctx.continueOnFail();
	const submitted = await runTasks(ctx, api, submitJobs, { wait: false, maxWaitMs: 10 * 60_000, stopOnFirstError, ledger });

	// 2. Check every waited task once: callbacks that came while this node ran were refused by n8n
	//    (the execution was running), and a fast task may be done already.
	const waited = submitted.filter((o) => o.task && !o.error && settings[o.itemIndex].wait && !isTerminal(o.task.status));
	const checks = waited.length
		? await runTasks(ctx, api, waited.map((o) => ({ itemIndex: o.itemIndex, taskId: o.task?.taskId, wait: false })), { wait: false, maxWaitMs: 60_000, stopOnFirstError: false })
		: [];
	const latest = new Map<number, NormalizedTask>();
	for (const o of submitted) if (o.task && !o.error) latest.set(o.itemIndex, o.task);
	// A task read as failed comes with the engine's error; a read that failed for now (rate limit,
	// outage) leaves the task as it was (the callbacks decide); one refused for good (fatal: the
	// task cannot be read here, so no callback could ever be confirmed) ends that item as an error.
	const unreadable = new Map<number, Error>();
	for (const c of checks) {
		if (c.task && (!c.error || isTerminal(c.task.status))) latest.set(c.itemIndex, { ...c.task, externalTaskId: c.task.externalTaskId || latest.get(c.itemIndex)?.externalTaskId || null });
		else if (c.error && failureKindOf(c.error) === 'fatal') unreadable.set(c.itemIndex, c.error);
	}

	const byItem = new Map<number, TaskOutcome>(submitted.map((o) => [o.itemIndex, o]));
	const roundTasks: RoundTask[] = [];
	const entries: RoundEntry[] = [];
	const ended: Array<{ roundTask: RoundTask; task: NormalizedTask }> = [];
	for (let i = 0; i < items.length; i++) {
		const error = early.get(i);
		const outcome = byItem.get(i);
		const task = latest.get(i);
		if (error || !outcome) {
			entries.push({ itemIndex: i, final: errorItem(error ?? new NodeOperationError(node, 'Not submitted', { itemIndex: i }), i, {}) });
		} else if (outcome.error) {
			entries.push({
				itemIndex: i,
				final: errorItem(atItem(outcome.error, i), i, { taskId: outcome.task?.taskId ?? outcome.taskId, externalTaskId: outcome.task?.externalTaskId || outcome.externalTaskId, status: outcome.task?.status }),
			});
		} else if (task && settings[i].wait) {
			const roundTask: RoundTask = { itemIndex: i, taskId: task.taskId, externalTaskId: task.externalTaskId, download: settings[i].download, videoProperty: settings[i].videoProperty };
			const refused = unreadable.get(i);
			if (refused) {
				const e = atItem(refused, i);
				if (!continueAfter(ctx, e)) throw e;
				entries.push({ itemIndex: i, final: errorItem(e, i, { taskId: task.taskId, externalTaskId: task.externalTaskId, status: task.status }) });
			} else if (isTerminal(task.status)) {
				// Ended already: its final item now (below), the same in every outcome of the wait.
				ended.push({ roundTask, task });
			} else {
				roundTasks.push(roundTask);
				entries.push({ itemIndex: i, task });
			}
		} else if (task) {
			entries.push({ itemIndex: i, final: { json: task, pairedItem: { item: i } } });
		}
	}

	// 3. Tasks ended already: their final items now, as a polling Create gives them (the video
	//    downloaded, a failure an error item), whether or not the others are waited on.
	for (const { roundTask, task } of ended) {
		const done = await finishedItem(ctx, setup.finish, roundTask, task);
		if (done.error && !continueAfter(ctx, done.error)) throw done.error;
		entries.push({ itemIndex: roundTask.itemIndex, final: done.item });
	}
	if (roundTasks.length === 0) {
		return [...entries].sort((a, b) => a.itemIndex - b.itemIndex).map((e) => ('final' in e ? e.final : { json: e.task, pairedItem: { item: e.itemIndex } }));
	}

	// 4. Park the execution. The round is saved with it (context); the stack entry holds what a
	//    wake-up at Max Wait outputs (research §3.3: the live entry n8n puts back on the stack).
	const maxWaitMs = Math.max(...roundTasks.map((t) => settings[t.itemIndex].maxWaitMs));
	const now = Date.now();
	const round: CallbackRound = {
		version: 1,
		provider: api.provider,
		run,
		executionId: ctx.getExecutionId(),
		waitingSince: new Date(now).toISOString(),
		maxWaitUntil: new Date(now + maxWaitMs).toISOString(),
		tasks: roundTasks,
	};
	const { waiting, onTimeout } = roundItems(entries, round, callback.getOperation, warning);
	// What this call returns, for a second call in the same run (parkedRunOutput); binary data is
	// not copied into the context (a final item's is on the stack entry).
	round.waiting = waiting.map((item) => ({ json: item.json, ...(item.pairedItem !== undefined ? { pairedItem: item.pairedItem } : {}) }));
	ctx.getContext('node')[ROUND_CONTEXT_KEY] = round;
	const stackEntry = ctx.getExecuteData();
	stackEntry.data = { ...stackEntry.data, main: [onTimeout, ...(stackEntry.data.main ?? []).slice(1)] };
	await ctx.putExecutionToWait(new Date(now + maxWaitMs));
	ctx.logger.info(
		`${api.provider}: waiting for callbacks on ${roundTasks.length} task(s) (at most until ${round.maxWaitUntil}) at ${callbackUrl.replace(/\?.*$/, '')}`,
	);
	return waiting;
}

/** Tasks seen ended and rounds resumed, in this n8n process (callbackWait.ts). */
const ENDED = new EndedTasks();
const GUARD = new ResumeGuard();

/** Reads of a round's tasks on the wire in this process: callbacks arriving together share them. */
const IN_FLIGHT = new Map<string, Promise<NormalizedTask>>();

/**
 * One read of a task for a callback: a task seen ended is not read again, and a read already on
 * the wire for another callback of the same round is shared (when a batch ends, its callbacks
 * arrive together and would each read every task). An ended task is remembered at once.
 */
async function sharedRead(roundKey: string, taskId: string, read: () => Promise<NormalizedTask>): Promise<NormalizedTask> {
	const known = ENDED.of(roundKey).get(taskId);
	if (known) return known;
	const slot = `${roundKey}\u0000${taskId}`;
	let pending = IN_FLIGHT.get(slot);
	if (!pending) {
		pending = read()
			.then((task) => {
				ENDED.remember(roundKey, [[taskId, task]]);
				return task;
			})
			.finally(() => IN_FLIGHT.delete(slot));
		IN_FLIGHT.set(slot, pending);
	}
	return await pending;
}

/** The answer to every call that does not end the wait: 200, telling the caller nothing of the tasks. */
const received = (): IWebhookResponseData => ({ webhookResponse: { received: true } });

/** A call that could not be handled (a read failed): 503, so that the provider sends it again. Keeps waiting. */
function tryAgain(ctx: IWebhookFunctions): IWebhookResponseData {
	try {
		ctx.getResponseObject().status(503).json({ error: 'temporarily unable to handle this callback; please send it again' });
	} catch {
		return received();
	}
	return { noWebhookResponse: true };
}

/**
 * A provider's callback for a waiting Create. Never throws (a throw would resume the execution
 * into an error, research §2.1): every call that does not end the wait answers 200 and leaves the
 * execution waiting, except one whose reads failed (503, sent again by the provider); a body
 * that is no delivery of the provider at all answers 401. The call that finds every task ended
 * answers 200 at once and resumes the execution with one item per input item.
 */
export async function callbackWebhook(ctx: IWebhookFunctions, provider: CallbackProvider): Promise<IWebhookResponseData> {
	let answered = false;
	let roundKey: string | undefined;
	try {
		const node = ctx.getNode();
		const round = readRound(ctx.evaluateExpression(roundExpression(node.name), 0));
		if (!round) return received();
		const hint = await provider.hint(ctx);
		if (hint === 'refused') {
			ctx.getResponseObject().status(401).json({ error: 'invalid signature' });
			return { noWebhookResponse: true };
		}
		const key = roundKeyOf(ctx.getExecutionId(), node.id, round.run);
		roundKey = key;
		const transport = transportContext(ctx);
		const itemOf = new Map(round.tasks.map((t) => [t.taskId, t.itemIndex]));
		// A read failing for now (rate limit, outage) is tried again with the engine's backoff
		// (readRetry.ts; a webhook has no cancel signal, so a plain pause).
		const read = (taskId: string) => sharedRead(key, taskId, async () => await retryRead(transport, async () => await provider.read(transport, taskId, itemOf.get(taskId) ?? 0)));
		const verdict = await confirmRound(round, hint, ENDED.of(key), read);
		ctx.logger.debug(`${provider.provider}: callback${hint.taskId ? ` for task ${hint.taskId}` : ''}: ${verdict.resume ? 'every task has ended' : verdict.reason} (${verdict.reads} read${verdict.reads === 1 ? '' : 's'})`);
		if (!verdict.resume && verdict.readFailed) {
			// Not confirmed either way: a 200 would end the provider's deliveries of what may be the
			// last callback (Akool stops at 200). 503 asks for it again; the execution keeps waiting.
			ctx.logger.warn(`${provider.provider}: a callback could not be confirmed (${verdict.reason}); answered 503 so that it is sent again`);
			return tryAgain(ctx);
		}
		if (!verdict.resume) return received(); // the reason is in the debug log above
		if (!GUARD.take(key, Date.now())) {
			ctx.logger.debug(`${provider.provider}: another callback is resuming this execution already`);
			return received();
		}

		// Answer before downloading: the provider need not wait for the videos.
		ctx.getResponseObject().status(200).json({ received: true, resumed: true });
		answered = true;
		const stack = (ctx.evaluateExpression('{{ $input.all() }}', 0) ?? []) as INodeExecutionData[];
		const output: INodeExecutionData[] = stack.map((item, i) => ({ ...item, pairedItem: { item: i } }));
		const finish = { provider: provider.provider, videoFileName: provider.videoFileName, verifyDownload: provider.verifyDownload && ((task: NormalizedTask, binary: IBinaryKeyData, i: number) => (provider.verifyDownload as NonNullable<CallbackProvider['verifyDownload']>)(transport, task, binary, i)) };
		await inBatches(round.tasks, DOWNLOADS_AT_ONCE, async (t) => {
			output[t.itemIndex] = (await finishedItem(transport, finish, t, verdict.tasks.get(t.taskId) as NormalizedTask)).item;
		});
		ENDED.forget(key);
		ctx.logger.info(`${provider.provider}: every task of the batch has ended; resuming the execution`);
		return { noWebhookResponse: true, workflowData: [output] };
	} catch (error) {
		ctx.logger.warn(`${provider.provider}: a callback could not be handled (the execution keeps waiting): ${(error as Error).message}`);
		if (!answered) return tryAgain(ctx);
		// Answered already, and nothing to resume with: let a later callback (or Max Wait) end it.
		if (roundKey) GUARD.release(roundKey);
		return { noWebhookResponse: true };
	}
}

/** Videos downloaded at once when a resumed batch is finished. */
const DOWNLOADS_AT_ONCE = 5;

/** Runs `work` over `list`, at most `limit` at a time. */
async function inBatches<T>(list: T[], limit: number, work: (value: T) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < list.length) await work(list[next++]);
	};
	await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
}

/** For a node whose webhook() has nothing to route to (no callback wait in this operation). */
export function notWaiting(): IWebhookResponseData {
	return received();
}

