import { createHash } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';
import type { NormalizedTask, TaskStatus } from './task';

/**
 * The task ledger: which paid tasks this node has created in this execution, per item request.
 *
 * Why it exists: n8n calls a node again in several ways (Retry On Fail, Continue On Fail + Retry
 * On Fail, an AI agent retrying a tool call, the Executions list's Retry). A guard that lives in
 * one `execute()` call protects against none of them. The ledger lives in the node's execution
 * context (`this.getContext('node')`), which n8n keeps for every call of the node in an
 * execution, saves with the execution (also a failed one) and hands to an executions-list Retry
 * (n8n-core `NodeHelpers.getContext`; n8n `ExecutionService.retry`; shared/n8n-conventions.md §4.5b).
 * What it cannot survive: a process that dies mid-node (nothing of the node's run is saved).
 *
 * Stored shape (plain JSON, so it survives n8n's save/load):
 *   context.taskLedger = { version: 1, items: { [key]: { itemIndex, provider, attempts: LedgerAttempt[] } } }
 * An item's key is a digest of the provider, the item's position and its request (see ledgerKey).
 * Every create is one attempt: written as `pending` before the request is sent, updated the moment
 * the provider accepts it, removed only when the provider surely created nothing.
 *
 * Pure: no n8n calls, no clock of its own (`now` is injected), unit-tested in test/unit/taskLedger.test.ts.
 */

export const LEDGER_CONTEXT_KEY = 'taskLedger';
const LEDGER_VERSION = 1;

/** `pending`: a create was sent and its outcome is unknown (no answer, reset, timeout, Stop). */
export type LedgerStatus = 'pending' | TaskStatus;

export interface LedgerAttempt extends IDataObject {
	/** 1 for the first task of this item; +1 for each fresh task after a failed one. */
	attempt: number;
	/** The provider's task id; null while pending. */
	taskId: string | null;
	/** The client key sent with the create (Kling external_task_id), null when the provider has none. */
	externalTaskId: string | null;
	status: LedgerStatus;
	statusMessage: string | null;
	/** ISO 8601: when the create was sent. */
	sentAt: string;
	/** ISO 8601: when the provider accepted it; null while pending. */
	acceptedAt: string | null;
	/** ISO 8601: the last time this attempt's status was learned. */
	updatedAt: string;
}

export interface LedgerItem extends IDataObject {
	itemIndex: number;
	provider: string;
	/** The node's run index as text, or 'tool' (see ledgerKey). */
	run: string;
	attempts: LedgerAttempt[];
}

/** Which item of which run of the node an entry belongs to. */
export interface LedgerItemRef {
	itemIndex: number;
	provider: string;
	run: string;
}

interface LedgerStore extends IDataObject {
	version: number;
	items: { [key: string]: LedgerItem };
	/** ISO 8601: when a run found that n8n had lost this node's earlier record (see executionHistory.ts). */
	lostRecordSince?: string;
}

/** What a new call of the node should do with an item, judged from its ledger entry. */
export type LedgerPlan =
	/** Nothing known: create attempt `attempt` (1, or the one after a failed task). */
	| { action: 'create'; attempt: number; failedBefore?: LedgerAttempt }
	/** A task exists and has not failed: follow it (poll, download), never create another. */
	| { action: 'follow'; attempt: LedgerAttempt }
	/** A create was sent earlier and its outcome is unknown: resolve that before anything else. */
	| { action: 'resolvePending'; attempt: LedgerAttempt };

/**
 * The ledger key of one item's request: the same whenever the same run of the node sees the same
 * request at the same item position again (Retry On Fail, Continue On Fail + Retry, the Executions
 * list's Retry), different for another run (`run`: the node's run index, so a loop's later rounds
 * are new tasks even for the same request) or other content. As an AI Agent tool, `run` is 'tool':
 * the same arguments are the same task however often the agent retries the call.
 * `fingerprint` describes what is sent to the provider (never whole media: digests of it).
 * Returns 24 hex characters.
 */
export function ledgerKey(provider: string, run: string, itemIndex: number, fingerprint: string): string {
	return createHash('sha256').update([provider, run, itemIndex, fingerprint].join('\u0000')).digest('hex').slice(0, 24);
}

/** A stable text for a plain request object: keys sorted at every level. */
export function stableFingerprint(value: unknown): string {
	return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(sortKeys);
	if (value && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const key of Object.keys(value as object).sort()) {
			const v = (value as Record<string, unknown>)[key];
			if (v !== undefined) out[key] = sortKeys(v);
		}
		return out;
	}
	return value;
}

export class TaskLedger {
	private readonly store: LedgerStore;

	/** Whether the context held a ledger already (the node ran before in this execution, as n8n kept it). */
	readonly existed: boolean;

	/**
	 * @param context the node's execution context (`this.getContext('node')`); the ledger is kept
	 *   under `context.taskLedger` and created on first use. A ledger of an unknown version is
	 *   replaced (never misread).
	 * @param now clock in ms since the epoch (injected for tests)
	 */
	constructor(
		context: IDataObject,
		private readonly now: () => number = Date.now,
	) {
		const existing = context[LEDGER_CONTEXT_KEY] as LedgerStore | undefined;
		this.existed = !!existing && typeof existing === 'object' && existing.version === LEDGER_VERSION && typeof existing.items === 'object';
		if (!this.existed) context[LEDGER_CONTEXT_KEY] = { version: LEDGER_VERSION, items: {} } as LedgerStore;
		this.store = context[LEDGER_CONTEXT_KEY] as LedgerStore;
	}

	/**
	 * Makes sure the ledger exists in the context (a run that fails before its first create leaves
	 * an empty one), so a later Retry can tell "no create yet" from "the record was lost".
	 */
	static open(context: IDataObject): TaskLedger {
		return new TaskLedger(context);
	}

	/** When a run found this node's earlier record lost; undefined when it never happened. */
	get lostRecordSince(): string | undefined {
		return this.store.lostRecordSince;
	}

	/** Remembers, for every later Retry of this execution, that the node's earlier record was lost. */
	markRecordLost(): void {
		this.store.lostRecordSince ??= this.iso();
	}

	/** The latest attempt for a key, if any. */
	latest(key: string): LedgerAttempt | undefined {
		const attempts = this.store.items[key]?.attempts;
		return attempts?.[attempts.length - 1];
	}

	/** Every attempt recorded for a key, oldest first. */
	attempts(key: string): LedgerAttempt[] {
		return [...(this.store.items[key]?.attempts ?? [])];
	}

	/** What a call of the node should do for this key (see LedgerPlan). */
	plan(key: string): LedgerPlan {
		const last = this.latest(key);
		if (!last) return { action: 'create', attempt: 1 };
		if (last.status === 'pending') return { action: 'resolvePending', attempt: last };
		if (last.status === 'failed') return { action: 'create', attempt: last.attempt + 1, failedBefore: last };
		return { action: 'follow', attempt: last };
	}

	/**
	 * Records a create about to be sent, as `pending`. Call it synchronously right before the
	 * request goes out: from here on a crash of the request leaves a trace.
	 */
	sending(key: string, item: LedgerItemRef, attempt: number, externalTaskId: string | null): LedgerAttempt {
		const at = this.iso();
		const entry: LedgerAttempt = {
			attempt,
			taskId: null,
			externalTaskId,
			status: 'pending',
			statusMessage: null,
			sentAt: at,
			acceptedAt: null,
			updatedAt: at,
		};
		const record = (this.store.items[key] ??= { itemIndex: item.itemIndex, provider: item.provider, run: item.run, attempts: [] });
		record.itemIndex = item.itemIndex;
		const last = record.attempts[record.attempts.length - 1];
		// Re-sending the same attempt (after a refusal or a lookup that found nothing) replaces it.
		if (last && last.attempt === attempt && last.status === 'pending') record.attempts[record.attempts.length - 1] = entry;
		else record.attempts.push(entry);
		return entry;
	}

	/** The provider surely created nothing for the pending attempt (a refusal): forget it. */
	notCreated(key: string): void {
		const record = this.store.items[key];
		const last = record?.attempts[record.attempts.length - 1];
		if (!record || !last || last.status !== 'pending') return;
		record.attempts.pop();
		if (!record.attempts.length) delete this.store.items[key];
	}

	/**
	 * The provider accepted the create (or a lookup found the task an earlier attempt created).
	 * Records the task on the latest attempt, creating one when there is none (a task found
	 * by a user-given external id before anything was sent).
	 */
	accepted(key: string, item: LedgerItemRef, task: NormalizedTask): LedgerAttempt {
		let last = this.latest(key);
		if (!last || (last.status !== 'pending' && last.taskId !== task.taskId)) {
			last = this.sending(key, item, (last?.attempt ?? 0) + 1, task.externalTaskId);
		}
		const at = this.iso();
		last.taskId = task.taskId;
		if (task.externalTaskId) last.externalTaskId = task.externalTaskId;
		last.status = task.status;
		last.statusMessage = task.statusMessage;
		last.acceptedAt ??= at;
		last.updatedAt = at;
		return last;
	}

	/** A later status of the latest attempt's task (from a poll). */
	observed(key: string, task: NormalizedTask): void {
		const last = this.latest(key);
		if (!last || last.status === 'pending') return;
		if (task.taskId && last.taskId !== task.taskId) last.taskId = task.taskId;
		last.status = task.status;
		last.statusMessage = task.statusMessage;
		last.updatedAt = this.iso();
	}

	/**
	 * Drops the entries of earlier runs of the node (a loop's finished rounds): n8n never runs them
	 * again, so the ledger, saved with the execution, stays the size of one batch. Tool entries stay.
	 */
	forgetRunsBefore(runIndex: number): void {
		for (const [key, item] of Object.entries(this.store.items)) {
			const run = Number(item.run);
			if (item.run !== 'tool' && Number.isInteger(run) && run < runIndex) delete this.store.items[key];
		}
	}

	/** Entries of the given keys: every attempt that has a task or may have one, item order. */
	tasksOf(keys: Iterable<string>): Array<LedgerAttempt & { itemIndex: number; provider: string }> {
		const out: Array<LedgerAttempt & { itemIndex: number; provider: string }> = [];
		for (const key of new Set(keys)) {
			const record = this.store.items[key];
			if (!record) continue;
			for (const a of record.attempts) out.push({ ...a, itemIndex: record.itemIndex, provider: record.provider });
		}
		return out.sort((x, y) => x.itemIndex - y.itemIndex || x.attempt - y.attempt);
	}

	/**
	 * Item index and task ID of every attempt of these entries, item order (attempt order within
	 * an item): what the execution record needs after each accepted create, without the copies
	 * `tasksOf` makes. `keys` must be distinct (a batch's keys are).
	 */
	taskIdsOf(keys: readonly string[]): Array<{ itemIndex: number; taskId: string | null }> {
		const out: Array<{ itemIndex: number; taskId: string | null }> = [];
		for (const key of keys) {
			const record = this.store.items[key];
			if (record) for (const a of record.attempts) out.push({ itemIndex: record.itemIndex, taskId: a.taskId });
		}
		return out.sort((x, y) => x.itemIndex - y.itemIndex);
	}

	private iso(): string {
		return new Date(this.now()).toISOString();
	}
}

/**
 * The text that lists a batch's tasks in an early-exit error's description, one line per task:
 *   "item 1: task 8f3a… (external n8n-…), processing"
 * `attempts` come from TaskLedger.tasksOf.
 */
export function describeLedgerTasks(attempts: Array<LedgerAttempt & { itemIndex: number }>): string {
	return attempts
		.map((a) => {
			const ids = a.taskId ? `task ${a.taskId}` : 'task ID unknown';
			const external = a.externalTaskId ? ` (external ${a.externalTaskId})` : '';
			const retry = a.attempt > 1 ? ` [attempt ${a.attempt}]` : '';
			const status =
				a.status === 'pending'
					? `create sent at ${a.sentAt}, outcome unknown (it may have been created)`
					: `${a.status}${a.status === 'failed' && a.statusMessage ? `: ${a.statusMessage}` : ''}`;
			return `item ${a.itemIndex}: ${ids}${external}${retry}, ${status}`;
		})
		.join('\n');
}
