/**
 * The API-facts table: one row per fact of provider-apis.md §6 (evidence from real traffic and
 * real clients) and per §1–§3 fact the nodes rely on, each checked against the emulator over real
 * HTTP. When the emulator drifts from a documented fact, its row fails.
 *
 * Each row also names where the node handles the fact (`handledIn`) and the engine/unit test
 * that proves the node's behaviour (`nodeTest`); the last test checks those files exist, so the
 * map stays true when files move. Facts marked unknown ([?]) have no row: nothing in the nodes
 * depends on them (see the code comments that cite them).
 */
import { createDecipheriv, createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/server';

const ROOT = path.resolve(__dirname, '../..');
const VOICE_B64 = readFileSync(path.join(ROOT, 'emulator/assets/voice.mp3')).toString('base64');

let emu: Emulator;

// ── HTTP helpers (global fetch; no emulator code is used to build requests) ──

interface Answer {
	status: number;
	json: any;
}
async function call(url: string, opts: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
	const res = await fetch(url, {
		method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
		headers: { 'Content-Type': 'application/json', ...(opts.headers ?? {}) },
		body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
	});
	const text = await res.text();
	let json: unknown = text;
	try {
		json = JSON.parse(text);
	} catch {
		// not JSON: kept as text
	}
	return { status: res.status, json };
}

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');
/** Kling's JWT built from §1.2 (HS256; iss, exp, nbf in seconds). */
function klingJwt(claims: Record<string, unknown>): string {
	const h = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
	const p = b64u(JSON.stringify(claims));
	return `${h}.${p}.${b64u(createHmac('sha256', emu.kling.config.secretKey).update(`${h}.${p}`).digest())}`;
}
const nowS = () => Math.floor(Date.now() / 1000);

const kling = (p: string, opts: { body?: unknown; auth?: string; prefix?: string } = {}) =>
	call(`${emu.url}${opts.prefix ?? ''}${p}`, { body: opts.body, headers: { Authorization: opts.auth ?? `Bearer ${emu.kling.config.apiKey}` } });
const comet = (p: string, body?: unknown, key = emu.kling.config.apiKey) => kling(p, { body, prefix: '/kling', auth: `Bearer ${key}` });
const AVATAR = '/v1/videos/avatar/image2video';
const avatarBody = (extra: Record<string, unknown> = {}) => ({ image: `${emu.url}/assets/portrait.jpg`, sound_file: VOICE_B64, mode: 'std', ...extra });

const akool = (p: string, body?: unknown, headers: Record<string, string> = { 'x-api-key': emu.akool.config.apiKey }) =>
	call(`${emu.url}${p}`, { body, headers });
const akoolVideoBody = (extra: Record<string, unknown> = {}) => ({
	width: 3840,
	height: 2160,
	avatar_from: 2,
	elements: [
		{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
		{ type: 'audio', url: `${emu.url}/assets/voice.mp3` },
	],
	...extra,
});

const MINGYAN = '/kyyReactApiServer';
const mingyan = (p: string, body?: unknown, key = emu.mingyan.config.apiKey) =>
	call(`${emu.url}${MINGYAN}${p}`, { body, headers: { Authorization: `Bearer ${key}` } });

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await read();
		if (done(v) || Date.now() > end) return v;
		await new Promise((r) => setTimeout(r, 25));
	}
}
const klingTaskDone = (a: Answer) => ['succeed', 'failed'].includes(a.json?.data?.task_status);

/** A mono 8-bit 8 kHz PCM WAV of `seconds` of silence (RIFF, §1.5 accepts .wav). */
function wavSeconds(seconds: number): Buffer {
	const data = Math.round(8000 * seconds);
	const b = Buffer.alloc(44 + data, 0x80);
	b.write('RIFF', 0, 'ascii');
	b.writeUInt32LE(36 + data, 4);
	b.write('WAVEfmt ', 8, 'ascii');
	b.writeUInt32LE(16, 16);
	b.writeUInt16LE(1, 20); // PCM
	b.writeUInt16LE(1, 22); // mono
	b.writeUInt32LE(8000, 24);
	b.writeUInt32LE(8000, 28);
	b.writeUInt16LE(1, 32);
	b.writeUInt16LE(8, 34);
	b.write('data', 36, 'ascii');
	b.writeUInt32LE(data, 40);
	return b;
}

// ── the table ──

interface Fact {
	/** Where the fact is written: a section of provider-apis.md. */
	source: string;
	fact: string;
	/** Node files that handle it. */
	handledIn: string[];
	/** The test that proves the node's behaviour for it. */
	nodeTest: string;
	check: () => Promise<void>;
}

const FACTS: Fact[] = [
	// ── Kling: §6.1 ──
	{
		source: '§6.1, §1.7',
		fact: 'Kling TTS takes only (voice_id, voice_language) pairs of its catalogue; a presets-voices id or a mismatched pair gets 1201 "Voice id not found"',
		handledIn: ['nodes/KlingAvatar/ttsVoices.ts', 'nodes/KlingAvatar/actions/speech/create.operation.ts'],
		nodeTest: 'test/engine/klingSpeech.engine.test.ts',
		check: async () => {
			const ok = await kling('/v1/audio/tts', { body: { text: 'Hello there.', voice_id: 'oversea_male1', voice_language: 'en' } });
			expect(ok.json.code).toBe(0);
			expect(ok.json.data.task_status).toBe('succeed');
			expect(typeof ok.json.data.task_result.audios[0].id).toBe('string');
			const presets = await kling('/v1/general/presets-voices?pageNum=1&pageSize=10');
			const presetId = presets.json.data[0].task_result.voices[0].voice_id;
			for (const body of [
				{ text: 'Hi.', voice_id: presetId, voice_language: 'en' },
				{ text: 'Hi.', voice_id: 'oversea_male1', voice_language: 'zh' }, // en only
			]) {
				const refused = await kling('/v1/audio/tts', { body });
				expect([refused.status, refused.json.code, refused.json.message]).toEqual([400, 1201, 'Voice id not found']);
			}
		},
	},
	{
		source: '§6.1',
		fact: 'A real failed task: HTTP 200, code 0, task_status "failed" with task_status_msg, task_info {} and task_result {}',
		handledIn: ['nodes/KlingAvatar/normalize.ts', 'nodes/shared/taskEngine.ts'],
		nodeTest: 'test/engine/klingCometApi.engine.test.ts',
		check: async () => {
			const created = await kling(AVATAR, { body: avatarBody({ prompt: 'smile [[fail]]', external_task_id: 'fact-failed-1' }) });
			expect(created.json.code).toBe(0);
			const got = await until(() => kling(`${AVATAR}/${created.json.data.task_id}`), klingTaskDone);
			expect(got.status).toBe(200);
			expect(got.json.code).toBe(0);
			expect(got.json.data.task_status).toBe('failed');
			expect(got.json.data.task_status_msg).toEqual(expect.any(String));
			expect(got.json.data.task_info).toEqual({});
			expect(got.json.data.task_result).toEqual({});
		},
	},
	{
		source: '§6.1',
		fact: 'A bad image is often accepted, then the task fails with "Image pixel is invalid"',
		handledIn: ['nodes/KlingAvatar/normalize.ts'],
		nodeTest: 'test/engine/klingCometApi.engine.test.ts',
		check: async () => {
			const created = await kling(AVATAR, { body: avatarBody({ image: `${emu.url}/assets/portrait.jpg?pixel-invalid` }) });
			expect(created.json.code).toBe(0);
			expect(['submitted', 'processing']).toContain(created.json.data.task_status);
			const got = await until(() => kling(`${AVATAR}/${created.json.data.task_id}`), klingTaskDone);
			expect([got.json.data.task_status, got.json.data.task_status_msg]).toEqual(['failed', 'Image pixel is invalid']);
		},
	},
	{
		source: '§6.1, §1.3',
		fact: '1102 arrives as HTTP 429 "Account balance not enough" (permanent, not a rate limit)',
		handledIn: ['nodes/KlingAvatar/transport.ts'],
		nodeTest: 'test/engine/klingCometApi.engine.test.ts',
		check: async () => {
			emu.kling.inject({ route: 'create', fault: 'http429-1102' });
			const refused = await kling(AVATAR, { body: avatarBody() });
			expect([refused.status, refused.json.code, refused.json.message]).toEqual([429, 1102, 'Account balance not enough']);
			expect(emu.kling.counters.createAccepted).toBe(0);
		},
	},
	{
		source: '§6.1, §1.5',
		fact: 'Ended tasks carry final_unit_deduction (a string) and final_balance_deduction {quota, list_price}; video duration is a string',
		handledIn: ['nodes/KlingAvatar/normalize.ts'],
		nodeTest: 'test/engine/klingCometApi.engine.test.ts',
		check: async () => {
			const created = await kling(AVATAR, { body: avatarBody() });
			const got = await until(() => kling(`${AVATAR}/${created.json.data.task_id}`), klingTaskDone);
			expect(got.json.data.task_status).toBe('succeed');
			expect(typeof got.json.data.final_unit_deduction).toBe('string');
			expect(Object.keys(got.json.data.final_balance_deduction).sort()).toEqual(['list_price', 'quota']);
			expect(typeof got.json.data.task_result.videos[0].duration).toBe('string');
			expect(got.json.data.task_result.videos[0].url).toMatch(/^http/);
		},
	},
	{
		source: '§6.1',
		fact: 'videos[].watermark_url appears when watermark_info.enabled was true',
		handledIn: ['nodes/KlingAvatar/normalize.ts'],
		nodeTest: 'test/unit/klingNormalize.test.ts',
		check: async () => {
			const created = await kling(AVATAR, { body: avatarBody({ watermark_info: { enabled: true } }) });
			const got = await until(() => kling(`${AVATAR}/${created.json.data.task_id}`), klingTaskDone);
			expect(got.json.data.task_result.videos[0].watermark_url).toMatch(/^http/);
			const plain = await kling(AVATAR, { body: avatarBody() });
			const plainGot = await until(() => kling(`${AVATAR}/${plain.json.data.task_id}`), klingTaskDone);
			expect(plainGot.json.data.task_result.videos[0].watermark_url).toBeUndefined();
		},
	},
	{
		source: '§6.1, §1.5',
		fact: 'A task is read by its external_task_id in the path: GET /v1/videos/avatar/image2video/{external_task_id}',
		handledIn: ['nodes/KlingAvatar/avatarTaskApi.ts', 'nodes/shared/createPlan.ts'],
		nodeTest: 'test/engine/ledger.engine.test.ts',
		check: async () => {
			const created = await kling(AVATAR, { body: avatarBody({ external_task_id: 'fact-ext-1' }) });
			const byExternal = await kling(`${AVATAR}/fact-ext-1`);
			expect(byExternal.json.code).toBe(0);
			expect(byExternal.json.data.task_id).toBe(created.json.data.task_id);
			expect(byExternal.json.data.task_info.external_task_id).toBe('fact-ext-1');
		},
	},
	{
		source: '§6.1, §1.2',
		fact: 'A single API key works as Bearer; a wrong key gets HTTP 401 code 1002',
		handledIn: ['credentials/KlingApi.credentials.ts', 'nodes/KlingAvatar/transport.ts'],
		nodeTest: 'test/engine/klingCreate.engine.test.ts',
		check: async () => {
			expect((await kling(`${AVATAR}?pageNum=1&pageSize=1`)).json.code).toBe(0);
			const wrong = await kling(`${AVATAR}?pageNum=1&pageSize=1`, { auth: 'Bearer not-the-key' });
			expect([wrong.status, wrong.json.code]).toEqual([401, 1002]);
		},
	},
	// ── Kling: §1 facts the node relies on ──
	{
		source: '§1.2, §1.3',
		fact: 'AK/SK JWT (HS256; iss, exp, nbf in seconds): missing header 1001, expired 1004, not yet valid 1003, all HTTP 401',
		handledIn: ['nodes/KlingAvatar/jwt.ts', 'credentials/KlingApi.credentials.ts'],
		nodeTest: 'test/unit/klingJwt.test.ts',
		check: async () => {
			const ak = emu.kling.config.accessKey;
			expect((await kling(`${AVATAR}?pageNum=1&pageSize=1`, { auth: `Bearer ${klingJwt({ iss: ak, exp: nowS() + 1800, nbf: nowS() - 5 })}` })).json.code).toBe(0);
			const missing = await call(`${emu.url}${AVATAR}?pageNum=1&pageSize=1`);
			const expired = await kling(`${AVATAR}?pageNum=1&pageSize=1`, { auth: `Bearer ${klingJwt({ iss: ak, exp: nowS() - 10, nbf: nowS() - 100 })}` });
			const early = await kling(`${AVATAR}?pageNum=1&pageSize=1`, { auth: `Bearer ${klingJwt({ iss: ak, exp: nowS() + 1800, nbf: nowS() + 600 })}` });
			expect([missing, expired, early].map((a) => [a.status, a.json.code])).toEqual([
				[401, 1001],
				[401, 1004],
				[401, 1003],
			]);
		},
	},
	{
		source: '§1.3, §1.5',
		fact: 'Envelope {code, message, request_id, data}, code 0; create answers task_id, task_status "submitted", task_info.external_task_id, created_at in ms',
		handledIn: ['nodes/KlingAvatar/transport.ts', 'nodes/KlingAvatar/avatarTaskApi.ts'],
		nodeTest: 'test/engine/klingCreate.engine.test.ts',
		check: async () => {
			const before = Date.now();
			const created = await kling(AVATAR, { body: avatarBody({ external_task_id: 'fact-env-1' }) });
			expect(Object.keys(created.json).sort()).toEqual(['code', 'data', 'message', 'request_id']);
			expect(created.json.code).toBe(0);
			expect(created.json.data).toMatchObject({ task_id: expect.any(String), task_status: 'submitted', task_info: { external_task_id: 'fact-env-1' } });
			expect(created.json.data.created_at).toBeGreaterThanOrEqual(before - 1000); // ms, not s
		},
	},
	{
		source: '§1.5',
		fact: 'audio_id and sound_file are mutually exclusive and one is required: HTTP 400 code 1201',
		handledIn: ['nodes/KlingAvatar/actions/avatarVideo/create.operation.ts'],
		nodeTest: 'test/engine/klingValidation.engine.test.ts',
		check: async () => {
			const both = await kling(AVATAR, { body: avatarBody({ audio_id: 'a1' }) });
			const neither = await kling(AVATAR, { body: { image: `${emu.url}/assets/portrait.jpg`, mode: 'std' } });
			expect([both, neither].map((a) => [a.status, a.json.code])).toEqual([
				[400, 1201],
				[400, 1201],
			]);
		},
	},
	{
		source: '§1.4',
		fact: 'Over the account\'s concurrency: HTTP 429 code 1303 "parallel task over resource pack limit"; nothing is created',
		handledIn: ['nodes/KlingAvatar/transport.ts', 'nodes/shared/taskEngine.ts'],
		nodeTest: 'test/engine/klingFaults.engine.test.ts',
		check: async () => {
			emu.kling.config.concurrencyLimit = 1;
			expect((await kling(AVATAR, { body: avatarBody() })).json.code).toBe(0);
			const refused = await kling(AVATAR, { body: avatarBody() });
			expect([refused.status, refused.json.code, refused.json.message]).toEqual([429, 1303, 'parallel task over resource pack limit']);
			expect(emu.kling.counters.createAccepted).toBe(1);
		},
	},
	{
		source: '§1.5',
		fact: 'List: GET ?pageNum&pageSize answers data as an array of task objects',
		handledIn: ['nodes/KlingAvatar/actions/avatarVideo/list.operation.ts'],
		nodeTest: 'test/engine/klingFaults.engine.test.ts',
		check: async () => {
			await kling(AVATAR, { body: avatarBody() });
			await kling(AVATAR, { body: avatarBody() });
			const page = await kling(`${AVATAR}?pageNum=1&pageSize=1`);
			expect(Array.isArray(page.json.data)).toBe(true);
			expect(page.json.data).toHaveLength(1);
			expect(page.json.data[0].task_id).toEqual(expect.any(String));
		},
	},
	// ── CometAPI: §6.2 ──
	{
		source: '§6.2',
		fact: 'Through CometAPI, successes are Kling\'s envelope unchanged',
		handledIn: ['nodes/KlingAvatar/transport.ts', 'nodes/KlingAvatar/baseUrl.ts'],
		nodeTest: 'test/engine/klingCometApi.engine.test.ts',
		check: async () => {
			emu.kling.config.cometApi = true;
			const created = await comet(AVATAR, avatarBody());
			expect(created.json.code).toBe(0);
			expect(created.json.data.task_id).toEqual(expect.any(String));
		},
	},
	{
		source: '§6.2',
		fact: 'Through CometAPI, a Kling refusal is nested: {message, data: {data: {code, message, request_id}, message}}',
		handledIn: ['nodes/KlingAvatar/transport.ts'],
		nodeTest: 'test/unit/klingErrors.test.ts',
		check: async () => {
			emu.kling.config.cometApi = true;
			const refused = await comet(AVATAR, avatarBody({ audio_id: 'a1' }));
			expect(refused.json.code).toBeUndefined();
			expect(refused.json.data.data).toMatchObject({ code: 1201, message: expect.any(String), request_id: expect.any(String) });
			expect(typeof refused.json.message).toBe('string');
		},
	},
	{
		source: '§6.2',
		fact: 'CometAPI\'s own errors: {error: {code, message "… (request id: …)", type "comet_api_error"}}',
		handledIn: ['nodes/KlingAvatar/transport.ts', 'credentials/KlingApi.credentials.ts'],
		nodeTest: 'test/unit/klingErrors.test.ts',
		check: async () => {
			emu.kling.config.cometApi = true;
			const refused = await comet(AVATAR, avatarBody(), 'not-a-cometapi-key');
			expect(refused.status).toBe(401);
			expect(refused.json.error).toMatchObject({ type: 'comet_api_error', message: expect.stringMatching(/request id/) });
		},
	},
	{
		source: '§6.2, §1.5',
		fact: 'Avatar audio: 2–60 s through CometAPI, 2–300 s at Kling',
		handledIn: ['nodes/KlingAvatar/limits.ts'],
		nodeTest: 'test/engine/klingCometApi.engine.test.ts',
		check: async () => {
			const sound = wavSeconds(75).toString('base64');
			expect((await kling(AVATAR, { body: avatarBody({ sound_file: sound }) })).json.code).toBe(0);
			emu.kling.config.cometApi = true;
			const refused = await comet(AVATAR, avatarBody({ sound_file: sound }));
			expect(refused.json.data.data.code).toBe(1201);
			expect(refused.json.data.data.message).toMatch(/between 2 and 60 seconds/);
		},
	},
	{
		source: '§6.2',
		fact: 'CometAPI does not document the avatar query path; when it does not serve it, the query answers its own 404',
		handledIn: ['nodes/KlingAvatar/avatarTaskApi.ts'],
		nodeTest: 'test/engine/klingCometApi.engine.test.ts',
		check: async () => {
			emu.kling.config.cometApi = true;
			emu.kling.config.cometApiAvatarQuery404 = true;
			const created = await comet(AVATAR, avatarBody());
			const got = await comet(`${AVATAR}/${created.json.data.task_id}`);
			expect(got.status).toBe(404);
			expect(got.json.error.type).toBe('comet_api_error');
		},
	},
	{
		source: '§6.2, §1.11',
		fact: 'Through CometAPI, Kling TTS is at /kling/v1/audio/tts and answers like Kling',
		handledIn: ['nodes/KlingAvatar/speech.ts', 'nodes/KlingAvatar/baseUrl.ts'],
		nodeTest: 'test/engine/klingSpeechLedger.engine.test.ts',
		check: async () => {
			emu.kling.config.cometApi = true;
			const ok = await comet('/v1/audio/tts', { text: 'Hello there.', voice_id: 'oversea_male1', voice_language: 'en' });
			expect([ok.json.code, ok.json.data.task_status]).toEqual([0, 'succeed']);
			const refused = await comet('/v1/audio/tts', { text: 'Hi.', voice_id: 'oversea_male1', voice_language: 'zh' });
			expect(refused.json.data.data).toMatchObject({ code: 1201, message: 'Voice id not found' });
		},
	},
	// ── Akool: §6.3 and §2 ──
	{
		source: '§6.3',
		fact: 'Element offsets are the element\'s centre: a 3840×2160 element at 1920,1080 fills the canvas',
		handledIn: ['nodes/Akool/constants.ts', 'nodes/Akool/taskApis.ts'],
		nodeTest: 'test/engine/akoolVideo.engine.test.ts',
		check: async () => {
			const created = await akool('/api/open/v3/talkingavatar/create', akoolVideoBody());
			expect(created.json.code).toBe(1000);
			const [box] = emu.akool.video(created.json.data._id)!.layout;
			expect(box).toMatchObject({ left: 0, top: 0, right: 3840, bottom: 2160, canvasCovered: 1 });
		},
	},
	{
		source: '§6.3',
		fact: 'Create answers data{_id, uid (number), video_id, task_id ≠ _id, video_status, video, create_time}; infobymodelid takes _id and answers deduction_duration',
		handledIn: ['nodes/Akool/normalize.ts', 'nodes/Akool/taskApis.ts'],
		nodeTest: 'test/engine/akoolVideo.engine.test.ts',
		check: async () => {
			const created = await akool('/api/open/v3/talkingavatar/create', akoolVideoBody());
			const d = created.json.data;
			expect(d).toMatchObject({ _id: expect.any(String), uid: expect.any(Number), video_id: expect.any(String), task_id: expect.any(String), video_status: 1, create_time: expect.any(Number) });
			expect(d.task_id).not.toBe(d._id);
			const done = await until(
				() => akool(`/api/open/v3/content/video/infobymodelid?video_model_id=${d._id}`),
				(a) => a.json.data?.video_status === 3,
			);
			expect(Object.keys(done.json.data).sort()).toEqual(['_id', 'create_time', 'deduction_duration', 'uid', 'video', 'video_id', 'video_status']);
			expect(done.json.data.video).toMatch(/^http/);
		},
	},
	{
		source: '§6.3',
		fact: '1005 "Frequent operation" is a rate limit; a refused create creates nothing',
		handledIn: ['nodes/Akool/transport.ts', 'nodes/shared/readRetry.ts'],
		nodeTest: 'test/engine/akoolFacts.engine.test.ts',
		check: async () => {
			emu.akool.inject({ route: 'create', fault: 'rateLimit' });
			const refused = await akool('/api/open/v3/talkingavatar/create', akoolVideoBody());
			expect([refused.json.code, refused.json.msg]).toEqual([1005, 'Frequent operation']);
			expect(emu.akool.videos()).toHaveLength(0);
		},
	},
	{
		source: '§6.3',
		fact: 'An unknown ID is "content not exist" (1008) or "resource does not exist" (1014)',
		handledIn: ['nodes/Akool/transport.ts', 'nodes/Akool/taskApis.ts'],
		nodeTest: 'test/engine/akoolFacts.engine.test.ts',
		check: async () => {
			const first = await akool('/api/open/v3/content/video/infobymodelid?video_model_id=000000000000000000000000');
			emu.akool.config.unknownIdAnswer = 1014;
			const second = await akool('/api/open/v3/content/video/infobymodelid?video_model_id=000000000000000000000000');
			expect([first.json.code, second.json.code]).toEqual([1008, 1014]);
		},
	},
	{
		source: '§6.3, §2.2',
		fact: 'Out of credit: 1104 "insufficient credit" (or 1006 per the talking-avatar page)',
		handledIn: ['nodes/Akool/transport.ts'],
		nodeTest: 'test/engine/akoolFacts.engine.test.ts',
		check: async () => {
			emu.akool.config.credits = 0;
			emu.akool.config.creditsExhaustedCode = 1104;
			const refused = await akool('/api/open/v3/talkingavatar/create', akoolVideoBody());
			expect(refused.json.code).toBe(1104);
			expect(emu.akool.videos()).toHaveLength(0);
		},
	},
	{
		source: '§6.3, §2.3',
		fact: 'Avatar list: data.result[] with avatar_id and from',
		handledIn: ['nodes/Akool/actions/avatar/list.operation.ts', 'nodes/Akool/methods'],
		nodeTest: 'test/engine/akoolAvatar.engine.test.ts',
		check: async () => {
			const list = await akool('/api/open/v3/avatar/list?page=1&size=10');
			expect(list.json.code).toBe(1000);
			expect(Array.isArray(list.json.data.result)).toBe(true);
			expect(list.json.data.result[0]).toMatchObject({ avatar_id: expect.any(String), from: expect.any(Number) });
		},
	},
	{
		source: '§6.3, §2.3',
		fact: 'Uploading an avatar whose avatar_id exists already: 1222 "resource already exists"',
		handledIn: ['nodes/Akool/transport.ts', 'nodes/Akool/actions/avatar/create.operation.ts'],
		nodeTest: 'test/engine/akoolAvatar.engine.test.ts',
		check: async () => {
			const body = { url: `${emu.url}/assets/sample.mp4`, avatar_id: 'factAvatar1', type: 1 };
			expect((await akool('/api/open/v3/avatar/create', body)).json.code).toBe(1000);
			const again = await akool('/api/open/v3/avatar/create', body);
			expect(again.json.code).toBe(1222);
		},
	},
	{
		source: '§2.1, §2.2',
		fact: 'getToken answers a top-level token (code 1000); a bad token gets 1101, no auth 1102',
		handledIn: ['credentials/AkoolApi.credentials.ts', 'nodes/Akool/transport.ts'],
		nodeTest: 'test/engine/akoolAuth.engine.test.ts',
		check: async () => {
			const { clientId, clientSecret } = emu.akool.config;
			const got = await call(`${emu.url}/api/open/v3/getToken`, { body: { clientId, clientSecret } });
			expect([got.json.code, typeof got.json.token]).toEqual([1000, 'string']);
			expect((await akool('/api/open/v3/avatar/list', undefined, { Authorization: `Bearer ${got.json.token}` })).json.code).toBe(1000);
			expect((await akool('/api/open/v3/avatar/list', undefined, { Authorization: 'Bearer nope' })).json.code).toBe(1101);
			expect((await akool('/api/open/v3/avatar/list', undefined, {})).json.code).toBe(1102);
		},
	},
	{
		source: '§6.3, §2.4',
		fact: 'Webhook {signature, dataEncrypt, timestamp, nonce}: sha1 of the sorted four values; AES-CBC with key clientSecret, IV clientId; decrypted {_id, status, type, url}',
		handledIn: ['nodes/Akool/webhookVerify.ts', 'nodes/Akool/AkoolTrigger.node.ts'],
		nodeTest: 'test/unit/akoolWebhookVerify.test.ts',
		check: async () => {
			const received: Array<Record<string, string>> = [];
			const server = http.createServer((req, res) => {
				let text = '';
				req.on('data', (c) => (text += c));
				req.on('end', () => {
					received.push(JSON.parse(text));
					res.writeHead(200).end();
				});
			});
			await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
			try {
				const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
				const created = await akool('/api/open/v3/talkingavatar/create', akoolVideoBody({ webhookUrl: hook }));
				await until(async () => received.length, (n) => n >= 3);
				const { clientId, clientSecret } = emu.akool.config;
				const iv = Buffer.alloc(16);
				Buffer.from(clientId).copy(iv, 0, 0, 16);
				const last = received[received.length - 1];
				expect(last.signature).toBe(createHash('sha1').update([clientId, String(last.timestamp), last.nonce, last.dataEncrypt].sort().join('')).digest('hex'));
				const d = createDecipheriv(`aes-${clientSecret.length * 8}-cbc`, Buffer.from(clientSecret), iv);
				const payload = JSON.parse(Buffer.concat([d.update(Buffer.from(last.dataEncrypt, 'base64')), d.final()]).toString());
				expect(payload).toMatchObject({ _id: created.json.data._id, status: 3, type: 'avatar', url: expect.stringMatching(/^http/) });
			} finally {
				server.close();
			}
		},
	},
	{
		source: '§1.6, §6.1',
		fact: 'Callbacks: a POST of the bare task object (no envelope, no signature header) to callback_url on each status change; the body is a hint, confirmed by fetching the task',
		handledIn: ['nodes/KlingAvatar/KlingAvatarTrigger.node.ts', 'nodes/KlingAvatar/callbackHint.ts'],
		nodeTest: 'test/unit/callbackTriggers.test.ts',
		check: async () => {
			const received: Array<{ headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> = [];
			const server = http.createServer((req, res) => {
				let text = '';
				req.on('data', (c) => (text += c));
				req.on('end', () => {
					received.push({ headers: req.headers, body: JSON.parse(text) });
					res.writeHead(200).end();
				});
			});
			await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
			try {
				const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
				const created = await kling(AVATAR, { body: avatarBody({ callback_url: hook }) });
				await until(async () => received.length, (n) => n >= 3);
				expect(received.map((r) => r.body.task_status)).toEqual(['submitted', 'processing', 'succeed']);
				for (const r of received) {
					expect(r.body.task_id).toBe(created.json.data.task_id);
					expect(r.body.code).toBeUndefined();
					expect(Object.keys(r.headers).filter((h) => /sign|webhook|auth/i.test(h))).toEqual([]);
				}
			} finally {
				server.close();
			}
		},
	},
	// ── Mingyan: §6.4 and §3 ──
	{
		source: '§6.4, §3',
		fact: 'Create answers {id, object "video", created, model, status "queued"}; the query answers {id, object, created, model, status, video_url, md5, error} flat',
		handledIn: ['nodes/MingyanLipSync/lipSyncTaskApi.ts', 'nodes/MingyanLipSync/normalize.ts'],
		nodeTest: 'test/engine/mingyanCreate.engine.test.ts',
		check: async () => {
			const created = await mingyan('/v1/digitalHuman/videos', {
				model: 'kyy_digitalHuman',
				videoUrl: `${emu.url}/assets/sample.mp4`,
				audioUrl: `${emu.url}/assets/voice.mp3`,
				modelVersion: 2,
			});
			expect(created.json).toMatchObject({ id: expect.any(String), object: 'video', created: expect.any(Number), model: 'kyy_digitalHuman', status: 'queued' });
			const done = await until(() => mingyan(`/v1/result/${created.json.id}`), (a) => a.json.status === 'completed');
			for (const key of ['id', 'object', 'created', 'model', 'status', 'video_url', 'md5']) expect(done.json).toHaveProperty(key);
			expect(done.json.data).toBeUndefined();
		},
	},
	{
		source: '§6.4',
		fact: 'An unknown route answers 404 {"message": "No handler found for GET /kyyReactApiServer/…"}',
		handledIn: ['nodes/MingyanLipSync/transport.ts', 'credentials/MingyanApi.credentials.ts'],
		nodeTest: 'test/emulator/mingyan.emulator.test.ts',
		check: async () => {
			const got = await mingyan('/v1/no-such-route');
			expect(got.status).toBe(404);
			expect(got.json).toEqual({ message: 'No handler found for GET /kyyReactApiServer/v1/no-such-route' });
		},
	},
	{
		source: '§3, §4',
		fact: 'A wrong key gets HTTP 401',
		handledIn: ['credentials/MingyanApi.credentials.ts', 'nodes/MingyanLipSync/transport.ts'],
		nodeTest: 'test/engine/mingyanCreate.engine.test.ts',
		check: async () => {
			expect((await mingyan('/v1/result/anything', undefined, 'wrong-key')).status).toBe(401);
		},
	},
];

beforeAll(async () => {
	emu = await startEmulator({
		kling: { submittedMs: 50, processingMs: 100 },
		akool: { queueMs: 50, processingMs: 100 },
		mingyan: { queuedMs: 50, processingMs: 100 },
	});
});
afterAll(async () => emu.close());
beforeEach(() => emu.reset());

describe('API facts (provider-apis.md) hold in the emulator', () => {
	it.each(FACTS.map((f) => [`${f.source}: ${f.fact}`, f] as const))('%s', async (_name, fact) => {
		await fact.check();
	});
});

it('every row names node files and a node test that exist', () => {
	const missing = FACTS.flatMap((f) => [...f.handledIn.filter((p) => !p.startsWith('(')), f.nodeTest]).filter((p) => !existsSync(path.join(ROOT, p)));
	expect(missing).toEqual([]);
});
