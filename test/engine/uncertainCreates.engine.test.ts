/**
 * Creates whose outcome is uncertain (the answer lost or unreadable, a lookup that cannot tell):
 * never paid twice, never lost, through Retry On Fail and the Executions list's Retry. Each test
 * counts what the provider accepted (emulator counters, or a scripted server's POSTs).
 * Started from a review's failing tests (klingDup, cometPayTwice, akool200, cometLost, getByExt).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, INode } from 'n8n-workflow';
import type { WorkflowRun } from '../harness/engine';
import { akoolNode, videoParams } from './akool.setup';
import { createParams, klingCredentials, klingNode } from './kling.setup';
import { errorOf, fixture, runNode, startTestBed, type TestBed } from './setup';

const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
const item = () => ({ json: {}, binary: { data: portrait, audio: voice } });
/** Retry On Fail as the node's Settings tab sets it; n8n clamps the wait to 0–5000 ms. */
const retryOnFail = (maxTries: number): Partial<INode> => ({ retryOnFail: true, maxTries, waitBetweenTries: 0 });
const descriptionOf = (error: unknown) => String((error as { description?: unknown } | undefined)?.description ?? '');
/** CometAPI's preset root; the harness sends it elsewhere (like curl --resolve). */
const COMET_ROOT = 'https://api.cometapi.com/kling';
const MAY_EXIST = /^The create's answer was lost; the Kling task may exist and be paid: external task id (n8n-\S+)/;

describe('Kling direct: a lost create answer, and a task not readable at once', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 150, processingMs: 400, concurrencyLimit: 50 } });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('not readable for two lookups: the refused re-send is followed by spaced lookups that find it; one paid task', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'create', fault: 'reset-after-accept' });
		emulator.kling.inject({ route: 'get', fault: 'http404-1203', times: 2 });
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false }), retryOnFail(2)), [item()], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(emulator.kling.counters.createAccepted).toBe(1);
		expect(emulator.kling.counters.createRequests).toBe(2); // the re-send with the same key was refused
		expect(run.output('Node')[0].json.taskId).toBe(emulator.kling.tasks()[0].taskId);
	});

	it.each([
		['Retry On Fail', true],
		['the Executions list\'s Retry', false],
	])('not readable for longer: the item fails as "may exist", kept pending; %s looks it up again and never sends a new key', async (_how, viaRetryOnFail) => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'create', fault: 'reset-after-accept' });
		// Lookup 1, then the 4 after the refused re-send: all "not found"; the 6th finds it.
		emulator.kling.inject({ route: 'get', fault: 'http404-1203', times: 5 });
		const node = klingNode(createParams({ downloadVideo: false }), viaRetryOnFail ? retryOnFail(2) : {});
		let run: WorkflowRun = await runNode(engine, node, [item()], klingCredentials(emulator));
		if (!viaRetryOnFail) {
			expect(run.status).toBe('error');
			const error = run.nodeError('Node');
			const [, key] = MAY_EXIST.exec(error?.message ?? '') ?? [];
			expect(key).toBe(emulator.kling.tasks()[0].externalTaskId);
			expect(descriptionOf(error)).toMatch(/Sent again with the same external task id, the create was refused \(Creating the avatar task failed: Kling code 1201 – external_task_id already exists\), and 4 lookups/);
			// The batch listing keeps it as a create that may have gone through, never "no task was created".
			expect(descriptionOf(error)).toMatch(/item 0: task ID unknown \(external n8n-\S+\), create sent at .*outcome unknown/);
			expect(descriptionOf(error)).not.toMatch(/No Kling task was created/);
			expect(emulator.kling.counters.createAccepted).toBe(1);
			run = await engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: klingCredentials(emulator) });
		}
		expect(run.status).toBe('success');
		expect(run.output('Node')[0].json.taskId).toBe(emulator.kling.tasks()[0].taskId);
		expect(emulator.kling.counters.createAccepted).toBe(1);
		expect(emulator.kling.tasks()).toHaveLength(1);
	}, 60_000);
});

describe('Kling through CometAPI (emulator) without the avatar query path', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 150, processingMs: 400, concurrencyLimit: 50 } });
		bed.engine.credentials.urlOverrides.set(COMET_ROOT, `${bed.emulator.url}/kling`);
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('a lost create: the error item names its external task id, says the task may exist and be paid; a Retry sends nothing', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.cometApi = true;
		emulator.kling.config.cometApiAvatarQuery404 = true;
		emulator.kling.inject({ route: 'create', fault: 'reset-after-accept' });
		const creds = klingCredentials(emulator, { authentication: 'apiKey', apiKey: emulator.kling.config.apiKey, region: 'cometapi', baseUrl: '' });
		const node = klingNode(createParams({ downloadVideo: false }), { onError: 'continueRegularOutput' });
		const run = await runNode(engine, node, [item()], creds);
		const [task] = emulator.kling.tasks();
		const error = errorOf(run.output('Node')[0]) as IDataObject;
		expect(error.externalTaskId).toBe(task.externalTaskId);
		expect(error.taskId).toBeNull();
		expect(error.message).toBe(`The create's answer was lost; the Kling task may exist and be paid: external task id ${task.externalTaskId}`);
		expect(error.description).toMatch(/^Looking it up by that ID could not tell whether it exists: Looking up the avatar task with external task id n8n-\S+ failed: CometAPI does not serve Kling's avatar query path \(HTTP 404\)/);
		expect(String(error.message)).not.toMatch(/Reading avatar task/);

		const retried = await engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: creds });
		expect(errorOf(retried.output('Node')[0])?.externalTaskId).toBe(task.externalTaskId);
		expect(emulator.kling.counters.createRequests).toBe(1);
		expect(emulator.kling.counters.createAccepted).toBe(1);
	});
});

describe('Get by External Task ID', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 50, processingMs: 100 } });
	});
	afterAll(async () => bed?.close());

	it('of a failed task (Kling sends task_info {}): the error item carries the ID looked up', async () => {
		const { emulator, engine } = bed;
		await runNode(engine, klingNode(createParams({ prompt: '[[fail]]', downloadVideo: false, options: { externalTaskId: 'mine-1' } }), { onError: 'continueRegularOutput' }), [item()], klingCredentials(emulator));
		const get = await runNode(engine, klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'externalTaskId', externalTaskId: 'mine-1' }, { onError: 'continueRegularOutput' }), [{ json: {} }], klingCredentials(emulator));
		const error = errorOf(get.output('Node')[0]);
		expect(error?.status).toBe('failed');
		expect(error?.taskId).toBe(emulator.kling.tasks()[0].taskId);
		expect(error?.externalTaskId).toBe('mine-1');
	});
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A scripted provider on 127.0.0.1: each request gets the next handler of the script. */
class ScriptedServer {
	script: Handler[] = [];
	log: Array<{ method: string; path: string; key: string }> = [];
	private server = createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c.toString()));
		req.on('end', () => {
			this.log.push({ method: req.method ?? '', path: req.url ?? '', key: (/"external_task_id":"([^"]+)"/.exec(body) ?? [])[1] ?? '' });
			const handler = this.script.shift() ?? json(500, { message: 'no script left' });
			handler(req, res, body);
		});
	});
	url = '';
	async start(): Promise<void> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}
	close(): void {
		this.server.close();
	}
	reset(): void {
		this.script = [];
		this.log = [];
	}
	posts() {
		return this.log.filter((l) => l.method === 'POST');
	}
}
const json =
	(status: number, body: unknown, contentType = 'application/json'): Handler =>
	(_req, res) => {
		res.writeHead(status, { 'content-type': contentType });
		res.end(typeof body === 'string' ? body : JSON.stringify(body));
	};
const reset: Handler = (req) => req.socket.destroy();

describe('Kling through a scripted CometAPI: a lookup that cannot tell', () => {
	let bed: TestBed;
	const comet = new ScriptedServer();
	beforeAll(async () => {
		bed = await startTestBed();
		await comet.start();
		bed.engine.credentials.urlOverrides.set(COMET_ROOT, `${comet.url}/kling`);
	});
	afterAll(async () => {
		comet.close();
		await bed?.close();
	});
	beforeEach(() => comet.reset());

	const creds = { klingApi: { authentication: 'apiKey', apiKey: 'sk-x', region: 'cometapi', baseUrl: '' } };
	const cometOwn = (status: number, msg: string) => json(status, { error: { code: '', message: `${msg} (request id: abc)`, type: 'comet_api_error' } });
	const nested = (status: number, code: number, msg: string) => json(status, { message: msg, data: { data: { code, message: msg, request_id: 'r' }, message: msg } });
	const params = createParams({ waitForCompletion: false, downloadVideo: false });

	it('create lost, lookup answered with CometAPI\'s own 400: not read as "no such task"; Retry On Fail and the Executions-list Retry send nothing', async () => {
		comet.script = [reset, ...[1, 2, 3, 4].map(() => cometOwn(400, 'task not found'))];
		const node = klingNode(params, retryOnFail(2));
		const run = await runNode(bed.engine, node, [item()], creds);
		expect(run.status).toBe('error');
		const key = comet.posts()[0].key;
		expect(run.nodeError('Node')?.message).toMatch(new RegExp(`^The create's answer was lost; the Kling task may exist and be paid: external task id ${key}`));
		expect(descriptionOf(run.nodeError('Node'))).toMatch(/CometAPI HTTP 400 – task not found/);
		const retried = await bed.engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: creds });
		expect(retried.nodeError('Node')?.message).toMatch(MAY_EXIST);
		expect(comet.posts()).toHaveLength(1);
		// One lookup per try: two tries of Retry On Fail, in the run and in its Retry.
		expect(comet.log.map((l) => l.method)).toEqual(['POST', 'GET', 'GET', 'GET', 'GET']);
	});

	it('create answered HTTP 200 with an empty body, query path not served: the item fails as "may exist"; Retry On Fail sends no new key', async () => {
		comet.script = [json(200, ''), cometOwn(404, 'Invalid URL'), cometOwn(404, 'Invalid URL')];
		const run = await runNode(bed.engine, klingNode(params, retryOnFail(2)), [item()], creds);
		expect(run.status).toBe('error');
		expect(run.nodeError('Node')?.message).toMatch(MAY_EXIST);
		expect(comet.posts()).toHaveLength(1);
	});

	it('Kling\'s 1203 relayed by CometAPI proves nothing (CometAPI may not pass external_task_id on): never sent again, the item fails as "may exist"', async () => {
		const notFound = () => nested(404, 1203, 'task not found');
		comet.script = [reset, ...Array.from({ length: 12 }, notFound)];
		// The lookups are spaced (a fresh task may be unreadable for a moment): ~20 s in all.
		const run = await runNode(bed.engine, klingNode(params), [item()], creds);
		expect(run.status).toBe('error');
		expect(run.nodeError('Node')?.message).toMatch(MAY_EXIST);
		expect(comet.posts()).toHaveLength(1);
		expect(comet.log.filter((l) => l.method === 'GET').length).toBeGreaterThanOrEqual(2);
		// A Retry then looks it up again and never sends a create: as in the CometAPI 400 case above.
	}, 60_000);

	it('an HTML error page from CometAPI is labelled CometAPI, not Kling', async () => {
		const t1 = json(200, { code: 0, message: 'SUCCEED', data: { task_id: 'T1', task_status: 'submitted', task_info: {} } });
		comet.script = [json(502, '<html><body>Bad gateway</body></html>', 'text/html'), t1, t1];
		const run = await runNode(bed.engine, klingNode(params), [item()], creds);
		// The 502 on a create is ambiguous: looked up, found.
		expect(run.status).toBe('success');
		expect(comet.posts()).toHaveLength(1);
		comet.reset();
		comet.script = [json(403, '<html><body>Forbidden</body></html>', 'text/html'), json(404, '<html>nothing</html>', 'text/html')];
		const refused = await runNode(bed.engine, klingNode(params), [item()], creds);
		expect(refused.nodeError('Node')?.message).toMatch(/^Creating the avatar task failed: CometAPI HTTP 403 – <html>/);
	});
});

describe('Akool: a create answered without Akool\'s envelope', () => {
	let bed: TestBed;
	const akool = new ScriptedServer();
	const created = (id: string) => json(200, { code: 1000, msg: 'OK', data: { _id: id, video_status: 1, video: '' } });
	beforeAll(async () => {
		bed = await startTestBed();
		await akool.start();
	});
	afterAll(async () => {
		akool.close();
		await bed?.close();
	});
	beforeEach(() => akool.reset());

	it.each([
		['an HTML page with HTTP 200', json(200, '<html><body>upstream hiccup</body></html>', 'text/html')],
		['an empty HTTP 200', json(200, '')],
		['JSON of another shape with HTTP 200', json(200, { ok: true })],
		['an undocumented code with HTTP 502', json(502, { code: 9999, msg: 'gateway' })],
	])('%s: never sent again, by Retry On Fail or the Executions-list Retry', async (_what, answer) => {
		akool.script = [answer, created('id2'), created('id3')];
		const creds = { akoolApi: { authentication: 'apiKey', apiKey: 'k', clientId: '', baseUrl: akool.url } };
		const node = akoolNode(videoParams(bed.emulator, { waitForCompletion: false, downloadVideo: false }), retryOnFail(2));
		const run = await runNode(bed.engine, node, [{ json: {} }], creds);
		expect(run.status).toBe('error');
		expect(run.nodeError('Node')?.message).toMatch(/the task may or may not have been created|may have been created/);
		const retried = await bed.engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: creds });
		expect(retried.nodeError('Node')?.message).toMatch(/the Akool task may have been created/);
		expect(akool.posts()).toHaveLength(1);
	});
});
