import type { IBinaryKeyData, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';
import { SLEEP_SLICE_MS, throwIfCancelled } from './cancellation';
import { failureKindOf, isCancellation } from './errors';
import { atItem } from './items';
import type { PollSchedule } from './schedule';
import { CAPACITY_RETRY_POLICY, DEFAULT_POLL_SCHEDULE, nextPollDelayMs, retryDelayMs } from './schedule';
import type { NormalizedTask } from './task';
import { isTerminal } from './task';

/** What a provider offers the engine. Implementations live in the provider's folder. */
export interface TaskApi<Request> {
	/** Shown in messages, e.g. "Kling". */
	provider: string;
	/** Submits one paid task. Throws errors tagged with a FailureKind. */
	create(request: Request, itemIndex: number): Promise<NormalizedTask>;
	/**
	 * Finds the task an earlier, ambiguous create attempt for this request may have made
	 * (by an idempotency key such as Kling's external_task_id); undefined when none exists.
	 * Providers without such a key leave it out, and then an ambiguous create is never retried.
	 */
	findCreated?(request: Request, itemIndex: number): Promise<NormalizedTask | undefined>;
	/** Reads a task's current state. */
	get(taskId: string, itemIndex: number): Promise<NormalizedTask>;
}

/** One item's work: create a task from `request`, or follow an existing `taskId`. */
export interface TaskJob<Request> {
	itemIndex: number;
	request?: Request;
	taskId?: string;
	/** Per-item overrides of RunTasksOptions (node parameters can differ per item). */
	wait?: boolean;
	maxWaitMs?: number;
	schedule?: PollSchedule;
}

export interface RunTasksOptions {
	/** Wait until every task ends (succeeded or failed). */
	wait: boolean;
	/** How long one task may be waited on, from its acceptance (and the longest wait for a free slot). */
	maxWaitMs: number;
	schedule?: PollSchedule;
	/** Most provider requests in flight at once, over the whole batch. */
	concurrency?: number;
	/** Give up at the first failed item instead of collecting errors (no continueOnFail). */
	stopOnFirstError: boolean;
	/** Runs once per succeeded task (e.g. downloads the video); its result joins the outcome. */
	onSucceeded?: (task: NormalizedTask, itemIndex: number) => Promise<IBinaryKeyData | undefined>;
}

export interface TaskOutcome {
	itemIndex: number;
	task?: NormalizedTask;
	binary?: IBinaryKeyData;
	error?: Error;
	/** Known even for failures, so error items can carry it. */
	taskId?: string;
}

export const DEFAULT_CONCURRENCY = 10;
/** Attempts for a create refused as retryable (rate limit) or lost ambiguously. */
const MAX_CREATE_ATTEMPTS = 6;
/** A just-created task may not be readable at once; tolerate a few "not found" answers. */
const MAX_NOT_FOUND_POLLS = 3;
const PROGRESS_LOG_EVERY_MS = 30_000;

type Phase = 'create' | 'lookup' | 'poll' | 'finish' | 'done';

interface JobState<Request> {
	job: TaskJob<Request>;
	phase: Phase;
	dueAt: number;
	busy: boolean;
	failures: number;
	notFound: number;
	/** Waiting for a concurrency slot: may go early when one frees. */
	awaitingSlot: boolean;
	/** This create is the one probe allowed while the learned limit is full. */
	probing: boolean;
	task?: NormalizedTask;
	taskId?: string;
	acceptedAt?: number;
	outcome?: TaskOutcome;
}

/**
 * Runs the tasks of a whole batch together: every item is submitted (bounded concurrency),
 * then all are polled on one schedule, so 50 videos take about as long as one.
 *
 * Never pays twice: a create that may have gone through (timeout, reset, 5xx) is looked up
 * through `findCreated` before any new attempt, or not retried at all when the provider has
 * no idempotency key. Creates refused for the account's concurrency limit queue on the client
 * and go out as our own tasks finish.
 */
export async function runTasks<Request>(
	ctx: IExecuteFunctions,
	api: TaskApi<Request>,
	jobs: Array<TaskJob<Request>>,
	options: RunTasksOptions,
): Promise<TaskOutcome[]> {
	const node = ctx.getNode();
	const waitOf = (s: JobState<Request>) => s.job.wait ?? options.wait;
	const maxWaitOf = (s: JobState<Request>) => s.job.maxWaitMs ?? options.maxWaitMs;
	const scheduleOf = (s: JobState<Request>) => s.job.schedule ?? options.schedule ?? DEFAULT_POLL_SCHEDULE;
	const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
	const startedAt = Date.now();
	const createDeadlineOf = (s: JobState<Request>) => startedAt + maxWaitOf(s);

	const states: Array<JobState<Request>> = jobs.map((job) => ({
		job,
		phase: job.taskId !== undefined ? 'poll' : 'create',
		dueAt: startedAt,
		busy: false,
		failures: 0,
		notFound: 0,
		awaitingSlot: false,
		probing: false,
		taskId: job.taskId,
		acceptedAt: job.taskId !== undefined ? startedAt : undefined,
	}));

	let inFlight = 0;
	/** Learned from a concurrency refusal: how many of our tasks the account runs at once. */
	let slotLimit = Infinity;
	/**
	 * While the learned limit is full, queued creates do not each ask on their own timer (each
	 * ask may upload MBs of media): one probe at a time, on one backoff for the whole batch.
	 */
	let probeInFlight = false;
	let nextProbeAt = 0;
	let probeRefusals = 0;
	let firstError: Error | undefined;
	let wake: () => void = () => undefined;
	let lastProgressLog = startedAt;

	/** Our tasks the provider is running (accepted, not ended). */
	const running = () => states.filter((s) => s.phase === 'poll' || s.phase === 'lookup').length;
	/** Running tasks plus creates on the wire: what a new create would compete with. */
	const occupied = () => running() + states.filter((s) => s.phase === 'create' && s.busy).length;

	const finish = (s: JobState<Request>, outcome: Omit<TaskOutcome, 'itemIndex' | 'taskId'>) => {
		s.phase = 'done';
		s.outcome = { itemIndex: s.job.itemIndex, taskId: s.taskId, ...outcome };
		if (outcome.error && options.stopOnFirstError && !firstError) firstError = atItem(outcome.error, s.job.itemIndex);
	};

	const fail = (s: JobState<Request>, error: Error) => finish(s, { error, task: s.task });

	const accepted = (s: JobState<Request>, task: NormalizedTask) => {
		s.task = task;
		s.taskId = task.taskId;
		s.acceptedAt = Date.now();
		s.failures = 0;
		s.awaitingSlot = false;
		ctx.logger.info(`${api.provider}: item ${s.job.itemIndex} submitted as task ${task.taskId}`);
		if (!waitOf(s)) return finish(s, { task });
		s.phase = 'poll';
		s.dueAt = s.acceptedAt + nextPollDelayMs(0, scheduleOf(s));
		// A create beyond the learned limit got through: the account allows more than we thought.
		if (running() > slotLimit) slotLimit = running();
		probeRefusals = 0;
	};

	const retryLater = (s: JobState<Request>, error: Error, deadline: number, delay: number) => {
		if (Date.now() + delay > deadline) return fail(s, error);
		s.dueAt = Date.now() + delay;
	};

	async function step(s: JobState<Request>): Promise<void> {
		const i = s.job.itemIndex;
		if (s.phase === 'create') {
			try {
				accepted(s, await api.create(s.job.request as Request, i));
			} catch (error) {
				const kind = failureKindOf(error);
				s.failures++;
				if (kind === 'capacity') {
					slotLimit = running();
					probeRefusals++;
					nextProbeAt = Math.max(nextProbeAt, Date.now() + retryDelayMs(probeRefusals, CAPACITY_RETRY_POLICY));
					s.awaitingSlot = true;
					ctx.logger.info(`${api.provider}: concurrency limit reached; item ${i} queued (${slotLimit} of our tasks running)`);
					return retryLater(s, timeoutForSlot(error), createDeadlineOf(s), retryDelayMs(s.failures, CAPACITY_RETRY_POLICY));
				}
				if (s.failures >= MAX_CREATE_ATTEMPTS) return fail(s, error);
				if (kind === 'retryable') return retryLater(s, error, createDeadlineOf(s), retryDelayMs(s.failures));
				if ((kind === 'ambiguous' || kind === 'duplicate') && api.findCreated) {
					s.phase = 'lookup';
					s.dueAt = Date.now() + (kind === 'duplicate' ? 0 : retryDelayMs(s.failures));
					return;
				}
				if (kind === 'ambiguous') return fail(s, notRetried(error));
				return fail(s, error);
			}
			return;
		}
		if (s.phase === 'lookup') {
			try {
				const found = await (api.findCreated as NonNullable<TaskApi<Request>['findCreated']>)(s.job.request as Request, i);
				if (found) {
					ctx.logger.info(`${api.provider}: item ${i}: an earlier attempt had created task ${found.taskId}; not creating another`);
					return accepted(s, found);
				}
				s.phase = 'create'; // nothing was created: safe to submit again
			} catch (error) {
				s.failures++;
				if (failureKindOf(error) === 'fatal' || s.failures >= MAX_CREATE_ATTEMPTS) return fail(s, error);
				return retryLater(s, error, createDeadlineOf(s), retryDelayMs(s.failures));
			}
			return;
		}
		if (s.phase === 'poll') {
			const taskId = s.taskId as string;
			const deadline = (s.acceptedAt ?? startedAt) + maxWaitOf(s);
			try {
				const task = await api.get(taskId, i);
				s.task = task;
				// A Get by external id learns the provider's own id here.
				if (task.taskId) s.taskId = task.taskId;
				s.failures = 0;
				if (!isTerminal(task.status)) {
					if (!waitOf(s)) return finish(s, { task });
					const elapsed = Date.now() - (s.acceptedAt ?? startedAt);
					const delay = nextPollDelayMs(elapsed, scheduleOf(s));
					return retryLater(s, maxWaitReached(task, maxWaitOf(s)), deadline, delay);
				}
				if (task.status === 'failed') return fail(s, taskFailed(task));
				if (!options.onSucceeded) return finish(s, { task });
				s.phase = 'finish';
				s.dueAt = Date.now();
			} catch (error) {
				throwIfCancelled(ctx);
				const kind = failureKindOf(error);
				s.failures++;
				if (kind === 'notFound' && s.job.request !== undefined && ++s.notFound <= MAX_NOT_FOUND_POLLS) {
					return retryLater(s, error, deadline, retryDelayMs(s.notFound));
				}
				if (kind === 'retryable' || kind === 'ambiguous' || kind === 'capacity') {
					return retryLater(s, error, deadline, retryDelayMs(s.failures));
				}
				return fail(s, error);
			}
			return;
		}
		if (s.phase === 'finish') {
			try {
				const binary = await (options.onSucceeded as NonNullable<RunTasksOptions['onSucceeded']>)(s.task as NormalizedTask, i);
				finish(s, { task: s.task, binary });
			} catch (error) {
				throwIfCancelled(ctx);
				fail(s, error);
			}
		}
	}

	function timeoutForSlot(error: Error): Error {
		return new NodeOperationError(node, `No ${api.provider} concurrency slot became free within Max Wait`, {
			description: `${error.message}. Nothing was submitted for this item. Raise Max Wait, send fewer items at once, or raise the account's concurrency (resource pack).`,
		});
	}

	function notRetried(error: Error): Error {
		const e = new NodeOperationError(node, `${error.message}; the task may or may not have been created`, {
			description: `${api.provider} offers no way to look up a task by a client key, so the request was not sent again (it could have paid twice). Check the ${api.provider} dashboard before running this item again.`,
		});
		return e;
	}

	function maxWaitReached(task: NormalizedTask, maxWaitMs: number): Error {
		return new NodeOperationError(
			node,
			`Task ${task.taskId} did not finish within Max Wait (${formatDuration(maxWaitMs)}); it is still ${task.status}. Continue with the Get operation and Task ID ${task.taskId}`,
			{
				description: `The task keeps running at ${api.provider}. Use the Get operation with Task ID "${task.taskId}"${task.externalTaskId ? ` (or External Task ID "${task.externalTaskId}")` : ''} and Wait for Completion, or raise Max Wait.`,
			},
		);
	}

	function taskFailed(task: NormalizedTask): Error {
		return new NodeApiError(node, task.raw as JsonObject, {
			message: `${api.provider} task ${task.taskId} failed: ${task.statusMessage || 'no reason given'}`,
			description: `The provider reports the task as failed. Task ID: ${task.taskId}.`,
		});
	}

	for (;;) {
		throwIfCancelled(ctx);
		if (firstError) throw firstError;
		const pending = states.filter((s) => s.phase !== 'done');
		if (!pending.length) break;

		const now = Date.now();
		for (const s of pending) {
			if (inFlight >= concurrency) break;
			if (s.busy) continue;
			const slotFree = s.awaitingSlot && occupied() < slotLimit;
			if (s.dueAt > now && !slotFree) continue;
			if (s.phase === 'create' && !s.awaitingSlot && occupied() >= slotLimit && s.failures === 0) {
				// Known to be over the limit: queue instead of asking (and being refused).
				s.awaitingSlot = true;
				s.dueAt = now + retryDelayMs(1, CAPACITY_RETRY_POLICY);
				continue;
			}
			if (s.phase === 'create' && s.awaitingSlot && !slotFree) {
				// A slot may have freed elsewhere (another workflow's task): one probe finds out.
				if (probeInFlight || now < nextProbeAt) {
					s.dueAt = Math.max(nextProbeAt, now + SLEEP_SLICE_MS);
					continue;
				}
				probeInFlight = true;
				s.probing = true;
			}
			s.busy = true;
			inFlight++;
			void step(s)
				.catch((error: Error) => {
					if (isCancellation(error)) return;
					fail(s, error);
				})
				.finally(() => {
					s.busy = false;
					inFlight--;
					if (s.probing) {
						s.probing = false;
						probeInFlight = false;
					}
					wake();
				});
		}

		if (Date.now() - lastProgressLog >= PROGRESS_LOG_EVERY_MS) {
			lastProgressLog = Date.now();
			ctx.logger.info(`${api.provider}: ${progressLine(states)}`);
		}

		const idle = states.filter((s) => s.phase !== 'done' && !s.busy);
		const nextDue = idle.length ? Math.min(...idle.map((s) => s.dueAt)) : Infinity;
		const waitMs = Math.max(0, Math.min(SLEEP_SLICE_MS, nextDue - Date.now()));
		const woken = new Promise<void>((resolve) => (wake = resolve));
		if (inFlight > 0) await Promise.race([woken, sleep(waitMs || SLEEP_SLICE_MS)]);
		else if (waitMs > 0) await sleep(waitMs);
	}

	ctx.logger.info(`${api.provider}: batch done after ${formatDuration(Date.now() - startedAt)}: ${progressLine(states)}`);
	return states.map((s) => s.outcome as TaskOutcome);
}

function progressLine(states: Array<JobState<unknown>>): string {
	const count = (p: (s: JobState<unknown>) => boolean) => states.filter(p).length;
	return [
		`${count((s) => s.phase === 'done' && !s.outcome?.error)} done`,
		`${count((s) => s.phase === 'done' && !!s.outcome?.error)} failed`,
		`${count((s) => s.phase === 'poll' || s.phase === 'finish')} running`,
		`${count((s) => s.phase === 'create' || s.phase === 'lookup')} waiting to submit`,
	].join(', ');
}

export function formatDuration(ms: number): string {
	if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
	const minutes = Math.floor(ms / 60_000);
	const seconds = Math.round((ms % 60_000) / 1000);
	return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}
