/**
 * Akool's error codes as the real API answers them (provider-apis.md §6.3), through the n8n engine
 * against the emulator: the rate limit 1005 is waited out without paying twice, unknown IDs (1008 /
 * 1014 / no data) say so, 1104 and 1109 fail at once with advice, and a Get with the create answer's
 * `task_id` (not `_id`) says which ID to use. Layout, cost and uid: akoolVideo.engine.test.ts.
 */
import type { IDataObject } from 'n8n-workflow';
import { errorOf, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { akoolKeyCredentials, akoolNode, akoolTokenCredentials, FAST, TIMINGS, videoParams } from './akool.setup';

const descriptionOf = (error: unknown): string => String((error as { description?: unknown } | undefined)?.description ?? '');

describe('Akool facts (§6.3), through the n8n engine against the emulator', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ akool: TIMINGS });
	});
	afterAll(async () => bed.close());
	beforeEach(() => bed.emulator.reset());

	/** Times of the requests to a path, in order (the emulator's log). */
	const timesOf = (suffix: string) => bed.emulator.akool.requests.filter((r) => r.path.endsWith(suffix)).map((r) => r.at);
	const gaps = (times: number[]) => times.slice(1).map((t, n) => t - times[n]);

	describe('1005 "Frequent operation" (rate limit)', () => {
		it('on create: waited out with growing pauses, sent again, exactly one video created, and it succeeds', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'create', fault: 'rateLimit', times: 2 });
			const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('success');
			expect(jsonOf(run)[0]).toMatchObject({ status: 'succeeded', taskId: emulator.akool.videos()[0]._id });
			expect(emulator.akool.counters.createRequests).toBe(3);
			expect(emulator.akool.counters.createAccepted).toBe(1);
			expect(emulator.akool.videos()).toHaveLength(1);
			expect(emulator.akool.requests.filter((r) => r.path.endsWith('/talkingavatar/create')).map((r) => r.code)).toEqual([1005, 1005, 1000]);
			// Backoff (schedule.ts, equal jitter): the first pause is 0.5–1 s, the second 1–2 s.
			const [first, second] = gaps(timesOf('/talkingavatar/create'));
			expect(first).toBeGreaterThanOrEqual(450);
			expect(second).toBeGreaterThanOrEqual(950);
		});

		it('on create, in a batch of 3 with token auth: every item gets exactly one video', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'create', fault: 'rateLimit', times: 3 });
			const params = videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false });
			const items = [0, 1, 2].map((n) => ({ json: { audio: `${emulator.url}/assets/voice.mp3?item=${n}` } }));
			const run = await runNode(engine, akoolNode(params), items, akoolTokenCredentials(emulator));
			expect(run.status).toBe('success');
			expect(jsonOf(run).map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
			expect(emulator.akool.counters.createAccepted).toBe(3);
			expect(emulator.akool.videos().map((v) => v.audioUrl).sort()).toEqual(items.map((i) => i.json.audio));
			// A rate limit is not a token problem: no new token was fetched for it.
			expect(emulator.akool.counters.tokenRequests).toBe(1);
		});

		it.each([
			['rate-limited (1005)', 'rateLimit'],
			['not answered', 'reset'],
		] as const)('on getToken %s while the stored token has expired, in a batch of 3: waited out, every item gets exactly one video', async (_name, fault) => {
			const { emulator, engine } = bed;
			// The harness keeps the token of an earlier test; the emulator's reset made it unknown (1101).
			emulator.akool.inject({ route: 'getToken', fault, times: 2 });
			const params = videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false });
			const items = [0, 1, 2].map((n) => ({ json: { audio: `${emulator.url}/assets/voice.mp3?item=${n}` } }));
			const run = await runNode(engine, akoolNode(params), items, akoolTokenCredentials(emulator));
			expect(run.status).toBe('success');
			expect(jsonOf(run).map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
			const answers = emulator.akool.requests.filter((r) => /\/(create|getToken)$/.test(r.path)).map((r) => `${r.path.split('/').pop()} ${r.code}`);
			// Before the token: refused creates (1101 creates nothing) and the two failed getTokens, then one token for all.
			expect(answers.filter((a) => a.startsWith('getToken'))).toEqual(fault === 'rateLimit' ? ['getToken 1005', 'getToken 1005', 'getToken 1000'] : ['getToken null', 'getToken null', 'getToken 1000']);
			expect(answers.filter((a) => a.startsWith('create')).every((a) => a === 'create 1101' || a === 'create 1000')).toBe(true);
			expect(answers.filter((a) => a === 'create 1000')).toHaveLength(3);
			expect(emulator.akool.videos()).toHaveLength(3);
		});

		it('on getToken rate-limited, a batch of 10 asks Akool once per pause, not once per item', async () => {
			const { emulator, engine } = bed;
			engine.credentials.replaceCredentials('akoolApi', { ...akoolTokenCredentials(emulator).akoolApi, sessionToken: '' }); // no token yet
			emulator.akool.inject({ route: 'getToken', fault: 'rateLimit', times: 2 });
			const params = videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false });
			const items = Array.from({ length: 10 }, (_, n) => ({ json: { audio: `${emulator.url}/assets/voice.mp3?item=${n}` } }));
			const run = await runNode(engine, akoolNode(params), items, akoolTokenCredentials(emulator));
			expect(run.status).toBe('success');
			expect(emulator.akool.videos()).toHaveLength(10);
			const tokens = timesOf('/getToken');
			expect(tokens).toHaveLength(3);
			expect(Math.min(...gaps(tokens))).toBeGreaterThanOrEqual(950);
		});

		it('a Base URL that can never answer (wrong scheme) fails at once, asking to check it: not retried as temporary', async () => {
			const { emulator, engine } = bed;
			const credentials = akoolTokenCredentials(emulator, { baseUrl: emulator.url.replace('http:', 'htps:') });
			engine.credentials.replaceCredentials('akoolApi', { ...credentials.akoolApi, sessionToken: '' }); // no token yet
			const started = Date.now();
			const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }], credentials);
			expect(run.status).toBe('error');
			expect(run.error?.message).toMatch(/^Akool getToken failed: htps:\/\/.* could not be reached .*Check the Base URL\.$/);
			expect(Date.now() - started).toBeLessThan(3_000);
		});

		it('on create, until Max Wait: the item fails with the rate limit and advice, nothing was created', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'create', fault: 'rateLimit', times: 100 });
			// Max Wait 3 s: room for a retry or two, not for the 6 tries the engine allows.
			const run = await runNode(engine, akoolNode(videoParams(emulator, { maxWaitMinutes: 0.05 })), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('error');
			expect(run.error?.message).toMatch(/^Creating the talking-avatar video failed: Akool code 1005 – Frequent operation/);
			expect(descriptionOf(run.error)).toMatch(/rate limit.*nothing was created/i);
			expect(emulator.akool.counters.createRequests).toBeGreaterThanOrEqual(2);
			expect(emulator.akool.counters.createAccepted).toBe(0);
		});

		it('while polling after Create: retried, and the video is collected', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'get', fault: 'rateLimit', times: 2 });
			const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('success');
			expect(jsonOf(run)[0].status).toBe('succeeded');
			const codes = emulator.akool.requests.filter((r) => r.path.endsWith('/infobymodelid')).map((r) => r.code);
			expect(codes.slice(0, 2)).toEqual([1005, 1005]);
			expect(codes.at(-1)).toBe(1000);
			expect(emulator.akool.counters.createAccepted).toBe(1);
		});

		it('on Get: retried with growing pauses, then the current state', async () => {
			const { emulator, engine } = bed;
			const created = await runNode(engine, akoolNode(videoParams(emulator, { waitForCompletion: false })), [{ json: {} }], akoolKeyCredentials(emulator));
			const taskId = String(jsonOf(created)[0].taskId);
			emulator.akool.inject({ route: 'get', fault: 'rateLimit', times: 2 });
			const run = await runNode(engine, akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: taskId }), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('success');
			expect(jsonOf(run)[0]).toMatchObject({ taskId });
			expect(emulator.akool.requests.filter((r) => r.path.endsWith('/infobymodelid')).map((r) => r.code)).toEqual([1005, 1005, 1000]);
			const [first, second] = gaps(timesOf('/infobymodelid'));
			expect(first).toBeGreaterThanOrEqual(450);
			expect(second).toBeGreaterThanOrEqual(950);
		});

		it('on Avatar → Get Many (Return All) and Avatar → Get: retried too', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'list', fault: 'rateLimit', times: 2 });
			const list = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'list', from: 'all', avatarType: 'all', returnAll: true }), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(list.status).toBe('success');
			expect(jsonOf(list)).toHaveLength(emulator.akool.avatars().length);
			expect(emulator.akool.counters.listRequests).toBe(3);

			const id = emulator.akool.avatars()[0]._id;
			emulator.akool.inject({ route: 'detail', fault: 'rateLimit' });
			const get = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'get', id }), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(get.status).toBe('success');
			expect(jsonOf(get)[0].id).toBe(id);
			expect(emulator.akool.counters.detailRequests).toBe(2);
		});

		it('on Avatar → Create: sent again, one avatar uploaded', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'avatarCreate', fault: 'rateLimit' });
			const params = { resource: 'avatar', operation: 'create', url: `${emulator.url}/assets/sample.mp4`, avatarId: 'rateLimited1', avatarType: 1, options: FAST };
			const run = await runNode(engine, akoolNode(params), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('success');
			expect(emulator.akool.counters.avatarCreateRequests).toBe(2);
			expect(emulator.akool.avatars().filter((a) => a.avatar_id === 'rateLimited1')).toHaveLength(1);
		});
	});

	describe('unknown IDs: 1008, 1014, or no data (which one Akool sends is not known)', () => {
		it.each([
			[1008, 'Akool code 1008 – content not exist'],
			[1014, 'Akool code 1014 – resource does not exist'],
			['null-data', 'a success without the record'],
		] as const)('answer %s: Get says the video does not exist, names the ID, asks once', async (answer, said) => {
			const { emulator, engine } = bed;
			emulator.akool.config.unknownIdAnswer = answer;
			const id = '0123456789abcdef01234567';
			const run = await runNode(engine, akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: id }), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('error');
			// Exactly this: no "task of this batch exists" for an ID Akool does not know.
			expect(run.error?.message).toBe(`Reading video ${id} failed: Akool has no talking-avatar video with ID "${id}"`);
			expect(descriptionOf(run.error)).toContain(`Akool answered ${said}.`);
			expect(descriptionOf(run.error)).toMatch(/taskId that Create outputs \(Akool's _id/);
			expect(emulator.akool.counters.getRequests).toBe(1);
		});

		it('continueOnFail: the error item carries the ID; the avatar detail says so too (1014)', async () => {
			const { emulator, engine } = bed;
			emulator.akool.config.unknownIdAnswer = 1014;
			const get = akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: 'nope' }, { continueOnFail: true });
			const run = await runNode(engine, get, [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('success');
			expect(errorOf(run.output('Node')[0])).toMatchObject({ message: 'Reading video nope failed: Akool has no talking-avatar video with ID "nope"', taskId: 'nope' });

			const avatar = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'get', id: 'nope' }), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(avatar.error?.message).toBe('Reading avatar nope failed: Akool has no avatar with ID "nope"');
			expect(descriptionOf(avatar.error)).toContain('Akool code 1014 – resource does not exist');
		});
	});

	describe('IDs as Akool sends them (cost and uid: akoolVideo.engine.test.ts)', () => {
		it('Get with the task_id of the create answer is not found and points at _id; with taskId it works', async () => {
			const { emulator, engine } = bed;
			const created = await runNode(engine, akoolNode(videoParams(emulator, { waitForCompletion: false })), [{ json: {} }], akoolKeyCredentials(emulator));
			const [answer] = jsonOf(created);
			const taskIdField = String((answer.raw as IDataObject).task_id);
			const wrong = await runNode(engine, akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: taskIdField }), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(wrong.error?.message).toBe(`Reading video ${taskIdField} failed: Akool has no talking-avatar video with ID "${taskIdField}"`);
			expect(descriptionOf(wrong.error)).toMatch(/the task_id and video_id in raw are other IDs/);
			const right = await runNode(engine, akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: String(answer.taskId) }), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(right.status).toBe('success');
			expect(jsonOf(right)[0].taskId).toBe(answer.taskId);
		});
	});

	describe('account codes: fail at once with advice, no retry', () => {
		it('1104 insufficient credit', async () => {
			const { emulator, engine } = bed;
			emulator.akool.config.credits = 0;
			emulator.akool.config.creditsExhaustedCode = 1104;
			const started = Date.now();
			const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.status).toBe('error');
			expect(run.error?.message).toMatch(/^Creating the talking-avatar video failed: Akool code 1104 – insufficient credit/);
			expect(descriptionOf(run.error)).toMatch(/^Insufficient credit\. .*top it up.*Nothing was created, and the node does not retry this by itself/);
			expect(emulator.akool.counters.createRequests).toBe(1);
			expect(emulator.akool.counters.createAccepted).toBe(0);
			expect(Date.now() - started).toBeLessThan(5_000);
		});

		it('1109 gives both documented meanings', async () => {
			const { emulator, engine } = bed;
			emulator.akool.inject({ route: 'create', fault: 'code', code: 1109 });
			const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }], akoolKeyCredentials(emulator));
			expect(run.error?.message).toBe(
				'Creating the talking-avatar video failed: Akool code 1109 – create avatar video error (Akool documents 1109 both as "account not exist" (error-code page) and as "create avatar video error" (talking-avatar page))',
			);
			expect(descriptionOf(run.error)).toMatch(/existing Akool account/);
			expect(emulator.akool.counters.createRequests).toBe(1);
		});
	});
});
