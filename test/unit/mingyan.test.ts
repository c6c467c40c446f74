import { MingyanApi } from '../../credentials/MingyanApi.credentials';
import { createBody } from '../../nodes/MingyanLipSync/lipSyncTaskApi';
import { mingyanTime, normalizeMingyanTask, unwrapMingyan } from '../../nodes/MingyanLipSync/normalize';
import { mingyanErrorText, mingyanFailureKind } from '../../nodes/MingyanLipSync/transport';
import { AUDIO_EXTENSIONS, prepareMediaUrl, urlExtension, VIDEO_EXTENSIONS } from '../../nodes/MingyanLipSync/urls';
import { startEmulator } from '../../emulator/server';

describe('Mingyan URL rules', () => {
	it('percent-encodes non-ASCII characters (path, query, host) and keeps existing escapes', () => {
		expect(prepareMediaUrl(' https://cdn.example.com/配音/一.mp3?a=名 ', AUDIO_EXTENSIONS, 'audio')).toEqual({
			ok: true,
			value: 'https://cdn.example.com/%E9%85%8D%E9%9F%B3/%E4%B8%80.mp3?a=%E5%90%8D',
		});
		expect(prepareMediaUrl('https://例子.cn/a.mp3', AUDIO_EXTENSIONS, 'audio')).toEqual({ ok: true, value: 'https://xn--fsqu00a.cn/a.mp3' });
		expect(prepareMediaUrl('https://x.com/%E4%B8%80.mp3', AUDIO_EXTENSIONS, 'audio')).toEqual({ ok: true, value: 'https://x.com/%E4%B8%80.mp3' });
	});

	it.each(['', '/tmp/a.mp3', './a.mp3', '~/a.mp3', 'C:\\a.mp3', 'file:///a.mp3', 'ftp://x/a.mp3', 'not a url'])('refuses %p', (input) => {
		expect(prepareMediaUrl(input, AUDIO_EXTENSIONS, 'audio').ok).toBe(false);
	});

	it('checks the extension only when there is one (and not for script pages)', () => {
		expect(urlExtension('https://x.com/a/voice.MP3?x=1')).toBe('mp3');
		expect(urlExtension('https://x.com/tts?id=1')).toBeUndefined();
		expect(urlExtension('https://x.com/get.php?f=a.ogg')).toBeUndefined();
		expect(urlExtension('https://x.com/v1.2/stream')).toBeUndefined();
		expect(urlExtension('https://x.com/.hidden')).toBeUndefined();
		for (const ext of ['mp4', 'mp3', 'wav', 'm4a', 'aac']) expect(prepareMediaUrl(`https://x.com/a.${ext}`, AUDIO_EXTENSIONS, 'audio').ok).toBe(true);
		expect(prepareMediaUrl('https://x.com/a.ogg', AUDIO_EXTENSIONS, 'audio')).toMatchObject({ ok: false, problem: expect.stringMatching(/"\.ogg"/) });
		expect(prepareMediaUrl('https://x.com/a.mov', VIDEO_EXTENSIONS, 'video').ok).toBe(true);
		expect(prepareMediaUrl('https://x.com/a.mp3', VIDEO_EXTENSIONS, 'video').ok).toBe(false);
	});
});

describe('normalizeMingyanTask', () => {
	it('maps a completed flat answer (created in seconds)', () => {
		const raw = { id: 'dh_1', object: 'video', created: 1722769557, model: 'kyy_digitalHuman', status: 'completed', video_url: 'https://cdn/x.mp4', md5: 'ABCDEF0123456789ABCDEF0123456789', error: '' };
		expect(normalizeMingyanTask(raw)).toEqual({
			taskId: 'dh_1',
			externalTaskId: null,
			status: 'succeeded',
			statusMessage: null,
			videoUrl: 'https://cdn/x.mp4',
			watermarkVideoUrl: null,
			durationSeconds: null,
			unitsDeducted: null,
			createdAt: '2024-08-04T11:05:57.000Z',
			updatedAt: null,
			md5: 'abcdef0123456789abcdef0123456789',
			raw,
		});
	});

	it('maps statuses, the data wrapper, failures and ms timestamps', () => {
		expect(normalizeMingyanTask({ data: { id: 'a', status: 'queued', created: 1722769557708 } })).toMatchObject({
			taskId: 'a',
			status: 'submitted',
			createdAt: '2024-08-04T11:05:57.708Z',
			videoUrl: null,
			md5: null,
		});
		expect(normalizeMingyanTask({ id: 'b', status: 'processing', video_url: '', md5: '' })).toMatchObject({ status: 'processing', videoUrl: null, md5: null });
		expect(normalizeMingyanTask({ code: 0, data: { id: 'c', status: 'failed', error: 'no face' } })).toMatchObject({ status: 'failed', statusMessage: 'no face' });
		expect(normalizeMingyanTask({ id: 'd', status: 'failed' })).toMatchObject({ statusMessage: 'no reason given' });
		expect(normalizeMingyanTask({ id: 'e', status: 'weird' }).status).toBe('processing');
		// A top-level task with an unrelated `data` field stays top-level.
		expect(unwrapMingyan({ id: 'f', status: 'queued', data: { foo: 1 } })).toMatchObject({ id: 'f' });
		expect(mingyanTime(undefined)).toBeNull();
		expect(mingyanTime('1722769557')).toBe('2024-08-04T11:05:57.000Z');
	});
});

describe('Mingyan transport', () => {
	it('classifies failures (never an ambiguous create as retryable)', () => {
		expect(mingyanFailureKind(429, 'POST')).toBe('retryable');
		expect(mingyanFailureKind(500, 'POST')).toBe('ambiguous');
		expect(mingyanFailureKind(502, 'GET')).toBe('retryable');
		expect(mingyanFailureKind(404, 'GET')).toBe('notFound');
		expect(mingyanFailureKind(401, 'GET')).toBe('fatal');
		expect(mingyanFailureKind(400, 'POST')).toBe('fatal');
	});

	it('reads the error text from the shapes seen', () => {
		expect(mingyanErrorText({ error: 'bad url' })).toBe('bad url');
		expect(mingyanErrorText({ error: { message: 'Invalid token', type: 'auth' } })).toBe('Invalid token');
		expect(mingyanErrorText({ data: { error: 'x' } })).toBe('x');
		expect(mingyanErrorText({ code: 401, msg: 'unauthorized' })).toBe('unauthorized');
		expect(mingyanErrorText('<html>')).toBe('<html>');
		expect(mingyanErrorText(null)).toBe('');
	});

	it('sends the face options only when on, as integers', () => {
		const base = { videoUrl: 'https://x/v.mp4', audioUrl: 'https://x/a.mp3', model: 'kyy_digitalHuman', modelVersion: 2 as const };
		expect(createBody({ ...base, sideFace: false, tiltedFace: false })).toEqual({ model: 'kyy_digitalHuman', audioUrl: 'https://x/a.mp3', videoUrl: 'https://x/v.mp4', modelVersion: 2 });
		expect(createBody({ ...base, sideFace: true, tiltedFace: true })).toMatchObject({ sideFace: 1, tiltedFace: 1 });
	});
});

describe('Mingyan credential', () => {
	const credential = new MingyanApi();

	it('sends the key as Bearer and defaults the base URL', () => {
		expect(credential.name).toBe('mingyanApi');
		expect(credential.authenticate).toEqual({ type: 'generic', properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } } });
		expect(credential.properties.find((p) => p.name === 'baseUrl')?.default).toBe('https://zcbservice.aizfw.cn/kyyReactApiServer');
	});

	it('its test request passes for a good key and answers 401 for a bad one (against the emulator)', async () => {
		const emu = await startEmulator();
		try {
			const { request } = credential.test;
			// The baseURL expression is plain JavaScript inside ={{ }}: evaluate it the way n8n would.
			const expr = String(request.baseURL).replace(/^=\{\{\s*/, '').replace(/\s*\}\}$/, '');
			const baseURL = new Function('$credentials', `return ${expr}`)({ baseUrl: ` ${emu.url}/kyyReactApiServer/ ` }) as string;
			expect(baseURL).toBe(`${emu.url}/kyyReactApiServer`);
			const call = (key: string) => fetch(`${baseURL}${request.url}`, { method: request.method, headers: { Authorization: `Bearer ${key}` } });
			expect((await call(emu.mingyan.config.apiKey)).status).toBe(200);
			expect((await call('wrong')).status).toBe(401);
			expect(emu.mingyan.counters.createRequests).toBe(0);
			expect(credential.test.rules?.map((r) => (r.properties as { value: number }).value)).toEqual([401, 403, 404]);
		} finally {
			await emu.close();
		}
	});

	it('its verdict does not depend on the unknown-task-id answer (provider-apis.md §6.4 [?]): 2xx passes, 404 explains itself', async () => {
		const emu = await startEmulator();
		try {
			const { request, rules = [] } = credential.test;
			// What n8n's credential tester does with the answer: a non-2xx takes the message of the
			// first responseCode rule for its status (else fails generically); a 2xx passes (this test
			// has no responseSuccessBody rules).
			const verdict = async (baseUrl: string, key: string) => {
				const res = await fetch(`${baseUrl}${request.url}`, { method: request.method, headers: { Authorization: `Bearer ${key}` } });
				if (res.status >= 200 && res.status < 300) return 'OK';
				const rule = rules.find((r) => r.type === 'responseCode' && (r.properties as { value: number }).value === res.status);
				return rule ? (rule.properties as { message: string }).message : `generic ${res.status}`;
			};
			const base = `${emu.url}/kyyReactApiServer`;
			const good = emu.mingyan.config.apiKey;
			expect(await verdict(base, 'wrong')).toBe('Mingyan refused the API key (HTTP 401)');
			// The emulator's two readings of an unknown task ID: a "failed" task object, or a 404.
			emu.mingyan.config.unknownIdStatus = 200;
			expect(await verdict(base, good)).toBe('OK');
			emu.mingyan.config.unknownIdStatus = 404;
			const on404 = await verdict(base, good);
			expect(on404).toMatch(/^Mingyan answered 404 .*not documented.*Base URL is wrong/);
			expect(await verdict(base, 'wrong')).toBe('Mingyan refused the API key (HTTP 401)');
			// A wrong Base URL on the service ("No handler found") gets the same explanation.
			expect(await verdict(`${base}/v1`, good)).toBe(on404);
			expect(emu.mingyan.counters.createRequests).toBe(0);
		} finally {
			await emu.close();
		}
	});

	it('says in the editor what the test assumes about an unknown task ID', () => {
		const notice = credential.properties.find((p) => p.type === 'notice');
		expect(notice?.displayName).toMatch(/made-up task ID.*refused key gets 401 or 403.*unknown task ID is not documented.*2xx passes.*404/);
	});
});
