import type { IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { withFailureKind } from '../../nodes/shared/errors';
import type { NormalizedTask, TaskStatus } from '../../nodes/shared/task';
import type { TaskApi } from '../../nodes/shared/taskEngine';
import { runTasks } from '../../nodes/shared/taskEngine';
import { pollingOptionFields } from '../../nodes/shared/waitOptions';
import { DEFAULT_POLL_SCHEDULE } from '../../nodes/shared/schedule';

const node: INode = { id: 'n', name: 'Node', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };

/** A minimal IExecuteFunctions: the engine only needs the node, a logger and the cancel signal. */
function fakeContext(signal = new AbortController().signal): IExecuteFunctions {
	return {
		getNode: () => node,
		getExecutionCancelSignal: () => signal,
		logger: { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined },
	} as unknown as IExecuteFunctions;
}

const task = (taskId: string, status: TaskStatus, extra: Partial<NormalizedTask> = {}): NormalizedTask => ({
	taskId,
	externalTaskId: null,
	status,
	statusMessage: null,
	videoUrl: null,
	watermarkVideoUrl: null,
	durationSeconds: null,
	unitsDeducted: null,
	createdAt: null,
	updatedAt: null,
	raw: {},
	...extra,
});

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
