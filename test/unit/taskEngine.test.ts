import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { ExecutionCancelledError, withFailureKind } from '../../nodes/shared/errors';
import type { NormalizedTask, TaskStatus } from '../../nodes/shared/task';
import { task } from './fakeTask';
import type { TaskApi } from '../../nodes/shared/taskEngine';
import { runTasks } from '../../nodes/shared/taskEngine';
import { isRetryOfInterruptedRun } from '../../nodes/shared/executionHistory';
import { pollingOptionFields } from '../../nodes/shared/waitOptions';
import { DEFAULT_POLL_SCHEDULE } from '../../nodes/shared/schedule';

const node: INode = { id: 'n', name: 'Node', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };

/**
 * A minimal IExecuteFunctions: the engine only needs the node, a logger, the cancel signal and
 * the node's execution context (the ledger's home; pass the same object to model another call of
 * the node in the same execution).
 */
function fakeContext(signal = new AbortController().signal, nodeContext: IDataObject = {}, executionId = 'exec-1'): IExecuteFunctions {
	return {
		getNode: () => node,
		getExecutionId: () => executionId,
		getWorkflow: () => ({ id: 'wf', active: false }),
		getContext: () => nodeContext,
		getExecutionCancelSignal: () => signal,
		logger: { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined },
	} as unknown as IExecuteFunctions;
}


const fast = { minIntervalMs: 10, maxIntervalMs: 20, growth: 0.1 };
const ambiguous = () => withFailureKind(new NodeApiError(node, {}, { message: 'socket hang up' }), 'ambiguous');

describe('runTasks', () => {
	it('never re-sends an ambiguous create when the provider has no idempotency key', async () => {
		const create = jest.fn().mockRejectedValue(ambiguous());
		const api: TaskApi<string> = { provider: 'P', create, get: jest.fn() };
		const [outcome] = await runTasks(fakeContext(), api, [{ itemIndex: 0, request: 'r' }], {
			wait: true,
			maxWaitMs: 5_000,
			schedule: fast,
			stopOnFirstError: false,
		});
		expect(create).toHaveBeenCalledTimes(1);
		expect(outcome.error).toBeInstanceOf(NodeOperationError);
		expect(outcome.error?.message).toMatch(/may or may not have been created/);
	});

	it('looks an ambiguous create up before sending it again, and uses what it finds', async () => {
		const create = jest.fn().mockRejectedValueOnce(ambiguous());
		const findCreated = jest.fn().mockResolvedValue(task('t1', 'processing'));
		const get = jest.fn().mockResolvedValue(task('t1', 'succeeded'));
		const api: TaskApi<string> = { provider: 'P', create, findCreated, get };
		const [outcome] = await runTasks(fakeContext(), api, [{ itemIndex: 0, request: 'r' }], {
			wait: true,
			maxWaitMs: 10_000,
			schedule: fast,
			stopOnFirstError: true,
		});
		expect(create).toHaveBeenCalledTimes(1);
		expect(findCreated).toHaveBeenCalledTimes(1);
		expect(outcome.task?.status).toBe('succeeded');
	});

	it('sends again when the lookup finds nothing', async () => {
		const create = jest.fn().mockRejectedValueOnce(ambiguous()).mockResolvedValueOnce(task('t2', 'succeeded'));
		const api: TaskApi<string> = { provider: 'P', create, findCreated: jest.fn().mockResolvedValue(undefined), get: jest.fn() };
		const [outcome] = await runTasks(fakeContext(), api, [{ itemIndex: 0, request: 'r' }], {
			wait: false,
			maxWaitMs: 10_000,
			stopOnFirstError: true,
		});
		expect(create).toHaveBeenCalledTimes(2);
		expect(outcome.task?.taskId).toBe('t2');
	});

	it('fails fast on fatal errors and keeps per-item outcomes in item order', async () => {
		const fatal = withFailureKind(new NodeApiError(node, {}, { message: 'quota' }), 'fatal');
		const create = jest.fn(async (r: string) => {
			if (r === 'bad') throw fatal;
			return task(`t-${r}`, 'submitted');
		});
		const api: TaskApi<string> = { provider: 'P', create, get: jest.fn() };
		const outcomes = await runTasks(
			fakeContext(),
			api,
			['a', 'bad', 'c'].map((request, itemIndex) => ({ itemIndex, request })),
			{ wait: false, maxWaitMs: 1_000, stopOnFirstError: false },
		);
		expect(outcomes.map((o) => o.itemIndex)).toEqual([0, 1, 2]);
		expect(outcomes.map((o) => o.task?.taskId ?? o.error?.message)).toEqual(['t-a', 'quota', 't-c']);
		expect(create).toHaveBeenCalledTimes(3);
	});

	it('polls tasks of a batch together and honours per-item Max Wait', async () => {
		let polls = 0;
		const get = jest.fn(async (id: string) => {
			polls++;
			return task(id, id === 'slow' ? 'processing' : polls > 4 ? 'succeeded' : 'processing');
		});
		const api: TaskApi<string> = { provider: 'P', create: jest.fn(), get };
		const outcomes = await runTasks(
			fakeContext(),
			api,
			[
				{ itemIndex: 0, taskId: 'quick' },
				{ itemIndex: 1, taskId: 'slow', maxWaitMs: 150 },
			],
			{ wait: true, maxWaitMs: 5_000, schedule: fast, stopOnFirstError: false },
		);
		expect(outcomes[0].task?.status).toBe('succeeded');
		expect(outcomes[1].error?.message).toMatch(/Task slow did not finish within Max Wait .* Continue with the Get operation and Task ID slow/);
	});

	it('stops at once when the execution is cancelled', async () => {
		const controller = new AbortController();
		const api: TaskApi<string> = { provider: 'P', create: jest.fn(), get: jest.fn(async (id: string) => task(id, 'processing')) };
		const started = Date.now();
		setTimeout(() => controller.abort(), 100);
		await expect(
			runTasks(fakeContext(controller.signal), api, [{ itemIndex: 0, taskId: 'x' }], {
				wait: true,
				maxWaitMs: 60_000,
				schedule: { minIntervalMs: 5_000, maxIntervalMs: 5_000, growth: 0 },
				stopOnFirstError: false,
			}),
		).rejects.toThrow(/cancelled/);
		expect(Date.now() - started).toBeLessThan(1_000);
	});
});

describe('polling options', () => {
	it('show the engine defaults (the UI needs literals, the engine owns the numbers)', () => {
		const byName = Object.fromEntries(pollingOptionFields.map((f) => [f.name, f.default]));
		expect(byName.pollMinIntervalSeconds).toBe(DEFAULT_POLL_SCHEDULE.minIntervalMs / 1000);
		expect(byName.pollMaxIntervalSeconds).toBe(DEFAULT_POLL_SCHEDULE.maxIntervalMs / 1000);
	});
});

describe('runTasks under a concurrency limit', () => {
	it('queues on the client: refused creates stay few while the limit is known to be full', async () => {
		const limit = 2;
		const TASK_MS = 2_500; // longer than the first capacity backoffs, as with real tasks
		const running = new Map<string, number>();
		let creates = 0;
		let refused = 0;
		const capacity = () => withFailureKind(new NodeApiError(node, {}, { message: 'parallel task over resource pack limit' }), 'capacity');
		const api: TaskApi<number> = {
			provider: 'P',
			create: async (n) => {
				creates++;
				for (const [id, at] of running) if (Date.now() - at >= TASK_MS) running.delete(id);
				if (running.size >= limit) {
					refused++;
					throw capacity();
				}
				running.set(`t${n}`, Date.now());
				return task(`t${n}`, 'submitted');
			},
			get: async (id) => {
				const at = running.get(id);
				if (at !== undefined && Date.now() - at >= TASK_MS) running.delete(id);
				return task(id, running.has(id) ? 'processing' : 'succeeded');
			},
		};
		const outcomes = await runTasks(
			fakeContext(),
			api,
			Array.from({ length: 6 }, (_, n) => ({ itemIndex: n, request: n })),
			{ wait: true, maxWaitMs: 30_000, schedule: { minIntervalMs: 20, maxIntervalMs: 50, growth: 0.1 }, stopOnFirstError: false },
		);
		expect(outcomes.every((o) => o.task?.status === 'succeeded')).toBe(true);
		expect(creates - refused).toBe(6);
		// Each waiting item asking on its own backoff made 12 refusals here; one probe at a time
		// while the limit is known to be full keeps it to the first refusals plus a few probes.
		expect(refused).toBeLessThanOrEqual(8);
	});
});

describe('runTasks with the task ledger: another call of the node never pays again', () => {
	const once = { wait: true, maxWaitMs: 5_000, schedule: fast, stopOnFirstError: false };
	const running = (id: string) => jest.fn(async () => task(id, 'processing'));

	it('a second call follows the task the first call created (Retry On Fail, tool retry, executions-list Retry)', async () => {
		const nodeContext: IDataObject = {};
		const create = jest.fn(async () => task('t1', 'submitted'));
		const api: TaskApi<string> = { provider: 'P', create, get: running('t1') };
		// First call: the task is accepted, then the call dies (Max Wait) before it ends.
		const [first] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], { ...once, maxWaitMs: 60 });
		expect(first.error?.message).toMatch(/did not finish within Max Wait/);
		// Second call, with the context as n8n saved it: no create, the same task is followed.
		const saved = JSON.parse(JSON.stringify(nodeContext)) as IDataObject;
		const api2: TaskApi<string> = { provider: 'P', create, get: jest.fn(async () => task('t1', 'succeeded')) };
		const [second] = await runTasks(fakeContext(undefined, saved, 'exec-2'), api2, [{ itemIndex: 0, request: 'r' }], once);
		expect(second.task?.taskId).toBe('t1');
		expect(second.task?.status).toBe('succeeded');
		expect(create).toHaveBeenCalledTimes(1);
	});

	it('another request at the same position is a new task (a loop feeding new items)', async () => {
		const nodeContext: IDataObject = {};
		let n = 0;
		const create = jest.fn(async () => task(`t${++n}`, 'submitted'));
		const api: TaskApi<string> = { provider: 'P', create, get: jest.fn() };
		const options = { ...once, wait: false };
		await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'first' }], options);
		const [other] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'second' }], options);
		expect(other.task?.taskId).toBe('t2');
		expect(create).toHaveBeenCalledTimes(2);
	});

	it('without a client key, a create whose outcome is unknown is never sent again, not even by the next call', async () => {
		const nodeContext: IDataObject = {};
		const create = jest.fn().mockRejectedValue(ambiguous());
		const api: TaskApi<string> = { provider: 'P', create, get: jest.fn() };
		const [first] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(first.error?.message).toMatch(/may or may not have been created/);
		const [second] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(second.error?.message).toMatch(/An earlier run of this node sent this item's create at .* the P task may have been created/);
		expect(create).toHaveBeenCalledTimes(1);
	});

	it('with a client key, the next call looks the unknown create up by the key it stored, and re-sends with that same key', async () => {
		const nodeContext: IDataObject = {};
		const keys: Array<string | null> = [];
		const create = jest.fn(async (_r: string, _i: number, key: string | null) => {
			keys.push(key);
			if (keys.length === 1) throw ambiguous();
			return task('t2', 'submitted');
		});
		const findCreated = jest.fn().mockRejectedValueOnce(withFailureKind(new NodeApiError(node, {}, { message: 'auth' }), 'fatal')).mockResolvedValue(undefined);
		const api: TaskApi<string> = { provider: 'P', create, findCreated, get: jest.fn(async () => task('t2', 'succeeded')) };
		const [first] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		// The lookup itself failed: nothing re-sent, and the item says what may exist, under which key.
		expect(first.error?.message).toBe(`The create's answer was lost; the P task may exist and be paid: external task id ${keys[0]}`);
		expect((first.error as NodeOperationError).description).toMatch(/^Looking it up by that ID could not tell whether it exists: auth\./);
		expect(first.externalTaskId).toBe(keys[0]);
		expect(JSON.stringify(nodeContext)).toContain('"status":"pending"');
		const [second] = await runTasks(fakeContext(undefined, nodeContext, 'exec-2'), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(second.task?.status).toBe('succeeded');
		expect(findCreated).toHaveBeenLastCalledWith(keys[0], 0);
		expect(keys).toEqual([keys[0], keys[0]]);
		expect(keys[0]).toMatch(/^n8n-exec-1-[0-9a-f]{16}$/);
	});

	it('a failed task gets a fresh task (and a fresh key) on the next call, not within the same call', async () => {
		const nodeContext: IDataObject = {};
		const keys: Array<string | null> = [];
		const create = jest.fn(async (_r: string, _i: number, key: string | null) => {
			keys.push(key);
			return task(`t${keys.length}`, 'submitted');
		});
		const get = jest.fn(async (id: string) => task(id, id === 't1' ? 'failed' : 'succeeded', { statusMessage: id === 't1' ? 'Internal error, please retry' : null }));
		const api: TaskApi<string> = { provider: 'P', create, findCreated: jest.fn(), get };
		const [first] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(first.error?.message).toMatch(/P task t1 failed: Internal error, please retry/);
		expect(create).toHaveBeenCalledTimes(1);
		const [second] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(second.task?.taskId).toBe('t2');
		expect(keys[1]).toMatch(/^n8n-exec-1-[0-9a-f]{16}$/);
		expect(keys[1]).not.toBe(keys[0]);
	});

	it('a user-given key whose task failed earlier is reported, with when and why, and nothing is sent', async () => {
		const create = jest.fn();
		const findCreated = jest.fn(async () => task('old', 'failed', { statusMessage: 'Image pixel is invalid', createdAt: '2026-11-28T09:00:00.000Z' }));
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated, get: jest.fn() };
		const [outcome] = await runTasks(fakeContext(), api, [{ itemIndex: 0, request: 'r', externalTaskId: 'my-id' }], once);
		expect(outcome.error?.message).toBe('The Kling task with External Task ID "my-id" failed earlier (created 2026-11-28T09:00:00.000Z): Image pixel is invalid');
		expect((outcome.error as NodeOperationError).description).toMatch(/Set a new External Task ID/);
		expect(create).not.toHaveBeenCalled();
	});

	it('a user-given key naming a running task of an earlier execution follows it instead of paying again', async () => {
		const create = jest.fn();
		const findCreated = jest.fn(async () => task('old', 'processing', { externalTaskId: 'my-id' }));
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated, get: jest.fn(async () => task('old', 'succeeded')) };
		const [outcome] = await runTasks(fakeContext(), api, [{ itemIndex: 0, request: 'r', externalTaskId: 'my-id' }], once);
		expect(outcome.task?.taskId).toBe('old');
		expect(create).not.toHaveBeenCalled();
	});

	it('two items with the same External Task ID: the second is refused before anything is sent', async () => {
		const create = jest.fn(async () => task('t1', 'submitted'));
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated: jest.fn(async () => undefined), get: jest.fn() };
		const outcomes = await runTasks(fakeContext(), api, [
			{ itemIndex: 0, request: 'Ann', externalTaskId: 'order-7' },
			{ itemIndex: 1, request: 'Bob', externalTaskId: 'order-7' },
		], { ...once, wait: false });
		expect(outcomes[0].task?.taskId).toBe('t1');
		expect(outcomes[1].error?.message).toBe('Invalid "External Task ID" in item 1: "order-7" is also the ID of item 0');
		expect(create).toHaveBeenCalledTimes(1);
	});

	it('after a failed task, a changed External Task ID is used (the failed one is spent, the new one is not)', async () => {
		const nodeContext: IDataObject = {};
		const create = jest.fn(async (_r: string, _i: number, key: string | null) => task(`t-${key}`, 'submitted', { externalTaskId: key }));
		const get = jest.fn(async (id: string) => task(id, id === 't-job-1' ? 'failed' : 'succeeded', { statusMessage: id === 't-job-1' ? 'bad' : null }));
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated: jest.fn(async () => undefined), get };
		await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r', externalTaskId: 'job-1' }], once);
		const [same] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r', externalTaskId: 'job-1' }], once);
		expect(same.error?.message).toMatch(/External Task ID "job-1" failed earlier/);
		const [changed] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r', externalTaskId: 'job-2' }], once);
		expect(changed.task?.taskId).toBe('t-job-2');
		expect(create).toHaveBeenCalledTimes(2);
	});

	it('a refused create whose lookup fails too reports the refusal and keeps nothing pending', async () => {
		const nodeContext: IDataObject = {};
		const auth = () => withFailureKind(new NodeApiError(node, {}, { message: 'Kling code 1002 – Authorization is invalid' }), 'fatal');
		const api: TaskApi<string> = { provider: 'Kling', create: jest.fn().mockRejectedValue(auth()), findCreated: jest.fn().mockRejectedValue(auth()), get: jest.fn() };
		const [outcome] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(outcome.error?.message).toBe('Kling code 1002 – Authorization is invalid');
		expect(JSON.stringify(nodeContext)).not.toContain('pending');
	});

	it('a refused create is looked up by its key before failing: found → followed; nothing found → the refusal', async () => {
		const refused = () => withFailureKind(new NodeApiError(node, {}, { message: 'Kling code 1201 – some wording we do not know' }), 'fatal');
		const found = jest.fn().mockResolvedValueOnce(task('dup', 'processing'));
		const api: TaskApi<string> = { provider: 'Kling', create: jest.fn().mockRejectedValue(refused()), findCreated: found, get: jest.fn(async () => task('dup', 'succeeded')) };
		const [followed] = await runTasks(fakeContext(), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(followed.task?.taskId).toBe('dup');

		const nodeContext: IDataObject = {};
		const api2: TaskApi<string> = { provider: 'Kling', create: jest.fn().mockRejectedValue(refused()), findCreated: jest.fn(async () => undefined), get: jest.fn() };
		const [failed] = await runTasks(fakeContext(undefined, nodeContext), api2, [{ itemIndex: 0, request: 'r' }], once);
		expect(failed.error?.message).toMatch(/some wording we do not know/);
		expect(api2.create).toHaveBeenCalledTimes(1);
		// Nothing was created: the ledger does not hold it, so the next call may send it.
		const [again] = await runTasks(fakeContext(undefined, nodeContext), api2, [{ itemIndex: 0, request: 'r' }], once);
		expect(again.error?.message).toMatch(/some wording/);
		expect(api2.create).toHaveBeenCalledTimes(2);
	});
});

describe('runTasks after a create that may have reached the provider: "not found" is no proof', () => {
	const once = { wait: false, maxWaitMs: 30_000, stopOnFirstError: false };
	const duplicate = () => withFailureKind(new NodeApiError(node, {}, { message: 'Kling code 1201 – external_task_id already exists' }), 'fatal');

	it('sent again with the same key and refused: the lookups are spaced, then the item fails as "may exist", kept pending; the next call looks again, never with a new key', async () => {
		const nodeContext: IDataObject = {};
		const keys: Array<string | null> = [];
		const create = jest.fn(async (_r: string, _i: number, key: string | null) => {
			keys.push(key);
			throw keys.length === 1 ? ambiguous() : duplicate();
		});
		const lookups: number[] = [];
		const findCreated = jest.fn(async (): Promise<NormalizedTask | undefined> => {
			lookups.push(Date.now());
			return undefined;
		});
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated, get: jest.fn() };
		const [first] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		// Lookup, re-send (refused), then 4 lookups: at once, then after growing pauses.
		expect(create).toHaveBeenCalledTimes(2);
		expect(findCreated).toHaveBeenCalledTimes(5);
		const gaps = lookups.slice(2).map((t, n) => t - lookups[n + 1]);
		expect(gaps[0]).toBeGreaterThanOrEqual(450);
		expect(gaps[2]).toBeGreaterThanOrEqual(1_950);
		expect(first.error?.message).toBe(`The create's answer was lost; the Kling task may exist and be paid: external task id ${keys[0]}`);
		expect((first.error as NodeOperationError).description).toMatch(/^Sent again with the same external task id, the create was refused \(Kling code 1201 – external_task_id already exists\), and 4 lookups by that ID found no task/);
		expect(first.externalTaskId).toBe(keys[0]);
		expect(JSON.stringify(nodeContext)).toContain('"status":"pending"');

		// The next call (Retry On Fail, executions-list Retry): looked up, and this time found.
		findCreated.mockResolvedValueOnce(task('late', 'processing', { externalTaskId: keys[0] }));
		const [second] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(second.task?.taskId).toBe('late');
		expect(create).toHaveBeenCalledTimes(2);
		expect(new Set(keys).size).toBe(1);
	}, 20_000);

	it('a refused re-send whose key turns up on a later lookup is followed', async () => {
		const create = jest.fn().mockRejectedValueOnce(ambiguous()).mockRejectedValueOnce(duplicate());
		const findCreated = jest.fn().mockResolvedValueOnce(undefined).mockResolvedValueOnce(undefined).mockResolvedValue(task('t1', 'submitted'));
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated, get: jest.fn() };
		const [outcome] = await runTasks(fakeContext(), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(outcome.task?.taskId).toBe('t1');
		expect(create).toHaveBeenCalledTimes(2);
		expect(findCreated).toHaveBeenCalledTimes(3);
	});

	it('a rate-limited re-send keeps the lost create pending: the next call still looks it up', async () => {
		const nodeContext: IDataObject = {};
		const limited = () => withFailureKind(new NodeApiError(node, {}, { message: 'Kling code 1302' }), 'retryable');
		const create = jest.fn().mockRejectedValueOnce(ambiguous()).mockRejectedValue(limited());
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated: jest.fn(async () => undefined), get: jest.fn() };
		const [first] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], { ...once, maxWaitMs: 1_500 });
		expect(first.error).toBeDefined();
		expect(JSON.stringify(nodeContext)).toContain('"status":"pending"');
	});

	it('a key never sent before that is refused, and not found, is the refusal: nothing kept', async () => {
		const nodeContext: IDataObject = {};
		const api: TaskApi<string> = { provider: 'Kling', create: jest.fn().mockRejectedValue(duplicate()), findCreated: jest.fn(async () => undefined), get: jest.fn() };
		const [outcome] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], once);
		expect(outcome.error?.message).toMatch(/already exists/);
		expect(api.findCreated).toHaveBeenCalledTimes(1);
		expect(JSON.stringify(nodeContext)).not.toContain('pending');
	});

	it('a Get by external task ID carries that ID even when the task object leaves it out (a failed Kling task)', async () => {
		const api: TaskApi<string> = { provider: 'Kling', create: jest.fn(), get: jest.fn(async () => task('t9', 'failed', { statusMessage: 'Image pixel is invalid' })) };
		const [outcome] = await runTasks(fakeContext(), api, [{ itemIndex: 0, taskId: 'mine-1', externalTaskId: 'mine-1' }], { wait: true, maxWaitMs: 5_000, stopOnFirstError: false });
		expect(outcome.task?.externalTaskId).toBe('mine-1');
		expect(outcome.externalTaskId).toBe('mine-1');
		expect(outcome.taskId).toBe('t9');
	});
});

describe('a Retry of a stopped execution', () => {
	const stoppedRetry = (runExecutionData: unknown, mode = 'retry') =>
		({ ...fakeContext(), getMode: () => mode, runExecutionData }) as unknown as IExecuteFunctions;
	const cancelled = { resultData: { error: { name: 'ManualExecutionCancelledError', message: 'The execution was cancelled manually' } } };

	it('is recognised from the cancellation n8n keeps in the retried data, or from a node that runs first in its Retry', () => {
		expect(isRetryOfInterruptedRun(stoppedRetry(cancelled))).toBe(true);
		expect(isRetryOfInterruptedRun(stoppedRetry({ resultData: { error: { name: 'TimeoutExecutionCancelledError' } } }))).toBe(true);
		expect(isRetryOfInterruptedRun(stoppedRetry(cancelled, 'webhook'))).toBe(false);
		expect(isRetryOfInterruptedRun(stoppedRetry(undefined))).toBe(false); // an n8n without the field
		// A queue-mode worker that died: n8n recovers the execution as crashed (name kept or lost).
		expect(isRetryOfInterruptedRun(stoppedRetry({ resultData: { error: { name: 'WorkflowCrashedError', message: 'Workflow did not finish, possible out-of-memory issue' } } }))).toBe(true);
		expect(isRetryOfInterruptedRun(stoppedRetry({ resultData: { error: { message: 'Workflow did not finish, possible out-of-memory issue' } } }))).toBe(true);
		expect(isRetryOfInterruptedRun(stoppedRetry({ resultData: { error: { name: 'NodeApiError', message: 'Bad request' } } }))).toBe(false);
		// The Retry of a crashed worker's execution (2.41.1, as e2e/queue.mjs F1 saw it): run from the
		// trigger again (fresh runs beside the recovered ones), this node's crashed run removed.
		const now = Date.now();
		const crashedRetry = { resultData: { runData: { Webhook: [{ startTime: 1795971569, executionTime: 3 }, { startTime: now - 130, executionTime: 1 }], Node: [] } } };
		expect(isRetryOfInterruptedRun(stoppedRetry(crashedRetry))).toBe(true);
		const { Node: _crashed, ...otherNodeCrashed } = crashedRetry.resultData.runData;
		expect(isRetryOfInterruptedRun(stoppedRetry({ resultData: { runData: otherNodeCrashed } }))).toBe(false);
		const ranAt = (msAgo: number) => ({ resultData: { runData: { Trigger: [{ startTime: Date.now() - msAgo - 5, executionTime: 5 }] } } });
		// Saved with progress after the node before this one: nothing ran in this Retry yet.
		expect(isRetryOfInterruptedRun(stoppedRetry(ranAt(60_000)))).toBe(true);
		// A node before this one just ran in this Retry (it had failed): an ordinary Retry.
		expect(isRetryOfInterruptedRun(stoppedRetry(ranAt(50)))).toBe(false);
	});

	it('sends nothing it cannot look up first when the ledger is gone; a user key is looked up', async () => {
		const create = jest.fn(async () => task('t', 'submitted'));
		const api: TaskApi<string> = { provider: 'Kling', create, findCreated: jest.fn(async () => task('mine', 'succeeded')), get: jest.fn(async () => task('mine', 'succeeded')) };
		const outcomes = await runTasks(stoppedRetry(cancelled), api, [
			{ itemIndex: 0, request: 'a' },
			{ itemIndex: 1, request: 'b', externalTaskId: 'my-id' },
		], { wait: true, maxWaitMs: 5_000, schedule: fast, stopOnFirstError: false });
		expect(outcomes[0].error?.message).toMatch(/^This Retry repeats an execution that was stopped/);
		expect(outcomes[1].task?.taskId).toBe('mine');
		expect(create).not.toHaveBeenCalled();
	});
});

describe('runTasks early exits lose nothing', () => {
	it('one item fails without Continue On Fail: no new create, creates on the wire are awaited, and the error lists every task', async () => {
		const created: string[] = [];
		const api: TaskApi<string> = {
			provider: 'P',
			create: jest.fn(async (r: string) => {
				if (r === 'a') throw withFailureKind(new NodeApiError(node, {}, { message: 'quota' }), 'fatal');
				await new Promise((resolve) => setTimeout(resolve, 80));
				created.push(r);
				return task(`t-${r}`, 'submitted');
			}),
			get: jest.fn(async (id: string) => task(id, 'processing')),
		};
		const jobs = ['a', 'b', 'c', 'd'].map((request, itemIndex) => ({ itemIndex, request }));
		let thrown: Error | undefined;
		await runTasks(fakeContext(), api, jobs, { wait: true, maxWaitMs: 5_000, schedule: fast, stopOnFirstError: true, concurrency: 2 }).catch(
			(e: Error) => (thrown = e),
		);
		// 'a' failed at once; 'b' was on the wire and its answer was awaited; 'c' and 'd' never went out.
		expect(created).toEqual(['b']);
		expect(api.create).toHaveBeenCalledTimes(2);
		expect(thrown?.message).toBe('quota (1 P task of this batch exists: see details)');
		const description = (thrown as NodeApiError).description ?? '';
		expect(description).toContain('item 1: task t-b, submitted');
		expect(description).toContain('Not submitted (stopped first): items 2, 3.');
	});

	it('Max Wait: the last check is at the deadline, the message says how long it waited, and every running task is named', async () => {
		const polls: number[] = [];
		const started = Date.now();
		const api: TaskApi<number> = {
			provider: 'P',
			create: jest.fn(async (n: number) => task(`t${n}`, 'submitted')),
			get: jest.fn(async (id: string) => {
				polls.push(Date.now() - started);
				return task(id, 'processing');
			}),
		};
		let thrown: Error | undefined;
		await runTasks(
			fakeContext(),
			api,
			[0, 1, 2].map((n) => ({ itemIndex: n, request: n })),
			{ wait: true, maxWaitMs: 600, schedule: { minIntervalMs: 400, maxIntervalMs: 400, growth: 0 }, stopOnFirstError: true },
		).catch((e: Error) => (thrown = e));
		// Polls at 400 ms, then at the 600 ms deadline (the 800 ms poll would be after it).
		expect(Math.max(...polls)).toBeGreaterThanOrEqual(590);
		expect(thrown?.message).toMatch(/did not finish within Max Wait \(0\.6 s; waited 0\.6 s\)/);
		const description = (thrown as NodeOperationError).description ?? '';
		expect(description).toMatch(/item 0: task t0, processing\nitem 1: task t1, processing\nitem 2: task t2, processing/);
	});

	it('Stop during a create: the create is left pending (never re-sent blindly) and the cancellation lists it', async () => {
		const controller = new AbortController();
		const nodeContext: IDataObject = {};
		const api: TaskApi<string> = {
			provider: 'P',
			create: jest.fn(
				() =>
					new Promise<NormalizedTask>((_, reject) => {
						controller.signal.addEventListener('abort', () => reject(new ExecutionCancelledError(node)));
					}),
			),
			get: jest.fn(),
		};
		setTimeout(() => controller.abort(), 50);
		let thrown: Error | undefined;
		await runTasks(fakeContext(controller.signal, nodeContext), api, [{ itemIndex: 0, request: 'r' }], { wait: true, maxWaitMs: 5_000, stopOnFirstError: false }).catch(
			(e: Error) => (thrown = e),
		);
		expect(thrown).toBeInstanceOf(ExecutionCancelledError);
		expect(thrown?.message).toMatch(/1 create may have gone through/);
		expect((thrown as ExecutionCancelledError).description).toMatch(/item 0: task ID unknown, create sent at .*outcome unknown/);
		const [next] = await runTasks(fakeContext(undefined, nodeContext), api, [{ itemIndex: 0, request: 'r' }], { wait: true, maxWaitMs: 5_000, stopOnFirstError: false });
		expect(next.error?.message).toMatch(/may have been created/);
		expect(api.create).toHaveBeenCalledTimes(1);
	});
});
