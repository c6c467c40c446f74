/**
 * Never pay twice, never lose a paid task — whatever n8n does to the node. Every way n8n runs a
 * node again (shared/n8n-conventions.md §4.5b), through n8n-core's real WorkflowExecute with the
 * built package, against the emulator; each test counts the creates the emulator accepted per item.
 */
import type { IDataObject, INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { Emulator } from '../../emulator/server';
import type { InputItem, WorkflowRun } from '../harness/engine';
import { akoolKeyCredentials, akoolNode, videoParams } from './akool.setup';
import { createParams as klingParams, klingCredentials, klingNode } from './kling.setup';
import { createParams as mingyanParams, mingyanCredentials, mingyanNode } from './mingyan.setup';
import { MiB, pngOfSize } from '../fixtures/sizedMedia';
import { errorOf, fixture, runNode, startTestBed, statusOf, toolOfAgent, type TestBed } from './setup';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
const klingItem = (json: IDataObject = {}): InputItem => ({ json, binary: { data: portrait, audio: voice } });
/** Retry On Fail as the node's Settings tab sets it; n8n clamps the wait to 0–5000 ms. */
const retryOnFail = (maxTries: number): Partial<INode> => ({ retryOnFail: true, maxTries, waitBetweenTries: 0 });

/** Accepted creates per item, from the emulator's own records (which item = which prompt / URL). */
function klingCreatesBy(emulator: Emulator, key: (prompt: string) => string): Record<string, number> {
	const out: Record<string, number> = {};
	for (const t of emulator.kling.tasks()) out[key(t.prompt)] = (out[key(t.prompt)] ?? 0) + 1;
	return out;
}
const countBy = <T>(list: T[], key: (t: T) => string): Record<string, number> => {
	const out: Record<string, number> = {};
	for (const t of list) out[key(t)] = (out[key(t)] ?? 0) + 1;
	return out;
};
const descriptionOf = (error: Error | undefined) => String((error as { description?: unknown } | undefined)?.description ?? '');
const errorText = (error: Error | undefined) => `${error?.message ?? ''}\n${descriptionOf(error)}`;

type Provider = 'kling' | 'akool' | 'mingyan';
/**
 * A 3-item Create of one provider whose items differ (prompt or audio URL), with the node's own
 * extra parameters, and the IDs of the tasks the emulator created for it.
 */
function threeItems(emulator: Emulator, provider: Provider, extra: Record<string, unknown>) {
	const audioItems = [0, 1, 2].map((n) => ({ json: { audio: `${emulator.url}/assets/voice.mp3?${n}` } }));
	switch (provider) {
		case 'kling':
			return {
				node: klingNode(klingParams({ prompt: '={{ $json.n }}', downloadVideo: false, ...extra })),
				items: [0, 1, 2].map((n) => klingItem({ n })),
				credentials: klingCredentials(emulator),
				created: () => emulator.kling.tasks().map((t) => t.taskId),
			};
		case 'akool':
			return {
				node: akoolNode(videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false, ...extra })),
				items: audioItems,
				credentials: akoolKeyCredentials(emulator),
				created: () => emulator.akool.videos().map((v) => v._id),
			};
		case 'mingyan':
			return {
				node: mingyanNode(mingyanParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false, ...extra })),
				items: audioItems,
				credentials: mingyanCredentials(emulator),
				created: () => emulator.mingyan.tasks().map((t) => t.id),
			};
	}
}
/** Every provider's tasks take this long from now on. */
function slowTasks(emulator: Emulator, processingMs: number): void {
	emulator.kling.config.processingMs = processingMs;
	emulator.akool.config.processingMs = processingMs;
	emulator.mingyan.config.processingMs = processingMs;
}

describe('task ledger: every way n8n runs a node again', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({
			kling: { submittedMs: 100, processingMs: 400, concurrencyLimit: 50 },
			akool: { queueMs: 100, processingMs: 400 },
			mingyan: { queuedMs: 100, processingMs: 400 },
		});
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	describe('1. Retry On Fail, connection reset after the create was accepted', () => {
		it('Akool: 1 paid task; the retry does not send the create again and says the task may exist', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'create', fault: 'reset-after-accept' });
			const run = await runNode(engine, akoolNode(videoParams(emulator), retryOnFail(2)), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(emulator.akool.counters.createAccepted).toBe(1);
			expect(emulator.akool.counters.createRequests).toBe(1);
			expect(run.status).toBe('error');
			expect(run.nodeError('Node')?.message).toMatch(/An earlier run of this node sent this item's create at .*: the Akool task may have been created/);
			expect(descriptionOf(run.nodeError('Node'))).toMatch(/item 0: task ID unknown, create sent at .*outcome unknown/);
		});

		it('Mingyan: 1 paid task, the same way', async () => {
			const { emulator, engine } = bed;
			emulator.mingyan.inject({ route: 'create', fault: 'reset-after-accept' });
			const run = await runNode(engine, mingyanNode(mingyanParams(emulator), retryOnFail(3)), [{ json: {} }], mingyanCredentials(emulator));
			expect(emulator.mingyan.counters.createAccepted).toBe(1);
			expect(emulator.mingyan.counters.createRequests).toBe(1);
			expect(run.status).toBe('error');
			expect(run.nodeError('Node')?.message).toMatch(/the Mingyan task may have been created/);
		});

		it('Kling: 1 paid task, found by its external_task_id in the same call: the run succeeds', async () => {
			const { emulator, engine } = bed;
			emulator.kling.inject({ route: 'create', fault: 'reset-after-accept' });
			const run = await runNode(engine, klingNode(klingParams({ downloadVideo: false }), retryOnFail(2)), [klingItem()], klingCredentials(emulator));
			expect(run.status).toBe('success');
			expect(emulator.kling.counters.createAccepted).toBe(1);
			expect(run.output('Node')[0].json.taskId).toBe(emulator.kling.tasks()[0].taskId);
		});
	});

	describe('2. Retry On Fail with an item the provider fails', () => {
		it('Akool, 3 items, 2 tries: each succeeding item is paid once; only the failed item gets a fresh task per try', async () => {
			const { emulator, engine } = bed;
			const params = videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false });
			const items = ['fail-voice.mp3', 'voice.mp3?b', 'voice.mp3?c'].map((f) => ({ json: { audio: `${emulator.url}/assets/${f}` } }));
			const run = await runNode(engine, akoolNode(params, retryOnFail(2)), items, akoolKeyCredentials(emulator));
			expect(run.status).toBe('error');
			expect(countBy(emulator.akool.videos(), (v) => v.audioUrl.split('/').pop() as string)).toEqual({ 'fail-voice.mp3': 2, 'voice.mp3?b': 1, 'voice.mp3?c': 1 });
			// The error of the last try names every task of the batch, the earlier failed one included.
			const text = errorText(run.nodeError('Node'));
			for (const v of emulator.akool.videos()) expect(text).toContain(v._id);
		});

		it('Continue On Fail + Retry On Fail (3 tries), failing item first (n8n re-runs the node while item 0 carries an error): Akool 3 + 1 + 1', async () => {
			const { emulator, engine } = bed;
			const params = videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false });
			const items = ['fail-voice.mp3', 'voice.mp3?b', 'voice.mp3?c'].map((f) => ({ json: { audio: `${emulator.url}/assets/${f}` } }));
			const run = await runNode(engine, akoolNode(params, { ...retryOnFail(3), onError: 'continueRegularOutput' }), items, akoolKeyCredentials(emulator));
			expect(run.status).toBe('success');
			expect(countBy(emulator.akool.videos(), (v) => v.audioUrl.split('/').pop() as string)).toEqual({ 'fail-voice.mp3': 3, 'voice.mp3?b': 1, 'voice.mp3?c': 1 });
			const out = run.output('Node');
			expect(out.map(statusOf)).toEqual(['failed', 'succeeded', 'succeeded']);
			expect(errorOf(out[0])?.message).toMatch(/Audio could not be processed/);
		});

		it('Continue On Fail + Retry On Fail (3 tries), failing item first: Mingyan 3 + 1 + 1', async () => {
			const { emulator, engine } = bed;
			const params = mingyanParams(emulator, { videoUrl: '={{ $json.video }}', downloadVideo: false });
			const items = ['mingyan-fail.mp4', 'sample.mp4?b', 'sample.mp4?c'].map((f) => ({ json: { video: `${emulator.url}/assets/${f}` } }));
			const run = await runNode(engine, mingyanNode(params, { ...retryOnFail(3), onError: 'continueRegularOutput' }), items, mingyanCredentials(emulator));
			expect(run.status).toBe('success');
			expect(countBy(emulator.mingyan.tasks(), (t) => t.videoUrl.split('/').pop() as string)).toEqual({ 'mingyan-fail.mp4': 3, 'sample.mp4?b': 1, 'sample.mp4?c': 1 });
		});
	});

	describe('3 + 4. One item fails, the rest keep running; Retry of the execution collects them', () => {
		it('Kling: the error names all 3 tasks at once; the Executions-list Retry pays only for the failed item', async () => {
			const { emulator, engine } = bed;
			const failedOnce = new Set<string>();
			emulator.kling.config.shouldFail = (t) => {
				if (!t.prompt.includes('[[transient]]') || failedOnce.has(t.prompt)) return null;
				failedOnce.add(t.prompt);
				return 'Internal error, please retry';
			};
			emulator.kling.config.durationFor = (t) => (t.prompt.includes('[[transient]]') ? { submittedMs: 0, processingMs: 50 } : { submittedMs: 500, processingMs: 2_500 });
			const node = klingNode(klingParams({ prompt: '={{ $json.prompt }}', downloadVideo: false }));
			const workflow = { nodes: [node], connections: {} };
			const items = ['first [[transient]]', 'second', 'third'].map((prompt) => klingItem({ prompt }));
			const first = await engine.run({ ...workflow, items, credentials: klingCredentials(emulator) });
			expect(first.status).toBe('error');
			expect(first.durationMs).toBeLessThan(2_500); // does not wait for the others
			const error = first.nodeError('Node');
			expect(error).toBeInstanceOf(NodeApiError);
			expect(error?.message).toMatch(/failed: Internal error, please retry \(3 Kling tasks of this batch exist: see details\)/);
			const tasks = emulator.kling.tasks();
			expect(tasks).toHaveLength(3);
			for (const t of tasks) expect(descriptionOf(error)).toContain(`task ${t.taskId} (external ${t.externalTaskId})`);

			const retried = await engine.run({ ...workflow, retryOf: first, credentials: klingCredentials(emulator) });
			expect(retried.status).toBe('success');
			expect(retried.output('Node').map((i) => i.json.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
			expect(klingCreatesBy(emulator, (p) => p)).toEqual({ 'first [[transient]]': 2, second: 1, third: 1 });
			// The fresh task for the failed item has a fresh external_task_id: the old one keeps the failed task.
			const [failed, fresh] = emulator.kling.tasks().filter((t) => t.prompt.includes('transient'));
			expect(fresh.externalTaskId).toMatch(/^n8n-\d+-[0-9a-f]{16}$/);
			expect(fresh.externalTaskId).not.toBe(failed.externalTaskId);
		});
	});

	describe('4. Executions-list Retry after Max Wait: the first tasks are followed, never created again', () => {
		const MAX_WAIT_MIN = 0.02; // 1.2 s

		it.each([
			['Kling', 'kling'],
			['Akool', 'akool'],
			['Mingyan', 'mingyan'],
		] as const)('%s, 3 items still running at Max Wait', async (_name, provider) => {
			const { emulator, engine } = bed;
			slowTasks(emulator, 2_500);
			const { node, items, credentials, created: ids } = threeItems(emulator, provider, { maxWaitMinutes: MAX_WAIT_MIN });
			const first = await engine.run({ nodes: [node], connections: {}, items, credentials });
			expect(first.status).toBe('error');
			const error = first.nodeError('Node');
			expect(error).toBeInstanceOf(NodeOperationError);
			// Max Wait is exact: the last check is at the deadline, and the message says how long it waited.
			expect(error?.message).toMatch(/did not finish within Max Wait \(1\.2 s; waited 1\.[2-4] s\)/);
			expect(ids()).toHaveLength(3);
			for (const id of ids()) expect(descriptionOf(error)).toContain(`task ${id}`);

			await sleep(2_000); // the tasks end meanwhile
			const retried = await engine.run({ nodes: [node], connections: {}, retryOf: first, credentials });
			expect(retried.status).toBe('success');
			expect(retried.output('Node').map((i) => i.json.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
			expect(retried.output('Node').map((i) => i.json.taskId).sort()).toEqual([...ids()].sort());
			expect(ids()).toHaveLength(3); // 1 accepted create per item over both executions
		});
	});

	describe('5. A failed task is not an answer forever', () => {
		it('Kling, transient failure + Retry On Fail (3 tries): the second try creates a fresh task, which succeeds', async () => {
			const { emulator, engine } = bed;
			let failures = 0;
			emulator.kling.config.shouldFail = () => (failures++ === 0 ? 'Internal error, please retry' : null);
			const run = await runNode(engine, klingNode(klingParams({ downloadVideo: false }), retryOnFail(3)), [klingItem()], klingCredentials(emulator));
			expect(run.status).toBe('success');
			const tasks = emulator.kling.tasks();
			expect(tasks.map((t) => t.status)).toEqual(['failed', 'succeed']);
			expect(run.output('Node')[0].json.taskId).toBe(tasks[1].taskId);
		});

		it('Kling, a user-given External Task ID reused in a later execution: its old failure is reported as old, nothing is created', async () => {
			const { emulator, engine } = bed;
			const node = klingNode(klingParams({ prompt: '[[fail]]', downloadVideo: false, options: { externalTaskId: 'campaign-42' } }));
			const yesterday = await runNode(engine, node, [klingItem()], klingCredentials(emulator));
			expect(yesterday.status).toBe('error');
			const today = await runNode(engine, node, [klingItem()], klingCredentials(emulator));
			expect(today.status).toBe('error');
			const message = today.nodeError('Node')?.message ?? '';
			expect(message).toMatch(/^The Kling task with External Task ID "campaign-42" failed earlier \(created 20\d\d-.*\): Failure to pass the risk control system/);
			expect(descriptionOf(today.nodeError('Node'))).toMatch(/Set a new External Task ID/);
			expect(emulator.kling.counters.createRequests).toBe(1);
		});

		it('Kling, a user-given External Task ID of a task that succeeded earlier: the existing task is returned, nothing is created', async () => {
			const { emulator, engine } = bed;
			const node = klingNode(klingParams({ downloadVideo: false, options: { externalTaskId: 'campaign-43' } }));
			const first = await runNode(engine, node, [klingItem()], klingCredentials(emulator));
			const second = await runNode(engine, node, [klingItem()], klingCredentials(emulator));
			expect(second.status).toBe('success');
			expect(second.output('Node')[0].json.taskId).toBe(first.output('Node')[0].json.taskId);
			expect(emulator.kling.counters.createRequests).toBe(1);
		});
	});

	describe('6. Stop and the execution timeout', () => {
		it('Stop while a create is still uploading: the upload is aborted, nothing lands; the error lists it; Retry creates it once', async () => {
			const { emulator, engine } = bed;
			// A 6 MB portrait (8 MB of Base64) read at 1 MB/s: more than loopback's socket buffers
			// hold, so the node is still sending when Stop comes.
			emulator.uploadBytesPerSecond = 1024 * 1024;
			const big = { data: pngOfSize(fixture('portrait.png'), 6 * MiB), fileName: 'big.png', mimeType: 'image/png' };
			const node = klingNode(klingParams({ downloadVideo: false }));
			const items: InputItem[] = [{ json: {}, binary: { data: big, audio: voice } }];
			const running = engine.start({ nodes: [node], connections: {}, items, credentials: klingCredentials(emulator) });
			await sleep(1_500);
			const stoppedAt = Date.now();
			running.cancel();
			const run = await running.promise;
			expect(run.status).toBe('canceled');
			expect(Date.now() - stoppedAt).toBeLessThan(1_500);
			while (emulator.abortedUploads < 1 && Date.now() - stoppedAt < 15_000) await sleep(100);
			expect(emulator.abortedUploads).toBe(1);
			expect(emulator.kling.counters.createRequests).toBe(0);
			expect(emulator.kling.counters.createAccepted).toBe(0);
			const error = run.runData.Node?.[0]?.error;
			expect(error?.message).toMatch(/cancelled.*1 create may have gone through/);
			expect(String(error?.description)).toMatch(/item 0: task ID unknown \(external n8n-\d+-[0-9a-f]{16}\), create sent at/);

			// A Retry from the data n8n-core has (the ledger's pending create): the lookup by its
			// external_task_id finds nothing at Kling, so it is sent once.
			emulator.uploadBytesPerSecond = null;
			const retried = await engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: klingCredentials(emulator) });
			expect(retried.output('Node').map((i) => i.json.status)).toEqual(['succeeded']);
			expect(emulator.kling.counters.createAccepted).toBe(1);
			expect(emulator.kling.counters.getRequests).toBeGreaterThanOrEqual(2); // the lookup, then polls
		});

		it('Stop after the create was sent but before its answer: the task lands, and the Retry finds it instead of paying again', async () => {
			const { emulator, engine } = bed;
			emulator.kling.inject({ route: 'create', fault: 'delay', delayMs: 1_500 });
			const node = klingNode(klingParams({ downloadVideo: false }));
			const running = engine.start({ nodes: [node], connections: {}, items: [klingItem()], credentials: klingCredentials(emulator) });
			while (emulator.kling.counters.createRequests < 1) await sleep(20);
			running.cancel();
			const run = await running.promise;
			expect(run.status).toBe('canceled');
			await sleep(2_000);
			expect(emulator.kling.counters.createAccepted).toBe(1); // it landed after Stop
			const retried = await engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: klingCredentials(emulator) });
			expect(retried.output('Node')[0].json.taskId).toBe(emulator.kling.tasks()[0].taskId);
			expect(emulator.kling.counters.createAccepted).toBe(1);
		});

		it.each(['kling', 'akool', 'mingyan'] as const)(
			'%s: Stop with 3 running tasks: the execution record names them; a Retry from what n8n keeps of a stopped execution sends nothing blindly',
			async (provider) => {
				const { emulator, engine } = bed;
				slowTasks(emulator, 2_000);
				const { node, items, credentials, created } = threeItems(emulator, provider, {});
				const running = engine.start({ nodes: [node], connections: {}, items, credentials });
				while (created().length < 3) await sleep(20);
				await sleep(200);
				running.cancel();
				const stopped = await running.promise;
				expect(stopped.status).toBe('canceled');
				const ids = created();
				// The execution's custom data (n8n saves it apart from the run data) names every task.
				const record = String(stopped.raw.data.resultData.metadata?.tasks_Node ?? '');
				expect(record.split(' ').slice(1).map((e) => e.split(':')[1]).sort()).toEqual([...ids].sort());
				// The node's own error (which n8n 2.41.1 does not save for a Stop) says how to collect them.
				const error = stopped.runData.Node?.[0]?.error;
				expect(String(error?.description)).toMatch(/keep running at .*collect the ones with a task ID with the Get operation/);
				// n8n 2.41.1 re-saves a stopped execution without the node's data; its Retry runs the whole
				// workflow again with no ledger. The node sees it is such a Retry and sends nothing.
				const retried = await engine.run({ nodes: [node], connections: {}, retryOf: stopped, retryKept: 'lostNodeState', credentials });
				expect(retried.nodeError('Node')?.message).toMatch(/^This Retry repeats an execution that was stopped \(or whose worker died\), and n8n kept no record of this node/);
				expect(created()).toEqual(ids);
			},
		);

		it('a Retry of that refused Retry refuses too (the ledger remembers the lost record)', async () => {
			const { emulator, engine } = bed;
			slowTasks(emulator, 1_500);
			const { node, items, credentials, created } = threeItems(emulator, 'kling', {});
			const running = engine.start({ nodes: [node], connections: {}, items, credentials });
			while (created().length < 3) await sleep(20);
			running.cancel();
			const stopped = await running.promise;
			const first = await engine.run({ nodes: [node], connections: {}, retryOf: stopped, retryKept: 'lostNodeState', credentials });
			const second = await engine.run({ nodes: [node], connections: {}, retryOf: first, credentials });
			expect(second.nodeError('Node')?.message).toMatch(/^This Retry repeats an execution that was stopped/);
			expect(created()).toHaveLength(3);
		});

		it('"Save execution progress": the stopped node comes first in the Retry, with no ledger, and sends nothing; a Retry after a failure before it creates', async () => {
			const { emulator, engine } = bed;
			slowTasks(emulator, 1_500);
			const { node, items, credentials, created } = threeItems(emulator, 'akool', {});
			const gate: INode = { id: 'gate', name: 'Gate', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
			const workflow = { nodes: [gate, node], connections: { Gate: { main: [[{ node: 'Node', type: 'main' as const, index: 0 }]] } } };
			const running = engine.start({ ...workflow, items, credentials });
			while (created().length < 3) await sleep(20);
			running.cancel();
			const stopped = await running.promise;
			// What n8n saved after Gate (progress saving): Gate's run, Node on the stack, no ledger.
			const saved = JSON.parse(JSON.stringify(stopped.raw.data)) as typeof stopped.raw.data;
			delete saved.executionData!.contextData['node:Node'];
			delete saved.resultData.runData.Node;
			delete saved.resultData.error;
			saved.resultData.lastNodeExecuted = 'Gate';
			saved.executionData!.nodeExecutionStack = [{ node, data: { main: [stopped.runData.Gate[0].data!.main[0]!] }, source: { main: [{ previousNode: 'Gate' }] } }];
			await sleep(3_200); // a Retry comes later than a node's successor would
			const progressRun = { ...stopped, raw: { ...stopped.raw, data: saved } };
			const retried = await engine.run({ ...workflow, retryOf: progressRun, credentials });
			expect(retried.nodeError('Node')?.message).toMatch(/^This Retry repeats an execution that was stopped/);
			expect(created()).toHaveLength(3);

			// The same Retry where Gate failed (it runs again first): the node runs right after it and creates.
			const failedAtGate = JSON.parse(JSON.stringify(saved)) as typeof saved;
			failedAtGate.executionData!.nodeExecutionStack = [{ node: gate, data: { main: [items.map((i) => ({ json: i.json ?? {} }))] }, source: null }];
			delete failedAtGate.resultData.runData.Gate;
			await engine.run({ ...workflow, retryOf: { ...stopped, raw: { ...stopped.raw, data: failedAtGate } }, credentials });
			expect(created()).toHaveLength(6);
		});

		it('a loop (the node run twice in one execution) with the same request: a new task per round, each round retried on its own', async () => {
			const { emulator, engine } = bed;
			const kling = klingNode(klingParams({ downloadVideo: false }), { name: 'Kling' });
			const stand = (name: string): INode => ({ id: name, name, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} });
			const trigger: INode = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
			const to = (node: string) => ({ main: [[{ node, type: 'main' as const, index: 0 }]] });
			const run = await engine.run({
				nodes: [trigger, stand('Round 1'), stand('Round 2'), kling],
				connections: { Start: { main: [[{ node: 'Round 1', type: 'main', index: 0 }, { node: 'Round 2', type: 'main', index: 0 }]] }, 'Round 1': to('Kling'), 'Round 2': to('Kling') },
				items: [klingItem()],
				credentials: klingCredentials(emulator),
			});
			expect(run.status).toBe('success');
			expect(run.runData.Kling).toHaveLength(2);
			expect(emulator.kling.counters.createAccepted).toBe(2);
			const [first, second] = run.runData.Kling.map((r) => r.data?.main?.[0]?.[0]?.json.taskId);
			expect(first).not.toBe(second);
			// The ledger keeps only the last round (the earlier one is never run again).
			const ledger = (run.raw.data.executionData?.contextData?.['node:Kling'] as IDataObject)?.taskLedger as { items: Record<string, unknown> };
			expect(Object.keys(ledger.items)).toHaveLength(1);
		});

		it('Kling with Callback URL = {{ $execution.resumeUrl }}: the Retry (a new execution ID) still follows the same tasks', async () => {
			const { emulator, engine } = bed;
			emulator.kling.config.processingMs = 2_000;
			const node = klingNode(klingParams({ prompt: '={{ $json.n }}', maxWaitMinutes: 0.01, downloadVideo: false, options: { callbackUrl: '={{ $execution.resumeUrl }}' } }));
			const items = [0, 1].map((n) => klingItem({ n }));
			const first = await engine.run({ nodes: [node], connections: {}, items, credentials: klingCredentials(emulator) });
			expect(first.status).toBe('error');
			await sleep(2_000);
			const retried = await engine.run({ nodes: [node], connections: {}, retryOf: first, credentials: klingCredentials(emulator) });
			expect(retried.output('Node').map((i) => i.json.status)).toEqual(['succeeded', 'succeeded']);
			expect(emulator.kling.counters.createAccepted).toBe(2);
		});

		it('Get of a failed task: the error does not promise a new task', async () => {
			const { emulator, engine } = bed;
			const created = await runNode(engine, klingNode(klingParams({ prompt: '[[fail]]', waitForCompletion: false, downloadVideo: false })), [klingItem()], klingCredentials(emulator));
			const taskId = String(created.output('Node')[0].json.taskId);
			await sleep(700);
			const get = klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId, waitForCompletion: true, maxWaitMinutes: 1, downloadVideo: false, options: { pollMinIntervalSeconds: 0.2 } });
			const run = await runNode(engine, get, [{ json: {} }, { json: {} }], klingCredentials(emulator));
			const error = run.nodeError('Node');
			expect(error?.message).toMatch(/failed: Failure to pass the risk control system/);
			expect(descriptionOf(error)).not.toMatch(/creates a new task|without paying/);
			expect(descriptionOf(error).match(new RegExp(`^item \\d+: task ${taskId}`, 'gm'))).toHaveLength(1); // two Get items, one task: listed once
		});

		it('Akool, execution timeout with 2 running tasks: both are listed; the Retry follows them', async () => {
			const { emulator, engine } = bed;
			emulator.akool.config.processingMs = 2_000;
			const node = akoolNode(videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false }));
			const items = [0, 1].map((n) => ({ json: { audio: `${emulator.url}/assets/voice.mp3?${n}` } }));
			const run = await engine.run({ nodes: [node], connections: {}, items, credentials: akoolKeyCredentials(emulator), timeoutMs: 1_000 });
			expect(run.status).toBe('canceled');
			const error = run.runData.Node?.[0]?.error;
			expect(error?.message).toMatch(/2 Akool tasks of this batch exist/);
			for (const v of emulator.akool.videos()) expect(String(error?.description)).toContain(`task ${v._id}`);
			const retried = await engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: akoolKeyCredentials(emulator) });
			expect(retried.status).toBe('success');
			expect(emulator.akool.counters.createAccepted).toBe(2);
		});
	});

	describe('AI Agent tool calls retried by n8n-core (createNodeAsTool, Retry On Fail)', () => {
		it('Kling as a tool: the first call hits Max Wait, the retry follows the same task: 1 paid task', async () => {
			const { emulator, engine } = bed;
			emulator.kling.config.processingMs = 1_500;
			const params = klingParams({
				imageSource: 'url',
				imageUrl: `${emulator.url}/assets/portrait.jpg`,
				audioSource: 'url',
				audioUrl: `${emulator.url}/assets/voice.mp3`,
				maxWaitMinutes: 0.01,
				downloadVideo: false,
			});
			const tool = klingNode(params, { name: 'Kling', type: 'n8n-nodes-talking-avatar.klingAvatarTool', ...retryOnFail(3), waitBetweenTries: 1_000 });
			const run = await engine.run({ ...toolOfAgent(tool), credentials: klingCredentials(emulator) });
			expect(run.status).toBe('success');
			const response = String(run.output('Agent')[0].json.response);
			expect(response).toContain('"status":"succeeded"');
			expect(emulator.kling.counters.createAccepted).toBe(1);
			expect(response).toContain(emulator.kling.tasks()[0].taskId);
		});

		it('Akool as a tool, reset after accept: the retries never send the create again', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'create', fault: 'reset-after-accept' });
			const tool = akoolNode(videoParams(emulator, { downloadVideo: false }), { name: 'Akool', type: 'n8n-nodes-talking-avatar.akoolTool', ...retryOnFail(3) });
			const run = await engine.run({ ...toolOfAgent(tool), credentials: akoolKeyCredentials(emulator) });
			expect(run.status).toBe('success');
			expect(String(run.output('Agent')[0].json.response)).toMatch(/may have been created/);
			expect(emulator.akool.counters.createRequests).toBe(1);
			expect(emulator.akool.counters.createAccepted).toBe(1);
		});
	});

	it('a run after Retry keeps the ledger in the saved execution data (what the Executions list hands to a Retry)', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 2_000;
		const node = klingNode(klingParams({ maxWaitMinutes: 0.01, downloadVideo: false }));
		const run: WorkflowRun = await engine.run({ nodes: [node], connections: {}, items: [klingItem()], credentials: klingCredentials(emulator) });
		const context = JSON.parse(JSON.stringify(run.raw.data.executionData?.contextData ?? {})) as IDataObject;
		const ledger = (context['node:Node'] as IDataObject)?.taskLedger as { items: Record<string, { attempts: Array<{ taskId: string }> }> };
		expect(Object.values(ledger.items).map((i) => i.attempts.map((a) => a.taskId))).toEqual([[emulator.kling.tasks()[0].taskId]]);
	});
});
