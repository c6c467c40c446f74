import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { errorOf, fixture, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { createParams, klingCredentials, klingNode } from './kling.setup';

const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
const item = (json = {}) => ({ json, binary: { data: portrait, audio: voice } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Kling Avatar: failures, limits and the network', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 150, processingMs: 500, concurrencyLimit: 50 } });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('a failed task raises a NodeApiError with the provider reason and the task id', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(createParams({ prompt: 'please [[fail]]' })), [item()], klingCredentials(emulator));
		expect(run.status).toBe('error');
		const error = run.nodeError('Node');
		const taskId = emulator.kling.tasks()[0].taskId;
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toContain('Failure to pass the risk control system');
		expect(error?.message).toContain(taskId);
		expect(emulator.kling.counters.downloads).toBe(0);
	});

	it('Max Wait reached: NodeOperationError with the task id, telling to continue with Get', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 60_000;
		const run = await runNode(engine, klingNode(createParams({ maxWaitMinutes: 0.02 })), [item()], klingCredentials(emulator));
		expect(run.status).toBe('error');
		const error = run.nodeError('Node');
		const taskId = emulator.kling.tasks()[0].taskId;
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toContain(taskId);
		expect(error?.message).toMatch(/Continue with the Get operation/);
		expect(emulator.kling.counters.createRequests).toBe(1);
	});

	it('notices a cancelled execution within about a second and stops polling', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 60_000;
		const running = engine.start({ nodes: [klingNode(createParams())], connections: {}, items: [item(), item()], credentials: klingCredentials(emulator) });
		while (emulator.kling.counters.getRequests < 2) await sleep(50);
		const cancelledAt = Date.now();
		running.cancel();
		const run = await running.promise;
		const noticedAfter = Date.now() - cancelledAt;
		expect(run.status).toBe('canceled');
		expect(noticedAfter).toBeLessThan(1_500);
		const polls = emulator.kling.counters.getRequests;
		await sleep(1_500);
		expect(emulator.kling.counters.getRequests).toBe(polls);
	});

	it('a cancellation is not swallowed by continueOnFail', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 60_000;
		const node = klingNode(createParams(), { onError: 'continueRegularOutput' });
		const running = engine.start({ nodes: [node], connections: {}, items: [item()], credentials: klingCredentials(emulator) });
		while (emulator.kling.counters.getRequests < 1) await sleep(50);
		running.cancel();
		const run = await running.promise;
		expect(run.status).toBe('canceled');
		// The node threw the cancellation (n8n records it as the node's error) instead of
		// turning it into an error item; with Continue On Fail n8n itself then passes the input on.
		const task = run.runData.Node?.[0];
		expect(task?.error?.message).toMatch(/execution was cancelled/);
		const out = task?.data?.main?.[0] ?? [];
		expect(out.every((i) => i.json.taskId === undefined)).toBe(true);
	});

	it('continueOnFail: one output item per input, errors carry the task id and pairedItem', async () => {
		const { emulator, engine } = bed;
		const node = klingNode(createParams({ prompt: '={{ $json.prompt }}', downloadVideo: false }), { onError: 'continueRegularOutput' });
		const tiny = { data: fixture('tiny.png'), fileName: 'tiny.png', mimeType: 'image/png' };
		const run = await runNode(
			engine,
			node,
			[item({ prompt: 'ok' }), { json: { prompt: 'ok' }, binary: { data: tiny, audio: voice } }, item({ prompt: '[[fail]]' })],
			klingCredentials(emulator),
		);
		expect(run.status).toBe('success');
		const out = run.output('Node');
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[0].json.status).toBe('succeeded');
		expect(errorOf(out[1])?.message).toMatch(/Invalid "Image" in item 1: image is 100×100 px; each side must be at least 300 px/);
		expect(errorOf(out[2])?.message).toMatch(/failed: Failure to pass the risk control system/);
		expect(errorOf(out[2])?.taskId).toBe(emulator.kling.tasks().find((t) => t.prompt === '[[fail]]')?.taskId);
		expect(emulator.kling.counters.createRequests).toBe(2); // the invalid item was never sent
	});

	it('without continueOnFail, one invalid item stops the batch before anything is paid', async () => {
		const { emulator, engine } = bed;
		const gif = { data: fixture('anim.gif'), fileName: 'anim.gif', mimeType: 'image/gif' };
		const run = await runNode(engine, klingNode(createParams()), [item(), item(), { json: {}, binary: { data: gif, audio: voice } }], klingCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.nodeError('Node')?.message).toMatch(/item 2: image format is gif/);
		expect(emulator.kling.counters.createRequests).toBe(0);
	});

	it('429/1303 (concurrency limit) twice, then success: waits and creates exactly one task', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'create', fault: 'http429-1303', times: 2 });
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0].status).toBe('succeeded');
		expect(emulator.kling.counters.createRequests).toBe(3);
		expect(emulator.kling.counters.createAccepted).toBe(1);
	});

	it('queues beyond a real concurrency limit: 6 items, limit 2, all succeed, no duplicates', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.concurrencyLimit = 2;
		const items = Array.from({ length: 6 }, (_, n) => item({ n }));
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), items, klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run).every((j) => j.status === 'succeeded')).toBe(true);
		expect(emulator.kling.counters.createAccepted).toBe(6);
		expect(new Set(emulator.kling.tasks().map((t) => t.externalTaskId)).size).toBe(6);
	});

	it('a connection reset after the emulator accepted the create: exactly one task exists', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'create', fault: 'reset-after-accept' });
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(emulator.kling.counters.createAccepted).toBe(1);
		expect(emulator.kling.tasks()).toHaveLength(1);
		expect(jsonOf(run)[0]).toMatchObject({ taskId: emulator.kling.tasks()[0].taskId, status: 'succeeded' });
	});

	it('a 5xx on create is looked up before retrying: one task, whatever happened', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'create', fault: 'http500' });
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(emulator.kling.counters.createAccepted).toBe(1);
	});

	// Re-runs of a node (Retry On Fail, Executions-list Retry, Stop, tool retries): ledger.engine.test.ts.

	it('status requests failing with 5xx, 429/1302 and resets are retried', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'get', fault: 'http503-5001' });
		emulator.kling.inject({ route: 'get', fault: 'http429-1302' });
		emulator.kling.inject({ route: 'get', fault: 'reset' });
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0].status).toBe('succeeded');
		expect(emulator.kling.pendingFaults()).toHaveLength(0);
	});

	it('a cut-off download is retried and the final bytes are complete', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'download', fault: 'http500' });
		const run = await runNode(engine, klingNode(createParams()), [item()], klingCredentials(emulator));
		expect(run.status).toBe('success');
		const [out] = run.output('Node');
		expect((await run.binaryBuffer(out, 'video')).length).toBe(fixture('../../emulator/assets/sample.mp4').length);
	});

	it('lists with Return All across pages (newest first)', async () => {
		const { emulator, engine } = bed;
		const creds = klingCredentials(emulator);
		emulator.kling.config.processingMs = 5;
		emulator.kling.config.submittedMs = 5;
		// 503 tasks so Return All needs two pages of 500.
		const token = `Bearer ${emulator.kling.config.apiKey}`;
		for (let batch = 0; batch < 503; batch += 50) {
			await Promise.all(
				Array.from({ length: Math.min(50, 503 - batch) }, (_, n) =>
					fetch(`${emulator.url}/v1/videos/avatar/image2video`, {
						method: 'POST',
						headers: { Authorization: token, 'Content-Type': 'application/json' },
						body: JSON.stringify({ image: 'https://example.com/p.png', sound_file: 'https://example.com/v.mp3', external_task_id: `bulk-${batch + n}` }),
					}).then((r) => expect(r.status).toBe(200)),
				),
			);
		}
		const run = await runNode(
			engine,
			klingNode({ resource: 'avatarVideo', operation: 'list', returnAll: true }),
			[{ json: {} }],
			{ klingApi: { ...creds.klingApi, authentication: 'apiKey', apiKey: emulator.kling.config.apiKey } },
		);
		expect(run.status).toBe('success');
		const listed = jsonOf(run);
		expect(listed).toHaveLength(503);
		expect(new Set(listed.map((t) => t.taskId)).size).toBe(503);
		expect(emulator.kling.counters.listRequests).toBe(2);
		const created = listed.map((t) => Date.parse(String(t.createdAt)));
		expect([...created].sort((a, b) => b - a)).toEqual(created);

		const limited = await runNode(engine, klingNode({ resource: 'avatarVideo', operation: 'list', returnAll: false, limit: 7, pageNum: 2 }), [{ json: {} }], {
			klingApi: { ...creds.klingApi, authentication: 'apiKey', apiKey: emulator.kling.config.apiKey },
		});
		expect(jsonOf(limited)).toHaveLength(7);
		expect(jsonOf(limited)[0].taskId).toBe(listed[7].taskId);
	});
});
