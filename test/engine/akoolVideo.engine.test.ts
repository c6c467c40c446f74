import type { NodeOperationError } from 'n8n-workflow';
import { asset, errorOf, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { akoolKeyCredentials, akoolNode, akoolTokenCredentials, FAST, OFFICIAL_AVATAR, TIMINGS, videoParams } from './akool.setup';

describe('Akool → Talking Avatar Video, through the n8n engine against the emulator', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ akool: TIMINGS });
	});
	afterAll(async () => bed.close());
	beforeEach(() => bed.emulator.reset());

	it('creates with an official avatar, waits, and downloads the MP4 the emulator served (API key mode)', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: { n: 1 } }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		const [item] = run.output('Node');
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({ status: 'succeeded', statusMessage: null, externalTaskId: null, watermarkVideoUrl: null });
		expect(item.json.taskId).toMatch(/^[0-9a-f]{24}$/);
		expect(item.json.videoUrl).toMatch(/\/api\/open\/v3\/emulator\/files\/[0-9a-f]{24}\.mp4$/);
		expect(item.json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
		expect((item.json.raw as { video_status: number }).video_status).toBe(3);
		expect(item.binary?.video).toMatchObject({ mimeType: 'video/mp4', fileName: `akool-talking-avatar-${item.json.taskId}.mp4` });
		expect((await run.binaryBuffer(item, 'video')).equals(asset('sample.mp4'))).toBe(true);

		// The documented body: 3840 × 2160, avatar_from 2, avatar element filling the canvas (its centre
		// at 1920, 1080: provider-apis.md §6.3), audio; nothing optional.
		const [video] = emulator.akool.videos();
		expect(video.body).toEqual({
			width: 3840,
			height: 2160,
			avatar_from: 2,
			elements: [
				{ type: 'avatar', avatar_id: OFFICIAL_AVATAR, scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
				{ type: 'audio', url: `${emulator.url}/assets/voice.mp3` },
			],
		});
		expect(emulator.akool.counters.tokenRequests).toBe(0);
		expect(emulator.akool.requests.filter((r) => r.path.includes('/talkingavatar/')).map((r) => r.auth)).toEqual(['apiKey']);
	});

	it('own avatar URL (avatar_from 3), background colour, layout and webhook URL are sent as set', async () => {
		const { emulator, engine } = bed;
		const params = videoParams(emulator, {
			avatarSource: 'url',
			avatarUrl: `${emulator.url}/assets/sample.mp4`,
			waitForCompletion: false,
			layout: { scaleX: 0.5, offsetX: 100, width: 1920, height: 1080 },
			options: { background: '#ffffff00', webhookUrl: 'https://example.com/hook' },
		});
		const run = await runNode(engine, akoolNode(params), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0]).toMatchObject({ status: 'submitted', videoUrl: null });
		expect(run.output('Node')[0].binary).toBeUndefined();
		expect(emulator.akool.videos()[0].body).toEqual({
			width: 3840,
			height: 2160,
			avatar_from: 3,
			webhookUrl: 'https://example.com/hook',
			elements: [
				{ type: 'image', url: '#ffffff00', scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
				{ type: 'avatar', url: `${emulator.url}/assets/sample.mp4`, scale_x: 0.5, scale_y: 1, offset_x: 100, offset_y: 1080, width: 1920, height: 1080 },
				{ type: 'audio', url: `${emulator.url}/assets/voice.mp3` },
			],
		});
	});

	it('offsets are centres: by default the avatar and the background fill the canvas; 2880, 1620 puts a 1920 × 1080 avatar in the bottom-right quarter', async () => {
		const { emulator, engine } = bed;
		await runNode(engine, akoolNode(videoParams(emulator, { waitForCompletion: false, options: { background: '#112233' } })), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(emulator.akool.videos()[0].layout).toEqual([
			{ type: 'image', left: 0, top: 0, right: 3840, bottom: 2160, canvasCovered: 1, visible: 1 },
			{ type: 'avatar', left: 0, top: 0, right: 3840, bottom: 2160, canvasCovered: 1, visible: 1 },
		]);
		const layout = { width: 1920, height: 1080, offsetX: 2880, offsetY: 1620 };
		await runNode(engine, akoolNode(videoParams(emulator, { waitForCompletion: false, layout })), [{ json: {} }], akoolKeyCredentials(emulator));
		const [, quarter] = emulator.akool.videos();
		expect((quarter.body.elements as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 'avatar', offset_x: 2880, offset_y: 1620, width: 1920, height: 1080 });
		expect(quarter.layout).toEqual([{ type: 'avatar', left: 1920, top: 1080, right: 3840, bottom: 2160, canvasCovered: 0.25, visible: 1 }]);
	});

	it('numeric uid, task_id ≠ _id: the task ID is _id, and polling uses it; unitsDeducted is deduction_duration', async () => {
		const { emulator, engine } = bed;
		emulator.akool.config.deductionDuration = 17.5;
		const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		const [video] = emulator.akool.videos();
		const [item] = jsonOf(run);
		expect(item).toMatchObject({ taskId: video._id, status: 'succeeded', unitsDeducted: '17.5' });
		const raw = item.raw as Record<string, unknown>;
		expect(raw).toMatchObject({ _id: video._id, uid: emulator.akool.config.uid, video_id: video.video_id, deduction_duration: 17.5 });
		expect(typeof raw.uid).toBe('number');
		expect(video.task_id).not.toBe(video._id);
		const polled = emulator.akool.requests.filter((r) => r.path.endsWith('/infobymodelid')).map((r) => r.query.video_model_id);
		expect(polled.length).toBeGreaterThan(0);
		expect(new Set(polled)).toEqual(new Set([video._id]));

		// Create without waiting returns the create answer: task_id there, no cost yet.
		const quick = await runNode(engine, akoolNode(videoParams(emulator, { waitForCompletion: false })), [{ json: {} }], akoolKeyCredentials(emulator));
		const [answer] = jsonOf(quick);
		expect(answer).toMatchObject({ status: 'submitted', unitsDeducted: null });
		expect((answer.raw as Record<string, unknown>).task_id).toBe(emulator.akool.video(String(answer.taskId))?.task_id);
		expect((answer.raw as Record<string, unknown>).task_id).not.toBe(answer.taskId);
	});

	it('a batch is submitted together and waited on together', async () => {
		const { emulator, engine } = bed;
		const items = Array.from({ length: 5 }, (_, n) => ({ json: { n } }));
		const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), items, akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		expect(run.output('Node').map((i) => i.pairedItem)).toEqual(items.map((_, n) => ({ item: n })));
		expect(jsonOf(run).every((j) => j.status === 'succeeded')).toBe(true);
		const videos = emulator.akool.videos();
		expect(videos).toHaveLength(5);
		const lastCreated = Math.max(...videos.map((v) => v.createdAt));
		const firstDone = Math.min(...videos.map((v) => v.createdAt + v.queueMs + v.processingMs));
		expect(lastCreated).toBeLessThan(firstDone);
	});

	it('a failed video (status 4) fails the item with Akool\'s reason', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(videoParams(emulator, { audioUrl: `${emulator.url}/assets/voice.mp3?fail=1` })), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Akool task [0-9a-f]{24} failed: Audio could not be processed \(error code 1109\)/);
	});

	it('continueOnFail: a failed video and an invalid item become error items; the good one succeeds', async () => {
		const { emulator, engine } = bed;
		const params = videoParams(emulator, { audioUrl: '={{ $json.audio }}', downloadVideo: false });
		const items = [
			{ json: { audio: `${emulator.url}/assets/voice.mp3` } },
			{ json: { audio: `${emulator.url}/assets/fail.mp3` } },
			{ json: { audio: '/tmp/voice.mp3' } },
		];
		const run = await runNode(engine, akoolNode(params, { continueOnFail: true }), items, akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		const out = run.output('Node');
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[0].json.status).toBe('succeeded');
		expect(errorOf(out[1])).toMatchObject({ status: 'failed', taskId: expect.stringMatching(/^[0-9a-f]{24}$/) });
		expect(errorOf(out[1])?.message).toMatch(/failed: Audio could not be processed/);
		expect(errorOf(out[2])?.message).toMatch(/Invalid "Audio URL" in item 2: .*local file path/);
		expect(emulator.akool.counters.createRequests).toBe(2);
	});

	it.each([
		['an empty audio URL', { audioUrl: '={{ "" }}' }, /Invalid "Audio URL" in item 0: the URL is empty/],
		['a local audio path', { audioUrl: 'C:\\voice.mp3' }, /Invalid "Audio URL".*local file path/],
		['a file: audio URL', { audioUrl: 'file:///tmp/a.mp3' }, /Invalid "Audio URL".*local file path/],
		['an ftp avatar URL', { avatarSource: 'url', avatarUrl: 'ftp://x.com/a.mp4' }, /Invalid "Avatar Video URL".*only http and https/],
		['a bad background', { options: { background: '#zzz' } }, /Invalid "Background".*not a hex colour/],
		['a bad background URL', { options: { background: 'bg.png' } }, /Invalid "Background"/],
		['a bad webhook URL', { options: { webhookUrl: 'not a url' } }, /Invalid "Webhook URL"/],
		['an empty avatar', { avatarId: '={{ "" }}' }, /Invalid "Avatar" in item 0: the avatar ID is empty/],
	])('rejects %s before any request', async (_name, override, message) => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(videoParams(emulator, override as never)), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(message);
		expect(emulator.akool.requests).toHaveLength(0);
	});

	it('validates every item before sending anything: one bad item, no video created', async () => {
		const { emulator, engine } = bed;
		const params = videoParams(emulator, { audioUrl: '={{ $json.audio }}' });
		const run = await runNode(engine, akoolNode(params), [{ json: { audio: `${emulator.url}/assets/voice.mp3` } }, { json: { audio: '' } }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/item 1/);
		expect(emulator.akool.counters.createRequests).toBe(0);
	});

	it('Get by video model ID waits and downloads; without waiting it returns the current state', async () => {
		const { emulator, engine } = bed;
		const created = await runNode(engine, akoolNode(videoParams(emulator, { waitForCompletion: false })), [{ json: {} }], akoolKeyCredentials(emulator));
		const taskId = String(jsonOf(created)[0].taskId);

		const now = await runNode(engine, akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: taskId }), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(jsonOf(now)[0]).toMatchObject({ taskId, status: expect.stringMatching(/submitted|processing/) });

		const waited = await runNode(
			engine,
			akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: taskId, waitForCompletion: true, maxWaitMinutes: 1, downloadVideo: true, videoBinaryProperty: 'clip', options: FAST }),
			[{ json: {} }],
			akoolKeyCredentials(emulator),
		);
		expect(waited.status).toBe('success');
		const [item] = waited.output('Node');
		expect(item.json).toMatchObject({ taskId, status: 'succeeded' });
		expect((await waited.binaryBuffer(item, 'clip')).equals(asset('sample.mp4'))).toBe(true);
		expect(emulator.akool.requests.filter((r) => r.path.endsWith('/infobymodelid')).length).toBeGreaterThanOrEqual(2);
	});

	it('quota exhausted (1006) is fatal and clear', async () => {
		const { emulator, engine } = bed;
		emulator.akool.config.credits = 0;
		const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Creating the talking-avatar video failed: Akool code 1006 – Your quota is not enough/);
		expect(emulator.akool.counters.createRequests).toBe(1);
	});

	it.each([
		[1109, 'create avatar video error'],
		[1200, 'The account has been banned'],
		[1201, 'Create audio error, please try again later'],
		[4242, 'something new'],
	])('code %i on create is shown with its number and message, and not retried', async (code, msg) => {
		const { emulator, engine } = bed;
		emulator.akool.inject({ route: 'create', fault: 'code', code, msg });
		const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toContain(`Akool code ${code} – ${msg}`);
		expect(emulator.akool.counters.createRequests).toBe(1);
	});

	it('never pays twice: a 500 or a dropped connection during create is not retried', async () => {
		const { emulator, engine } = bed;
		emulator.akool.inject({ route: 'create', fault: 'reset-after-accept' });
		const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		// n8n rewrites any message naming ECONNRESET into its own wording; the description is ours.
		expect((run.error as NodeOperationError).description).toMatch(/Akool offers no way to look up a task.*not sent again/);
		expect(emulator.akool.counters.createRequests).toBe(1);
		expect(emulator.akool.counters.createAccepted).toBe(1);

		emulator.akool.reset();
		emulator.akool.inject({ route: 'create', fault: 'http500' });
		const again = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(again.status).toBe('error');
		expect(again.error?.message).toMatch(/Akool HTTP 500.*may or may not have been created/);
		expect(emulator.akool.counters.createRequests).toBe(1);
	});

	it('a 500 while polling is retried', async () => {
		const { emulator, engine } = bed;
		emulator.akool.inject({ route: 'get', fault: 'http500', times: 2 });
		const run = await runNode(engine, akoolNode(videoParams(emulator, { downloadVideo: false })), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0].status).toBe('succeeded');
	});

	it('a wrong API key fails with code 1101 and advice, nothing created', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(videoParams(emulator)), [{ json: {} }], akoolKeyCredentials(emulator, { apiKey: 'wrong' }));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Akool code 1101/);
		expect(emulator.akool.counters.createAccepted).toBe(0);
	});
});
