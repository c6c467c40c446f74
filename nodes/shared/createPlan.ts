import type { DurableSet } from './sendJournal';
import { reserveGenerations } from './sendJournal';
import type { LedgerAttempt, TaskLedger } from './taskLedger';

/**
 * Why a lookup by client key runs, and so what "nothing found" means:
 * - `unknown`: a create may have gone through (no answer, 5xx, Stop): nothing found → send it
 *   (with the same key: the provider refuses a second task with it);
 * - `refused`: the provider refused the create, maybe because the key exists: nothing found → fail;
 * - `userKey`: the user's own key, before anything is sent: a task of an earlier execution is
 *   followed (or, when it failed, reported); nothing found → create;
 * - `lostRun`: a Retry of an execution whose ledger n8n did not keep (Stop, a crashed worker) while
 *   the send journal says this request was sent: the candidates are the keys of the earlier
 *   generations, newest first; a live task found → follow it; nothing (or a failed one) → create.
 */
export type LookupReason = 'unknown' | 'refused' | 'userKey' | 'lostRun';

/** How one create job starts in this run of the node. */
export type CreateStart =
	/** A task exists and has not failed: follow it, never create another. */
	| { kind: 'follow'; known: LedgerAttempt }
	/** Send the create (attempt `attempt`, with this client key when the provider takes one). */
	| { kind: 'create'; attempt: number; externalTaskId: string | null }
	/** Look up the candidates first (see LookupReason); `externalTaskId` is the key to create with after. */
	| { kind: 'lookup'; reason: LookupReason; attempt: number; candidates: string[]; externalTaskId: string }
	/** An earlier run sent this create without an answer and the provider has no client key: never re-send it. */
	| { kind: 'pendingUnknown'; known: LedgerAttempt }
	/** The user's External Task ID names a task of this execution that failed: an ID serves once. */
	| { kind: 'userKeyFailed'; failed: LedgerAttempt }
	/** No ledger came with this Retry, the journal says the request was sent, and there is no client key. */
	| { kind: 'sentByLostRun'; generation: number };

export interface CreateJob {
	/** The item's ledger key. */
	key: string;
	/** The user's own client key, if any. */
	userKey?: string;
}

export interface PlanContext {
	ledger: TaskLedger;
	/** The provider takes a client key with each create and can look a task up by it. */
	clientKeys: boolean;
	/**
	 * The node's ledger may have been lost: this is a Retry (execution mode `retry`) and the
	 * execution brought no ledger for the node. Only then does the journal's record of an earlier
	 * send matter (in a new execution the same request is a new task by intent).
	 */
	ledgerMayBeLost: boolean;
	/** The send journal; undefined where n8n has no deduplication store. */
	journal?: DurableSet;
	/** The client key of a generation (journal in use). */
	generationKey(key: string, generation: number): string;
	/** The client key of an attempt when there is no journal (it contains the execution ID). */
	executionKey(key: string, attempt: number): string;
	/** Reports a journal failure; the plan then goes on without it. */
	onJournalError(error: Error): void;
}

/** Earlier generations looked up after a lost run, newest first. */
const LOST_RUN_LOOKBACK = 3;

/**
 * Decides how each create job starts: from the ledger (this execution's record), the user's key and,
 * for new sends, a generation taken from the send journal. Reads and writes nothing but the
 * journal (one round of two store calls for the whole batch).
 * @returns one CreateStart per job, in order
 */
export async function planCreates(jobs: CreateJob[], c: PlanContext): Promise<CreateStart[]> {
	const starts: Array<CreateStart | undefined> = [];
	const fresh: Array<{ index: number; key: string; attempt: number; firstEver: boolean }> = [];
	jobs.forEach((job, index) => {
		const decision = c.ledger.plan(job.key);
		if (decision.action === 'follow') {
			starts[index] = { kind: 'follow', known: decision.attempt };
			return;
		}
		if (decision.action === 'resolvePending') {
			const known = decision.attempt;
			starts[index] =
				c.clientKeys && known.externalTaskId
					? { kind: 'lookup', reason: 'unknown', attempt: known.attempt, candidates: [known.externalTaskId], externalTaskId: known.externalTaskId }
					: { kind: 'pendingUnknown', known };
			return;
		}
		if (job.userKey) {
			if (decision.failedBefore) {
				starts[index] = { kind: 'userKeyFailed', failed: decision.failedBefore };
				return;
			}
			starts[index] = c.clientKeys
				? { kind: 'lookup', reason: 'userKey', attempt: decision.attempt, candidates: [job.userKey], externalTaskId: job.userKey }
				: { kind: 'create', attempt: decision.attempt, externalTaskId: job.userKey };
			return;
		}
		fresh.push({ index, key: job.key, attempt: decision.attempt, firstEver: c.ledger.latest(job.key) === undefined });
	});

	let generations: Map<string, number> | undefined;
	if (fresh.length && c.journal) {
		try {
			generations = await reserveGenerations(c.journal, fresh.map((f) => f.key));
		} catch (error) {
			c.onJournalError(error as Error);
		}
	}
	for (const f of fresh) {
		const generation = generations?.get(f.key);
		if (generation === undefined) {
			starts[f.index] = { kind: 'create', attempt: f.attempt, externalTaskId: c.clientKeys ? c.executionKey(f.key, f.attempt) : null };
			continue;
		}
		const externalTaskId = c.clientKeys ? c.generationKey(f.key, generation) : null;
		if (c.ledgerMayBeLost && f.firstEver && generation > 1) {
			if (!c.clientKeys) {
				starts[f.index] = { kind: 'sentByLostRun', generation: generation - 1 };
				continue;
			}
			const candidates: string[] = [];
			for (let g = generation - 1; g >= 1 && candidates.length < LOST_RUN_LOOKBACK; g--) candidates.push(c.generationKey(f.key, g));
			starts[f.index] = { kind: 'lookup', reason: 'lostRun', attempt: f.attempt, candidates, externalTaskId: externalTaskId as string };
			continue;
		}
		starts[f.index] = { kind: 'create', attempt: f.attempt, externalTaskId };
	}
	return starts as CreateStart[];
}
