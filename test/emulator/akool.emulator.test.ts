/**
 * The Akool emulator over real HTTP (global fetch). The webhook is decrypted and its signature
 * checked with node:crypto directly, following provider-apis.md §2.4 (not emulator/akoolCrypto.ts).
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';

const SAMPLE_MP4 = readFileSync(path.resolve(__dirname, '../../emulator/assets/sample.mp4'));

let emu: Emulator;
let base: string;

async function call(method: string, p: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
	const res = await fetch(`${base}${p}`, {
		method,
		headers: { 'Content-Type': 'application/json', ...(opts.headers ?? {}) },
		body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
	});
	const text = await res.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		json = text;
	}
	return { status: res.status, json };
}

const key = () => ({ 'x-api-key': emu.akool.config.apiKey });
async function token(): Promise<string> {
	const r = await call('POST', '/api/open/v3/getToken', { body: { clientId: emu.akool.config.clientId, clientSecret: emu.akool.config.clientSecret } });
	return r.json.token;
}

const videoBody = (extra: Record<string, unknown> = {}) => ({
	width: 3840,
	height: 2160,
	avatar_from: 2,
	elements: [
		{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
		{ type: 'audio', url: 'https://example.com/voice.mp3' },
	],
	...extra,
});
const infoOf = async (id: string) => call('GET', `/api/open/v3/content/video/infobymodelid?video_model_id=${id}`, { headers: key() });

beforeAll(async () => {
	emu = await startEmulator({ akool: { queueMs: 100, processingMs: 200 } });
	base = emu.url;
});
afterAll(async () => emu.close());
beforeEach(() => emu.reset());

describe('auth', () => {
	it('getToken returns a top-level token; it works as Bearer', async () => {
		const r = await call('POST', '/api/open/v3/getToken', { body: { clientId: emu.akool.config.clientId, clientSecret: emu.akool.config.clientSecret } });
		expect(r.status).toBe(200);
		expect(r.json).toEqual({ code: 1000, token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
		const list = await call('GET', '/api/open/v3/avatar/list', { headers: { Authorization: `Bearer ${r.json.token}` } });
		expect(list.json.code).toBe(1000);
		expect(emu.akool.requests.at(-1)?.auth).toBe('token');
	});

	it('a wrong secret gets 1101; no auth gets 1102; a wrong key gets 1101', async () => {
		expect((await call('POST', '/api/open/v3/getToken', { body: { clientId: 'x', clientSecret: 'y' } })).json.code).toBe(1101);
		expect((await call('GET', '/api/open/v3/avatar/list')).json).toMatchObject({ code: 1102, msg: 'Authorization cannot be empty' });
		expect((await call('GET', '/api/open/v3/avatar/list', { headers: { 'x-api-key': 'nope' } })).json.code).toBe(1101);
	});

	it('Authorization wins over x-api-key when both are sent', async () => {
		const good = await token();
		// A bad token with a good key: refused (the key is ignored).
		const bad = await call('GET', '/api/open/v3/avatar/list', { headers: { Authorization: 'Bearer nope', ...key() } });
		expect(bad.json.code).toBe(1101);
		// A good token with a bad key: accepted.
		const ok = await call('GET', '/api/open/v3/avatar/list', { headers: { Authorization: `Bearer ${good}`, 'x-api-key': 'nope' } });
		expect(ok.json.code).toBe(1000);
	});

	it('revoked tokens get 1101, with the configured HTTP status', async () => {
		const t = await token();
		emu.akool.revokeTokens();
		expect((await call('GET', '/api/open/v3/avatar/list', { headers: { Authorization: `Bearer ${t}` } }))).toMatchObject({ status: 200, json: { code: 1101 } });
		emu.akool.config.authErrorHttpStatus = 401;
		expect((await call('GET', '/api/open/v3/avatar/list', { headers: { Authorization: `Bearer ${t}` } }))).toMatchObject({ status: 401, json: { code: 1101 } });
	});

	it('a banned account gets 1200', async () => {
		emu.akool.config.banned = true;
		expect((await call('GET', '/api/open/v3/avatar/list', { headers: key() })).json.code).toBe(1200);
	});
});

describe('avatars', () => {
	it('list filters by from/type and pages; data.result by default, a bare array when configured', async () => {
		const all = await call('GET', '/api/open/v3/avatar/list', { headers: key() });
		expect(all.json.data.result).toHaveLength(4);
		const talking = await call('GET', '/api/open/v3/avatar/list?from=2&type=1&page=1&size=2', { headers: key() });
		expect(talking.json.data.result.map((a: any) => a.avatar_id)).toEqual(['dvp_Tristan_cloth2_1080P', 'dvp_Alinna_emotionsit_20250116']);
		emu.akool.config.avatarListShape = 'array';
		expect(Array.isArray((await call('GET', '/api/open/v3/avatar/list?type=2', { headers: key() })).json.data)).toBe(true);
	});

	it('create → detail goes 1 → 2 → 3; avatar_id must be alphanumeric and unique', async () => {
		emu.akool.config.avatarQueueMs = 100;
		emu.akool.config.avatarProcessingMs = 100;
		const created = await call('POST', '/api/open/v3/avatar/create', { headers: key(), body: { url: 'https://example.com/me.mp4', avatar_id: 'me1', type: 1 } });
		expect(created.json).toMatchObject({ code: 1000, data: { avatar_id: 'me1', status: 1, from: 3, type: 1 } });
		const id = created.json.data._id;
		expect(id).toMatch(/^[0-9a-f]{24}$/);
		await new Promise((r) => setTimeout(r, 250));
		expect((await call('GET', `/api/open/v3/avatar/detail?id=${id}`, { headers: key() })).json.data.status).toBe(3);
		expect((await call('POST', '/api/open/v3/avatar/create', { headers: key(), body: { url: 'https://example.com/me.mp4', avatar_id: 'me1' } })).json).toMatchObject({ code: 1222, msg: 'avatar_id me1 already exists' });
		expect((await call('POST', '/api/open/v3/avatar/create', { headers: key(), body: { url: 'https://example.com/me.mp4', avatar_id: 'me_1' } })).json.code).toBe(1003);
	});
});

describe('talking avatar videos', () => {
	it('create → get by video_model_id goes 1 → 2 → 3, and the result is the real MP4', async () => {
		const created = await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() });
		expect(created.json).toMatchObject({ code: 1000, msg: 'OK', data: { video_status: 1, video: '' } });
		const id = created.json.data._id;
		const seen = new Set<number>();
		let data: any;
		for (let i = 0; i < 50; i++) {
			data = (await call('GET', `/api/open/v3/content/video/infobymodelid?video_model_id=${id}`, { headers: key() })).json.data;
			seen.add(data.video_status);
			if (data.video_status === 3) break;
			await new Promise((r) => setTimeout(r, 30));
		}
		expect([...seen]).toEqual(expect.arrayContaining([2, 3]));
		const file = await fetch(data.video);
		expect(file.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await file.arrayBuffer()).equals(SAMPLE_MP4)).toBe(true);
	});

	it.each([
		['a wrong canvas', { width: 1280, height: 720 }],
		['a bad avatar_from', { avatar_from: 1 }],
		['an unknown avatar', { elements: [{ type: 'avatar', avatar_id: 'nobody', scale_x: 1, scale_y: 1, offset_x: 0, offset_y: 0, width: 1, height: 1 }, { type: 'audio', url: 'https://x.com/a.mp3' }] }],
		['no audio', { elements: [{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: 0, offset_y: 0, width: 1, height: 1 }] }],
		['a missing layout field', { elements: [{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P' }, { type: 'audio', url: 'https://x.com/a.mp3' }] }],
	])('create refuses %s with 1003', async (_name, extra) => {
		const r = await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody(extra) });
		expect(r.json.code).toBe(1003);
		expect(emu.akool.counters.createAccepted).toBe(0);
	});

	it('credits run out → 1006; a failing audio ends with status 4 and a reason', async () => {
		emu.akool.config.credits = 1;
		const ok = await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody({ elements: [videoBody().elements[0], { type: 'audio', url: 'https://x.com/fail.mp3' }] }) });
		expect(ok.json.code).toBe(1000);
		expect((await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() })).json.code).toBe(1006);
		await new Promise((r) => setTimeout(r, 350));
		const got = await call('GET', `/api/open/v3/content/video/infobymodelid?video_model_id=${ok.json.data._id}`, { headers: key() });
		expect(got.json.data).toMatchObject({ video_status: 4, video: '', error_reason: 'Audio could not be processed' });
	});

	it('POSTs an encrypted, signed webhook on each status change (decrypts and verifies per §2.4)', async () => {
		const received: any[] = [];
		let answer = 500; // the first delivery is refused: Akool retries
		const server = http.createServer((req, res) => {
			let text = '';
			req.on('data', (c) => (text += c));
			req.on('end', () => {
				received.push(JSON.parse(text));
				res.writeHead(answer).end();
				answer = 200;
			});
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
		try {
			const created = await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody({ webhookUrl: hook }) });
			const id = created.json.data._id;
			for (let i = 0; i < 100 && emu.akool.webhooks.filter((w) => w.statusCode === 200).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
			const { clientId, clientSecret } = emu.akool.config;
			const iv = Buffer.alloc(16);
			Buffer.from(clientId).copy(iv, 0, 0, 16);
			const payloads = received.map((b) => {
				expect(Object.keys(b).sort()).toEqual(['dataEncrypt', 'nonce', 'signature', 'timestamp']);
				const expected = createHash('sha1').update([clientId, String(b.timestamp), b.nonce, b.dataEncrypt].sort().join('')).digest('hex');
				expect(b.signature).toBe(expected);
				const d = createDecipheriv(`aes-${clientSecret.length * 8}-cbc`, Buffer.from(clientSecret), iv);
				return JSON.parse(Buffer.concat([d.update(Buffer.from(b.dataEncrypt, 'base64')), d.final()]).toString());
			});
			// 1 (refused, then retried), 2, 3 with the result URL.
			expect(payloads.map((p) => p.status)).toEqual([1, 1, 2, 3]);
			expect(payloads.every((p) => p._id === id && p.type === 'avatar')).toBe(true);
			expect(payloads[3].url).toMatch(new RegExp(`/emulator/files/${id}\\.mp4$`));
			expect(emu.akool.webhooks.map((w) => [w.status, w.statusCode, w.attempt])).toEqual([[1, 500, 1], [1, 200, 2], [2, 200, 1], [3, 200, 1]]);
		} finally {
			server.close();
		}
	});
});

it('faults: reset-after-accept creates the video but drops the answer; unknown paths are not claimed', async () => {
	emu.akool.inject({ route: 'create', fault: 'reset-after-accept' });
	await expect(call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() })).rejects.toThrow();
	expect(emu.akool.counters.createAccepted).toBe(1);
	expect((await call('GET', '/api/open/v3/unknown', { headers: key() })).status).toBe(404);
});

describe('answers as the real API gives them (provider-apis.md §6.3)', () => {
	it('create: numeric uid, task_id ≠ _id, a UUID video_id, no cost yet; the token carries the numeric uid too', async () => {
		const created = await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() });
		const data = created.json.data;
		expect(Object.keys(data).sort()).toEqual(['_id', 'create_time', 'task_id', 'uid', 'video', 'video_id', 'video_status']);
		expect(data).toMatchObject({ uid: emu.akool.config.uid, video_status: 1, video: '' });
		expect(typeof data.uid).toBe('number');
		expect(data._id).toMatch(/^[0-9a-f]{24}$/);
		expect(data.task_id).toMatch(/^[0-9a-f]{24}$/);
		expect(data.task_id).not.toBe(data._id);
		expect(data.video_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(emu.akool.video(data._id)).toMatchObject({ task_id: data.task_id, video_id: data.video_id, uid: data.uid });

		const claims = JSON.parse(Buffer.from((await token()).split('.')[1], 'base64url').toString());
		expect(claims.uid).toBe(emu.akool.config.uid);
	});

	it('infobymodelid takes _id: its data has deduction_duration (0 until completed); task_id and video_id are not found (1008)', async () => {
		emu.akool.config.deductionDuration = 12;
		const { data } = (await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() })).json;
		const early = (await infoOf(data._id)).json.data;
		expect(Object.keys(early).sort()).toEqual(['_id', 'create_time', 'deduction_duration', 'uid', 'video', 'video_id', 'video_status']);
		expect(early).toMatchObject({ _id: data._id, uid: data.uid, video_id: data.video_id, deduction_duration: 0 });
		await new Promise((r) => setTimeout(r, 350));
		expect((await infoOf(data._id)).json.data).toMatchObject({ video_status: 3, deduction_duration: 12 });
		for (const other of [data.task_id, data.video_id]) {
			expect((await infoOf(other)).json).toEqual({ code: 1008, msg: 'content not exist' });
		}
	});

	it('an unknown ID answers 1008 (default), 1014 or code 1000 with data null; in infobymodelid and avatar/detail alike', async () => {
		const detail = () => call('GET', '/api/open/v3/avatar/detail?id=nope', { headers: key() });
		expect((await infoOf('nope')).json).toEqual({ code: 1008, msg: 'content not exist' });
		expect((await detail()).json).toEqual({ code: 1008, msg: 'content not exist' });
		emu.akool.config.unknownIdAnswer = 1014;
		expect((await infoOf('nope')).json).toEqual({ code: 1014, msg: 'resource does not exist' });
		expect((await detail()).json).toEqual({ code: 1014, msg: 'resource does not exist' });
		emu.akool.config.unknownIdAnswer = 'null-data';
		expect((await infoOf('nope')).json).toEqual({ code: 1000, msg: 'OK', data: null });
		expect((await detail()).json).toEqual({ code: 1000, msg: 'OK', data: null });
	});

	it('the rateLimit fault answers 1005 "Frequent operation" for the next N matching requests, and creates nothing', async () => {
		emu.akool.inject({ route: 'create', fault: 'rateLimit', times: 2 });
		emu.akool.inject({ route: 'get', fault: 'rateLimit' });
		for (let n = 0; n < 2; n++) {
			expect((await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() })).json).toEqual({ code: 1005, msg: 'Frequent operation' });
		}
		expect(emu.akool.videos()).toHaveLength(0);
		const created = await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() });
		expect(created.json.code).toBe(1000);
		expect((await infoOf(created.json.data._id)).json).toEqual({ code: 1005, msg: 'Frequent operation' });
		expect((await infoOf(created.json.data._id)).json.code).toBe(1000);
		expect(emu.akool.counters).toMatchObject({ createRequests: 3, createAccepted: 1, getRequests: 2 });
		expect(emu.akool.pendingFaults()).toEqual([]);
	});

	it('out of credit answers 1006 by default, 1104 "insufficient credit" when configured', async () => {
		emu.akool.config.credits = 0;
		expect((await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() })).json).toEqual({ code: 1006, msg: 'Your quota is not enough' });
		emu.akool.config.creditsExhaustedCode = 1104;
		expect((await call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody() })).json).toEqual({ code: 1104, msg: 'insufficient credit' });
		expect(emu.akool.counters.createAccepted).toBe(0);
	});

	it('layout: offsets are read as the element\'s centre', async () => {
		const avatarAt = (x: number, y: number, w: number, h: number) => ({ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: x, offset_y: y, width: w, height: h });
		const audio = { type: 'audio', url: 'https://example.com/voice.mp3' };
		const background = { type: 'image', url: '#000000', scale_x: 1, scale_y: 1, offset_x: 0, offset_y: 0, width: 3840, height: 2160 };
		const post = (elements: unknown[]) => call('POST', '/api/open/v3/talkingavatar/create', { headers: key(), body: videoBody({ elements }) });
		// A full-canvas element at 0, 0 (the "upper left corner" reading) shows only its bottom-right quarter.
		const corner = await post([background, avatarAt(1920, 1080, 3840, 2160), audio]);
		expect(emu.akool.video(corner.json.data._id)?.layout).toEqual([
			{ type: 'image', left: -1920, top: -1080, right: 1920, bottom: 1080, canvasCovered: 0.25, visible: 0.25 },
			{ type: 'avatar', left: 0, top: 0, right: 3840, bottom: 2160, canvasCovered: 1, visible: 1 },
		]);
		// Scale multiplies the size [I]: half of 3840 × 2160, centred.
		const scaled = await post([{ ...avatarAt(1920, 1080, 3840, 2160), scale_x: 0.5, scale_y: 0.5 }, audio]);
		expect(emu.akool.video(scaled.json.data._id)?.layout).toEqual([{ type: 'avatar', left: 960, top: 540, right: 2880, bottom: 1620, canvasCovered: 0.25, visible: 1 }]);
	});
});
