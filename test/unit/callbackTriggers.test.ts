/**
 * The trigger nodes' webhook() with a small fake IWebhookFunctions (test/unit/fakeWebhook.ts)
 * against the real emulator over HTTP: the emulator POSTs its callbacks / webhooks (with the
 * delivery test controls) to a receiver that runs webhook(); the trigger fetches the task and
 * downloads the video from the emulator.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AkoolTrigger } from '../../nodes/Akool/AkoolTrigger.node';
import { KlingAvatarTrigger } from '../../nodes/KlingAvatar/KlingAvatarTrigger.node';
import { claimDelivery, clearInProcessDeliveries, SEEN_STATIC_MAX, SEEN_TTL_MS, triggerDownloadLimits } from '../../nodes/shared/callbackTrigger';
import { AKOOL_WEBHOOK_MAX_AGE_MS } from '../../nodes/Akool/webhookVerify';
import { akoolEncrypt, akoolSign } from '../../emulator/akoolCrypto';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';
import { FORGED_VIDEO_URL } from '../../emulator/kling';
import { FORGED_AKOOL_VIDEO_URL } from '../../emulator/akool';
import type { FakeTriggerSetup, Receiver } from './fakeWebhook';
import { callWebhook, startReceiver } from './fakeWebhook';

const SAMPLE_MP4 = readFileSync(path.resolve(__dirname, '../../emulator/assets/sample.mp4'));

let emu: Emulator;
const receivers: Receiver[] = [];
const kling = new KlingAvatarTrigger();
const akool = new AkoolTrigger();

beforeAll(async () => {
	emu = await startEmulator({ kling: { submittedMs: 100, processingMs: 200 }, akool: { queueMs: 100, processingMs: 200 } });
});
afterAll(async () => {
	await emu.close();
});
beforeEach(() => {
	emu.reset();
	clearInProcessDeliveries();
	jest.restoreAllMocks();
});
afterEach(async () => {
	await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5000): Promise<void> {
	const end = Date.now() + ms;
	while (!cond()) {
		if (Date.now() > end) throw new Error('timed out');
		await sleep(10);
	}
}

const klingSetup = (parameters: Record<string, unknown> = {}): FakeTriggerSetup => ({
	credentials: { klingApi: { authentication: 'apiKey', apiKey: emu.kling.config.apiKey, region: 'custom', baseUrl: emu.url } },
	parameters: { statusFilter: 'ended', downloadVideo: true, videoBinaryProperty: 'video', ...parameters },
	staticData: {},
});
const akoolSetup = (parameters: Record<string, unknown> = {}): FakeTriggerSetup => ({
	credentials: { akoolApi: { authentication: 'apiKey', apiKey: emu.akool.config.apiKey, clientId: emu.akool.config.clientId, baseUrl: emu.url } },
	parameters: { statusFilter: 'ended', downloadVideo: true, videoBinaryProperty: 'video', options: {}, ...parameters },
	staticData: {},
});

async function receiver(node: KlingAvatarTrigger | AkoolTrigger, setup: FakeTriggerSetup): Promise<Receiver> {
	const r = await startReceiver(node, setup);
	receivers.push(r);
	return r;
}

async function klingCreate(callbackUrl: string, extra: Record<string, unknown> = {}): Promise<string> {
	const res = await fetch(`${emu.url}/v1/videos/avatar/image2video`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${emu.kling.config.apiKey}` },
		body: JSON.stringify({ image: `${emu.url}/assets/portrait.jpg`, sound_file: `${emu.url}/assets/voice.mp3`, callback_url: callbackUrl, ...extra }),
	});
	return ((await res.json()) as any).data.task_id;
}

async function akoolCreate(webhookUrl: string, audio = 'https://example.com/voice.mp3'): Promise<string> {
	const res = await fetch(`${emu.url}/api/open/v3/talkingavatar/create`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'x-api-key': emu.akool.config.apiKey },
		body: JSON.stringify({
			width: 3840,
			height: 2160,
			avatar_from: 2,
			webhookUrl,
			elements: [
				{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
				{ type: 'audio', url: audio },
			],
		}),
	});
	return ((await res.json()) as any).data._id;
}

describe('Kling Avatar Trigger', () => {
	it('emits each ended task once, confirmed by Kling, with the video downloaded', async () => {
		const r = await receiver(kling, klingSetup());
		const id = await klingCreate(r.url, { external_task_id: 'trig-1' });
		await until(() => r.calls.length >= 3);
		await sleep(50);
		// The same answer emitted or not (an unsigned caller learns nothing from it).
		expect(r.calls.map((c) => [c.status, c.body, c.emitted.length])).toEqual([
			[200, { received: true }, 0],
			[200, { received: true }, 0],
			[200, { received: true }, 1],
		]);
		const out = r.emitted();
		expect(out).toHaveLength(1);
		expect(out[0].json).toMatchObject({ taskId: id, externalTaskId: 'trig-1', status: 'succeeded', videoUrl: `${emu.url}/files/kling/${id}.mp4` });
		expect(Buffer.from(out[0].binary!.video.data, 'base64').equals(SAMPLE_MP4)).toBe(true);
		expect(out[0].binary!.video.fileName).toBe(`kling-avatar-${id}.mp4`);
		// One fetch per callback.
		expect(emu.kling.counters.getRequests).toBe(3);
	});

	it('duplicated and reordered deliveries emit once; a lost succeed is recovered from a late processing callback', async () => {
		const r = await receiver(kling, klingSetup({ downloadVideo: false }));
		emu.kling.controlCallbacks({ action: 'duplicate', status: 'succeed', copies: 3 });
		emu.kling.controlCallbacks({ action: 'reorder', status: 'processing' });
		const a = await klingCreate(r.url);
		await until(() => r.calls.length >= 6);
		await sleep(50);
		expect(r.emitted().map((i) => [i.json.taskId, i.json.status])).toEqual([[a, 'succeeded']]);
		expect(r.emitted()[0].binary).toBeUndefined();

		emu.kling.clearCallbackControls();
		const before = r.calls.length;
		emu.kling.controlCallbacks({ action: 'lose', status: 'succeed' });
		emu.kling.controlCallbacks({ action: 'delay', status: 'processing', delayMs: 600 });
		const b = await klingCreate(r.url);
		await until(() => r.calls.length >= before + 2);
		await sleep(50);
		// The late 'processing' callback arrived after the end: the fetch shows succeed.
		expect(r.emitted().map((i) => [i.json.taskId, i.json.status])).toEqual([
			[a, 'succeeded'],
			[b, 'succeeded'],
		]);
	});

	it('concurrent copies of one callback emit once (in-process guard)', async () => {
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const id = await klingCreate('http://127.0.0.1:9/none');
		const setup = klingSetup({ downloadVideo: false });
		const calls = await Promise.all(Array.from({ length: 20 }, () => callWebhook(kling, setup, { task_id: id, task_status: 'succeed' })));
		expect(calls.flatMap((c) => c.emitted)).toHaveLength(1);
		expect(calls.every((c) => c.status === 200)).toBe(true);
		// After a restart (memory gone) the static data still knows it.
		clearInProcessDeliveries();
		expect((await callWebhook(kling, setup, { task_id: id })).emitted).toHaveLength(0);
		// Another trigger node (its own static data) emits it once too.
		expect((await callWebhook(kling, { ...klingSetup({ downloadVideo: false }), nodeId: 'other' }, { task_id: id })).emitted).toHaveLength(1);
	});

	it('forged callbacks emit nothing: succeed with a foreign URL for a running task, an unknown task, no task id', async () => {
		emu.kling.config.processingMs = 60_000;
		const r = await receiver(kling, klingSetup());
		const running = await klingCreate('http://127.0.0.1:9/none');
		await until(() => emu.kling.task(running)?.status === 'processing');
		// A claimed end that Kling does not show: 503 (a real one is sent again), nothing emitted.
		const forged = await emu.kling.forgeCallback(r.url, { task: running });
		expect(forged.statusCode).toBe(503);
		// An unknown task gets the answer any task gets (no probing which tasks exist).
		expect(await emu.kling.forgeCallback(r.url, { task: '867000000000000001' })).toMatchObject({ statusCode: 200 });
		expect(await emu.kling.forgeCallback(r.url, { body: { hello: 'world' } })).toMatchObject({ statusCode: 400 });
		expect(await emu.kling.forgeCallback(r.url, { body: { task_id: '../../etc/passwd', task_status: 'succeed' } })).toMatchObject({ statusCode: 400 });
		expect(r.emitted()).toEqual([]);
		expect(r.calls.map((c) => c.body)).toEqual([{ error: 'try again later' }, { received: true }, { error: 'invalid callback' }, { error: 'invalid callback' }]);
		// Why is in n8n's log.
		expect(r.calls.map((c) => c.logs.join(' '))).toEqual([
			expect.stringContaining(`task ${running}: the delivery says it ended but Kling's API shows it processing`),
			expect.stringContaining('which Kling does not know'),
			expect.stringContaining('without a usable task_id'),
			expect.stringContaining('without a usable task_id'),
		]);

		// With Status Filter "Any", a bare callback for the running task emits its confirmed state (not a claimed one).
		const any = await callWebhook(kling, klingSetup({ statusFilter: 'any' }), { task_id: running, task_status: 'processing', task_result: { videos: [{ url: FORGED_VIDEO_URL }] } });
		expect(any.emitted.map((i) => [i.json.status, i.json.videoUrl])).toEqual([['processing', null]]);
		expect(JSON.stringify(any.emitted)).not.toContain(FORGED_VIDEO_URL);
		const claimed = await callWebhook(kling, klingSetup({ statusFilter: 'any' }), (await emu.kling.forgeCallback('http://127.0.0.1:9/none', { task: running })).body);
		expect([claimed.status, claimed.emitted.length]).toEqual([503, 0]);
	});

	it('a succeeded task is emitted with its own video URL, never the one a forged callback claims', async () => {
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const id = await klingCreate('http://127.0.0.1:9/none');
		const call = await callWebhook(kling, klingSetup(), { task_id: id, task_status: 'succeed', task_result: { videos: [{ url: FORGED_VIDEO_URL }] } });
		expect(call.emitted).toHaveLength(1);
		expect(call.emitted[0].json.videoUrl).toBe(`${emu.url}/files/kling/${id}.mp4`);
		expect(Buffer.from(call.emitted[0].binary!.video.data, 'base64').equals(SAMPLE_MP4)).toBe(true);
	});

	it('status filter: failed tasks pass Failed and Any Ended, not Succeeded; the envelope form is read', async () => {
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const failed = await klingCreate('http://127.0.0.1:9/none', { prompt: '[[fail]]' });
		const body = { code: 0, message: 'SUCCEED', data: { task_id: failed, task_status: 'failed' } };
		expect((await callWebhook(kling, klingSetup({ statusFilter: 'succeeded' }), body)).emitted).toHaveLength(0);
		const f = await callWebhook(kling, klingSetup({ statusFilter: 'failed' }), body);
		expect(f.emitted.map((i) => [i.json.status, i.json.statusMessage, i.binary])).toEqual([['failed', 'Failure to pass the risk control system', undefined]]);
		// Same node (same in-process record): emitted already. Another node: emitted once.
		expect((await callWebhook(kling, klingSetup(), body)).emitted).toHaveLength(0);
		expect((await callWebhook(kling, { ...klingSetup(), nodeId: 'another' }, body)).emitted).toHaveLength(1);
	});

	it('a task Kling cannot be asked about now: HTTP 502 (send again), nothing emitted', async () => {
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const id = await klingCreate('http://127.0.0.1:9/none');
		emu.kling.inject({ route: 'get', fault: 'http500' });
		const call = await callWebhook(kling, klingSetup(), { task_id: id });
		expect([call.status, call.emitted.length]).toEqual([502, 0]);
		// The next delivery is emitted: nothing was recorded for the failed one.
		expect((await callWebhook(kling, klingSetup(), { task_id: id })).emitted).toHaveLength(1);
	});
});

describe('Akool Trigger', () => {
	it('emits each ended video once, confirmed by Akool, in the shape of Create, with the video', async () => {
		const r = await receiver(akool, akoolSetup());
		const id = await akoolCreate(r.url);
		await until(() => r.calls.length >= 3);
		await sleep(50);
		expect(r.calls.map((c) => c.status)).toEqual([200, 200, 200]);
		const out = r.emitted();
		expect(out).toHaveLength(1);
		expect(out[0].json).toMatchObject({ taskId: id, status: 'succeeded', videoUrl: `${emu.url}/api/open/v3/emulator/files/${id}.mp4`, unitsDeducted: '5' });
		expect(Object.keys(out[0].json).sort()).toEqual(['createdAt', 'durationSeconds', 'externalTaskId', 'raw', 'status', 'statusMessage', 'taskId', 'unitsDeducted', 'updatedAt', 'videoUrl', 'watermarkVideoUrl']);
		expect(Buffer.from(out[0].binary!.video.data, 'base64').equals(SAMPLE_MP4)).toBe(true);
	});

	it('forged deliveries get 401 and emit nothing (bad signature, wrong key, old or future timestamp, garbage)', async () => {
		const r = await receiver(akool, akoolSetup());
		const id = await akoolCreate('http://127.0.0.1:9/none');
		await sleep(400);
		for (const kind of ['badSignature', 'wrongKey', 'oldTimestamp', 'futureTimestamp', 'garbage'] as const) {
			const d = await emu.akool.forgeWebhook(r.url, kind, { video: id, payload: { _id: id, status: 3, type: 'avatar', url: FORGED_AKOOL_VIDEO_URL } });
			expect([kind, d.statusCode]).toEqual([kind, 401]);
		}
		for (const body of [{}, { hello: 'world' }, '{"broken json', [1, 2]]) expect((await emu.akool.forgeWebhook(r.url, 'garbage', { body })).statusCode).toBe(401);
		expect(r.emitted()).toEqual([]);
		// One answer for all; the failed check is in the log.
		expect(r.calls.every((c) => JSON.stringify(c.body) === '{"error":"invalid webhook"}')).toBe(true);
		const reasonOf = (c: { logs: string[] }) => c.logs.join(' ').match(/refused a delivery \((\w+)\)/)?.[1];
		expect(r.calls.map(reasonOf)).toEqual(['badSignature', 'undecryptable', 'stale', 'stale', 'malformed', 'malformed', 'malformed', 'malformed', 'malformed']);
		// The video ended meanwhile; none of the forgeries made the trigger emit it.
		expect(emu.akool.video(id)?.status).toBe(3);
	});

	it('a correctly signed lie (completed, foreign URL) for a running video emits nothing; replays emit nothing', async () => {
		emu.akool.config.processingMs = 60_000;
		const r = await receiver(akool, akoolSetup({ options: { maxAgeSeconds: 1 } }));
		const id = await akoolCreate(r.url);
		await until(() => r.calls.length >= 2);
		// Status 3 while Akool's API shows the video processing: 503 (a real one is sent again), nothing emitted.
		const lie = await emu.akool.forgeWebhook(r.url, 'signed', { video: id });
		expect(lie.statusCode).toBe(503);
		// A verbatim replay (of the real 'processing' delivery) within the window: 200, not emitted for Any Ended …
		expect((await emu.akool.forgeWebhook(r.url, 'replay')).statusCode).toBe(200);
		await sleep(1100);
		// … and refused once older than Max Delivery Age.
		expect((await emu.akool.forgeWebhook(r.url, 'replay')).statusCode).toBe(401);
		expect(r.emitted()).toEqual([]);
		expect(r.calls.map((c) => c.logs.join(' '))).toEqual([
			expect.stringContaining(`task ${id} is submitted at Akool`),
			expect.stringContaining(`task ${id} is processing at Akool`),
			expect.stringContaining(`task ${id}: the delivery says it ended but Akool's API shows it processing`),
			expect.stringContaining(`task ${id} is processing at Akool`),
			expect.stringContaining('refused a delivery (stale)'),
		]);
	});

	it('duplicates, retries after a failed confirmation and reordering emit once', async () => {
		const r = await receiver(akool, akoolSetup({ downloadVideo: false }));
		emu.akool.controlWebhooks({ action: 'duplicate', status: 3, copies: 2 });
		emu.akool.controlWebhooks({ action: 'reorder', status: 2 });
		const id = await akoolCreate(r.url);
		await sleep(250);
		// The confirmation of the completion fails once: 502, and Akool sends it again.
		emu.akool.inject({ route: 'get', fault: 'http500' });
		await until(() => r.emitted().length >= 1 && emu.akool.webhooks.length >= 6);
		await sleep(300);
		expect(r.emitted().map((i) => [i.json.taskId, i.json.status])).toEqual([[id, 'succeeded']]);
		expect(r.calls.some((c) => c.status === 502)).toBe(true);
		expect(emu.akool.webhooks.filter((w) => w.status === 3 && w.statusCode === 200).length).toBeGreaterThanOrEqual(3);
	});

	it('failed videos: Failed and Any Ended emit them with the reason; other webhook types are ignored', async () => {
		const r = await receiver(akool, akoolSetup({ statusFilter: 'failed' }));
		const id = await akoolCreate(r.url, 'https://example.com/fail.mp3');
		await until(() => r.calls.length >= 3);
		await sleep(50);
		expect(r.emitted().map((i) => [i.json.taskId, i.json.status, i.json.statusMessage])).toEqual([[id, 'failed', 'Audio could not be processed (error code 1109)']]);
		const other = await emu.akool.forgeWebhook(r.url, 'signed', { payload: { _id: id, status: 3, type: 'faceswap', url: 'x' } });
		expect(other.statusCode).toBe(200);
		expect(r.emitted()).toHaveLength(1);
	});

	it('a credential without a Client ID cannot verify: HTTP 500 and a log line', async () => {
		const setup = akoolSetup();
		setup.credentials.akoolApi = { ...setup.credentials.akoolApi, clientId: '' };
		const call = await callWebhook(akool, setup, { signature: 'x' });
		expect(call.status).toBe(500);
		expect(call.logs.join('\n')).toMatch(/Client ID/);
	});
});

/** A delivery as Akool makes it (signed with the emulator's client ID, encrypted with its secret). */
function akoolDelivery(payload: object, timestamp = Date.now(), signWith = emu.akool.config.clientId) {
	const dataEncrypt = akoolEncrypt(payload, emu.akool.config.clientId, emu.akool.config.clientSecret);
	const nonce = '1529';
	return { signature: akoolSign(signWith, timestamp, nonce, dataEncrypt), dataEncrypt, timestamp, nonce };
}

describe('review findings', () => {
	it('Akool: a genuine delivery answered 502 (Akool API down) and resent verbatim 6 min later is emitted; one older than an hour is refused', async () => {
		expect(AKOOL_WEBHOOK_MAX_AGE_MS).toBe(3600_000);
		emu.akool.config.queueMs = 0;
		emu.akool.config.processingMs = 0;
		const id = await akoolCreate('http://127.0.0.1:9/none');
		await sleep(100);
		const body = akoolDelivery({ _id: id, status: 3, type: 'avatar' });
		const down = akoolSetup({ downloadVideo: false });
		down.credentials.akoolApi = { ...down.credentials.akoolApi, baseUrl: 'http://127.0.0.1:9' };
		expect((await callWebhook(akool, down, body)).status).toBe(502);
		const now = Date.now();
		jest.spyOn(Date, 'now').mockReturnValue(now + 6 * 60_000);
		const again = await callWebhook(akool, akoolSetup({ downloadVideo: false }), body);
		expect([again.status, again.emitted.length]).toEqual([200, 1]);
		clearInProcessDeliveries();
		jest.spyOn(Date, 'now').mockReturnValue(now + 61 * 60_000);
		const late = await callWebhook(akool, akoolSetup({ downloadVideo: false }), body);
		expect([late.status, late.emitted.length]).toEqual([401, 0]);
	});

	it('Akool: Max Delivery Age that is not a number (an expression) falls back to the default window', async () => {
		emu.akool.config.queueMs = 0;
		emu.akool.config.processingMs = 0;
		const id = await akoolCreate('http://127.0.0.1:9/none');
		await sleep(100);
		for (const maxAgeSeconds of ['five minutes', Number.NaN, '', null]) {
			clearInProcessDeliveries();
			const old = await callWebhook(akool, akoolSetup({ downloadVideo: false, options: { maxAgeSeconds } }), akoolDelivery({ _id: id, status: 3, type: 'avatar' }, Date.now() - 30 * 24 * 3600_000));
			expect([String(maxAgeSeconds), old.status]).toEqual([String(maxAgeSeconds), 401]);
			const recent = await callWebhook(akool, akoolSetup({ downloadVideo: false, options: { maxAgeSeconds } }), akoolDelivery({ _id: id, status: 3, type: 'avatar' }, Date.now() - 30 * 60_000));
			expect([String(maxAgeSeconds), recent.status, recent.emitted.length]).toEqual([String(maxAgeSeconds), 200, 1]);
		}
	});

	it('Akool: a genuine status-3 delivery that arrives before Akool\'s API shows the video done gets 503 (sent again), nothing recorded', async () => {
		emu.akool.config.processingMs = 600;
		const id = await akoolCreate('http://127.0.0.1:9/none');
		const setup = akoolSetup({ downloadVideo: false });
		const body = akoolDelivery({ _id: id, status: 3, type: 'avatar', url: 'https://cdn.example/x.mp4' });
		const early = await callWebhook(akool, setup, body);
		expect([early.status, early.emitted.length]).toEqual([503, 0]);
		expect(early.body).toEqual({ error: 'try again later' });
		// A status-2 delivery for the running video is fine (200, not emitted for Any Ended).
		expect((await callWebhook(akool, setup, akoolDelivery({ _id: id, status: 2, type: 'avatar' }))).status).toBe(200);
		await until(() => emu.akool.video(id)?.status === 3);
		const resent = await callWebhook(akool, setup, body);
		expect([resent.status, resent.emitted.length, resent.emitted[0]?.json.status]).toEqual([200, 1, 'succeeded']);
	});

	it('Kling: a claimed succeed for a task Kling still shows running gets 503 (sent again), nothing recorded', async () => {
		emu.kling.config.processingMs = 600;
		const id = await klingCreate('http://127.0.0.1:9/none');
		const setup = klingSetup({ downloadVideo: false, statusFilter: 'any' });
		const early = await callWebhook(kling, setup, { task_id: id, task_status: 'succeed' });
		expect([early.status, early.emitted.length]).toEqual([503, 0]);
		await until(() => emu.kling.task(id)?.status === 'succeed');
		const resent = await callWebhook(kling, setup, { task_id: id, task_status: 'succeed' });
		expect([resent.status, resent.emitted.map((i) => i.json.status)]).toEqual([200, ['succeeded']]);
	});

	it('Kling: answers do not tell an unsigned caller whether a task exists or what state it is in; the reasons are logged', async () => {
		emu.kling.config.processingMs = 60_000;
		const running = await klingCreate('http://127.0.0.1:9/none');
		await until(() => emu.kling.task(running)?.status === 'processing');
		const unknown = await callWebhook(kling, klingSetup(), { task_id: '867000000000000001' });
		const probe = await callWebhook(kling, klingSetup(), { task_id: running });
		expect([unknown.status, unknown.body]).toEqual([200, { received: true }]);
		expect([probe.status, probe.body]).toEqual([200, { received: true }]);
		expect(JSON.stringify([unknown.body, probe.body])).not.toMatch(/queued|processing|submitted|unknown/);
		expect(unknown.logs.join('\n')).toMatch(/does not know/);
		expect(probe.logs.join('\n')).toMatch(/processing/);
	});

	it('Akool: every refused delivery gets the same 401 body, whatever check failed (a right Client ID guess is not confirmed); the reason is logged', async () => {
		const garbage = Buffer.alloc(32, 7).toString('base64');
		const mk = (clientId: string, timestamp = Date.now()) => ({ signature: akoolSign(clientId, timestamp, '1', garbage), dataEncrypt: garbage, timestamp, nonce: '1' });
		const right = await callWebhook(akool, akoolSetup(), mk(emu.akool.config.clientId));
		const wrong = await callWebhook(akool, akoolSetup(), mk('someOtherClientId'));
		const stale = await callWebhook(akool, akoolSetup(), mk(emu.akool.config.clientId, Date.now() - 3 * 3600_000));
		const malformed = await callWebhook(akool, akoolSetup(), { hello: 'world' });
		for (const c of [right, wrong, stale, malformed]) expect([c.status, c.body]).toEqual([401, { error: 'invalid webhook' }]);
		expect([right, wrong, stale, malformed].map((c) => c.logs.join(' ').match(/\((\w+)\)/)?.[1])).toEqual(['undecryptable', 'badSignature', 'stale', 'malformed']);
	});

	it('Kling: task_id "." or ".." (or with "/") is no task ID: 400, Kling is not asked', async () => {
		await klingCreate('http://127.0.0.1:9/none');
		const before = emu.kling.counters.getRequests;
		for (const body of [{ task_id: '.' }, { task_id: '..' }, { task_info: { external_task_id: '.' } }, { task_info: { external_task_id: '..' } }, { task_id: 'a/b' }]) {
			const call = await callWebhook(kling, klingSetup({ statusFilter: 'any' }), body);
			expect([JSON.stringify(body), call.status, call.emitted.length]).toEqual([JSON.stringify(body), 400, 0]);
		}
		expect(emu.kling.counters.getRequests).toBe(before);
	});

	it('Kling: an external-ID-only hint emits only a task whose external ID is that one', async () => {
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const plain = await klingCreate('http://127.0.0.1:9/none');
		const named = await klingCreate('http://127.0.0.1:9/none', { external_task_id: 'ext-7' });
		await sleep(50);
		// The query path takes task IDs too: a task ID given as the external ID must not emit that task.
		const wrong = await callWebhook(kling, klingSetup({ downloadVideo: false }), { task_info: { external_task_id: plain } });
		expect(wrong.emitted).toHaveLength(0);
		const right = await callWebhook(kling, klingSetup({ downloadVideo: false }), { task_info: { external_task_id: 'ext-7' } });
		expect(right.emitted.map((i) => i.json.taskId)).toEqual([named]);
	});

	it('Any Status Change: a late processing check after the final status was emitted emits nothing', async () => {
		emu.kling.config.processingMs = 300;
		const id = await klingCreate('http://127.0.0.1:9/none');
		await until(() => emu.kling.task(id)?.status === 'processing');
		const setup = klingSetup({ downloadVideo: false, statusFilter: 'any' });
		// A fetch that started while the task ran and answered late: the trigger's order is succeeded, then processing.
		const processingAnswer = await callWebhook(kling, { ...setup, staticData: {}, nodeId: 'probe' }, { task_id: id });
		expect(processingAnswer.emitted.map((i) => i.json.status)).toEqual(['processing']);
		await until(() => emu.kling.task(id)?.status === 'succeed');
		expect((await callWebhook(kling, setup, { task_id: id })).emitted.map((i) => i.json.status)).toEqual(['succeeded']);
		const stat: Record<string, unknown> = {};
		const ctx = { getWorkflow: () => ({ id: 'w' }), getNode: () => ({ id: 'n' }), getMode: () => 'webhook', getWorkflowStaticData: () => stat } as never;
		expect(claimDelivery(ctx, 'T1:succeeded')).toBe(true);
		expect(claimDelivery(ctx, 'T1:processing')).toBe(false);
		expect(claimDelivery(ctx, 'T1:submitted')).toBe(false);
		// After a restart too (the static data knows it).
		clearInProcessDeliveries();
		expect(claimDelivery(ctx, 'T1:processing')).toBe(false);
		// Other tasks are not affected; a task's own earlier non-final states still pass before its end.
		expect(claimDelivery(ctx, 'T2:processing')).toBe(true);
		expect(claimDelivery(ctx, 'T2:failed')).toBe(true);
		expect(claimDelivery(ctx, 'T2:submitted')).toBe(false);
	});

	it('Put Video in Field set by an expression to an object: the task is emitted with downloadError, nothing downloaded into "[object Object]"', async () => {
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const id = await klingCreate('http://127.0.0.1:9/none');
		await sleep(50);
		const call = await callWebhook(kling, klingSetup({ videoBinaryProperty: { name: 'video' } }), { task_id: id });
		expect(call.emitted).toHaveLength(1);
		expect(call.emitted[0].binary).toBeUndefined();
		expect(call.emitted[0].json).toMatchObject({ taskId: id, status: 'succeeded', downloadError: expect.stringMatching(/^Invalid "Put Video in Field": .*object/) });
	});

	it('a trigger-side download (no execution to cancel it) is bounded in time: on timeout the task is emitted with downloadError', async () => {
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const id = await klingCreate('http://127.0.0.1:9/none');
		await sleep(50);
		const saved = triggerDownloadLimits.timeoutMs;
		triggerDownloadLimits.timeoutMs = 400;
		try {
			emu.kling.inject({ route: 'download', fault: 'delay', delayMs: 3000, times: 5 });
			const t0 = Date.now();
			const call = await callWebhook(kling, klingSetup(), { task_id: id });
			expect(Date.now() - t0).toBeLessThan(2500);
			expect(call.emitted).toHaveLength(1);
			expect(call.emitted[0].binary).toBeUndefined();
			expect(call.emitted[0].json).toMatchObject({ taskId: id, status: 'succeeded', downloadError: expect.stringMatching(/took longer than/) });
		} finally {
			triggerDownloadLimits.timeoutMs = saved;
		}
	});
});

describe('claimDelivery', () => {
	const ctx = (staticData: Record<string, unknown>, nodeId = 'n1') =>
		({
			getWorkflow: () => ({ id: 'w1' }),
			getNode: () => ({ id: nodeId }),
			getMode: () => 'webhook',
			getWorkflowStaticData: () => staticData,
		}) as never;

	it('keeps the static record bounded and drops entries older than the TTL', () => {
		const stat: Record<string, any> = {};
		const t0 = 1_000_000_000_000;
		for (let n = 0; n < SEEN_STATIC_MAX + 50; n++) expect(claimDelivery(ctx(stat), `t${n}:succeeded`, t0 + n)).toBe(true);
		expect(Object.keys(stat.recentDeliveries)).toHaveLength(SEEN_STATIC_MAX);
		// The newest are kept.
		expect(stat.recentDeliveries[`t${SEEN_STATIC_MAX + 49}:succeeded`]).toBe(t0 + SEEN_STATIC_MAX + 49);
		expect(stat.recentDeliveries['t0:succeeded']).toBeUndefined();
		expect(claimDelivery(ctx(stat), `t${SEEN_STATIC_MAX + 49}:succeeded`, t0 + 1_000_000)).toBe(false);
		// After the TTL a key may pass again, and old entries are pruned.
		clearInProcessDeliveries();
		expect(claimDelivery(ctx(stat), `t${SEEN_STATIC_MAX + 49}:succeeded`, t0 + SEEN_TTL_MS + 10_000)).toBe(true);
		expect(Object.keys(stat.recentDeliveries)).toHaveLength(1);
		// Another status of the same task is another key.
		expect(claimDelivery(ctx(stat), `t${SEEN_STATIC_MAX + 49}:failed`, t0 + SEEN_TTL_MS + 10_001)).toBe(true);
	});
});
