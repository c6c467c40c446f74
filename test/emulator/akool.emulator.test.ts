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
		{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: 0, offset_y: 0, width: 3840, height: 2160 },
		{ type: 'audio', url: 'https://example.com/voice.mp3' },
	],
	...extra,
});

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
		expect((await call('POST', '/api/open/v3/avatar/create', { headers: key(), body: { url: 'https://example.com/me.mp4', avatar_id: 'me1' } })).json.code).toBe(1003);
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
