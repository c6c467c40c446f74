import { createHash } from 'node:crypto';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { asset, errorOf, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { createParams, getParams, mingyanCredentials, mingyanNode } from './mingyan.setup';

const SAMPLE_MD5 = createHash('md5').update(asset('sample.mp4')).digest('hex');

describe('Mingyan Lip-Sync → Create / Get, through the n8n engine against the emulator', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ mingyan: { queuedMs: 150, processingMs: 400 } });
	});
	afterAll(async () => bed.close());
	beforeEach(() => bed.emulator.reset());

	it('creates, waits, downloads the video and checks it against the published md5', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: { n: 1 } }], mingyanCredentials(emulator));
		expect(run.status).toBe('success');
		const [item] = run.output('Node');
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({
			status: 'succeeded',
			statusMessage: null,
			externalTaskId: null,
			watermarkVideoUrl: null,
			durationSeconds: null,
			unitsDeducted: null,
			md5: SAMPLE_MD5,
		});
		expect(item.json.taskId).toMatch(/^dh_/);
		expect(item.json.videoUrl).toBe(`${emulator.url}/kyyReactApiServer/files/${item.json.taskId}.mp4`);
		expect(item.json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
		expect(Math.abs(Date.parse(String(item.json.createdAt)) - Date.now())).toBeLessThan(60_000); // seconds read as seconds
		expect((item.json.raw as { status: string }).status).toBe('completed');
		expect(item.binary?.video).toMatchObject({ mimeType: 'video/mp4', fileName: `mingyan-lipsync-${item.json.taskId}.mp4` });
		expect((await run.binaryBuffer(item, 'video')).equals(asset('sample.mp4'))).toBe(true);

		// Exactly the documented body: integer modelVersion, face options left out when off.
		const [task] = emulator.mingyan.tasks();
		expect(task.body).toEqual({
			model: 'kyy_digitalHuman',
			audioUrl: `${emulator.url}/assets/voice.mp3`,
			videoUrl: `${emulator.url}/assets/sample.mp4`,
			modelVersion: 2,
		});
		expect(emulator.mingyan.counters).toMatchObject({ createRequests: 1, createAccepted: 1, downloads: 1 });
		// Bearer auth on API calls.
		expect(emulator.mingyan.counters.unauthorized).toBe(0);
	});

	it('sends version 1 and the face options as 1 when turned on', async () => {
		const { emulator, engine } = bed;
		const params = createParams(emulator, { modelVersion: 1, waitForCompletion: false, options: { sideFace: true, tiltedFace: true } });
		const run = await runNode(engine, mingyanNode(params), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0]).toMatchObject({ status: 'submitted', md5: null });
		expect(emulator.mingyan.tasks()[0].body).toMatchObject({ modelVersion: 1, sideFace: 1, tiltedFace: 1 });

		emulator.reset();
		const one = await runNode(engine, mingyanNode(createParams(emulator, { waitForCompletion: false, options: { sideFace: true } })), [{ json: {} }], mingyanCredentials(emulator));
		expect(one.status).toBe('success');
		expect(emulator.mingyan.tasks()[0].body).toMatchObject({ sideFace: 1 });
		expect(emulator.mingyan.tasks()[0].body).not.toHaveProperty('tiltedFace');
	});

	it('reads answers wrapped in {data: {...}} (create and result)', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.config.wrapInData = true;
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('success');
		const [item] = run.output('Node');
		expect(item.json).toMatchObject({ status: 'succeeded', md5: SAMPLE_MD5 });
		expect(item.json.taskId).toMatch(/^dh_/);
		expect(item.json.videoUrl).toMatch(/\/files\/dh_.+\.mp4$/);
		expect((await run.binaryBuffer(item, 'video')).equals(asset('sample.mp4'))).toBe(true);
	});

	it('percent-encodes a URL with Chinese characters, which arrives encoded', async () => {
		const { emulator, engine } = bed;
		const params = createParams(emulator, {
			audioUrl: `${emulator.url}/素材/配音 一.mp3?名=值`,
			videoUrl: `${emulator.url}/素材/主播.mp4`,
			waitForCompletion: false,
		});
		const run = await runNode(engine, mingyanNode(params), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('success');
		expect(emulator.mingyan.receivedUrls).toEqual([
			{
				audioUrl: `${emulator.url}/%E7%B4%A0%E6%9D%90/%E9%85%8D%E9%9F%B3%20%E4%B8%80.mp3?%E5%90%8D=%E5%80%BC`,
				videoUrl: `${emulator.url}/%E7%B4%A0%E6%9D%90/%E4%B8%BB%E6%92%AD.mp4`,
			},
		]);
		// Already-encoded URLs are not encoded twice.
		emulator.reset();
		const again = await runNode(engine, mingyanNode(createParams(emulator, { audioUrl: 'https://cdn.example.com/%E9%85%8D%E9%9F%B3.mp3', waitForCompletion: false })), [{ json: {} }], mingyanCredentials(emulator));
		expect(again.status).toBe('success');
		expect(emulator.mingyan.receivedUrls[0].audioUrl).toBe('https://cdn.example.com/%E9%85%8D%E9%9F%B3.mp3');
	});

	it.each([
		['Video URL', { videoUrl: '/home/me/presenter.mp4' }, /local file path/],
		['Video URL', { videoUrl: 'C:\\videos\\presenter.mp4' }, /local file path/],
		['Audio URL', { audioUrl: 'file:///home/me/voice.mp3' }, /local file path/],
		['Audio URL', { audioUrl: 'ftp://example.com/voice.mp3' }, /only http and https/],
		['Audio URL', { audioUrl: '   ' }, /the URL is empty/],
		['Audio URL', { audioUrl: 'https://example.com/voice.flac' }, /"\.flac".*mp4, mp3, wav, m4a, aac/],
		['Video URL', { videoUrl: 'https://example.com/portrait.png' }, /"\.png".*not a supported video format/],
	])('refuses a bad %s before any request (%o)', async (field, bad, problem) => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, mingyanNode(createParams(emulator, bad)), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error).toBeInstanceOf(NodeOperationError);
		expect(run.error?.message).toMatch(new RegExp(`^Invalid "${field}" in item 0: `));
		expect(run.error?.message).toMatch(problem);
		expect(emulator.mingyan.requests).toHaveLength(0);
	});

	it('accepts audio URLs without an extension or behind a script, and every listed audio format', async () => {
		const { emulator, engine } = bed;
		const urls = ['https://example.com/tts?id=42', 'https://example.com/get.php?file=a.ogg', 'https://example.com/a.wav', 'https://example.com/a.M4A', 'https://example.com/a.aac', 'https://example.com/a.mp4'];
		const run = await runNode(
			engine,
			mingyanNode(createParams(emulator, { audioUrl: '={{ $json.audio }}', waitForCompletion: false })),
			urls.map((audio) => ({ json: { audio } })),
			mingyanCredentials(emulator),
		);
		expect(run.status).toBe('success');
		expect(emulator.mingyan.receivedUrls.map((u) => u.audioUrl)).toEqual(urls);
	});

	it('validates the whole batch first: with continueOnFail a bad item becomes an error item and the others run', async () => {
		const { emulator, engine } = bed;
		const node = mingyanNode(createParams(emulator, { videoUrl: '={{ $json.video }}', downloadVideo: false }), { onError: 'continueRegularOutput' });
		const run = await runNode(
			engine,
			node,
			[{ json: { video: `${emulator.url}/assets/sample.mp4` } }, { json: { video: './clip.mp4' } }],
			mingyanCredentials(emulator),
		);
		expect(run.status).toBe('success');
		const out = run.output('Node');
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(out[0].json.status).toBe('succeeded');
		expect(errorOf(out[1])?.message).toMatch(/Invalid "Video URL" in item 1/);
		expect(emulator.mingyan.counters.createRequests).toBe(1);
	});

	it('an md5 mismatch fails the item (the video is not passed on); with continueOnFail it names the task', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.config.wrongMd5 = true;
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/does not match its MD5/);

		emulator.reset();
		emulator.mingyan.config.wrongMd5 = true;
		const soft = await runNode(engine, mingyanNode(createParams(emulator), { onError: 'continueRegularOutput' }), [{ json: {} }], mingyanCredentials(emulator));
		expect(soft.status).toBe('success');
		const [item] = soft.output('Node');
		expect(item.binary).toBeUndefined();
		expect(errorOf(item)?.message).toMatch(/does not match its MD5/);
		expect(errorOf(item)?.taskId).toMatch(/^dh_/);
		expect(errorOf(item)?.description).toMatch(/Get with Task ID/);
	});

	it('a truncated download is caught by the md5 check', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.config.truncateDownload = true;
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/does not match its MD5/);
		expect((run.error as NodeOperationError).description).toMatch(new RegExp(`${Math.floor(asset('sample.mp4').length / 2)} bytes`));
	});

	it('without a published md5 the download is passed on unchecked', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.config.omitMd5 = true;
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0]).toMatchObject({ status: 'succeeded', md5: null });
	});

	it('a failed task fails the item with the provider\'s error', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, mingyanNode(createParams(emulator, { videoUrl: 'https://example.com/mingyan-fail.mp4' })), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error).toBeInstanceOf(NodeApiError);
		expect(run.error?.message).toMatch(/Mingyan task dh_\w+ failed: face not detected in the video/);
	});

	it('a bad key fails with HTTP 401 and advice', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator, { apiKey: 'wrong' }));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Creating the lip-sync task failed: Mingyan HTTP 401 – Unauthorized: invalid API key/);
		expect((run.error as NodeApiError).description).toMatch(/check the Mingyan credential/);
		expect(emulator.mingyan.counters.createAccepted).toBe(0);
	});

	it('never sends a create twice: a 500 or a lost answer is reported as "may have been created"', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.inject({ route: 'create', fault: 'http500' });
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/may or may not have been created/);
		expect(emulator.mingyan.counters.createRequests).toBe(1);

		emulator.reset();
		emulator.mingyan.inject({ route: 'create', fault: 'reset-after-accept' });
		const lost = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(lost.status).toBe('error');
		expect(lost.error?.message).toMatch(/Creating the lip-sync task failed: no answer from the server; the task may or may not have been created/i);
		expect((lost.error as NodeOperationError).description).toMatch(/Mingyan offers no way to look up a task.*not sent again/);
		expect(emulator.mingyan.counters).toMatchObject({ createRequests: 1, createAccepted: 1 });
	});

	it('rides out a 429 and a 500 while polling', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.inject({ route: 'result', fault: 'http429' });
		emulator.mingyan.inject({ route: 'result', fault: 'http500' });
		const run = await runNode(engine, mingyanNode(createParams(emulator, { downloadVideo: false })), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0].status).toBe('succeeded');
	});

	it('Get by task ID waits and downloads; without waiting returns the current state', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.config.processingMs = 1500;
		const created = await runNode(engine, mingyanNode(createParams(emulator, { waitForCompletion: false })), [{ json: {} }], mingyanCredentials(emulator));
		const taskId = String(jsonOf(created)[0].taskId);

		const now = await runNode(engine, mingyanNode(getParams(taskId, { waitForCompletion: false })), [{ json: {} }], mingyanCredentials(emulator));
		expect(jsonOf(now)[0]).toMatchObject({ taskId, status: expect.stringMatching(/submitted|processing/) });

		const done = await runNode(engine, mingyanNode(getParams(taskId, { videoBinaryProperty: 'clip' })), [{ json: {} }], mingyanCredentials(emulator));
		expect(done.status).toBe('success');
		const [item] = done.output('Node');
		expect(item.json).toMatchObject({ taskId, status: 'succeeded', md5: SAMPLE_MD5 });
		expect((await done.binaryBuffer(item, 'clip')).equals(asset('sample.mp4'))).toBe(true);
	});

	it('Get of an unknown task ID (404) fails clearly', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.config.unknownIdStatus = 404;
		const run = await runNode(engine, mingyanNode(getParams('dh_nope')), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Reading lip-sync task dh_nope failed: Mingyan HTTP 404/);
	});

	it('reads created in milliseconds too', async () => {
		const { emulator, engine } = bed;
		emulator.mingyan.config.createdUnit = 'ms';
		const run = await runNode(engine, mingyanNode(createParams(emulator, { waitForCompletion: false })), [{ json: {} }], mingyanCredentials(emulator));
		expect(Math.abs(Date.parse(String(jsonOf(run)[0].createdAt)) - Date.now())).toBeLessThan(60_000);
	});
});

describe('Mingyan Lip-Sync with filesystem binary data', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ mingyan: { queuedMs: 100, processingMs: 200 } }, { binaryDataMode: 'filesystem' });
	});
	afterAll(async () => bed.close());
	beforeEach(() => bed.emulator.reset());

	it('verifies the md5 by streaming the stored file back', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(run.status).toBe('success');
		const [item] = run.output('Node');
		expect(item.binary?.video.id).toBeTruthy();
		expect((await run.binaryBuffer(item, 'video')).equals(asset('sample.mp4'))).toBe(true);

		emulator.mingyan.config.truncateDownload = true;
		const bad = await runNode(engine, mingyanNode(createParams(emulator)), [{ json: {} }], mingyanCredentials(emulator));
		expect(bad.status).toBe('error');
		expect(bad.error?.message).toMatch(/does not match its MD5/);
	});
});
