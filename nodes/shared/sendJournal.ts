import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * The send journal: a durable record that a create was sent, outside the execution's data.
 *
 * Why: the task ledger lives in the execution's data, and n8n does not keep that data when an
 * execution is stopped (n8n's `ExecutionService.stopDuringRun` saves the execution as it was stored
 * before the Stop; the engine's own save is skipped for canceled executions, `requireNotCanceled`,
 * n8n 1.123.81 and 2.41.1) or when a queue-mode worker dies. What n8n does keep, at once and across
 * executions, is its deduplication store (`this.helpers.checkProcessedAndRecord`, the store behind
 * the Remove Duplicates node): a set of keys per workflow and node. It holds keys, not values, so
 * the journal records *generations*: before an item's create is sent, the next free number n for
 * the item's ledger key is taken (`<ledgerKey>:<n>`). A provider with a client key gets one derived
 * from (node, ledger key, n), so a later run that lost the ledger can find the task again; for the
 * others, a taken number says "a create of this request was sent" and stops a blind re-send.
 *
 * Generations are per node and request, not per execution: two executions that send the same
 * request at the same item position get numbers 1 and 2. Numbers are found by adding candidates
 * and removing the ones that were new (the store has no read-only query), a window at a time.
 */

/** A durable set of strings (n8n's deduplication store, entries mode, node scope). */
export interface DurableSet {
	/** Adds the keys and returns the ones that were there already. */
	add(keys: string[]): Promise<Set<string>>;
	/** Removes the keys (missing ones are ignored). */
	remove(keys: string[]): Promise<void>;
}

/** Candidates tried per item and round; one round (two store calls) serves almost every batch. */
const WINDOW = 8;
/** Oldest marks are dropped beyond this many per node (n8n's `maxEntries`). */
const MAX_ENTRIES = 10_000;

const mark = (itemKey: string, n: number) => `${itemKey}:${n}`;

/**
 * Takes the next free generation for each item key (1 when none was taken before).
 * @returns generation per item key; the taken marks stay in the store
 * @throws whatever the store throws (callers fall back to keys without a journal)
 */
export async function reserveGenerations(store: DurableSet, itemKeys: string[]): Promise<Map<string, number>> {
	const reserved = new Map<string, number>();
	const top = new Map<string, number>(itemKeys.map((k) => [k, 0]));
	let pending = [...new Set(itemKeys)];
	for (let from = 1; pending.length; from += WINDOW) {
		const window = Array.from({ length: WINDOW }, (_, i) => from + i);
		const had = await store.add(pending.flatMap((k) => window.map((n) => mark(k, n))));
		const undo: string[] = [];
		const next: string[] = [];
		for (const key of pending) {
			const taken = window.filter((n) => had.has(mark(key, n)));
			const highest = Math.max(top.get(key) ?? 0, ...taken);
			top.set(key, highest);
			if (taken.includes(from + WINDOW - 1)) {
				// The whole window may be in use: look further; nothing of this window is ours.
				next.push(key);
				undo.push(...window.filter((n) => !had.has(mark(key, n))).map((n) => mark(key, n)));
				continue;
			}
			const chosen = highest + 1;
			reserved.set(key, chosen);
			undo.push(...window.filter((n) => n !== chosen && !had.has(mark(key, n))).map((n) => mark(key, n)));
		}
		if (undo.length) await store.remove(undo);
		pending = next;
	}
	return reserved;
}

/**
 * n8n's deduplication store for this node, or undefined where there is none (an n8n without it;
 * an execution of a workflow without an ID).
 */
export function nodeDurableSet(ctx: IExecuteFunctions): DurableSet | undefined {
	const helpers = ctx.helpers as Partial<IExecuteFunctions['helpers']> | undefined;
	if (!helpers || typeof helpers.checkProcessedAndRecord !== 'function' || typeof helpers.removeProcessed !== 'function') return undefined;
	if (!ctx.getWorkflow?.().id) return undefined;
	const options = { mode: 'entries' as const, maxEntries: MAX_ENTRIES };
	return {
		async add(keys) {
			const result = await ctx.helpers.checkProcessedAndRecord(keys, 'node', options);
			return new Set(result.processed.map(String));
		},
		async remove(keys) {
			await ctx.helpers.removeProcessed(keys, 'node', options);
		},
	};
}
