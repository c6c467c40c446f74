import type { IDataObject } from 'n8n-workflow';
import type { CreateStart } from '../../nodes/shared/createPlan';
import { planCreates } from '../../nodes/shared/createPlan';
import type { DurableSet } from '../../nodes/shared/sendJournal';
import { reserveGenerations } from '../../nodes/shared/sendJournal';
import { TaskLedger } from '../../nodes/shared/taskLedger';
import { task } from './fakeTask';

/** n8n's deduplication store as a Set, counting the calls. */
function memorySet(initial: string[] = []): DurableSet & { keys: Set<string>; calls: number } {
	const keys = new Set(initial);
	const store = {
		keys,
		calls: 0,
		async add(list: string[]) {
			store.calls++;
			const had = new Set(list.filter((k) => keys.has(k)));
			for (const k of list) keys.add(k);
			return had;
		},
		async remove(list: string[]) {
			store.calls++;
			for (const k of list) keys.delete(k);
		},
	};
	return store;
}

describe('reserveGenerations', () => {
	it('gives 1 to a new request and the next number to one sent before, in one round of two calls', async () => {
		const store = memorySet(['b:1', 'b:2']);
		const got = await reserveGenerations(store, ['a', 'b']);
		expect(Object.fromEntries(got)).toEqual({ a: 1, b: 3 });
		expect([...store.keys].sort()).toEqual(['a:1', 'b:1', 'b:2', 'b:3']);
		expect(store.calls).toBe(2);
	});

	it('goes past gaps and past a full window', async () => {
		const full = Array.from({ length: 11 }, (_, i) => `c:${i + 1}`);
		const store = memorySet(['a:2', ...full]);
		const got = await reserveGenerations(store, ['a', 'c']);
		expect(Object.fromEntries(got)).toEqual({ a: 3, c: 12 });
		expect(store.keys.has('a:1')).toBe(false); // the gap stays a gap
		expect([...store.keys].filter((k) => k.startsWith('c:')).length).toBe(12);
	});

	it('two reservations of the same request get different numbers', async () => {
		const store = memorySet();
		const first = await reserveGenerations(store, ['a']);
		const second = await reserveGenerations(store, ['a']);
		expect([first.get('a'), second.get('a')]).toEqual([1, 2]);
	});
});

describe('planCreates', () => {
	const keys = {
		generationKey: (key: string, g: number) => `gen-${key}-${g}`,
		executionKey: (key: string, a: number) => `exec-${key}-${a}`,
		onJournalError: jest.fn(),
	};
	const kinds = (starts: CreateStart[]) => starts.map((s) => s.kind);

	it('new sends get a generation key; remembered tasks are followed; failed ones get the next generation', async () => {
		const context: IDataObject = {};
		const ledger = new TaskLedger(context);
		ledger.sending('done', { itemIndex: 1, provider: 'P' }, 1, 'gen-done-1');
		ledger.accepted('done', { itemIndex: 1, provider: 'P' }, task('t1', 'processing'));
		ledger.sending('bad', { itemIndex: 2, provider: 'P' }, 1, 'gen-bad-1');
		ledger.accepted('bad', { itemIndex: 2, provider: 'P' }, task('t2', 'failed'));
		const journal = memorySet(['bad:1']);
		const starts = await planCreates([{ key: 'new' }, { key: 'done' }, { key: 'bad' }], { ...keys, ledger, clientKeys: true, ledgerMayBeLost: false, journal });
		expect(starts).toEqual([
			{ kind: 'create', attempt: 1, externalTaskId: 'gen-new-1' },
			{ kind: 'follow', known: expect.objectContaining({ taskId: 't1' }) },
			{ kind: 'create', attempt: 2, externalTaskId: 'gen-bad-2' },
		]);
	});

	it('a Retry that lost the ledger looks up the earlier sends of a request (client keys), newest first', async () => {
		const journal = memorySet(['a:1', 'a:2', 'a:3', 'a:4']);
		const [start] = await planCreates([{ key: 'a' }], { ...keys, ledger: new TaskLedger({}), clientKeys: true, ledgerMayBeLost: true, journal });
		expect(start).toEqual({ kind: 'lookup', reason: 'lostRun', attempt: 1, candidates: ['gen-a-4', 'gen-a-3', 'gen-a-2'], externalTaskId: 'gen-a-5' });
	});

	it('... and refuses a blind re-send where there are no client keys', async () => {
		const journal = memorySet(['a:1']);
		const starts = await planCreates([{ key: 'a' }, { key: 'b' }], { ...keys, ledger: new TaskLedger({}), clientKeys: false, ledgerMayBeLost: true, journal });
		expect(starts).toEqual([{ kind: 'sentByLostRun', generation: 1 }, { kind: 'create', attempt: 1, externalTaskId: null }]);
	});

	it('the journal matters only when the ledger may be lost: a new execution sends the same request anew', async () => {
		const journal = memorySet(['a:1']);
		const starts = await planCreates([{ key: 'a' }], { ...keys, ledger: new TaskLedger({}), clientKeys: false, ledgerMayBeLost: false, journal });
		expect(kinds(starts)).toEqual(['create']);
	});

	it('pending creates are looked up by their key, or refused without client keys; user keys are looked up first', async () => {
		const ledger = new TaskLedger({});
		ledger.sending('p', { itemIndex: 0, provider: 'P' }, 1, 'gen-p-1');
		const journal = memorySet();
		const withKeys = await planCreates([{ key: 'p' }, { key: 'u', userKey: 'mine' }], { ...keys, ledger, clientKeys: true, ledgerMayBeLost: false, journal });
		expect(withKeys).toEqual([
			{ kind: 'lookup', reason: 'unknown', attempt: 1, candidates: ['gen-p-1'], externalTaskId: 'gen-p-1' },
			{ kind: 'lookup', reason: 'userKey', attempt: 1, candidates: ['mine'], externalTaskId: 'mine' },
		]);
		const withoutKeys = await planCreates([{ key: 'p' }], { ...keys, ledger, clientKeys: false, ledgerMayBeLost: false, journal });
		expect(kinds(withoutKeys)).toEqual(['pendingUnknown']);
	});

	it('without a journal (or when it fails) keys fall back to the execution', async () => {
		const broken: DurableSet = { add: async () => Promise.reject(new Error('db down')), remove: async () => undefined };
		const onJournalError = jest.fn();
		const starts = await planCreates([{ key: 'a' }], { ...keys, onJournalError, ledger: new TaskLedger({}), clientKeys: true, ledgerMayBeLost: true, journal: broken });
		expect(starts).toEqual([{ kind: 'create', attempt: 1, externalTaskId: 'exec-a-1' }]);
		expect(onJournalError).toHaveBeenCalledWith(expect.objectContaining({ message: 'db down' }));
	});
});
