/**
 * Test controls on push deliveries (emulator/deliveryControls.ts): Kling callbacks and Akool
 * webhooks lost, duplicated, delayed and reordered, per task or for all, and forged deliveries.
 * A real HTTP receiver records what arrives; Akool bodies are checked with node:crypto directly
 * (provider-apis.md §2.4), not with emulator/akoolCrypto.ts.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';
import { FORGED_VIDEO_URL } from '../../emulator/kling';
import { FORGED_AKOOL_VIDEO_URL } from '../../emulator/akool';

let emu: Emulator;
let receiver: http.Server;
let hook: string;
/** Bodies received, in arrival order (text when not JSON). */
let received: any[] = [];
/** How long the receiver takes to answer a body (a slow receiver, such as a busy n8n). */
let answerDelay: (body: any) => number = () => 0;

beforeAll(async () => {
	emu = await startEmulator({ kling: { submittedMs: 100, processingMs: 150 }, akool: { queueMs: 100, processingMs: 150 } });
	receiver = http.createServer((req, res) => {
		let text = '';
		req.on('data', (c) => (text += c));
		req.on('end', () => {
			let body: any = text;
			try {
				body = JSON.parse(text);
			} catch {
				// kept as text
			}
			received.push(body);
			setTimeout(() => res.writeHead(200).end(), answerDelay(body));
		});
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
	await emu.close();
	await new Promise<void>((r) => receiver.close(() => r()));
});
beforeEach(() => {
	emu.reset();
	received = [];
	answerDelay = () => 0;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5000): Promise<void> {
	const end = Date.now() + ms;
	while (!cond()) {
		if (Date.now() > end) throw new Error('timed out');
		await sleep(10);
	}
}

describe('Kling callbacks', () => {
	const klingCreate = async (extra: Record<string, unknown> = {}) => {
		const res = await fetch(`${emu.url}/v1/videos/avatar/image2video`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${emu.kling.config.apiKey}` },
			body: JSON.stringify({ image: `${emu.url}/assets/portrait.jpg`, sound_file: `${emu.url}/assets/voice.mp3`, callback_url: hook, ...extra }),
		});
		const json = (await res.json()) as any;
		return json.data.task_id as string;
	};
	const statusesOf = (taskId: string) => received.filter((b) => b.task_id === taskId).map((b) => b.task_status);

	it('lose: the matching delivery never arrives and is recorded as lost; other tasks are untouched', async () => {
		const a = await klingCreate({ external_task_id: 'lose-a' });
		// Per task, by external task ID.
		emu.kling.controlCallbacks({ action: 'lose', task: 'lose-a', status: 'succeed' });
		const b = await klingCreate();
		await until(() => emu.kling.callbacks.length >= 6);
		await sleep(50);
		expect(statusesOf(a)).toEqual(['submitted', 'processing']);
		expect(statusesOf(b)).toEqual(['submitted', 'processing', 'succeed']);
		const lost = emu.kling.callbacks.filter((c) => c.control === 'lost');
		expect(lost.map((c) => [c.taskId, c.taskStatus, c.statusCode])).toEqual([[a, 'succeed', null]]);
		expect(emu.kling.callbackControls()).toHaveLength(1); // unlimited times: still active
	});

	it('duplicate: the same body arrives 1 + copies times; times limits how many deliveries it hits', async () => {
		emu.kling.controlCallbacks({ action: 'duplicate', status: 'succeed', copies: 2, times: 1 });
		const a = await klingCreate();
		await until(() => statusesOf(a).length >= 5);
		const b = await klingCreate();
		await until(() => statusesOf(b).length >= 3);
		await sleep(50);
		expect(statusesOf(a)).toEqual(['submitted', 'processing', 'succeed', 'succeed', 'succeed']);
		const copies = received.filter((x) => x.task_id === a && x.task_status === 'succeed');
		expect(copies[1]).toEqual(copies[0]);
		expect(copies[2]).toEqual(copies[0]);
		expect(statusesOf(b)).toEqual(['submitted', 'processing', 'succeed']);
		expect(emu.kling.callbackControls()).toEqual([]);
	});

	it('delay: a late delivery is overtaken by later status changes', async () => {
		emu.kling.controlCallbacks({ action: 'delay', status: 'submitted', delayMs: 600 });
		const a = await klingCreate();
		await until(() => statusesOf(a).length >= 3);
		expect(statusesOf(a)).toEqual(['processing', 'succeed', 'submitted']);
		expect(emu.kling.callbacks.find((c) => c.taskStatus === 'submitted')?.control).toBe('delayed');
	});

	it('reorder: processing arrives right after succeed (out of order)', async () => {
		emu.kling.controlCallbacks({ action: 'reorder', status: 'processing' });
		const a = await klingCreate();
		await until(() => statusesOf(a).length >= 3);
		await sleep(50);
		expect(statusesOf(a)).toEqual(['submitted', 'succeed', 'processing']);
		expect(emu.kling.callbacks.map((c) => c.control)).toEqual([undefined, undefined, 'reordered']);
		// A reordered terminal status has nothing to wait for: sent as usual.
		emu.kling.clearCallbackControls();
		emu.kling.controlCallbacks({ action: 'reorder', status: 'succeed' });
		const b = await klingCreate();
		await until(() => statusesOf(b).length >= 3);
		expect(statusesOf(b)).toEqual(['submitted', 'processing', 'succeed']);
	});

	it('reorder with a slow receiver: a delivery held while an earlier one is still in flight waits for the next one', async () => {
		// 'submitted' is answered only after 'processing' is due: processing must still come after succeed.
		answerDelay = (b) => (b.task_status === 'submitted' ? 200 : 0);
		emu.kling.controlCallbacks({ action: 'reorder', status: 'processing' });
		const a = await klingCreate();
		await until(() => statusesOf(a).length >= 3);
		await sleep(50);
		expect(statusesOf(a)).toEqual(['submitted', 'succeed', 'processing']);
	});

	it('forgeCallback: a succeed with a foreign video URL for a running task, and one for an unknown task', async () => {
		emu.kling.config.processingMs = 60_000;
		const a = await klingCreate();
		const forged = await emu.kling.forgeCallback(hook, { task: a });
		expect(forged.statusCode).toBe(200);
		expect(forged.control).toBe('forged');
		const body = received.find((x) => x.task_id === a && x.task_status === 'succeed');
		expect(body.task_result.videos[0].url).toBe(FORGED_VIDEO_URL);
		expect(emu.kling.task(a)?.status).not.toBe('succeed'); // the task itself is still running

		await emu.kling.forgeCallback(hook, { task: '999999999', videoUrl: 'https://evil.invalid/x.mp4' });
		const unknown = received.find((x) => x.task_id === '999999999');
		expect(unknown).toMatchObject({ task_status: 'succeed', task_result: { videos: [{ url: 'https://evil.invalid/x.mp4' }] } });
		expect(emu.kling.task('999999999')).toBeUndefined();

		await emu.kling.forgeCallback(hook, { body: 'not json at all' });
		expect(received[received.length - 1]).toBe('not json at all');
	});

	it('reset() clears controls', async () => {
		emu.kling.controlCallbacks({ action: 'lose' });
		emu.reset();
		expect(emu.kling.callbackControls()).toEqual([]);
	});
});

describe('Akool webhooks', () => {
	const akoolCreate = async () => {
		const res = await fetch(`${emu.url}/api/open/v3/talkingavatar/create`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'x-api-key': emu.akool.config.apiKey },
			body: JSON.stringify({
				width: 3840,
				height: 2160,
				avatar_from: 2,
				webhookUrl: hook,
				elements: [
					{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
					{ type: 'audio', url: 'https://example.com/voice.mp3' },
				],
			}),
		});
		return ((await res.json()) as any).data._id as string;
	};
	const signatureOk = (b: any) =>
		createHash('sha1').update([emu.akool.config.clientId, String(b.timestamp), String(b.nonce), String(b.dataEncrypt)].sort().join('')).digest('hex') === b.signature;
	const decrypt = (b: any) => {
		const { clientId, clientSecret } = emu.akool.config;
		const iv = Buffer.alloc(16);
		Buffer.from(clientId).copy(iv, 0, 0, 16);
		const d = createDecipheriv(`aes-${clientSecret.length * 8}-cbc`, Buffer.from(clientSecret), iv);
		return JSON.parse(Buffer.concat([d.update(Buffer.from(b.dataEncrypt, 'base64')), d.final()]).toString());
	};
	const statusesOf = (id: string) => received.filter((b) => typeof b === 'object' && b.dataEncrypt).map(decrypt).filter((p) => p._id === id).map((p) => p.status);

	it('lose / duplicate per video; other videos untouched', async () => {
		const a = await akoolCreate();
		const b = await akoolCreate();
		emu.akool.controlWebhooks({ action: 'lose', task: a, status: 3 });
		emu.akool.controlWebhooks({ action: 'duplicate', task: b, status: 3 });
		await until(() => statusesOf(b).length >= 4 && emu.akool.webhooks.filter((w) => w.videoId === a).length >= 3);
		await sleep(50);
		expect(statusesOf(a)).toEqual([1, 2]);
		expect(statusesOf(b)).toEqual([1, 2, 3, 3]);
		// A duplicate is the same body verbatim (same timestamp, nonce and signature).
		const bodies = received.filter((x) => x.dataEncrypt && decrypt(x)._id === b && decrypt(x).status === 3);
		expect(bodies[1]).toEqual(bodies[0]);
		expect(emu.akool.webhooks.filter((w) => w.control).map((w) => [w.videoId, w.status, w.control])).toEqual([
			[a, 3, 'lost'],
			[b, 3, 'duplicate'],
		]);
	});

	it('delay and reorder for all videos', async () => {
		emu.akool.controlWebhooks({ action: 'delay', status: 1, delayMs: 600 });
		emu.akool.controlWebhooks({ action: 'reorder', status: 2 });
		const a = await akoolCreate();
		await until(() => statusesOf(a).length >= 3);
		expect(statusesOf(a)).toEqual([3, 2, 1]);
		expect(emu.akool.webhooks.map((w) => w.control)).toEqual([undefined, 'reordered', 'delayed']);
	});

	it('reorder with a slow receiver: the held delivery waits for the next one, not the one in flight', async () => {
		answerDelay = (b) => (typeof b === 'object' && b.dataEncrypt && decrypt(b).status === 1 ? 200 : 0);
		emu.akool.controlWebhooks({ action: 'reorder', status: 2 });
		const a = await akoolCreate();
		await until(() => statusesOf(a).length >= 3);
		await sleep(50);
		expect(statusesOf(a)).toEqual([1, 3, 2]);
	});

	it('forged deliveries: each kind fails the check it is meant to fail, and only that one', async () => {
		const a = await akoolCreate();
		await until(() => statusesOf(a).length >= 3);
		const real = received[received.length - 1];
		received = [];
		const kinds = ['signed', 'badSignature', 'wrongKey', 'oldTimestamp', 'futureTimestamp', 'replay', 'garbage'] as const;
		for (const kind of kinds) await emu.akool.forgeWebhook(hook, kind, { video: a });
		expect(received).toHaveLength(kinds.length);
		const [signed, badSig, wrongKey, old, future, replay, garbage] = received;

		expect(signatureOk(signed)).toBe(true);
		expect(decrypt(signed)).toEqual({ _id: a, status: 3, type: 'avatar', url: FORGED_AKOOL_VIDEO_URL });
		expect(Math.abs(signed.timestamp - Date.now())).toBeLessThan(5000);

		expect(signatureOk(badSig)).toBe(false);
		expect(decrypt(badSig)._id).toBe(a);

		expect(signatureOk(wrongKey)).toBe(true);
		expect(() => decrypt(wrongKey)).toThrow();

		expect(signatureOk(old)).toBe(true);
		expect(Date.now() - old.timestamp).toBeGreaterThanOrEqual(10 * 60_000);
		expect(signatureOk(future)).toBe(true);
		expect(future.timestamp - Date.now()).toBeGreaterThan(9 * 60_000);

		expect(replay).toEqual(real);

		expect(signatureOk(garbage)).toBe(false);
		expect(emu.akool.forgedWebhooks.map((f) => [f.kind, f.statusCode])).toEqual(kinds.map((k) => [k, 200]));
		// Forgeries are not what Akool sent.
		expect(emu.akool.webhooks.every((w) => w.videoId === a)).toBe(true);
		expect(emu.akool.webhooks).toHaveLength(3);

		await emu.akool.forgeWebhook(hook, 'garbage', { body: '{"broken json' });
		expect(received[received.length - 1]).toBe('{"broken json');
	});
});
