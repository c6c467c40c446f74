import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { errorOf, fixture, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { createParams, klingCredentials, klingNode } from './kling.setup';

const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
const item = (json = {}) => ({ json, binary: { data: portrait, audio: voice } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const descriptionOf = (error: unknown) => String((error as { description?: unknown } | undefined)?.description ?? '');

/** A real PCM WAV (8 kHz, 8-bit mono) of the given length. */
function wav(seconds: number, sampleRate = 8000): Buffer {
	const dataBytes = Math.round(seconds * sampleRate);
	const header = Buffer.alloc(44);
	header.write('RIFF', 0);
	header.writeUInt32LE(36 + dataBytes, 4);
	header.write('WAVEfmt ', 8);
	header.writeUInt32LE(16, 16);
	header.writeUInt16LE(1, 20);
	header.writeUInt16LE(1, 22);
	header.writeUInt32LE(sampleRate, 24);
	header.writeUInt32LE(sampleRate, 28);
	header.writeUInt16LE(1, 32);
	header.writeUInt16LE(8, 34);
	header.write('data', 36);
	header.writeUInt32LE(dataBytes, 40);
	return Buffer.concat([header, Buffer.alloc(dataBytes, 0x80)]);
}

/** CometAPI's preset root; the harness sends it to the emulator's /kling mount (like curl --resolve). */
const COMET_ROOT = 'https://api.cometapi.com/kling';

describe('Kling Avatar: real Kling shapes and the CometAPI proxy', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 150, processingMs: 400, concurrencyLimit: 50 } });
		bed.engine.credentials.urlOverrides.set(COMET_ROOT, `${bed.emulator.url}/kling`);
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	/** The CometAPI region as a user sets it up: API Key mode, the preset base URL. */
	const cometCredentials = (extra: Record<string, string> = {}) =>
		klingCredentials(bed.emulator, { authentication: 'apiKey', apiKey: bed.emulator.kling.config.apiKey, region: 'cometapi', baseUrl: '', ...extra });
	const cometMode = () => {
		bed.emulator.kling.config.cometApi = true;
	};

	describe('Kling direct (provider-apis.md §6.1)', () => {
		it('a failed task with task_info {} and task_result {}: the item fails with the status message, its task id and the external id that was sent', async () => {
			const { emulator, engine } = bed;
			const node = klingNode(createParams({ prompt: '={{ $json.prompt }}', downloadVideo: false }), { onError: 'continueRegularOutput' });
			const run = await runNode(engine, node, [item({ prompt: 'ok' }), item({ prompt: 'wave [[fail]]' })], klingCredentials(emulator));
			expect(run.status).toBe('success');
			const [ok, failed] = run.output('Node');
			expect(ok.json.status).toBe('succeeded');
			const task = emulator.kling.tasks().find((t) => t.prompt.includes('[[fail]]'));
			expect(task?.status).toBe('failed');
			expect(task?.externalTaskId).toMatch(/^n8n-/);
			expect(errorOf(failed)).toMatchObject({
				message: `Kling task ${task?.taskId} failed: Failure to pass the risk control system`,
				taskId: task?.taskId,
				externalTaskId: task?.externalTaskId,
				status: 'failed',
			});
			expect(emulator.kling.counters.createRequests).toBe(2);
		});

		it('the same through Get by task ID: the failed task is reported, with its external id unknown (null) rather than a crash', async () => {
			const { emulator, engine } = bed;
			await runNode(engine, klingNode(createParams({ prompt: '[[fail]]', downloadVideo: false }), { onError: 'continueRegularOutput' }), [item()], klingCredentials(emulator));
			const [task] = emulator.kling.tasks();
			const get = await runNode(engine, klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId: task.taskId }, { onError: 'continueRegularOutput' }), [{ json: {} }], klingCredentials(emulator));
			expect(get.status).toBe('success');
			expect(errorOf(get.output('Node')[0])).toMatchObject({ message: `Kling task ${task.taskId} failed: Failure to pass the risk control system`, taskId: task.taskId, status: 'failed' });
		});

		it('an image Kling accepted fails later with "Image pixel is invalid": one paid create, the item fails with that reason', async () => {
			const { emulator, engine } = bed;
			const params = createParams({ imageSource: 'url', imageUrl: `${emulator.url}/assets/portrait.jpg?pixel-invalid`, downloadVideo: false });
			const run = await runNode(engine, klingNode(params), [item()], klingCredentials(emulator));
			expect(run.status).toBe('error');
			const [task] = emulator.kling.tasks();
			const error = run.nodeError('Node');
			expect(error).toBeInstanceOf(NodeApiError);
			expect(error?.message).toMatch(new RegExp(`^Kling task ${task.taskId} failed: Image pixel is invalid \\(1 Kling task of this batch exists`));
			expect(emulator.kling.counters.createRequests).toBe(1);
			expect(task.status).toBe('failed');
		});

		it('1102 "Account balance not enough" with HTTP 429 fails at once with balance advice: 1 create attempt, no task, no retry', async () => {
			const { emulator, engine } = bed;
			// One refusal only: a retry would be accepted and paid, which the counters would show.
			emulator.kling.inject({ route: 'create', fault: 'http429-1102' });
			const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], klingCredentials(emulator));
			expect(run.status).toBe('error');
			const error = run.nodeError('Node');
			expect(error?.message).toBe('Creating the avatar task failed: Kling code 1102 – Account balance not enough');
			expect(descriptionOf(error)).toMatch(/not a rate limit: waiting does not help\. Top up the balance or buy a resource pack/);
			await sleep(500);
			expect(emulator.kling.counters.createRequests).toBe(1);
			expect(emulator.kling.counters.createAccepted).toBe(0);
			expect(emulator.kling.tasks()).toHaveLength(0);
		});

		it('final_balance_deduction is in the output as balanceDeduction, next to unitsDeducted', async () => {
			const { emulator, engine } = bed;
			const run = await runNode(engine, klingNode(createParams({ mode: 'pro', downloadVideo: false })), [item()], klingCredentials(emulator));
			expect(run.status).toBe('success');
			const [out] = jsonOf(run);
			expect(out).toMatchObject({ status: 'succeeded', unitsDeducted: '2', balanceDeduction: { quota: 2, listPrice: 1 } });
			const keys = Object.keys(out);
			expect(keys.indexOf('balanceDeduction')).toBe(keys.indexOf('unitsDeducted') + 1);
		});

		it('audio of 75 s passes to Kling direct (2–300 s)', async () => {
			const { emulator, engine } = bed;
			const long = { data: wav(75), fileName: 'long.wav', mimeType: 'audio/wav' };
			const run = await runNode(engine, klingNode(createParams({ waitForCompletion: false, downloadVideo: false })), [{ json: {}, binary: { data: portrait, audio: long } }], klingCredentials(emulator));
			expect(run.status).toBe('success');
			expect(emulator.kling.counters.createAccepted).toBe(1);
		});
	});

	describe('CometAPI (provider-apis.md §6.2)', () => {
		it('the CometAPI region reaches CometAPI\'s /kling root with the API key as Bearer: create, wait, download', async () => {
			const { emulator, engine } = bed;
			cometMode();
			const started = Date.now();
			const run = await runNode(engine, klingNode(createParams()), [item()], cometCredentials());
			expect(run.status).toBe('success');
			const [out] = run.output('Node');
			expect(out.json).toMatchObject({ status: 'succeeded', balanceDeduction: { quota: 1, listPrice: 0.5 } });
			expect(emulator.kling.counters.byPath['/kling/v1/videos/avatar/image2video']).toBe(1);
			expect(emulator.kling.tasks()[0].account).toBe(emulator.kling.config.apiKey);
			const sent = engine.credentials.requests.filter((r) => r.kind === 'authenticate' && r.at >= started).map((r) => r.url);
			expect(sent.length).toBeGreaterThanOrEqual(2);
			expect(sent.every((url) => url?.startsWith(`${COMET_ROOT}/v1/videos/avatar/image2video`))).toBe(true);
		});

		it('1303 nested by CometAPI (here with HTTP 400, not 429) is queued and retried, then succeeds: one task', async () => {
			const { emulator, engine } = bed;
			cometMode();
			emulator.kling.config.cometApiUpstreamStatus = 400;
			emulator.kling.inject({ route: 'create', fault: 'http429-1303', times: 2 });
			const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], cometCredentials());
			expect(run.status).toBe('success');
			expect(jsonOf(run)[0].status).toBe('succeeded');
			expect(emulator.kling.counters.createRequests).toBe(3);
			expect(emulator.kling.counters.createAccepted).toBe(1);
			expect(emulator.kling.pendingFaults()).toEqual([]);
		});

		it('1303 nested with Kling\'s own HTTP 429 is queued the same way', async () => {
			const { emulator, engine } = bed;
			cometMode();
			emulator.kling.inject({ route: 'create', fault: 'http429-1303' });
			const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], cometCredentials());
			expect(run.status).toBe('success');
			expect(emulator.kling.counters.createRequests).toBe(2);
			expect(emulator.kling.counters.createAccepted).toBe(1);
		});

		it('1102 nested with HTTP 429 fails at once with Kling\'s message and balance advice: 1 create attempt, no task, no retry', async () => {
			const { emulator, engine } = bed;
			cometMode();
			emulator.kling.inject({ route: 'create', fault: 'http429-1102' });
			const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], cometCredentials());
			expect(run.status).toBe('error');
			const error = run.nodeError('Node');
			expect(error?.message).toBe('Creating the avatar task failed: Kling code 1102 (through CometAPI) – Account balance not enough');
			expect(descriptionOf(error)).toMatch(/not a rate limit/);
			expect(descriptionOf(error)).toMatch(/Request ID: [0-9a-f-]{36}/);
			await sleep(500);
			expect(emulator.kling.counters.createRequests).toBe(1);
			expect(emulator.kling.tasks()).toHaveLength(0);
		});

		it('a lost create through CometAPI is never sent again, even when the lookup says "not found" once; Retry On Fail follows the task', async () => {
			const { emulator, engine } = bed;
			cometMode();
			// The create lands but its answer is lost; the lookup then misses the fresh task once.
			// Through CometAPI a relayed 1203 proves nothing (transport.ts saysNoSuchTask), so the
			// try fails as "may exist"; the next try looks it up again and follows it.
			emulator.kling.inject({ route: 'create', fault: 'reset-after-accept' });
			emulator.kling.inject({ route: 'get', fault: 'http404-1203' });
			const node = klingNode(createParams({ downloadVideo: false }), { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 });
			const run = await runNode(engine, node, [item()], cometCredentials());
			expect(run.status).toBe('success');
			const [task] = emulator.kling.tasks();
			expect(emulator.kling.tasks()).toHaveLength(1);
			expect(emulator.kling.counters.createRequests).toBe(1);
			expect(emulator.kling.counters.createAccepted).toBe(1);
			expect(jsonOf(run)[0]).toMatchObject({ taskId: task.taskId, externalTaskId: task.externalTaskId, status: 'succeeded' });
		});

		it('a 404 on the avatar query after an accepted create ends the item at once with the task id: one poll, no retries', async () => {
			const { emulator, engine } = bed;
			cometMode();
			emulator.kling.config.cometApiAvatarQuery404 = true;
			const node = klingNode(createParams({ downloadVideo: false }), { onError: 'continueRegularOutput' });
			const started = Date.now();
			const run = await runNode(engine, node, [item()], cometCredentials());
			expect(run.status).toBe('success');
			const [task] = emulator.kling.tasks();
			const error = errorOf(run.output('Node')[0]);
			expect(error?.message).toBe(`Reading avatar task ${task.taskId} failed: CometAPI does not serve Kling's avatar query path (HTTP 404)`);
			expect(String(error?.description)).toMatch(new RegExp(`cannot follow task ${task.taskId} through CometAPI; it was not asked again`));
			expect(error).toMatchObject({ taskId: task.taskId, externalTaskId: task.externalTaskId });
			expect(emulator.kling.counters.createRequests).toBe(1);
			expect(emulator.kling.counters.getRequests).toBe(1);
			expect(Date.now() - started).toBeLessThan(5_000);
		});

		it('with the query path not served, your own External Task ID cannot be checked unused: the item fails before sending', async () => {
			const { emulator, engine } = bed;
			cometMode();
			emulator.kling.config.cometApiAvatarQuery404 = true;
			const run = await runNode(engine, klingNode(createParams({ downloadVideo: false, options: { externalTaskId: 'campaign-7' } })), [item()], cometCredentials());
			expect(run.status).toBe('error');
			expect(run.nodeError('Node')?.message).toMatch(/^Looking up the avatar task with external task id campaign-7 failed: CometAPI does not serve Kling's avatar query path \(HTTP 404\)/);
			expect(emulator.kling.counters.getRequests).toBe(1);
			expect(emulator.kling.counters.createRequests).toBe(0);
		});

		it('a Kling code relayed with the 404 (1203: not readable yet) is Kling\'s answer: tolerated a few times, then the task is followed', async () => {
			const { emulator, engine } = bed;
			cometMode();
			emulator.kling.inject({ route: 'get', fault: 'http404-1203', times: 2 });
			const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], cometCredentials());
			expect(run.status).toBe('success');
			expect(jsonOf(run)[0].status).toBe('succeeded');
			expect(emulator.kling.counters.createRequests).toBe(1);
		});

		it('with the query path not served, a refused create is reported as refused (the lookup cannot tell, and sends nothing again)', async () => {
			const { emulator, engine } = bed;
			cometMode();
			emulator.kling.config.cometApiAvatarQuery404 = true;
			const run = await runNode(engine, klingNode(createParams({ imageSource: 'url', imageUrl: `${emulator.url}/assets/missing.png`, downloadVideo: false })), [item()], cometCredentials());
			expect(run.status).toBe('error');
			expect(run.nodeError('Node')?.message).toMatch(/^Creating the avatar task failed: Kling code 1201 \(through CometAPI\) – image URL could not be downloaded \(HTTP 404\)/);
			expect(emulator.kling.counters.createRequests).toBe(1);
			expect(emulator.kling.counters.getRequests).toBe(1);
		});

		it('CometAPI\'s own refusal (wrong key) keeps its message and request id, and is not retried', async () => {
			const { emulator, engine } = bed;
			cometMode();
			const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [item()], cometCredentials({ apiKey: 'not-the-key' }));
			expect(run.status).toBe('error');
			const error = run.nodeError('Node');
			expect(error?.message).toBe('Creating the avatar task failed: CometAPI HTTP 401 – Invalid token');
			expect(descriptionOf(error)).toMatch(/^Request ID: \w+\n/);
			expect(emulator.kling.counters.createRequests).toBe(1);
			expect(emulator.kling.tasks()).toHaveLength(0);
		});

		it('audio over 60 s is refused before sending, naming item, field, length and CometAPI\'s limit', async () => {
			const { emulator, engine } = bed;
			cometMode();
			const long = { data: wav(75), fileName: 'long.wav', mimeType: 'audio/wav' };
			const run = await runNode(engine, klingNode(createParams()), [item(), { json: {}, binary: { data: portrait, audio: long } }], cometCredentials());
			expect(run.status).toBe('error');
			const error = run.nodeError('Node');
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error?.message).toBe('Invalid "Audio" in item 1: audio is 75.0 s long; it must be between 2 and 60 s (CometAPI\'s limit; Kling itself takes up to 300 s) (file "long.wav")');
			expect(emulator.kling.counters.createRequests).toBe(0);
		});

		it('a Custom Base URL on CometAPI\'s host gets CometAPI\'s audio limit too', async () => {
			const { emulator, engine } = bed;
			cometMode();
			const long = { data: wav(61), fileName: 'long.wav', mimeType: 'audio/wav' };
			const run = await runNode(engine, klingNode(createParams()), [{ json: {}, binary: { data: portrait, audio: long } }], cometCredentials({ region: 'custom', baseUrl: `${COMET_ROOT}/` }));
			expect(run.status).toBe('error');
			expect(run.nodeError('Node')?.message).toMatch(/audio is 61\.0 s long; it must be between 2 and 60 s \(CometAPI's limit/);
			expect(emulator.kling.counters.createRequests).toBe(0);
		});
	});
});
