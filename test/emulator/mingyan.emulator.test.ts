/**
 * The Mingyan (kyy DigitalHuman) emulator over real HTTP (global fetch).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';

const SAMPLE_MP4 = readFileSync(path.resolve(__dirname, '../../emulator/assets/sample.mp4'));
const SAMPLE_MD5 = createHash('md5').update(SAMPLE_MP4).digest('hex');
const KEY = 'emulator-mingyan-key';

let emu: Emulator;
let api: string;

async function call(p: string, opts: { body?: unknown; key?: string | null; method?: string } = {}) {
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	const key = opts.key === undefined ? KEY : opts.key;
	if (key !== null) headers.Authorization = `Bearer ${key}`;
	const res = await fetch(`${api}${p}`, {
		method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
		headers,
		body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
	});
	const text = await res.text();
	return { status: res.status, json: text ? JSON.parse(text) : null };
}

const createBody = (extra: Record<string, unknown> = {}) => ({
	model: 'kyy_digitalHuman',
	videoUrl: `${emu.url}/assets/sample.mp4`,
	audioUrl: `${emu.url}/assets/voice.mp3`,
	modelVersion: 2,
	...extra,
});

async function until(id: string, status: string, timeoutMs = 5000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const r = await call(`/v1/result/${id}`);
		const body = r.json.data ?? r.json;
		if (body.status === status) return body;
		if (Date.now() > end) throw new Error(`task ${id} is still ${body.status}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

beforeAll(async () => {
	emu = await startEmulator({ mingyan: { queuedMs: 100, processingMs: 200 } });
	api = `${emu.url}/kyyReactApiServer`;
});
afterAll(async () => emu.close());
beforeEach(() => emu.reset());

describe('Mingyan emulator', () => {
	it('creates a task (documented flat shape) and runs queued → processing → completed with video_url and md5', async () => {
		const created = await call('/v1/digitalHuman/videos', { body: createBody() });
		expect(created.status).toBe(200);
		expect(created.json).toMatchObject({ object: 'video', model: 'kyy_digitalHuman', status: 'queued', error: '' });
		expect(typeof created.json.id).toBe('string');
		expect(created.json.created).toBeLessThan(1e12); // seconds by default
		const first = await call(`/v1/result/${created.json.id}`);
		expect(first.json.status).toBe('queued');
		await until(created.json.id, 'processing');
		const done = await until(created.json.id, 'completed');
		expect(done.md5).toBe(SAMPLE_MD5);
		expect(done.video_url).toBe(`${api}/files/${created.json.id}.mp4`);
		const file = await fetch(done.video_url); // no auth on result files
		expect(Buffer.from(await file.arrayBuffer()).equals(SAMPLE_MP4)).toBe(true);
		expect(emu.mingyan.counters).toMatchObject({ createRequests: 1, createAccepted: 1, downloads: 1 });
		expect(emu.mingyan.counters.resultRequests).toBeGreaterThanOrEqual(3);
	});

	it('answers in the {data: {...}} shape when wrapInData is on', async () => {
		emu.mingyan.config.wrapInData = true;
		const created = await call('/v1/digitalHuman/videos', { body: createBody() });
		expect(created.json).toMatchObject({ code: 0, data: { status: 'queued', object: 'video' } });
		const result = await call(`/v1/result/${created.json.data.id}`);
		expect(result.json.data.id).toBe(created.json.data.id);
		expect(result.json).not.toHaveProperty('status');
	});

	it('fails a task whose video URL carries the failure marker', async () => {
		const created = await call('/v1/digitalHuman/videos', { body: createBody({ videoUrl: 'https://example.com/mingyan-fail.mp4' }) });
		const done = await until(created.json.id, 'failed');
		expect(done.error).toBe('face not detected in the video');
		expect(done.video_url).toBe('');
	});

	it('refuses a bad or missing key with 401', async () => {
		expect((await call('/v1/digitalHuman/videos', { body: createBody(), key: 'wrong' })).status).toBe(401);
		expect((await call('/v1/result/x', { key: null })).status).toBe(401);
		expect(emu.mingyan.counters).toMatchObject({ createAccepted: 0, unauthorized: 2 });
	});

	it('answers an unknown id with a failed task object (or 404 when configured)', async () => {
		const r = await call('/v1/result/n8n-credential-test');
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ id: 'n8n-credential-test', status: 'failed', error: 'task not found' });
		emu.mingyan.config.unknownIdStatus = 404;
		expect(await call('/v1/result/n8n-credential-test')).toEqual({ status: 404, json: { message: 'task n8n-credential-test not found' } });
	});

	it('404 bodies are {"message": …} like the real service: an unknown route answers "No handler found for <method> <path>"', async () => {
		expect(await call('/v1/nope')).toEqual({ status: 404, json: { message: 'No handler found for GET /kyyReactApiServer/v1/nope' } });
		expect(await call('/v2/model-center/tasks', { body: {} })).toEqual({ status: 404, json: { message: 'No handler found for POST /kyyReactApiServer/v2/model-center/tasks' } });
		// The emulator answers a route miss before it checks the key (the real order is not known).
		expect((await call('/v1/nope', { key: 'wrong' })).status).toBe(404);
		expect(await call('/files/unknown.mp4')).toEqual({ status: 404, json: { message: 'file not found' } });
	});

	it('refuses non-ASCII and non-network URLs like the docs say, and records what it received', async () => {
		const chinese = await call('/v1/digitalHuman/videos', { body: createBody({ audioUrl: 'https://example.com/音频.mp3' }) });
		expect(chinese.status).toBe(400);
		expect(chinese.json.error).toMatch(/non-ASCII/);
		const local = await call('/v1/digitalHuman/videos', { body: createBody({ videoUrl: '/home/me/video.mp4' }) });
		expect(local.status).toBe(400);
		const file = await call('/v1/digitalHuman/videos', { body: createBody({ videoUrl: 'file:///home/me/video.mp4' }) });
		expect(file.status).toBe(400);
		const encoded = await call('/v1/digitalHuman/videos', { body: createBody({ audioUrl: 'https://example.com/%E9%9F%B3%E9%A2%91.mp3' }) });
		expect(encoded.status).toBe(200);
		expect(emu.mingyan.receivedUrls.map((u) => u.audioUrl)).toEqual([
			'https://example.com/音频.mp3',
			`${emu.url}/assets/voice.mp3`,
			`${emu.url}/assets/voice.mp3`,
			'https://example.com/%E9%9F%B3%E9%A2%91.mp3',
		]);
		expect(emu.mingyan.counters.createAccepted).toBe(1);
	});

	it('checks the audio format, the model and the integer options', async () => {
		expect((await call('/v1/digitalHuman/videos', { body: createBody({ audioUrl: 'https://example.com/a.flac' }) })).status).toBe(400);
		expect((await call('/v1/digitalHuman/videos', { body: createBody({ audioUrl: 'https://example.com/a.aac' }) })).status).toBe(200);
		expect((await call('/v1/digitalHuman/videos', { body: createBody({ model: '' }) })).status).toBe(400);
		expect((await call('/v1/digitalHuman/videos', { body: createBody({ modelVersion: 3 }) })).status).toBe(400);
		expect((await call('/v1/digitalHuman/videos', { body: createBody({ sideFace: true }) })).status).toBe(400);
		expect((await call('/v1/digitalHuman/videos', { body: createBody({ sideFace: 1, tiltedFace: 0 }) })).status).toBe(200);
	});

	it('can publish a wrong md5, omit it, or truncate the download', async () => {
		emu.mingyan.config.wrongMd5 = true;
		emu.mingyan.config.truncateDownload = true;
		const created = await call('/v1/digitalHuman/videos', { body: createBody() });
		const done = await until(created.json.id, 'completed');
		expect(done.md5).toMatch(/^[0-9a-f]{32}$/);
		expect(done.md5).not.toBe(SAMPLE_MD5);
		const file = Buffer.from(await (await fetch(done.video_url)).arrayBuffer());
		expect(file.length).toBe(Math.floor(SAMPLE_MP4.length / 2));
		emu.mingyan.config.omitMd5 = true;
		expect(await until(created.json.id, 'completed')).not.toHaveProperty('md5');
	});

	it('injects faults per route', async () => {
		emu.mingyan.inject({ route: 'create', fault: 'http500' });
		expect((await call('/v1/digitalHuman/videos', { body: createBody() })).status).toBe(500);
		emu.mingyan.inject({ route: 'result', fault: 'http429', times: 2 });
		expect((await call('/v1/result/x')).status).toBe(429);
		expect((await call('/v1/result/x')).status).toBe(429);
		expect((await call('/v1/result/x')).status).toBe(200);
		emu.mingyan.inject({ route: 'create', fault: 'reset-after-accept' });
		await expect(call('/v1/digitalHuman/videos', { body: createBody() })).rejects.toThrow();
		expect(emu.mingyan.counters.createAccepted).toBe(1); // the task exists, the answer was lost
	});

	it('leaves other paths to other handlers', async () => {
		const res = await fetch(`${emu.url}/v1/result/x`);
		expect(res.status).toBe(404);
		expect(emu.mingyan.requests).toHaveLength(0);
	});
});
