import { asset, fixture, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { createParams, FAST, klingCredentials, klingNode } from './kling.setup';

const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };

describe('Kling Avatar → Create, through the n8n engine against the emulator', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 150, processingMs: 600, concurrencyLimit: 50 } });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('creates from binary image + binary audio, waits, and downloads the video bytes the emulator served', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(createParams({ prompt: 'smile' })), [{ json: { n: 1 }, binary: { data: portrait, audio: voice } }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		const [item] = run.output('Node');
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({ status: 'succeeded', statusMessage: null, unitsDeducted: '1' });
		expect(item.json.videoUrl).toMatch(/\/files\/kling\/\d+\.mp4$/);
		expect(typeof item.json.durationSeconds).toBe('number');
		expect(item.json.durationSeconds).toBeCloseTo(3.06, 1); // follows the audio length
		expect(item.json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
		expect(item.json.externalTaskId).toMatch(/^n8n-/);
		expect((item.json.raw as { task_status: string }).task_status).toBe('succeed');

		const video = item.binary?.video;
		expect(video).toMatchObject({ mimeType: 'video/mp4', fileName: `kling-avatar-${item.json.taskId}.mp4` });
		expect((await run.binaryBuffer(item, 'video')).equals(asset('sample.mp4'))).toBe(true);

		// Exactly what Kling expects was sent: raw Base64 of the inputs, mode always set.
		const [task] = emulator.kling.tasks();
		expect(task.body.image).toBe(portrait.data.toString('base64'));
		expect(task.body.sound_file).toBe(voice.data.toString('base64'));
		expect(task.body).toMatchObject({ mode: 'std', prompt: 'smile' });
		expect(task.body).not.toHaveProperty('audio_id');
		expect(task.body).not.toHaveProperty('callback_url');
		expect(emulator.kling.counters.createAccepted).toBe(1);
	});

	it('waits on a batch together: 6 items take about as long as one', async () => {
		const { emulator, engine } = bed;
		const items = Array.from({ length: 6 }, (_, n) => ({ json: { n }, binary: { data: portrait, audio: voice } }));
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), items, klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(run.output('Node').map((i) => i.pairedItem)).toEqual(items.map((_, n) => ({ item: n })));
		const tasks = emulator.kling.tasks();
		expect(tasks).toHaveLength(6);
		// All six were submitted before the first one finished (not one after another).
		const lastCreated = Math.max(...tasks.map((t) => t.createdAt));
		const firstFinished = Math.min(...tasks.map((t) => t.finishedAt as number));
		expect(lastCreated).toBeLessThan(firstFinished);
		expect(new Set(jsonOf(run).map((j) => j.externalTaskId)).size).toBe(6);
	});

	it('takes the image and audio as URLs', async () => {
		const { emulator, engine } = bed;
		const params = createParams({
			imageSource: 'url',
			imageUrl: `${emulator.url}/assets/portrait.jpg`,
			audioSource: 'url',
			audioUrl: `${emulator.url}/assets/voice.mp3`,
			mode: 'pro',
			options: { watermark: true, callbackUrl: 'https://example.com/hook', externalTaskId: 'my-own-id-1' },
		});
		const run = await runNode(engine, klingNode(params), [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		const [json] = jsonOf(run);
		expect(json).toMatchObject({ status: 'succeeded', externalTaskId: 'my-own-id-1', unitsDeducted: '2' });
		expect(json.watermarkVideoUrl).toMatch(/_wm\.mp4$/);
		expect(emulator.kling.tasks()[0].body).toMatchObject({
			image: `${emulator.url}/assets/portrait.jpg`,
			sound_file: `${emulator.url}/assets/voice.mp3`,
			mode: 'pro',
			watermark_info: { enabled: true },
			callback_url: 'https://example.com/hook',
			external_task_id: 'my-own-id-1',
		});
	});

	it('takes Base64 and strips a data: prefix before sending', async () => {
		const { emulator, engine } = bed;
		const params = createParams({
			imageSource: 'base64',
			imageBase64: `data:image/png;base64,${portrait.data.toString('base64')}`,
			audioSource: 'base64',
			audioBase64: voice.data.toString('base64'),
			waitForCompletion: false,
		});
		const run = await runNode(engine, klingNode(params), [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0].status).toBe('submitted');
		const body = emulator.kling.tasks()[0].body;
		expect(body.image).toBe(portrait.data.toString('base64'));
		expect(String(body.image)).not.toMatch(/^data:/);
	});

	it('goes from text to voice to avatar with Kling TTS (Speech → Create, then the audio ID)', async () => {
		const { emulator, engine } = bed;
		const speech = klingNode(
			{ resource: 'speech', operation: 'create', text: 'Hello from n8n', voiceLanguage: 'en', voiceId: 'oversea_male1', voiceSpeed: 1.2, downloadAudio: true },
			{ name: 'Speech' },
		);
		const avatar = klingNode(
			createParams({ imageSource: 'url', imageUrl: `${emulator.url}/assets/portrait.jpg`, audioSource: 'audioId', audioId: '={{ $json.audioId }}' }),
			{ name: 'Avatar', position: [200, 0] },
		);
		const run = await engine.run({
			nodes: [speech, avatar],
			connections: { Speech: { main: [[{ node: 'Avatar', type: 'main' as never, index: 0 }]] } },
			items: [{ json: {} }],
			credentials: klingCredentials(emulator),
		});
		expect(run.status).toBe('success');
		const [tts] = run.output('Speech');
		expect(tts.json.audioId).toBeTruthy();
		expect((await run.binaryBuffer(tts, 'audio')).equals(asset('voice.mp3'))).toBe(true);
		const [video] = run.output('Avatar');
		expect(video.json.status).toBe('succeeded');
		expect(emulator.kling.tasks()[0].body).toMatchObject({ audio_id: tts.json.audioId });
		expect(emulator.kling.tasks()[0].body).not.toHaveProperty('sound_file');
	});

	it('lists the voices Speech → Create takes (the TTS catalogue; more in klingSpeech.engine.test.ts)', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode({ resource: 'speech', operation: 'listVoices', returnAll: true }), [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)).toContainEqual({ voiceId: 'oversea_male1', voiceName: 'Anchor', language: 'en' });
	});

	it('works with an API key and a CometAPI-style custom base URL', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(
			engine,
			klingNode(createParams({ downloadVideo: false })),
			[{ json: {}, binary: { data: portrait, audio: voice } }],
			klingCredentials(emulator, { authentication: 'apiKey', apiKey: emulator.kling.config.apiKey, baseUrl: `${emulator.url}/kling/` }),
		);
		expect(run.status).toBe('success');
		expect(emulator.kling.counters.byPath['/kling/v1/videos/avatar/image2video']).toBe(1);
	});

	it('a wrong secret key fails with the provider code and advice', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(createParams()), [{ json: {}, binary: { data: portrait, audio: voice } }], klingCredentials(emulator, { secretKey: 'wrong' }));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Kling code 1002/);
		expect(emulator.kling.counters.createAccepted).toBe(0);
	});

	it('get by task id and by external id, with wait and download', async () => {
		const { emulator, engine } = bed;
		const created = await runNode(engine, klingNode(createParams({ waitForCompletion: false, options: { externalTaskId: 'ext-get-1' } })), [{ json: {}, binary: { data: portrait, audio: voice } }], klingCredentials(emulator));
		const taskId = String(jsonOf(created)[0].taskId);

		const byId = await runNode(engine, klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId, waitForCompletion: true, maxWaitMinutes: 1, downloadVideo: true, videoBinaryProperty: 'clip', options: FAST }), [{ json: {} }], klingCredentials(emulator));
		expect(byId.status).toBe('success');
		const [item] = byId.output('Node');
		expect(item.json).toMatchObject({ taskId, status: 'succeeded', externalTaskId: 'ext-get-1' });
		expect((await byId.binaryBuffer(item, 'clip')).equals(asset('sample.mp4'))).toBe(true);

		const byExternal = await runNode(engine, klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'externalTaskId', externalTaskId: 'ext-get-1', downloadVideo: false }), [{ json: {} }], klingCredentials(emulator));
		expect(jsonOf(byExternal)[0]).toMatchObject({ taskId, status: 'succeeded' });
		expect(byExternal.output('Node')[0].binary).toBeUndefined();
	});

	it('Get without waiting returns the current state at once', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.processingMs = 60_000;
		const created = await runNode(engine, klingNode(createParams({ waitForCompletion: false })), [{ json: {}, binary: { data: portrait, audio: voice } }], klingCredentials(emulator));
		const taskId = String(jsonOf(created)[0].taskId);
		const got = await runNode(engine, klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId }), [{ json: {} }], klingCredentials(emulator));
		expect(jsonOf(got)[0]).toMatchObject({ taskId, status: expect.stringMatching(/submitted|processing/) });
		expect(got.durationMs).toBeLessThan(5_000);
	});
});
