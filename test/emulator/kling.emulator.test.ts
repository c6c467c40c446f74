/**
 * The Kling emulator over real HTTP (global fetch). The JWTs here are built independently of
 * emulator/jwt.ts, with node:crypto only.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';

const ASSETS = path.resolve(__dirname, '../../emulator/assets');
const SAMPLE_MP4 = readFileSync(path.join(ASSETS, 'sample.mp4'));
const VOICE_MP3 = readFileSync(path.join(ASSETS, 'voice.mp3'));
const VOICE_B64 = VOICE_MP3.toString('base64');
/** 5x5 PNG from the official doc (too small for Kling). */
const TINY_PNG_B64 =
	'iVBORw0KGgoAAAANSUhEUgAAAAUAAAAFCAYAAACNbyblAAAAHElEQVQI12P4//8/w38GIAXDIBKE0DHxgljNBAAO9TXL0Y4OHwAAAABJRU5ErkJggg==';

const AK = 'emulator-access-key';
const SK = 'emulator-secret-key-0123456789';
const API_KEY = 'emulator-api-key';

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');
function jwt(claims: Record<string, unknown>, secret = SK, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }) {
	const h = b64u(JSON.stringify(header));
	const p = b64u(JSON.stringify(claims));
	return `${h}.${p}.${b64u(createHmac('sha256', secret).update(`${h}.${p}`).digest())}`;
}
const nowS = () => Math.floor(Date.now() / 1000);
const goodJwt = () => jwt({ iss: AK, exp: nowS() + 1800, nbf: nowS() - 5 });

let emu: Emulator;
let base: string;

interface ApiResult {
	status: number;
	json: any;
}
async function api(
	p: string,
	opts: { method?: string; body?: unknown; auth?: string | null; prefix?: string } = {},
): Promise<ApiResult> {
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	const auth = opts.auth === undefined ? `Bearer ${goodJwt()}` : opts.auth;
	if (auth !== null) headers.Authorization = auth;
	const res = await fetch(`${base}${opts.prefix ?? ''}${p}`, {
		method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
		headers,
		body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
	});
	const text = await res.text();
	return { status: res.status, json: text ? JSON.parse(text) : null };
}

const CREATE = '/v1/videos/avatar/image2video';
const portraitUrl = () => `${base}/assets/portrait.jpg`;
const createBody = (extra: Record<string, unknown> = {}) => ({
	image: portraitUrl(),
	sound_file: VOICE_B64,
	mode: 'std',
	...extra,
});

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000, stepMs = 20): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v !== undefined && v !== null && (v as unknown) !== false) return v;
		if (Date.now() > end) throw new Error('waitFor timed out');
		await new Promise((r) => setTimeout(r, stepMs));
	}
}

beforeAll(async () => {
	emu = await startEmulator({ kling: { submittedMs: 100, processingMs: 200 } });
	base = emu.url;
});
afterAll(async () => {
	await emu.close();
});
beforeEach(() => emu.reset());

describe('auth', () => {
	const list = (auth: string | null) => api(`${CREATE}?pageNum=1&pageSize=5`, { auth });

	it('missing header → 401/1001 with the error envelope', async () => {
		const r = await list(null);
		expect(r.status).toBe(401);
		expect(r.json.code).toBe(1001);
		expect(typeof r.json.message).toBe('string');
		expect(r.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
	});

	it('malformed, wrong signature, unknown iss, wrong alg, bad Bearer spacing → 401/1002', async () => {
		const cases = [
			'Bearer not-a-jwt',
			`Bearer ${jwt({ iss: AK, exp: nowS() + 60, nbf: nowS() - 5 }, 'wrong-secret')}`,
			`Bearer ${jwt({ iss: 'someone-else', exp: nowS() + 60, nbf: nowS() - 5 })}`,
			`Bearer ${jwt({ iss: AK, exp: nowS() + 60 }, SK, { alg: 'none', typ: 'JWT' })}`,
			`Bearer  ${goodJwt()}`,
			`bearer ${goodJwt()}`,
			`Token ${API_KEY}`,
			'Bearer wrong-api-key',
		];
		for (const auth of cases) {
			const r = await list(auth);
			expect([auth, r.status, r.json.code]).toEqual([auth, 401, 1002]);
		}
	});

	it('nbf in the future → 1003, expired → 1004', async () => {
		const r3 = await list(`Bearer ${jwt({ iss: AK, exp: nowS() + 1800, nbf: nowS() + 120 })}`);
		expect([r3.status, r3.json.code]).toEqual([401, 1003]);
		const r4 = await list(`Bearer ${jwt({ iss: AK, exp: nowS() - 1, nbf: nowS() - 1000 })}`);
		expect([r4.status, r4.json.code]).toEqual([401, 1004]);
	});

	it('accepts a valid JWT and the API key, at the root and under /kling', async () => {
		for (const prefix of ['', '/kling']) {
			const a = await api(`${CREATE}?pageNum=1&pageSize=5`, { prefix });
			expect(a.status).toBe(200);
			expect(a.json).toMatchObject({ code: 0, message: 'SUCCEED', data: [] });
			expect(a.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
			const b = await api(`${CREATE}?pageNum=1&pageSize=5`, { prefix, auth: `Bearer ${API_KEY}` });
			expect(b.status).toBe(200);
		}
	});

	it('account/costs works as a credential test', async () => {
		const r = await api(`/account/costs?start_time=${Date.now() - 86_400_000}&end_time=${Date.now()}`);
		expect(r.status).toBe(200);
		expect(r.json.data.resource_pack_subscribe_infos[0]).toMatchObject({ status: 'online', total_quantity: 1000 });
		const bad = await api('/account/costs');
		expect([bad.status, bad.json.code]).toEqual([400, 1201]);
	});
});

describe('avatar tasks', () => {
	it('create → query by task_id and external_task_id → succeed → download the video', async () => {
		const created = await api(CREATE, { body: createBody({ external_task_id: 'ext-1', prompt: 'smile' }) });
		expect(created.status).toBe(200);
		const d = created.json.data;
		expect(d).toMatchObject({ task_status: 'submitted', task_info: { external_task_id: 'ext-1' } });
		expect(d.task_id).toMatch(/^\d{18}$/);
		expect(typeof d.created_at).toBe('number');
		expect(d.created_at).toBeGreaterThan(Date.now() - 10_000); // ms, not seconds

		const byId = await api(`${CREATE}/${d.task_id}`);
		expect(byId.json.data.task_id).toBe(d.task_id);
		expect(['submitted', 'processing']).toContain(byId.json.data.task_status);
		const byExt = await api(`${CREATE}/ext-1`);
		expect(byExt.json.data.task_id).toBe(d.task_id);

		const seen = new Set<string>();
		const done = await waitFor(async () => {
			const r = await api(`${CREATE}/${d.task_id}`);
			seen.add(r.json.data.task_status);
			return r.json.data.task_status === 'succeed' ? r.json.data : undefined;
		});
		expect(seen.has('processing')).toBe(true);
		const video = done.task_result.videos[0];
		expect(video.url).toBe(`${base}/files/kling/${d.task_id}.mp4`);
		expect(video.watermark_url).toBeUndefined();
		expect(Number(video.duration)).toBeGreaterThan(2);
		expect(typeof video.duration).toBe('string');
		expect(done.final_unit_deduction).toBe('1');
		expect(done.updated_at).toBeGreaterThanOrEqual(done.created_at + 300);

		const dl = await fetch(video.url);
		expect(dl.status).toBe(200);
		expect(dl.headers.get('content-type')).toBe('video/mp4');
		expect(Number(dl.headers.get('content-length'))).toBe(SAMPLE_MP4.length);
		expect(Buffer.from(await dl.arrayBuffer()).equals(SAMPLE_MP4)).toBe(true);

		const [task] = emu.kling.tasks();
		expect(task).toMatchObject({ taskId: d.task_id, account: AK, externalTaskId: 'ext-1', status: 'succeed', prompt: 'smile' });
		expect(task.timeline.map((t) => t.status)).toEqual(['submitted', 'processing', 'succeed']);
		expect(task.finishedAt).toBe(task.createdAt + 300);
		expect(task.firstTerminalServedAt).toBeGreaterThanOrEqual(task.finishedAt as number);
		expect(emu.kling.counters.createAccepted).toBe(1);
		expect(emu.kling.counters.downloads).toBe(1);
		expect(emu.kling.counters.byPath[CREATE]).toBe(1);
	});

	it('pro mode with watermark via the /kling prefix and the API key', async () => {
		const created = await api(CREATE, {
			prefix: '/kling',
			auth: `Bearer ${API_KEY}`,
			body: createBody({ mode: 'pro', watermark_info: { enabled: true }, sound_file: `${base}/assets/voice.mp3` }),
		});
		expect(created.status).toBe(200);
		const id = created.json.data.task_id;
		const done = await waitFor(async () => {
			const r = await api(`${CREATE}/${id}`, { prefix: '/kling', auth: `Bearer ${API_KEY}` });
			return r.json.data.task_status === 'succeed' ? r.json.data : undefined;
		});
		expect(done.final_unit_deduction).toBe('2');
		expect(done.watermark_info).toEqual({ enabled: true });
		expect(done.task_result.videos[0].watermark_url).toBe(`${base}/files/kling/${id}_wm.mp4`);
		expect((await fetch(done.task_result.videos[0].watermark_url)).status).toBe(200);
		// Tasks belong to their account: the AK/SK account can't see it.
		const other = await api(`${CREATE}/${id}`);
		expect([other.status, other.json.code]).toEqual([404, 1203]);
	});

	it('[[fail]] in the prompt ends failed with a reason', async () => {
		const created = await api(CREATE, { body: createBody({ prompt: 'wave [[fail]]' }) });
		const id = created.json.data.task_id;
		const done = await waitFor(async () => {
			const r = await api(`${CREATE}/${id}`);
			return r.json.data.task_status === 'failed' ? r.json.data : undefined;
		});
		expect(done.task_status_msg).toBe('Failure to pass the risk control system');
		expect((await fetch(`${base}/files/kling/${id}.mp4`)).status).toBe(404);
	});

	it('unknown task → 404/1203', async () => {
		const r = await api(`${CREATE}/123456789012345678`);
		expect([r.status, r.json.code]).toEqual([404, 1203]);
	});

	it('parameter errors → 400/1201', async () => {
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ image: portraitUrl() }, /audio_id or sound_file/],
			[{ image: portraitUrl(), sound_file: VOICE_B64, audio_id: 'x' }, /mutually exclusive/],
			[{ image: `data:image/jpeg;base64,${readFileSync(path.join(ASSETS, 'portrait.jpg')).toString('base64')}`, sound_file: VOICE_B64 }, /data:/],
			[{ image: TINY_PNG_B64, sound_file: VOICE_B64 }, /300px/],
			[{ image: portraitUrl(), audio_id: 'never-issued' }, /audio_id not found/],
			[{ image: portraitUrl(), sound_file: VOICE_B64, mode: 'ultra' }, /mode/],
			[{ image: portraitUrl(), sound_file: VOICE_B64, prompt: 'x'.repeat(2501) }, /2500/],
			[{ sound_file: VOICE_B64 }, /image/],
			[{ image: '%%%not base64%%%', sound_file: VOICE_B64 }, /Base64/],
			// Long text, one foreign character deep inside (URL-safe, a space, padding mid-text).
			[{ image: readFileSync(path.join(ASSETS, 'portrait.jpg')).toString('base64').replace(/^(.{4000})./, '$1-'), sound_file: VOICE_B64 }, /Base64/],
			[{ image: readFileSync(path.join(ASSETS, 'portrait.jpg')).toString('base64').replace(/^(.{4001})./, '$1 '), sound_file: VOICE_B64 }, /Base64/],
			[{ image: readFileSync(path.join(ASSETS, 'portrait.jpg')).toString('base64').replace(/^(.{4002})../, '$1=='), sound_file: VOICE_B64 }, /Base64/],
			// Padding closing the last group but one (a head that decodes and encodes back to itself).
			[{ image: `${readFileSync(path.join(ASSETS, 'portrait.jpg')).subarray(0, 4000).toString('base64').slice(0, -4)}QQ==QUFB`, sound_file: VOICE_B64 }, /Base64/],
			[{ image: `${base}/assets/missing.png`, sound_file: VOICE_B64 }, /HTTP 404/],
		];
		for (const [body, message] of cases) {
			const r = await api(CREATE, { body });
			expect(r.status).toBe(400);
			expect(r.json.code).toBe(1201);
			expect(r.json.message).toMatch(message);
		}
		// Remote URLs can't be checked here and are accepted as is.
		const remote = await api(CREATE, {
			body: { image: 'https://p1-kling.klingai.com/pink_boy.png', sound_file: 'https://p1-kling.klingai.com/go-to-world.mp3' },
		});
		expect(remote.status).toBe(200);
		// Audio duration limits are configurable.
		emu.kling.config.audioMinSeconds = 10;
		const short = await api(CREATE, { body: createBody() });
		expect([short.status, short.json.code]).toEqual([400, 1201]);
		expect(short.json.message).toMatch(/between 10 and 300/);
		expect(emu.kling.counters.createRequests).toBe(cases.length + 2);
		expect(emu.kling.counters.createAccepted).toBe(1);
	});

	it('duplicate external_task_id in one account → 1201; another account may reuse it', async () => {
		expect((await api(CREATE, { body: createBody({ external_task_id: 'dup' }) })).status).toBe(200);
		const again = await api(CREATE, { body: createBody({ external_task_id: 'dup' }) });
		expect([again.status, again.json.code, again.json.message]).toEqual([400, 1201, 'external_task_id already exists']);
		const other = await api(CREATE, { auth: `Bearer ${API_KEY}`, body: createBody({ external_task_id: 'dup' }) });
		expect(other.status).toBe(200);
	});

	it('concurrency limit per account → 429/1303, freed when tasks end', async () => {
		emu.kling.config.concurrencyLimit = 2;
		emu.kling.config.processingMs = 400;
		expect((await api(CREATE, { body: createBody() })).status).toBe(200);
		expect((await api(CREATE, { body: createBody() })).status).toBe(200);
		const over = await api(CREATE, { body: createBody() });
		expect([over.status, over.json.code, over.json.message]).toEqual([429, 1303, 'parallel task over resource pack limit']);
		// Another account has its own slots.
		expect((await api(CREATE, { auth: `Bearer ${API_KEY}`, body: createBody() })).status).toBe(200);
		await new Promise((r) => setTimeout(r, 600));
		expect((await api(CREATE, { body: createBody() })).status).toBe(200);
	});

	it('per-task durations via durationFor', async () => {
		emu.kling.config.durationFor = (t) => (t.prompt === 'slow' ? { submittedMs: 0, processingMs: 5000 } : { submittedMs: 0, processingMs: 0 });
		const fast = await api(CREATE, { body: createBody({ prompt: 'fast' }) });
		const slow = await api(CREATE, { body: createBody({ prompt: 'slow' }) });
		expect((await api(`${CREATE}/${fast.json.data.task_id}`)).json.data.task_status).toBe('succeed');
		expect((await api(`${CREATE}/${slow.json.data.task_id}`)).json.data.task_status).toBe('processing');
	});

	it('list: newest first, paging, range errors', async () => {
		const ids: string[] = [];
		for (let i = 0; i < 3; i++) ids.push((await api(CREATE, { body: createBody({ external_task_id: `l${i}` }) })).json.data.task_id);
		const p1 = await api(`${CREATE}?pageNum=1&pageSize=2`);
		expect(p1.status).toBe(200);
		expect(Array.isArray(p1.json.data)).toBe(true);
		expect(p1.json.data.map((t: any) => t.task_id)).toEqual([ids[2], ids[1]]);
		const p2 = await api(`${CREATE}?pageNum=2&pageSize=2`);
		expect(p2.json.data.map((t: any) => t.task_id)).toEqual([ids[0]]);
		expect(p2.json.data[0].task_info.external_task_id).toBe('l0');
		const dflt = await api(CREATE);
		expect(dflt.json.data).toHaveLength(3);
		for (const q of ['pageNum=0', 'pageNum=1001', 'pageSize=0', 'pageSize=501', 'pageNum=abc', 'pageSize=1.5']) {
			const r = await api(`${CREATE}?${q}`);
			expect([q, r.status, r.json.code]).toEqual([q, 400, 1201]);
		}
		expect((await api(`${CREATE}?pageNum=1000&pageSize=500`)).json.data).toEqual([]);
		expect(emu.kling.counters.listRequests).toBe(10);
	});
});

describe('TTS and voices', () => {
	it('lists preset and custom voices (S8 shape), none of which TTS takes', async () => {
		const presets = await api('/v1/general/presets-voices?pageNum=1&pageSize=100');
		expect(presets.status).toBe(200);
		expect(presets.json.data[0].task_status).toBe('succeed');
		const voices = presets.json.data[0].task_result.voices;
		expect(voices.length).toBe(emu.kling.voices.length);
		expect(voices[0]).toEqual({ voice_id: expect.any(String), voice_name: expect.any(String), trial_url: `${base}/assets/voice.mp3`, owned_by: 'kling' });
		const custom = await api('/v1/general/custom-voices?pageNum=1&pageSize=30');
		expect(custom.json.data[0].task_result.voices).toEqual([expect.objectContaining({ voice_id: 'emu_custom_my_voice_1', owned_by: expect.not.stringMatching(/^kling$/) })]);
		expect((await api('/v1/general/presets-voices?pageNum=2&pageSize=100')).json.data[0].task_result.voices).toEqual([]);
		expect(emu.kling.counters.voiceRequests).toBe(3);

		for (const v of [...voices, ...custom.json.data[0].task_result.voices]) {
			for (const voice_language of ['en', 'zh']) {
				const r = await api('/v1/audio/tts', { body: { text: 'hi', voice_id: v.voice_id, voice_language } });
				expect([v.voice_id, r.status, r.json.code, r.json.message]).toEqual([v.voice_id, 400, 1201, 'Voice id not found']);
			}
		}
		expect(emu.kling.audios()).toEqual([]);
	});

	it('TTS accepts exactly the catalogue pairs (provider-apis.md §1.7): the same id may exist in both languages', async () => {
		expect(emu.kling.ttsVoices.filter((v) => v.language === 'en')).toHaveLength(27);
		expect(emu.kling.ttsVoices.filter((v) => v.language === 'zh')).toHaveLength(35);
		for (const v of emu.kling.ttsVoices) {
			const r = await api('/v1/audio/tts', { body: { text: 'hi', voice_id: v.voice_id, voice_language: v.language } });
			expect([v.voice_id, v.language, r.status, r.json.code]).toEqual([v.voice_id, v.language, 200, 0]);
		}
		const refused: Array<[string, string]> = [
			['oversea_male1', 'zh'], // English-only id
			['tiyuxi_xuedi', 'en'], // Chinese-only id
			['OVERSEA_MALE1', 'en'],
			['no_such_voice', 'en'],
		];
		for (const [voice_id, voice_language] of refused) {
			const r = await api('/v1/audio/tts', { body: { text: 'hi', voice_id, voice_language } });
			expect([voice_id, r.status, r.json.code, r.json.message, typeof r.json.request_id]).toEqual([voice_id, 400, 1201, 'Voice id not found', 'string']);
		}
		const both = emu.kling.audios().filter((a) => a.voiceId === 'genshin_vindi2').map((a) => a.voiceLanguage).sort();
		expect(both).toEqual(['en', 'zh']);
	});

	it('TTS issues an audio_id that create accepts; mismatched voice → "Voice id not found"', async () => {
		const tts = await api('/v1/audio/tts', {
			body: { text: 'Hello from the emulator', voice_id: 'oversea_male1', voice_language: 'en', voice_speed: 5 },
		});
		expect(tts.status).toBe(200);
		expect(tts.json.data.task_status).toBe('succeed');
		const audio = tts.json.data.task_result.audios[0];
		expect(audio.url).toBe(`${base}/files/kling/tts/${audio.id}.mp3`);
		expect(Number(audio.duration)).toBeGreaterThan(2);
		const mp3 = await fetch(audio.url);
		expect(Buffer.from(await mp3.arrayBuffer()).equals(VOICE_MP3)).toBe(true);

		const created = await api(CREATE, { body: { image: portraitUrl(), audio_id: audio.id } });
		expect(created.status).toBe(200);
		const [task] = emu.kling.tasks();
		expect(task.audioSource).toBe('audio_id');
		expect(task.videoDurationSeconds).toBeCloseTo(Number(audio.duration), 1);

		const mismatch = await api('/v1/audio/tts', { body: { text: 'hi', voice_id: 'oversea_male1', voice_language: 'zh' } });
		expect([mismatch.status, mismatch.json.code, mismatch.json.message]).toEqual([400, 1201, 'Voice id not found']);
		const tooLong = await api('/v1/audio/tts', { body: { text: 'x'.repeat(1001), voice_id: 'oversea_male1', voice_language: 'en' } });
		expect([tooLong.status, tooLong.json.code]).toEqual([400, 1201]);
		expect(emu.kling.counters.ttsRequests).toBe(3);
	});
});

describe('faults', () => {
	it('reset-after-accept on create: the client sees a socket error, exactly one task exists', async () => {
		emu.kling.inject({ route: 'create', fault: 'reset-after-accept' });
		await expect(api(CREATE, { body: createBody({ external_task_id: 'lost' }) })).rejects.toThrow();
		expect(emu.kling.tasks()).toHaveLength(1);
		expect(emu.kling.counters.createAccepted).toBe(1);
		// A retry with the same external id hits the duplicate check; the task is findable by it.
		const retry = await api(CREATE, { body: createBody({ external_task_id: 'lost' }) });
		expect(retry.json.message).toBe('external_task_id already exists');
		expect((await api(`${CREATE}/lost`)).json.data.task_id).toBe(emu.kling.tasks()[0].taskId);
	});

	it('http errors, reset, delay and times are consumed in order', async () => {
		emu.kling.inject({ route: 'get', fault: 'http500' });
		emu.kling.inject({ route: 'get', fault: 'http503-5001' });
		emu.kling.inject({ route: 'any', fault: 'http429-1302', times: 2 });
		emu.kling.inject({ route: 'list', fault: 'http429-1303' });
		const g = () => api(`${CREATE}/nope`);
		expect([(await g()).status, (await g()).json.code]).toEqual([500, 5001]);
		expect((await g()).json.code).toBe(1302);
		expect((await api(CREATE)).json.code).toBe(1302); // list hits the 'any' fault first
		expect((await api(CREATE)).json.code).toBe(1303);
		expect((await g()).json.code).toBe(1203);
		expect(emu.kling.pendingFaults()).toEqual([]);

		emu.kling.inject({ route: 'list', fault: 'reset' });
		await expect(api(CREATE)).rejects.toThrow();
		emu.kling.inject({ route: 'list', fault: 'delay', delayMs: 150 });
		const t0 = Date.now();
		expect((await api(CREATE)).status).toBe(200);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
		expect(emu.kling.tasks()).toHaveLength(0);
	});
});

describe('callbacks', () => {
	it('POSTs the bare task object on each status change; a dead receiver does not hurt', async () => {
		const received: any[] = [];
		const receiver = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c) => chunks.push(c));
			req.on('end', () => {
				received.push({ method: req.method, url: req.url, body: JSON.parse(Buffer.concat(chunks).toString()) });
				res.writeHead(200).end('ok');
			});
		});
		await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
		const port = (receiver.address() as AddressInfo).port;
		try {
			const created = await api(CREATE, {
				body: createBody({ callback_url: `http://127.0.0.1:${port}/hook?x=1`, external_task_id: 'cb-1' }),
			});
			const id = created.json.data.task_id;
			await waitFor(() => (received.length >= 3 ? true : undefined));
			expect(received.map((r) => r.body.task_status)).toEqual(['submitted', 'processing', 'succeed']);
			expect(received.every((r) => r.method === 'POST' && r.url === '/hook?x=1')).toBe(true);
			const last = received[2].body;
			expect(last.code).toBeUndefined();
			expect(last.data).toBeUndefined();
			expect(last).toMatchObject({ task_id: id, task_info: { external_task_id: 'cb-1' }, final_unit_deduction: '1' });
			expect(last.task_result.videos[0].url).toBe(`${base}/files/kling/${id}.mp4`);
			// Same shape as the query data.
			const q = await api(`${CREATE}/${id}`);
			expect(last).toEqual(q.json.data);
			const deliveries = emu.kling.callbacks;
			expect(deliveries.map((d) => [d.taskStatus, d.statusCode])).toEqual([
				['submitted', 200],
				['processing', 200],
				['succeed', 200],
			]);
		} finally {
			await new Promise<void>((r) => receiver.close(() => r()));
		}

		// Nothing listens on the old port any more.
		await api(CREATE, { body: createBody({ callback_url: `http://127.0.0.1:${port}/hook`, prompt: '[[fail]]' }) });
		await waitFor(() => (emu.kling.callbacks.length >= 6 ? true : undefined));
		const dead = emu.kling.callbacks.slice(3);
		expect(dead.map((d) => [d.taskStatus, d.statusCode])).toEqual([
			['submitted', null],
			['processing', null],
			['failed', null],
		]);
		expect(dead[2].body.task_status_msg).toBe('Failure to pass the risk control system');
		expect((await api(CREATE)).status).toBe(200); // still alive
	});
});

describe('result files', () => {
	it('resultVideoBytes pads with a free box to the exact size, streamed', async () => {
		const size = 24 * 1024 * 1024 + 123;
		emu.kling.config.resultVideoBytes = size;
		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const id = (await api(CREATE, { body: createBody() })).json.data.task_id;
		const res = await fetch(`${base}/files/kling/${id}.mp4`);
		expect(res.status).toBe(200);
		expect(Number(res.headers.get('content-length'))).toBe(size);
		let total = 0;
		let head = Buffer.alloc(0);
		for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
			total += chunk.length;
			if (head.length < SAMPLE_MP4.length + 16) head = Buffer.concat([head, Buffer.from(chunk)]);
		}
		expect(total).toBe(size);
		expect(head.subarray(0, SAMPLE_MP4.length).equals(SAMPLE_MP4)).toBe(true);
		expect(head.readUInt32BE(SAMPLE_MP4.length)).toBe(size - SAMPLE_MP4.length);
		expect(head.toString('latin1', SAMPLE_MP4.length + 4, SAMPLE_MP4.length + 8)).toBe('free');

		const headRes = await fetch(`${base}/files/kling/${id}.mp4`, { method: 'HEAD' });
		expect(Number(headRes.headers.get('content-length'))).toBe(size);
	});

	it('serves assets without auth; download faults apply to result files', async () => {
		const a = await fetch(`${base}/assets/portrait.jpg`);
		expect(a.status).toBe(200);
		expect(a.headers.get('content-type')).toBe('image/jpeg');
		expect((await fetch(`${base}/assets/..%2Fserver.ts`)).status).toBe(404);

		emu.kling.config.durationFor = () => ({ submittedMs: 0, processingMs: 0 });
		const id = (await api(CREATE, { body: createBody() })).json.data.task_id;
		emu.kling.inject({ route: 'download', fault: 'http500' });
		expect((await fetch(`${base}/files/kling/${id}.mp4`)).status).toBe(500);
		expect((await fetch(`${base}/files/kling/${id}.mp4`)).status).toBe(200);
		expect((await fetch(`${base}/files/kling/unknown.mp4`)).status).toBe(404);

		// reset-after-accept on a download: headers, part of the body, then the connection drops.
		emu.kling.inject({ route: 'download', fault: 'reset-after-accept' });
		const cut = await fetch(`${base}/files/kling/${id}.mp4`);
		expect(cut.status).toBe(200);
		await expect(cut.arrayBuffer()).rejects.toThrow();
	});
});

describe('robustness', () => {
	it('handles 200 concurrent requests', async () => {
		emu.kling.config.concurrencyLimit = 1000;
		const results = await Promise.all(
			Array.from({ length: 200 }, (_, i) =>
				i % 2 === 0 ? api(CREATE, { body: createBody({ external_task_id: `c${i}` }) }) : api(`${CREATE}?pageSize=5`),
			),
		);
		expect(results.every((r) => r.status === 200)).toBe(true);
		expect(emu.kling.tasks()).toHaveLength(100);
		expect(new Set(emu.kling.tasks().map((t) => t.taskId)).size).toBe(100);
	});

	it('unknown paths: 404 at the root, 404/1203 under /kling, 1202 for a wrong method', async () => {
		expect((await fetch(`${base}/nothing-here`)).status).toBe(404);
		const k = await api('/v1/nothing', { prefix: '/kling' });
		expect([k.status, k.json.code]).toEqual([404, 1203]);
		const m = await api(CREATE, { method: 'DELETE' });
		expect([m.status, m.json.code]).toEqual([404, 1202]);
	});
});

describe('real Kling shapes (provider-apis.md §6.1)', () => {
	const waitTerminal = (id: string) =>
		waitFor(async () => {
			const r = await api(`${CREATE}/${id}`);
			return ['succeed', 'failed'].includes(r.json.data.task_status) ? r : undefined;
		});

	it('a failed task: HTTP 200, code 0, empty task_info and task_result, the reason in task_status_msg', async () => {
		const created = await api(CREATE, { body: createBody({ prompt: '[[fail]]', external_task_id: 'f-1' }) });
		const r = await waitTerminal(created.json.data.task_id);
		expect([r.status, r.json.code]).toEqual([200, 0]);
		expect(r.json.data).toMatchObject({ task_status: 'failed', task_status_msg: 'Failure to pass the risk control system', task_info: {}, task_result: {} });
		expect(r.json.data.task_info).toEqual({});
		expect(r.json.data.task_result).toEqual({});
		// Still found by its external id, which the object no longer shows.
		expect((await api(`${CREATE}/f-1`)).json.data.task_id).toBe(created.json.data.task_id);
		emu.kling.config.failedTaskShape = 'filled';
		expect((await api(`${CREATE}/f-1`)).json.data).toMatchObject({ task_info: { external_task_id: 'f-1' }, task_result: { videos: [] } });
	});

	it('an image accepted at create fails later with "Image pixel is invalid"', async () => {
		const created = await api(CREATE, { body: createBody({ image: `${base}/assets/portrait.jpg?pixel-invalid` }) });
		expect([created.status, created.json.code, created.json.data.task_status]).toEqual([200, 0, 'submitted']);
		const r = await waitTerminal(created.json.data.task_id);
		expect(r.json.data).toMatchObject({ task_status: 'failed', task_status_msg: 'Image pixel is invalid', task_info: {}, task_result: {} });
	});

	it('1102 comes as HTTP 429 "Account balance not enough"; nothing is created', async () => {
		emu.kling.inject({ route: 'create', fault: 'http429-1102' });
		const r = await api(CREATE, { body: createBody() });
		expect([r.status, r.json.code, r.json.message]).toEqual([429, 1102, 'Account balance not enough']);
		expect(emu.kling.counters.createRequests).toBe(1);
		expect(emu.kling.tasks()).toHaveLength(0);
	});

	it('ended tasks carry final_balance_deduction {quota, list_price} beside final_unit_deduction (a string)', async () => {
		const created = await api(CREATE, { body: createBody({ mode: 'pro' }) });
		const running = await api(`${CREATE}/${created.json.data.task_id}`);
		expect(running.json.data.final_balance_deduction).toBeUndefined();
		const r = await waitTerminal(created.json.data.task_id);
		expect(r.json.data.final_unit_deduction).toBe('2');
		expect(r.json.data.final_balance_deduction).toEqual({ quota: 2, list_price: 1 });
	});
});

describe('CometAPI mode under /kling (provider-apis.md §6.2)', () => {
	const comet = (p: string, opts: Parameters<typeof api>[1] = {}) => api(p, { prefix: '/kling', auth: `Bearer ${API_KEY}`, ...opts });
	beforeEach(() => {
		emu.kling.config.cometApi = true;
	});

	it('successes are Kling\'s envelope unchanged; the root stays Kling', async () => {
		const created = await comet(CREATE, { body: createBody() });
		expect(created.status).toBe(200);
		expect(created.json).toMatchObject({ code: 0, message: 'SUCCEED', data: { task_status: 'submitted' } });
		const bad = await api(CREATE, { body: { image: portraitUrl() } });
		expect([bad.status, bad.json.code]).toEqual([400, 1201]);
	});

	it('Kling\'s refusals come nested in data.data, with Kling\'s status unless told otherwise', async () => {
		const bad = await comet(CREATE, { body: { image: portraitUrl() } });
		expect(bad.status).toBe(400);
		expect(bad.json.code).toBeUndefined();
		expect(bad.json).toMatchObject({
			message: 'either audio_id or sound_file is required',
			data: { data: { code: 1201, message: 'either audio_id or sound_file is required' }, message: 'either audio_id or sound_file is required' },
		});
		expect(bad.json.data.data.request_id).toMatch(/^[0-9a-f-]{36}$/);

		emu.kling.config.cometApiUpstreamStatus = 500;
		emu.kling.inject({ route: 'create', fault: 'http429-1303' });
		emu.kling.inject({ route: 'create', fault: 'http429-1102' });
		const busy = await comet(CREATE, { body: createBody() });
		expect([busy.status, busy.json.data.data.code, busy.json.data.data.message]).toEqual([500, 1303, 'parallel task over resource pack limit']);
		const broke = await comet(CREATE, { body: createBody() });
		expect([broke.status, broke.json.data.data.code, broke.json.message]).toEqual([500, 1102, 'Account balance not enough']);
		expect(emu.kling.tasks()).toHaveLength(0);

		emu.kling.config.cometApiUpstreamStatus = null;
		const created = await comet(CREATE, { body: createBody() });
		emu.kling.inject({ route: 'get', fault: 'http404-1203' });
		const notYet = await comet(`${CREATE}/${created.json.data.task_id}`);
		expect([notYet.status, notYet.json.data.data.code]).toEqual([404, 1203]);
		expect((await comet(`${CREATE}/${created.json.data.task_id}`)).json.data.task_id).toBe(created.json.data.task_id);
	});

	it('a duplicate external_task_id is refused nested, like any Kling refusal', async () => {
		await comet(CREATE, { body: createBody({ external_task_id: 'dup-1' }) });
		const again = await comet(CREATE, { body: createBody({ external_task_id: 'dup-1' }) });
		expect([again.status, again.json.data.data.code, again.json.data.data.message]).toEqual([400, 1201, 'external_task_id already exists']);
		expect(emu.kling.tasks()).toHaveLength(1);
	});

	it('its own refusals: a wrong key or a Kling JWT → 401 comet_api_error, the request id in the message', async () => {
		for (const auth of [`Bearer wrong`, `Bearer ${goodJwt()}`, null]) {
			const r = await comet(`${CREATE}?pageNum=1&pageSize=1`, { auth });
			expect(r.status).toBe(401);
			expect(r.json).toEqual({ error: { code: '', message: expect.stringMatching(/^Invalid token \(request id: \w+\)$/), type: 'comet_api_error' } });
		}
		const unknown = await comet('/v1/nothing');
		expect(unknown.status).toBe(404);
		expect(unknown.json.error.type).toBe('comet_api_error');
	});

	it('can be made to 404 the avatar query path (not in CometAPI\'s docs); create and the root are unaffected', async () => {
		emu.kling.config.cometApiAvatarQuery404 = true;
		const created = await comet(CREATE, { body: createBody({ external_task_id: 'q-1' }) });
		expect(created.status).toBe(200);
		const id = created.json.data.task_id;
		for (const ref of [id, 'q-1']) {
			const r = await comet(`${CREATE}/${ref}`);
			expect(r.status).toBe(404);
			expect(r.json.error).toMatchObject({ code: '', type: 'comet_api_error', message: expect.stringContaining(`/kling${CREATE}/${ref}`) });
		}
		expect(emu.kling.counters.getRequests).toBe(2);
		expect((await api(`${CREATE}/${id}`, { auth: `Bearer ${API_KEY}` })).json.data.task_id).toBe(id);
	});

	it('off (default): /kling answers Kling\'s envelope and takes a JWT', async () => {
		emu.kling.config.cometApi = false;
		const r = await api(CREATE, { prefix: '/kling', body: { image: portraitUrl() } });
		expect([r.status, r.json.code]).toEqual([400, 1201]);
	});
});
