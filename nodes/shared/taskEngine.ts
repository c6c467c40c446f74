import type { IBinaryKeyData, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { SLEEP_SLICE_MS } from './cancellation';
import type { CreateStart, LookupReason } from './createPlan';
import { planCreates } from './createPlan';
import type { StopReason } from './earlyExit';
import { stoppedBatchError } from './earlyExit';
import { failureKindOf, isCancellation } from './errors';
import { taskIdRecorder } from './executionRecord';
import { newExternalTaskId } from './idempotency';
import { atItem } from './items';
import { ledgerRecordLost, ledgerRunScope } from './ledgerScope';
import type { PollSchedule } from './schedule';
import { CAPACITY_RETRY_POLICY, DEFAULT_POLL_SCHEDULE, nextPollDelayMs, retryDelayMs } from './schedule';
import type { NormalizedTask } from './task';
import { isTerminal } from './task';
import { TaskErrors } from './taskErrors';
import type { LedgerAttempt } from './taskLedger';
import { TaskLedger, ledgerKey, stableFingerprint } from './taskLedger';

/** What a provider offers the engine. Implementations live in the provider's folder. */
export interface TaskApi<Request> {
	/** Shown in messages, e.g. "Kling". */
	provider: string;
	/**
	 * Submits one paid task. Throws errors tagged with a FailureKind. `externalTaskId` is the
	 * client key to send with it (providers with `findCreated` only; null otherwise).
	 */
	create(request: Request, itemIndex: number, externalTaskId: string | null): Promise<NormalizedTask>;
	/**
	 * Finds the task created with this client key (Kling's external_task_id); undefined when the
	 * provider has none. Its presence means the provider takes a client key with each create: the
	 * engine then derives one per item and attempt, and looks it up after any create that may
	 * have reached the provider. Providers without such a key leave it out, and then a create
	 * whose outcome is unknown is never sent again (the ledger remembers it).
	 */
	findCreated?(externalTaskId: string, itemIndex: number): Promise<NormalizedTask | undefined>;
	/** Reads a task's current state. */
	get(taskId: string, itemIndex: number): Promise<NormalizedTask>;
	/**
	 * What identifies a request for the ledger (see taskLedger.ledgerKey): a text that changes
	 * with anything sent to the provider, never whole media. Default: the request as sorted JSON.
	 */
	fingerprint?(request: Request): string;
}

/** One item's work: create a task from `request`, or follow an existing `taskId`. */
export interface TaskJob<Request> {
	itemIndex: number;
	request?: Request;
	taskId?: string;
	/**
	 * The user's own client key for this create (e.g. Kling's External Task ID option); for a
	 * follow-up job, the client key `taskId` names (a Get by External Task ID), which the outcome
	 * carries even when the task object leaves it out.
	 */
	externalTaskId?: string;
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
	/**
	 * Stop at the first failed item (no continueOnFail): no new task is submitted, creates on the
	 * wire are given time to answer, then the item's error is thrown listing every task of the batch.
	 */
	stopOnFirstError: boolean;
	/** Runs once per succeeded task (e.g. downloads the video); its result joins the outcome. */
	onSucceeded?: (task: NormalizedTask, itemIndex: number) => Promise<IBinaryKeyData | undefined>;
	/**
	 * The ledger, when the operation opened it first thing (TaskLedger.open), so that it knows
	 * whether the node's record existed before this run began. Default: opened here.
	 */
	ledger?: TaskLedger;
}

export interface TaskOutcome {
	itemIndex: number;
	task?: NormalizedTask;
	binary?: IBinaryKeyData;
	error?: Error;
	/** Known even for failures, so error items can carry it. */
	taskId?: string;
	/**
	 * The client key of this item's create (engine-generated or the user's), or the one a Get
	 * looked up: known even when no task ID is, e.g. a create whose answer was lost.
	 */
	externalTaskId?: string | null;
}

export const DEFAULT_CONCURRENCY = 10;
/** Attempts for a create refused as retryable (rate limit) or lost ambiguously. */
const MAX_CREATE_ATTEMPTS = 6;
/** A just-created task may not be readable at once; tolerate a few "not found" answers. */
const MAX_NOT_FOUND_POLLS = 3;
/**
 * Lookups by client key, after a create that may have reached the provider was refused when sent
 * again: "not found" is then no proof (the task may not be readable yet), so they are spaced
 * like the polls of a fresh task before the item fails as "may have been created".
 */
const MAX_UNCONFIRMED_LOOKUPS = 1 + MAX_NOT_FOUND_POLLS;
const PROGRESS_LOG_EVERY_MS = 30_000;
/** After an item failed, how long creates already on the wire may take to answer (their task IDs are worth it). */
const STOP_GRACE_MS = 60_000;
/** After Stop / a timeout: creates are aborted, so their answers come at once; never hold n8n longer. */
const CANCEL_GRACE_MS = 3_000;

type Phase = 'create' | 'lookup' | 'poll' | 'finish' | 'done';

interface JobState<Request> {
	job: TaskJob<Request>;
	/** Ledger key (create jobs only). */
	key?: string;
	/** This item's create attempt (1, or more after failed tasks in earlier calls). */
	attempt: number;
	/** The client key sent with this attempt's create (null when the provider takes none). */
	externalTaskId: string | null;
	phase: Phase;
	dueAt: number;
	busy: boolean;
	failures: number;
	notFound: number;
	/** Waiting for a concurrency slot: may go early when one frees. */
	awaitingSlot: boolean;
	/** This create is the one probe allowed while the learned limit is full. */
	probing: boolean;
	lookupReason?: LookupReason;
	/** The refusal to report when a `refused` lookup finds nothing. */
	refusal?: Error;
	/**
	 * A create with this client key may have reached the provider (its answer was lost or
	 * unreadable, in this run or an earlier one): from then on no lookup that finds nothing, nor a
	 * refusal, proves that no task exists, and the ledger keeps the attempt pending.
	 */
	maybeCreated: boolean;
	/** Lookups of this key that found nothing since the create was refused. */
	emptyLookups: number;
	task?: NormalizedTask;
	taskId?: string;
	/** When waiting on the task began in this call (its acceptance, or the call's start for a followed task). */
	acceptedAt?: number;
	outcome?: TaskOutcome;
}

/**
 * Runs the tasks of a whole batch together: every item is submitted (bounded concurrency),
 * then all are polled on one schedule, so 50 videos take about as long as one.
 *
 * Never pays twice, whatever n8n does to the node: every create is written to the task ledger
 * (taskLedger.ts, kept in the node's execution context) before it is sent and the moment it is
 * accepted, and every call of the node reads the ledger first: an item whose task exists is
 * followed, never created again (Retry On Fail, Continue On Fail + Retry, AI-agent tool retries,
 * the executions-list Retry). A failed task is retried with a fresh task on the next call.
 * A create that may have gone through is looked up by its client key (`findCreated`) before
 * anything else, or never re-sent when the provider has no such key. Creates refused for the
 * account's concurrency limit queue on the client and go out as our own tasks finish.
 *
 * Early exits lose nothing: a batch that must stop (an item failed without Continue On Fail,
 * Max Wait, Stop, timeout) submits no new task and throws an error listing every task it has.
 */
export async function runTasks<Request>(
	ctx: IExecuteFunctions,
	api: TaskApi<Request>,
	jobs: Array<TaskJob<Request>>,
	options: RunTasksOptions,
): Promise<TaskOutcome[]> {
	const node = ctx.getNode();
	const provider = api.provider;
	const waitOf = (s: JobState<Request>) => s.job.wait ?? options.wait;
	const maxWaitOf = (s: JobState<Request>) => s.job.maxWaitMs ?? options.maxWaitMs;
	const scheduleOf = (s: JobState<Request>) => s.job.schedule ?? options.schedule ?? DEFAULT_POLL_SCHEDULE;
	const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
	const startedAt = Date.now();
	const createDeadlineOf = (s: JobState<Request>) => startedAt + maxWaitOf(s);
	const ledger = options.ledger ?? new TaskLedger(typeof ctx.getContext === 'function' ? (ctx.getContext('node') as IDataObject) : {});
	const run = ledgerRunScope(ctx);
	// Earlier runs of the node in this execution (a loop's earlier rounds) are never run again.
	if (run !== 'tool') ledger.forgetRunsBefore(Number(run));
	const errors = new TaskErrors(node, provider);
	const fingerprintOf = (request: Request) => (api.fingerprint ? api.fingerprint(request) : stableFingerprint(request));
	const itemRef = (s: JobState<Request>) => ({ itemIndex: s.job.itemIndex, provider, run });

	const states: Array<JobState<Request>> = jobs.map((job) => ({
		job,
		key: job.request !== undefined ? ledgerKey(provider, run, job.itemIndex, fingerprintOf(job.request)) : undefined,
		attempt: 1,
		// A follow-up job knows the client key it was asked for (a Get by External Task ID).
		externalTaskId: job.taskId !== undefined ? (job.externalTaskId ?? null) : null,
		phase: job.taskId !== undefined ? 'poll' : 'create',
		dueAt: startedAt,
		busy: false,
		failures: 0,
		notFound: 0,
		awaitingSlot: false,
		probing: false,
		maybeCreated: false,
		emptyLookups: 0,
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
	let stop: StopReason | undefined;
	let stopDeadline = Infinity;
	let wake: () => void = () => undefined;
	let lastProgressLog = startedAt;

	/** Our tasks the provider is running (accepted, not ended). */
	const running = () => states.filter((s) => s.phase === 'poll' || s.phase === 'lookup').length;
	/** Running tasks plus creates on the wire: what a new create would compete with. */
	const occupied = () => running() + states.filter((s) => s.phase === 'create' && s.busy).length;

	const finish = (s: JobState<Request>, outcome: Omit<TaskOutcome, 'itemIndex' | 'taskId' | 'externalTaskId'>) => {
		s.phase = 'done';
		s.outcome = { itemIndex: s.job.itemIndex, taskId: s.taskId, externalTaskId: s.task?.externalTaskId || s.externalTaskId, ...outcome };
		if (outcome.error && options.stopOnFirstError && !stop) {
			stop = { kind: 'itemFailed', error: atItem(outcome.error, s.job.itemIndex) };
			stopDeadline = Date.now() + STOP_GRACE_MS;
		}
	};

	const fail = (s: JobState<Request>, error: Error) => finish(s, { error, task: s.task });

	/**
	 * A task object may leave out the client key it was created with (Kling's failed tasks come
	 * with `task_info: {}`, provider-apis.md §6.1): this item's key, from the ledger or just sent,
	 * is known, and so is the task ID being polled.
	 */
	const withKey = (s: JobState<Request>, task: NormalizedTask): NormalizedTask => ({
		...task,
		taskId: task.taskId || s.taskId || '',
		externalTaskId: task.externalTaskId || s.externalTaskId,
	});

	/**
	 * Starts waiting on a task. A fresh create's answer is returned as is without Wait for
	 * Completion, else polled on the schedule; a task found or remembered is read at once.
	 */
	const follow = (s: JobState<Request>, task: NormalizedTask, fresh: boolean) => {
		s.task = task;
		s.taskId = task.taskId;
		s.acceptedAt = fresh ? Date.now() : startedAt;
		s.failures = 0;
		s.notFound = 0;
		s.awaitingSlot = false;
		if (fresh && !waitOf(s)) return finish(s, { task });
		s.phase = 'poll';
		s.dueAt = fresh ? s.acceptedAt + nextPollDelayMs(0, scheduleOf(s)) : Date.now();
	};

	const batchKeys = states.map((s) => s.key).filter((k): k is string => k !== undefined);
	/** Keeps the execution's record of the batch's task IDs current (see executionRecord.ts). */
	const recordTaskIds = taskIdRecorder(ctx, provider);
	const noteTaskIds = () => recordTaskIds(ledger.taskIdsOf(batchKeys));

	const accepted = (s: JobState<Request>, task: NormalizedTask) => {
		// First: from here on, no other call of the node creates this item's task again.
		if (s.key) ledger.accepted(s.key, itemRef(s), task);
		noteTaskIds();
		ctx.logger.info(`${provider}: item ${s.job.itemIndex} submitted as task ${task.taskId}${s.attempt > 1 ? ` (attempt ${s.attempt})` : ''}`);
		follow(s, task, true);
		// A create beyond the learned limit got through: the account allows more than we thought.
		if (running() > slotLimit) slotLimit = running();
		probeRefusals = 0;
	};

	const retryLater = (s: JobState<Request>, error: Error, deadline: number, delay: number) => {
		if (Date.now() + delay > deadline) return fail(s, error);
		s.dueAt = Date.now() + delay;
	};

	/** Puts a create job where its plan (createPlan.ts) says it starts. */
	const applyStart = (s: JobState<Request>, start: CreateStart) => {
		const i = s.job.itemIndex;
		switch (start.kind) {
			case 'follow':
				s.attempt = start.known.attempt;
				s.externalTaskId = start.known.externalTaskId;
				ctx.logger.info(`${provider}: item ${i} follows task ${start.known.taskId}, created by an earlier run of this node (${start.known.status}); not creating another`);
				return follow(s, rememberedTask(start.known), false);
			case 'create':
				s.attempt = start.attempt;
				s.externalTaskId = start.externalTaskId;
				return;
			case 'lookup':
				s.attempt = start.attempt;
				s.externalTaskId = start.externalTaskId;
				s.lookupReason = start.reason;
				s.maybeCreated = start.reason === 'unknown';
				s.phase = 'lookup';
				if (start.reason === 'unknown') ctx.logger.info(`${provider}: item ${i}: an earlier run sent a create whose outcome is unknown; looking it up by ${start.externalTaskId}`);
				return;
			case 'pendingUnknown':
				return fail(s, errors.mayHaveBeenCreatedEarlier(start.known));
			case 'userKeyFailed':
				return fail(s, errors.userKeyFailed(start.failed.externalTaskId as string, start.failed.taskId, start.failed.statusMessage, start.failed.acceptedAt));
			case 'userKeyTwice':
				return fail(s, errors.userKeyTwice(s.job.externalTaskId as string, start.otherItem, i));
			case 'recordLost':
				return fail(s, errors.recordLost());
		}
	};

	async function step(s: JobState<Request>): Promise<void> {
		const i = s.job.itemIndex;
		if (s.phase === 'create') {
			if (s.key) ledger.sending(s.key, itemRef(s), s.attempt, s.externalTaskId);
			let task: NormalizedTask;
			try {
				task = withKey(s, await api.create(s.job.request as Request, i, s.externalTaskId));
			} catch (error) {
				return createFailed(s, error);
			}
			return accepted(s, task);
		}
		if (s.phase === 'lookup') {
			try {
				const found = await (api.findCreated as NonNullable<TaskApi<Request>['findCreated']>)(s.externalTaskId as string, i);
				if (found) return lookupFound(s, withKey(s, found));
				if (s.lookupReason === 'refused') {
					if (s.maybeCreated) {
						// The key may have reached the provider before: a refusal of it sent again, and
						// "not found" just after, prove nothing. Look again, spaced; then fail, keeping it pending.
						s.emptyLookups++;
						const unconfirmed = errors.createUnconfirmed(s.externalTaskId as string, i, errors.refusedThenNotFound(s.refusal as Error, s.emptyLookups));
						if (s.emptyLookups >= MAX_UNCONFIRMED_LOOKUPS) return fail(s, unconfirmed);
						return retryLater(s, unconfirmed, createDeadlineOf(s), retryDelayMs(s.emptyLookups));
					}
					if (s.key) ledger.notCreated(s.key);
					return fail(s, s.refusal as Error);
				}
				s.phase = 'create'; // nothing was created: safe to submit (the key guards a second time)
				s.dueAt = Date.now();
			} catch (error) {
				if (isCancellation(error)) return; // the batch loop stops on the cancel signal itself
				s.failures++;
				// A create that may have gone through is not proven absent by a lookup that failed.
				const reported = s.maybeCreated ? errors.createUnconfirmed(s.externalTaskId as string, i, errors.lookupFailed(error)) : error;
				if (failureKindOf(error) === 'fatal' || s.failures >= MAX_CREATE_ATTEMPTS) {
					// After a refusal of a key never sent before, the provider's own answer is the
					// better report: it created nothing.
					if (s.lookupReason === 'refused' && !s.maybeCreated) {
						if (s.key) ledger.notCreated(s.key);
						return fail(s, s.refusal as Error);
					}
					return fail(s, reported);
				}
				return retryLater(s, reported, createDeadlineOf(s), retryDelayMs(s.failures));
			}
			return;
		}
		if (s.phase === 'poll') {
			const taskId = s.taskId as string;
			const waitStart = s.acceptedAt ?? startedAt;
			const deadline = waitStart + maxWaitOf(s);
			try {
				const task = withKey(s, await api.get(taskId, i));
				s.task = task;
				// A Get by external id learns the provider's own id here.
				if (task.taskId) s.taskId = task.taskId;
				if (s.key) ledger.observed(s.key, task);
				s.failures = 0;
				if (!isTerminal(task.status)) {
					if (!waitOf(s)) return finish(s, { task });
					const now = Date.now();
					// The last check happens at the deadline, not before it.
					if (now >= deadline) return fail(s, errors.maxWaitReached(task, formatDuration(maxWaitOf(s)), formatDuration(now - waitStart)));
					s.dueAt = Math.min(now + nextPollDelayMs(now - waitStart, scheduleOf(s)), deadline);
					return;
				}
				if (task.status === 'failed') return fail(s, errors.taskFailed(task, s.key !== undefined));
				if (!options.onSucceeded) return finish(s, { task });
				s.phase = 'finish';
				s.dueAt = Date.now();
			} catch (error) {
				if (isCancellation(error)) return; // the batch loop stops on the cancel signal itself
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
				if (isCancellation(error)) return; // the batch loop stops on the cancel signal itself
				fail(s, error);
			}
		}
	}

	/** A create threw: decide from the failure kind whether a task may exist, and what comes next. */
	function createFailed(s: JobState<Request>, error: Error): void {
		const i = s.job.itemIndex;
		if (isCancellation(error)) {
			// Aborted by Stop: it may have reached the provider. The ledger keeps it pending.
			s.phase = 'done';
			return;
		}
		const kind = failureKindOf(error);
		s.failures++;
		// A refusal for the rate or concurrency limit created nothing, but an earlier send of this
		// key may have: then the attempt stays pending.
		if ((kind === 'capacity' || kind === 'retryable') && s.key && !s.maybeCreated) ledger.notCreated(s.key);
		if (kind === 'capacity') {
			slotLimit = running();
			probeRefusals++;
			nextProbeAt = Math.max(nextProbeAt, Date.now() + retryDelayMs(probeRefusals, CAPACITY_RETRY_POLICY));
			s.awaitingSlot = true;
			ctx.logger.info(`${provider}: concurrency limit reached; item ${i} queued (${slotLimit} of our tasks running)`);
			return retryLater(s, errors.noSlot(error), createDeadlineOf(s), retryDelayMs(s.failures, CAPACITY_RETRY_POLICY));
		}
		if (kind === 'retryable') {
			// Refused before processing (rate limit): nothing was created by this send.
			if (s.failures >= MAX_CREATE_ATTEMPTS) return fail(s, error);
			return retryLater(s, error, createDeadlineOf(s), retryDelayMs(s.failures));
		}
		if (api.findCreated && s.externalTaskId) {
			// Whatever the answer said, the request reached the provider: look before failing or
			// sending again (provider-apis.md §6.1: the duplicate-key answer is not known).
			s.phase = 'lookup';
			s.lookupReason = kind === 'ambiguous' ? 'unknown' : 'refused';
			if (kind === 'ambiguous') s.maybeCreated = true;
			s.refusal = error;
			s.emptyLookups = 0;
			if (s.failures >= MAX_CREATE_ATTEMPTS) s.lookupReason = 'refused';
			s.dueAt = Date.now() + (kind === 'ambiguous' ? retryDelayMs(s.failures) : 0);
			return;
		}
		if (kind === 'ambiguous') return fail(s, errors.notRetried(error)); // stays pending in the ledger
		if (s.key) ledger.notCreated(s.key);
		return fail(s, error);
	}

	function lookupFound(s: JobState<Request>, found: NormalizedTask): void {
		const i = s.job.itemIndex;
		if (s.lookupReason === 'userKey' && found.status === 'failed') {
			return fail(s, errors.userKeyFailed(s.externalTaskId as string, found.taskId, found.statusMessage, found.createdAt));
		}
		if (s.key) ledger.accepted(s.key, itemRef(s), found);
		noteTaskIds();
		const how =
			s.lookupReason === 'userKey'
				? `External Task ID ${s.externalTaskId} names existing task ${found.taskId} (${found.status}); following it`
				: `an earlier attempt had created task ${found.taskId} (${found.status}); following it`;
		ctx.logger.info(`${provider}: item ${i}: ${how} instead of creating another`);
		follow(s, found, false);
	}

	const cancelled = () => ctx.getExecutionCancelSignal?.()?.aborted === true;
	/** Steps that may still learn a task ID: worth waiting for when stopping. */
	const settling = () => states.some((s) => s.busy && (s.phase === 'create' || s.phase === 'lookup'));

	const toPlan = states.filter((s) => s.phase === 'create' && s.key);
	const starts = planCreates(
		toPlan.map((s) => ({ key: s.key as string, itemIndex: s.job.itemIndex, userKey: s.job.externalTaskId || undefined })),
		{ ledger, clientKeys: !!api.findCreated, newKey: () => newExternalTaskId(ctx), recordLost: ledgerRecordLost(ctx, ledger, provider) },
	);
	toPlan.forEach((s, n) => applyStart(s, starts[n]));
	noteTaskIds(); // tasks followed from an earlier run belong to this execution's record too

	for (;;) {
		if (cancelled() && stop?.kind !== 'cancelled') {
			stop = { kind: 'cancelled' };
			stopDeadline = Date.now() + CANCEL_GRACE_MS;
		}
		if (stop && (!settling() || Date.now() >= stopDeadline)) throw stopped(stop);
		const pending = states.filter((s) => s.phase !== 'done');
		if (!pending.length) break;

		const now = Date.now();
		for (const s of stop ? [] : pending) {
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
			ctx.logger.info(`${provider}: ${progressLine(states)}`);
		}

		const idle = states.filter((s) => s.phase !== 'done' && !s.busy);
		const nextDue = stop || !idle.length ? Infinity : Math.min(...idle.map((s) => s.dueAt));
		const waitMs = Math.max(0, Math.min(SLEEP_SLICE_MS, nextDue - Date.now()));
		const woken = new Promise<void>((resolve) => (wake = resolve));
		if (inFlight > 0) await Promise.race([woken, sleep(waitMs || SLEEP_SLICE_MS)]);
		else if (waitMs > 0) await sleep(waitMs);
	}

	function stopped(reason: StopReason): Error {
		const tasks = ledger.tasksOf(batchKeys);
		// Follow-up jobs (Get) have no ledger entry; list the tasks they were following too, once each,
		// except one the provider said does not exist.
		const listed = new Set(tasks.map((t) => t.taskId));
		for (const s of states) {
			if (s.key || !s.taskId || listed.has(s.taskId)) continue;
			if (s.outcome?.error && failureKindOf(s.outcome.error) === 'notFound') continue;
			listed.add(s.taskId);
			const status = s.task?.status ?? 'processing';
			tasks.push({
				attempt: 1,
				taskId: s.taskId,
				externalTaskId: s.task?.externalTaskId ?? null,
				status,
				statusMessage: s.task?.statusMessage ?? null,
				sentAt: '',
				acceptedAt: null,
				updatedAt: '',
				itemIndex: s.job.itemIndex,
				provider,
			});
		}
		tasks.sort((a, b) => a.itemIndex - b.itemIndex || a.attempt - b.attempt);
		const unsent = states
			.filter((s) => s.key && !s.busy && s.phase === 'create' && ledger.latest(s.key)?.status !== 'pending')
			.map((s) => s.job.itemIndex);
		const error = stoppedBatchError(node, provider, reason, tasks, unsent, { created: batchKeys.length > 0, subWorkflow: ctx.getMode?.() === 'integrated' });
		ctx.logger.warn(`${provider}: batch stopped (${reason.kind === 'cancelled' ? 'execution cancelled' : reason.error.message}). ${(error as { description?: string | null }).description ?? ''}`);
		return error;
	}

	ctx.logger.info(`${provider}: batch done after ${formatDuration(Date.now() - startedAt)}: ${progressLine(states)}`);
	return states.map((s) => s.outcome as TaskOutcome);
}

/** A task known only from the ledger, as the engine's follow-up expects it (polled at once). */
function rememberedTask(known: LedgerAttempt): NormalizedTask {
	return {
		taskId: known.taskId as string,
		externalTaskId: known.externalTaskId,
		status: known.status === 'pending' ? 'submitted' : known.status,
		statusMessage: known.statusMessage,
		videoUrl: null,
		watermarkVideoUrl: null,
		durationSeconds: null,
		unitsDeducted: null,
		createdAt: known.acceptedAt,
		updatedAt: known.updatedAt,
		raw: {},
	};
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
