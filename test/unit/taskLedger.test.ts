import type { IDataObject, INode } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { stoppedBatchError } from '../../nodes/shared/earlyExit';
import { ExecutionCancelledError } from '../../nodes/shared/errors';
import type { NormalizedTask, TaskStatus } from '../../nodes/shared/task';
import { task } from './fakeTask';
import { LEDGER_CONTEXT_KEY, TaskLedger, describeLedgerTasks, ledgerKey, stableFingerprint } from '../../nodes/shared/taskLedger';

const item = { itemIndex: 0, provider: 'P', run: '0' };
const node: INode = { id: 'n', name: 'Node', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };

describe('ledgerKey', () => {
	it('is stable for the same request, run and position, and differs for other content, runs or positions', () => {
		const a = ledgerKey('Kling', '0', 0, 'url:a|url:b|hi');
		expect(a).toMatch(/^[0-9a-f]{24}$/);
		expect(ledgerKey('Kling', '0', 0, 'url:a|url:b|hi')).toBe(a);
		expect(ledgerKey('Kling', '0', 1, 'url:a|url:b|hi')).not.toBe(a);
		expect(ledgerKey('Kling', '1', 0, 'url:a|url:b|hi')).not.toBe(a); // a loop's next round
		expect(ledgerKey('Kling', 'tool', 0, 'url:a|url:b|hi')).not.toBe(a);
		expect(ledgerKey('Kling', '0', 0, 'url:a|url:b|ho')).not.toBe(a);
		expect(ledgerKey('Akool', '0', 0, 'url:a|url:b|hi')).not.toBe(a);
	});

	it('stableFingerprint ignores key order and undefined fields', () => {
		expect(stableFingerprint({ b: 1, a: { y: [1, { q: 2, p: 1 }], x: undefined } })).toBe(stableFingerprint({ a: { y: [1, { p: 1, q: 2 }] }, b: 1 }));
		expect(stableFingerprint({ a: 1 })).not.toBe(stableFingerprint({ a: 2 }));
	});
});

describe('TaskLedger', () => {
	let clock = Date.parse('2026-11-29T10:00:00Z');
	const now = () => clock;

	it('lives in the context object it is given, as plain JSON that survives a save and load', () => {
		const context: IDataObject = {};
		const ledger = new TaskLedger(context, now);
		ledger.sending('k', item, 1, 'ext-1');
		ledger.accepted('k', item, task('t1', 'submitted', { externalTaskId: 'ext-1' }));
		const reloaded = new TaskLedger(JSON.parse(JSON.stringify(context)) as IDataObject, now);
		expect(reloaded.plan('k')).toEqual({ action: 'follow', attempt: expect.objectContaining({ taskId: 't1', externalTaskId: 'ext-1', status: 'submitted', attempt: 1 }) });
		expect(Object.keys(context)).toEqual([LEDGER_CONTEXT_KEY]);
	});

	it('replaces a ledger of another version instead of misreading it', () => {
		const context: IDataObject = { [LEDGER_CONTEXT_KEY]: { version: 99, items: { k: 'garbage' } } };
		expect(new TaskLedger(context, now).plan('k')).toEqual({ action: 'create', attempt: 1 });
	});

	it('plans: nothing known → create 1; pending → resolve it; running or done → follow; failed → create the next attempt', () => {
		const ledger = new TaskLedger({}, now);
		expect(ledger.plan('k')).toEqual({ action: 'create', attempt: 1 });

		const sent = ledger.sending('k', item, 1, null);
		expect(sent).toMatchObject({ status: 'pending', taskId: null, sentAt: '2026-11-29T10:00:00.000Z', acceptedAt: null });
		expect(ledger.plan('k')).toMatchObject({ action: 'resolvePending', attempt: { attempt: 1, status: 'pending' } });

		clock += 1_000;
		ledger.accepted('k', item, task('t1', 'submitted'));
		expect(ledger.plan('k')).toMatchObject({ action: 'follow', attempt: { taskId: 't1', acceptedAt: '2026-11-29T10:00:01.000Z' } });

		ledger.observed('k', task('t1', 'processing'));
		expect(ledger.latest('k')?.status).toBe('processing');
		ledger.observed('k', task('t1', 'failed', { statusMessage: 'Internal error, please retry' }));
		expect(ledger.plan('k')).toMatchObject({ action: 'create', attempt: 2, failedBefore: { taskId: 't1', statusMessage: 'Internal error, please retry' } });

		ledger.sending('k', item, 2, 'ext-2');
		ledger.accepted('k', item, task('t2', 'succeeded'));
		expect(ledger.attempts('k').map((a) => [a.attempt, a.taskId, a.status])).toEqual([
			[1, 't1', 'failed'],
			[2, 't2', 'succeeded'],
		]);
		expect(ledger.plan('k')).toMatchObject({ action: 'follow', attempt: { taskId: 't2' } });
	});

	it('forgets a pending create the provider refused, and keeps earlier attempts', () => {
		const ledger = new TaskLedger({}, now);
		ledger.sending('k', item, 1, null);
		ledger.notCreated('k');
		expect(ledger.latest('k')).toBeUndefined();
		expect(ledger.plan('k')).toEqual({ action: 'create', attempt: 1 });

		ledger.sending('k', item, 1, null);
		ledger.accepted('k', item, task('t1', 'failed'));
		ledger.sending('k', item, 2, null);
		ledger.notCreated('k');
		expect(ledger.plan('k')).toMatchObject({ action: 'create', attempt: 2 });
		// Never drops a task that exists.
		ledger.notCreated('k');
		expect(ledger.attempts('k')).toHaveLength(1);
	});

	it('re-sending the same pending attempt replaces it rather than adding one', () => {
		const ledger = new TaskLedger({}, now);
		ledger.sending('k', item, 1, 'ext');
		clock += 5_000;
		ledger.sending('k', item, 1, 'ext');
		expect(ledger.attempts('k')).toHaveLength(1);
		expect(ledger.latest('k')?.sentAt).toBe(new Date(clock).toISOString());
	});

	it('records a task found by a key before anything was sent as a new attempt', () => {
		const ledger = new TaskLedger({}, now);
		ledger.accepted('k', item, task('found', 'processing', { externalTaskId: 'mine' }));
		expect(ledger.attempts('k')).toEqual([expect.objectContaining({ attempt: 1, taskId: 'found', externalTaskId: 'mine', status: 'processing' })]);
	});

	it('forgets the entries of earlier runs of the node (a loop\'s finished rounds), never tool entries', () => {
		const ledger = new TaskLedger({}, now);
		ledger.sending('r0', { itemIndex: 0, provider: 'P', run: '0' }, 1, null);
		ledger.sending('r1', { itemIndex: 0, provider: 'P', run: '1' }, 1, null);
		ledger.sending('t', { itemIndex: 0, provider: 'P', run: 'tool' }, 1, null);
		ledger.forgetRunsBefore(1);
		expect([ledger.latest('r0'), ledger.latest('r1'), ledger.latest('t')].map((a) => a?.status)).toEqual([undefined, 'pending', 'pending']);
	});

	it('lists the tasks of a batch in item order, every attempt', () => {
		const ledger = new TaskLedger({}, now);
		ledger.sending('b', { itemIndex: 1, provider: 'P', run: '0' }, 1, null);
		ledger.accepted('b', { itemIndex: 1, provider: 'P', run: '0' }, task('t-b', 'processing'));
		ledger.sending('a', { itemIndex: 0, provider: 'P', run: '0' }, 1, 'x-a');
		ledger.accepted('a', { itemIndex: 0, provider: 'P', run: '0' }, task('t-a1', 'failed', { statusMessage: 'bad' }));
		ledger.sending('a', { itemIndex: 0, provider: 'P', run: '0' }, 2, 'x-a2');
		ledger.sending('c', { itemIndex: 2, provider: 'P', run: '0' }, 1, null);
		const tasks = ledger.tasksOf(['c', 'a', 'b', 'unknown']);
		expect(tasks.map((t) => [t.itemIndex, t.attempt, t.taskId, t.status])).toEqual([
			[0, 1, 't-a1', 'failed'],
			[0, 2, null, 'pending'],
			[1, 1, 't-b', 'processing'],
			[2, 1, null, 'pending'],
		]);
		const sentAt = new Date(clock).toISOString();
		expect(describeLedgerTasks(tasks).split('\n')).toEqual([
			'item 0: task t-a1 (external x-a), failed: bad',
			`item 0: task ID unknown (external x-a2) [attempt 2], create sent at ${sentAt}, outcome unknown (it may have been created)`,
			'item 1: task t-b, processing',
			`item 2: task ID unknown, create sent at ${sentAt}, outcome unknown (it may have been created)`,
		]);
	});
});

describe('stoppedBatchError', () => {
	const attempt = (itemIndex: number, taskId: string | null, status: 'pending' | TaskStatus) => ({
		itemIndex,
		attempt: 1,
		taskId,
		externalTaskId: null,
		status,
		statusMessage: null,
		sentAt: '2026-11-29T10:00:00.000Z',
		acceptedAt: null,
		updatedAt: '2026-11-29T10:00:00.000Z',
	});

	it('keeps the failed item\'s error and adds the count and the list of every task', () => {
		const cause = new NodeApiError(node, {}, { message: 'Kling task t0 failed: bad image', description: 'The provider reports the task as failed.' });
		const error = stoppedBatchError(node, 'Kling', { kind: 'itemFailed', error: cause }, [attempt(0, 't0', 'failed'), attempt(1, 't1', 'processing'), attempt(2, null, 'pending')], [3, 4]);
		expect(error).toBe(cause);
		expect(error.message).toBe('Kling task t0 failed: bad image (2 Kling tasks of this batch exist and 1 create may have gone through: see details)');
		const description = (error as NodeApiError).description ?? '';
		expect(description).toMatch(/^The provider reports the task as failed\.\n\nKling tasks of this batch/);
		expect(description).toContain('item 0: task t0, failed');
		expect(description).toContain('item 1: task t1, processing');
		expect(description).toContain('item 2: task ID unknown');
		expect(description).toContain('Not submitted (stopped first): items 3, 4.');
	});

	it('for Stop or a timeout: a cancellation error that still lists the tasks', () => {
		const error = stoppedBatchError(node, 'Akool', { kind: 'cancelled' }, [attempt(0, 'v0', 'processing')], []);
		expect(error).toBeInstanceOf(ExecutionCancelledError);
		expect(error.message).toBe('The execution was cancelled while waiting for the provider; 1 Akool task of this batch exists (see details)');
		expect((error as ExecutionCancelledError).description).toContain('item 0: task v0, processing');
	});

	it('says so when nothing was created', () => {
		const cause = new NodeApiError(node, {}, { message: 'quota' });
		const error = stoppedBatchError(node, 'P', { kind: 'itemFailed', error: cause }, [], [1]);
		expect(error.message).toBe('quota');
		expect((error as NodeApiError).description).toBe('No P task was created in this run of the node.\nNot submitted (stopped first): item 1.');
	});
});
