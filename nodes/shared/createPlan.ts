import type { LedgerAttempt, TaskLedger } from './taskLedger';

/**
 * Why a lookup by client key runs, and so what "nothing found" means:
 * - `unknown`: a create may have gone through (no answer, 5xx, Stop): nothing found → send it
 *   (with the same key: the provider refuses a second task with it);
 * - `refused`: the provider refused the create, maybe because the key exists: nothing found → fail;
 * - `userKey`: the user's own key, before anything is sent: a task of an earlier execution is
 *   followed (or, when it failed, reported); nothing found → create.
 */
export type LookupReason = 'unknown' | 'refused' | 'userKey';

/** How one create job starts in this run of the node. */
export type CreateStart =
	/** A task exists and has not failed: follow it, never create another. */
	| { kind: 'follow'; known: LedgerAttempt }
	/** Send the create (attempt `attempt`, with this client key when the provider takes one). */
	| { kind: 'create'; attempt: number; externalTaskId: string | null }
	/** Look the key up first (see LookupReason); `externalTaskId` is also the key to create with after. */
	| { kind: 'lookup'; reason: LookupReason; attempt: number; externalTaskId: string }
	/** An earlier run sent this create without an answer and the provider has no client key: never re-send it. */
	| { kind: 'pendingUnknown'; known: LedgerAttempt }
	/** The user's External Task ID names a task of this execution that failed: an ID serves once. */
	| { kind: 'userKeyFailed'; failed: LedgerAttempt }
	/** Another item of the batch has the same External Task ID: one ID, one task. */
	| { kind: 'userKeyTwice'; otherItem: number }
	/** A Retry that lost the node's record (a Stop or a dead worker during the node): the request may have been sent (and paid). */
	| { kind: 'recordLost' };

export interface CreateJob {
	/** The item's ledger key. */
	key: string;
	itemIndex: number;
	/** The user's own client key, if any. */
	userKey?: string;
}

export interface PlanContext {
	ledger: TaskLedger;
	/** The provider takes a client key with each create and can look a task up by it. */
	clientKeys: boolean;
	/** A new client key for a create the user gave none for (idempotency.ts). */
	newKey(): string;
	/**
	 * The node's earlier record is gone: a Retry of a run interrupted during the node, without a
	 * ledger (executionHistory.ts), or a later Retry of one (the ledger remembers it). The node
	 * cannot know what it sent before, so it sends nothing it cannot look up first.
	 */
	recordLost: boolean;
}

/**
 * Decides how each create job starts, from the ledger (this execution's record of the node's
 * creates) and the user's keys. Pure apart from `newKey`.
 * @returns one CreateStart per job, in order
 */
export function planCreates(jobs: CreateJob[], c: PlanContext): CreateStart[] {
	const firstWithKey = new Map<string, number>();
	return jobs.map((job): CreateStart => {
		const decision = c.ledger.plan(job.key);
		if (decision.action === 'follow') return { kind: 'follow', known: decision.attempt };
		if (decision.action === 'resolvePending') {
			const known = decision.attempt;
			return c.clientKeys && known.externalTaskId
				? { kind: 'lookup', reason: 'unknown', attempt: known.attempt, externalTaskId: known.externalTaskId }
				: { kind: 'pendingUnknown', known };
		}
		if (job.userKey) {
			const other = firstWithKey.get(job.userKey);
			if (other !== undefined) return { kind: 'userKeyTwice', otherItem: other };
			firstWithKey.set(job.userKey, job.itemIndex);
			// The key that failed is spent; another key (the user changed it) may be tried.
			if (decision.failedBefore && decision.failedBefore.externalTaskId === job.userKey) return { kind: 'userKeyFailed', failed: decision.failedBefore };
			return c.clientKeys
				? { kind: 'lookup', reason: 'userKey', attempt: decision.attempt, externalTaskId: job.userKey }
				: { kind: 'create', attempt: decision.attempt, externalTaskId: job.userKey };
		}
		if (c.recordLost) return { kind: 'recordLost' };
		return { kind: 'create', attempt: decision.attempt, externalTaskId: c.clientKeys ? c.newKey() : null };
	});
}
