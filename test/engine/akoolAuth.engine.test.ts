import { jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { akoolKeyCredentials, akoolNode, akoolTokenCredentials, TIMINGS, videoParams } from './akool.setup';

/**
 * Client ID + Client Secret mode: the token comes from n8n's preAuthentication (expirable hidden
 * field), is fetched once for a batch, kept across executions, and fetched again after Akool
 * rejects it (code 1101 with HTTP 200, or HTTP 401).
 */
describe('Akool credential, through the n8n engine against the emulator', () => {
	let bed: TestBed;
	let n = 0;
	beforeAll(async () => {
		bed = await startTestBed({ akool: TIMINGS });
	});
	afterAll(async () => bed.close());
	beforeEach(() => {
		bed.emulator.reset();
		// A fresh client ID per test: the engine's stored token belongs to the previous one.
		bed.emulator.akool.config.clientId = `testClient${++n}`;
	});

	const tokenRequests = () => bed.emulator.akool.counters.tokenRequests;

	it('fetches one token for a batch of many items and reuses it in the next execution', async () => {
		const { emulator, engine } = bed;
		const before = engine.preAuthCount('akoolApi');
		const items = Array.from({ length: 8 }, (_, k) => ({ json: { k } }));
		const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), items, akoolTokenCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run).every((j) => j.status === 'succeeded')).toBe(true);
		expect(tokenRequests()).toBe(1);
		expect(engine.preAuthCount('akoolApi') - before).toBe(1);
		// Every API call used the token (Authorization: Bearer), none the API key.
		const apiCalls = emulator.akool.requests.filter((r) => !r.path.endsWith('/getToken'));
		expect(apiCalls.length).toBeGreaterThanOrEqual(16);
		expect(new Set(apiCalls.map((r) => r.auth))).toEqual(new Set(['token']));

		const again = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }], akoolTokenCredentials(emulator));
		expect(again.status).toBe('success');
		expect(tokenRequests()).toBe(1);
		expect(engine.preAuthCount('akoolApi') - before).toBe(1);
	});

	it.each([
		['code 1101 with HTTP 200', 200],
		['HTTP 401 with code 1101', 401],
	])('fetches a new token once after %s, and the requests go through', async (_name, status) => {
		const { emulator, engine } = bed;
		emulator.akool.config.authErrorHttpStatus = status;
		const before = engine.preAuthCount('akoolApi');
		const first = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }], akoolTokenCredentials(emulator));
		expect(first.status).toBe('success');
		expect(tokenRequests()).toBe(1);

		emulator.akool.revokeTokens();
		const items = Array.from({ length: 5 }, (_, k) => ({ json: { k } }));
		const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), items, akoolTokenCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)).toHaveLength(5);
		expect(jsonOf(run).every((j) => j.status === 'succeeded')).toBe(true);
		expect(tokenRequests()).toBe(2);
		expect(engine.preAuthCount('akoolApi') - before).toBe(2);
		expect(emulator.akool.counters.createAccepted).toBe(6);
		// The rejected creates created nothing; each item's create was repeated at most once.
		expect(emulator.akool.requests.filter((r) => r.code === 1101).length).toBeGreaterThanOrEqual(1);
	});

	it('a token rejected while waiting is renewed once and the wait goes on', async () => {
		const { emulator, engine } = bed;
		emulator.akool.config.processingMs = 1500;
		const before = engine.preAuthCount('akoolApi');
		const running = engine.start({
			nodes: [akoolNode(videoParams(emulator, { downloadVideo: false }))],
			connections: {},
			items: [{ json: {} }, { json: {} }, { json: {} }],
			credentials: akoolTokenCredentials(emulator),
		});
		// Revoke once every create has gone through.
		for (let i = 0; i < 100 && emulator.akool.counters.createAccepted < 3; i++) await new Promise((r) => setTimeout(r, 20));
		emulator.akool.revokeTokens();
		const run = await running.promise;
		expect(run.status).toBe('success');
		expect(jsonOf(run).every((j) => j.status === 'succeeded')).toBe(true);
		expect(tokenRequests()).toBe(2);
		expect(engine.preAuthCount('akoolApi') - before).toBe(2);
		expect(emulator.akool.counters.createAccepted).toBe(3);
	});

	it('a wrong client secret fails clearly at getToken; nothing else is sent', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }, { json: {} }], akoolTokenCredentials(emulator, { clientSecret: 'wrongSecret' }));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Akool getToken failed \(code 1101\): Invalid clientId or clientSecret/);
		expect(emulator.akool.counters.createRequests).toBe(0);
	});

	it('with an API key no token is fetched and x-api-key is used', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }, { json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		expect(tokenRequests()).toBe(0);
		expect(new Set(emulator.akool.requests.map((r) => r.auth))).toEqual(new Set(['apiKey']));
	});
});
