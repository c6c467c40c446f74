/**
 * Wait By → Provider Callback, the execute() side, through the real n8n engine: submit, check
 * once, park (putExecutionToWait) with the Max Wait output on the stack entry. The resume side
 * (webhook() called by n8n's /webhook-waiting route) needs a real n8n server: e2e/callback-wait.mjs.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { akoolKeyCredentials, akoolNode, videoParams } from './akool.setup';
import { createParams as klingParams, klingCredentials, klingNode } from './kling.setup';
import { fixture, runNode, startTestBed, toolOfAgent, type TestBed } from './setup';

const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ json: { n: i }, binary: { data: portrait, audio: voice } }));
const COMET_ROOT = 'https://api.cometapi.com/kling';
const callbackParams = (extra: IDataObject = {}) => klingParams({ waitBy: 'callback', maxWaitMinutes: 2, prompt: '={{ "item " + $json.n }}', ...extra });

describe('Kling Avatar → Create, Wait By → Provider Callback (execute side)', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 200, processingMs: 20_000, concurrencyLimit: 50 } });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => {
		bed.emulator.reset();
		bed.emulator.kling.config.concurrencyLimit = 50;
		bed.emulator.kling.config.processingMs = 20_000;
	});

	it('submits the batch with this execution\'s resume URL + node ID, checks each task once and parks the execution', async () => {
		const { emulator, engine } = bed;
		const started = Date.now();
		const run = await runNode(engine, klingNode(callbackParams()), items(3), klingCredentials(emulator));
		// Parked, not polling: the run returned long before the 20 s tasks end.
		expect(run.raw.status).toBe('waiting');
		expect(Date.now() - started).toBeLessThan(10_000);
		const waitTill = new Date(run.raw.waitTill as Date).getTime();
		expect(waitTill).toBeGreaterThan(started + 2 * 60_000 - 5_000);
		expect(waitTill).toBeLessThan(Date.now() + 2 * 60_000 + 1_000);

		const tasks = emulator.kling.tasks();
		expect(tasks).toHaveLength(3);
		expect(emulator.kling.counters.createRequests).toBe(3);
		// Each task read once before parking, and nothing else.
		expect(emulator.kling.counters.getRequests).toBe(3);
		// n8n-core 2.41's resume URL carries ?signature=<the execution's resume token>, kept after the node ID.
		const token = String(run.raw.data.resumeToken ?? '');
		expect(token).toMatch(/^[0-9a-f]{64}$/);
		for (const t of tasks) expect(t.callbackUrl).toBe(`http://localhost:5678/webhook-waiting/${run.executionId}/klingAvatar-Node?signature=${token}`);

		// What the node shows while the execution waits.
		const waiting = run.output('Node');
		expect(waiting.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(waiting.map((i) => i.json.status)).toEqual(['waiting', 'waiting', 'waiting']);
		expect(waiting.map((i) => i.json.taskId).sort()).toEqual(tasks.map((t) => t.taskId).sort());

		// What a Max Wait wake-up passes on: n8n re-pushes the live stack entry (research §3.3).
		const stack = run.raw.data.executionData?.nodeExecutionStack ?? [];
		expect(stack[0]?.node.name).toBe('Node');
		const onTimeout = stack[0].data.main[0] as INodeExecutionData[];
		expect(onTimeout.map((i) => i.json.status)).toEqual(['timedOut', 'timedOut', 'timedOut']);
		expect(onTimeout.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(String(onTimeout[0].json.next)).toMatch(/^Use Avatar Video → Get with Task ID /);

		// The round its callbacks read, saved with the execution (the node's context).
		const round = run.raw.data.executionData?.contextData?.['node:Node']?.callbackWait as IDataObject;
		expect(round).toMatchObject({ version: 1, provider: 'Kling', run: '0' });
		expect((round.tasks as IDataObject[]).map((t) => t.taskId)).toEqual(waiting.map((i) => i.json.taskId));
		expect((round.tasks as IDataObject[])[0]).toMatchObject({ itemIndex: 0, download: true, videoProperty: 'video' });
	});

	it('returns the results at once when every task has ended by the check (no wait), videos downloaded', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.submittedMs = 0;
		emulator.kling.config.processingMs = 0;
		const run = await runNode(engine, klingNode(callbackParams()), items(2), klingCredentials(emulator));
		expect(run.raw.status).not.toBe('waiting');
		expect(run.raw.waitTill).toBeFalsy();
		expect(run.status).toBe('success');
		const out = run.output('Node');
		expect(out.map((i) => i.json.status)).toEqual(['succeeded', 'succeeded']);
		expect(out.every((i) => i.binary?.video)).toBe(true);
		expect(emulator.kling.counters.createAccepted).toBe(2);
	});

	it('keeps items refused before sending as error items, in place, and waits on the others', async () => {
		const { emulator, engine } = bed;
		const input = items(3);
		delete (input[1] as { binary?: unknown }).binary; // item 1 has no image: refused before anything is sent
		const run = await runNode(engine, klingNode(callbackParams(), { onError: 'continueRegularOutput' }), input, klingCredentials(emulator));
		expect(run.raw.status).toBe('waiting');
		expect(emulator.kling.counters.createRequests).toBe(2);
		const out = run.output('Node');
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[1].json.error).toMatchObject({ itemIndex: 1 });
		const onTimeout = run.raw.data.executionData?.nodeExecutionStack[0].data.main[0] as INodeExecutionData[];
		expect(onTimeout[1].json.error).toMatchObject({ itemIndex: 1 });
		expect(onTimeout.map((i) => i.json.status)).toEqual(['timedOut', undefined, 'timedOut']);
	});

	it('polls as usual with Wait By → Polling (the default)', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 300;
		const run = await runNode(engine, klingNode(klingParams({ downloadVideo: false })), items(1), klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(run.raw.status).not.toBe('waiting');
		expect(run.output('Node')[0].json.status).toBe('succeeded');
		expect(emulator.kling.tasks()[0].callbackUrl).toBeNull();
	});

	it('polls as an AI Agent tool, where a call cannot park the execution', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 300;
		const params = klingParams({
			waitBy: 'callback',
			imageSource: 'url',
			imageUrl: "={{ $fromAI('imageUrl', 'A public URL of the portrait', 'string') }}",
			audioSource: 'url',
			audioUrl: "={{ $fromAI('audioUrl', 'A public URL of the voice track', 'string') }}",
		});
		const tool = klingNode(params, { name: 'Kling', type: 'n8n-nodes-talking-avatar.klingAvatarTool' });
		const run = await engine.run({ ...toolOfAgent(tool, { imageUrl: `${emulator.url}/assets/portrait.jpg`, audioUrl: `${emulator.url}/assets/voice.mp3` }), credentials: klingCredentials(emulator) });
		expect(run.status).toBe('success');
		expect(run.raw.status).not.toBe('waiting');
		const response = JSON.parse(String(run.output('Agent')[0].json.response)) as Array<Record<string, unknown>>;
		expect(response[0]).toMatchObject({ status: 'succeeded' });
		expect(emulator.kling.tasks()[0].callbackUrl).toBeNull();
	});

	it('a Retry that follows tasks an earlier run created (their callbacks go to that run) polls them, and pays for nothing twice', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 1_500;
		emulator.kling.inject({ route: 'create', fault: 'http429-1102' }); // one create refused: "balance not enough"
		const workflow = { nodes: [klingNode(callbackParams({ downloadVideo: false }))], connections: {} };
		const first = await engine.run({ ...workflow, items: items(3), credentials: klingCredentials(emulator) });
		expect(first.status).toBe('error');
		expect(emulator.kling.counters.createAccepted).toBe(2);
		const earlier = emulator.kling.tasks().map((t) => t.callbackUrl);
		expect(earlier.every((url) => url?.includes(`/webhook-waiting/${first.executionId}/`))).toBe(true);

		const retried = await engine.run({ ...workflow, retryOf: first, credentials: klingCredentials(emulator) });
		expect(retried.raw.status).not.toBe('waiting');
		expect(retried.status).toBe('success');
		expect(retried.output('Node').map((i) => i.json.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
		// 2 tasks followed, only the refused item created: 3 tasks in all.
		expect(emulator.kling.counters.createAccepted).toBe(3);
		expect(emulator.kling.tasks()).toHaveLength(3);
	});

	it('counts a task that failed by the check as ended: parks for the others, or returns at once with error items', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.durationFor = (t) => (t.prompt.includes('[[fail]]') ? { submittedMs: 0, processingMs: 0 } : null);
		const node = klingNode(callbackParams({ prompt: '={{ $json.prompt }}' }), { onError: 'continueRegularOutput' });
		const mixed = items(2).map((item, n) => ({ ...item, json: { prompt: n === 0 ? 'a [[fail]]' : 'b' } }));
		const parked = await runNode(engine, node, mixed, klingCredentials(emulator));
		expect(parked.raw.status).toBe('waiting');
		// The failed task is final at once: an error item (not a "waiting" one that would come out timedOut).
		const waiting = parked.output('Node');
		expect((waiting[0].json.error as IDataObject | undefined)?.status).toBe('failed');
		expect(waiting[1].json.lastKnownStatus).toBe('submitted');

		emulator.reset();
		emulator.kling.config.concurrencyLimit = 50;
		emulator.kling.config.durationFor = (t) => (t.prompt.includes('[[fail]]') ? { submittedMs: 0, processingMs: 0 } : null);
		const allFailed = items(2).map((item) => ({ ...item, json: { prompt: 'x [[fail]]' } }));
		const run = await runNode(engine, node, allFailed, klingCredentials(emulator));
		expect(run.raw.status).not.toBe('waiting');
		const out = run.output('Node');
		expect(out.map((i) => (i.json.error as IDataObject | undefined)?.status)).toEqual(['failed', 'failed']);
		expect(String((out[0].json.error as IDataObject).message)).toMatch(/^Kling task \S+ failed: /);
	});

	// Review reproductions: n8n (1.123 and 2.41) runs execute() again right after it parked when
	// Retry On Fail is on and the first output item is an error item (Continue On Fail, either
	// mode): `while (nodeFailed && tryIndex !== maxTries - 1) runNode(...)` in workflow-execute.js,
	// with the stack entry's input already replaced by the timed-out items.
	it.each(['continueRegularOutput', 'continueErrorOutput'])('Retry On Fail + %s, an error item first: parks once, creating each task once', async (onError) => {
		const { emulator, engine } = bed;
		const params = callbackParams({
			imageSource: 'url',
			imageUrl: `${emulator.url}/assets/portrait.jpg`,
			audioSource: 'url',
			audioUrl: `${emulator.url}/assets/voice.mp3`,
			// item 0's prompt is too long: refused before sending (an error item first in the output)
			prompt: '={{ $json.n === 0 ? "x".repeat(5000) : "hello " + $json.n }}',
		});
		const node = klingNode(params, { onError: onError as 'continueRegularOutput', retryOnFail: true, maxTries: 3, waitBetweenTries: 0 });
		const run = await runNode(engine, node, [0, 1, 2].map((n) => ({ json: { n } })), klingCredentials(emulator));
		expect(run.raw.status).toBe('waiting');
		expect(emulator.kling.counters.createRequests).toBe(2);
		expect(emulator.kling.counters.createAccepted).toBe(2);
		expect(emulator.kling.tasks().map((t) => t.prompt).sort()).toEqual(['hello 1', 'hello 2']);
		// Submitted and checked once each: the re-runs read nothing.
		expect(emulator.kling.counters.getRequests).toBe(2);
		const round = run.raw.data.executionData?.contextData?.['node:Node']?.callbackWait as IDataObject;
		expect((round.tasks as IDataObject[]).map((t) => t.itemIndex)).toEqual([1, 2]);
		const onTimeout = run.raw.data.executionData?.nodeExecutionStack[0].data.main[0] as INodeExecutionData[];
		expect(onTimeout.map((i) => i.json.status)).toEqual([undefined, 'timedOut', 'timedOut']);
		expect(onTimeout.slice(1).map((i) => i.json.taskId).sort()).toEqual(emulator.kling.tasks().map((t) => t.taskId).sort());
	});

	it('Retry On Fail + Continue On Fail, item 0 refused (no image): parks once without a second submit or poll', async () => {
		const { emulator, engine } = bed;
		const input = items(3);
		delete (input[0] as { binary?: unknown }).binary;
		const node = klingNode(callbackParams(), { onError: 'continueRegularOutput', retryOnFail: true, maxTries: 2, waitBetweenTries: 0 });
		const started = Date.now();
		const run = await runNode(engine, node, input, klingCredentials(emulator));
		expect(Date.now() - started).toBeLessThan(10_000);
		expect(run.raw.status).toBe('waiting');
		expect(emulator.kling.counters.createRequests).toBe(2);
		expect(emulator.kling.counters.getRequests).toBe(2);
		expect(run.output('Node').map((i) => i.json.status)).toEqual([undefined, 'waiting', 'waiting']);
	});

	it('refuses Wait By → Provider Callback through CometAPI (it does not serve the avatar query a callback wait confirms by), before paying', async () => {
		const { emulator, engine } = bed;
		engine.credentials.urlOverrides.set(COMET_ROOT, `${emulator.url}/kling`);
		emulator.kling.config.cometApi = true;
		emulator.kling.config.cometApiAvatarQuery404 = true;
		const creds = klingCredentials(emulator, { authentication: 'apiKey', apiKey: emulator.kling.config.apiKey, region: 'cometapi', baseUrl: '' });
		const run = await runNode(engine, klingNode(callbackParams({ maxWaitMinutes: 30 })), items(1), creds);
		expect(run.raw.status).not.toBe('waiting');
		expect(run.status).toBe('error');
		expect(JSON.stringify(run.raw.data.resultData.error)).toMatch(/CometAPI/);
		expect(emulator.kling.counters.createRequests).toBe(0);
	});

	it('does not park on a task whose check failed for good (a fatal read error): it becomes that item\'s error item', async () => {
		const { emulator, engine } = bed;
		// The check of one task is refused for good (a Kling account code: fatal, not asked again).
		emulator.kling.inject({ route: 'get', fault: 'http429-1102' });
		const run = await runNode(engine, klingNode(callbackParams(), { onError: 'continueRegularOutput' }), items(2), klingCredentials(emulator));
		expect(run.raw.status).toBe('waiting');
		const out = run.output('Node');
		const failed = out.filter((i) => i.json.error);
		expect(failed).toHaveLength(1);
		const round = run.raw.data.executionData?.contextData?.['node:Node']?.callbackWait as IDataObject;
		expect(round.tasks as IDataObject[]).toHaveLength(1);
		const onTimeout = run.raw.data.executionData?.nodeExecutionStack[0].data.main[0] as INodeExecutionData[];
		expect(onTimeout.filter((i) => i.json.error)).toHaveLength(1);
		expect(onTimeout.filter((i) => i.json.status === 'timedOut')).toHaveLength(1);
	});

	it('outputs tasks that ended by the check as final items at once (a failed one an error item, a succeeded one with its video), waiting only on the others', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.durationFor = (t) => (t.prompt.includes('[[fail]]') || t.prompt.includes('[[fast]]') ? { submittedMs: 0, processingMs: 0 } : null);
		const node = klingNode(callbackParams({ prompt: '={{ $json.prompt }}' }), { onError: 'continueErrorOutput' });
		const input = ['a [[fail]]', 'b', 'c [[fast]]'].map((prompt) => ({ json: { prompt }, binary: { data: portrait, audio: voice } }));
		const run = await runNode(engine, node, input, klingCredentials(emulator));
		expect(run.raw.status).toBe('waiting');
		const onTimeout = run.raw.data.executionData?.nodeExecutionStack[0].data.main[0] as INodeExecutionData[];
		expect((onTimeout[0].json.error as IDataObject | undefined)?.status).toBe('failed');
		expect(onTimeout.map((i) => i.json.status)).toEqual([undefined, 'timedOut', 'succeeded']);
		expect(onTimeout[2].binary?.video).toBeDefined();
		const round = run.raw.data.executionData?.contextData?.['node:Node']?.callbackWait as IDataObject;
		expect((round.tasks as IDataObject[]).map((t) => t.itemIndex)).toEqual([1]);
	});

	it('Akool: sets webhookUrl to the resume URL + node ID and parks the execution; the user\'s Webhook URL option is not used', async () => {
		const { emulator, engine } = bed;
		emulator.akool.config.processingMs = 20_000;
		const params = videoParams(emulator, { waitBy: 'callback', options: { webhookUrl: 'https://example.com/my-own-hook' } });
		const run = await runNode(engine, akoolNode(params), [{ json: {} }, { json: {} }], akoolKeyCredentials(emulator));
		expect(run.raw.status).toBe('waiting');
		const videos = emulator.akool.videos();
		expect(videos).toHaveLength(2);
		for (const v of videos) expect(v.webhookUrl).toMatch(new RegExp(`^http://localhost:5678/webhook-waiting/${run.executionId}/akool-Node\\?signature=[0-9a-f]{64}$`));
		const onTimeout = run.raw.data.executionData?.nodeExecutionStack[0].data.main[0] as INodeExecutionData[];
		expect(onTimeout.map((i) => i.json.status)).toEqual(['timedOut', 'timedOut']);
		expect(String(onTimeout[0].json.next)).toMatch(/^Use Talking Avatar Video → Get with Task ID /);
	});
});
