import type { IDataObject, ILoadOptionsFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { AkoolApi } from '../../credentials/AkoolApi.credentials';
import { getAvatars } from '../../nodes/Akool/methods/loadOptions';
import { avatarListOf, normalizeAkoolAvatar, normalizeAkoolVideo } from '../../nodes/Akool/normalize';
import { description as createVideoFields } from '../../nodes/Akool/actions/talkingAvatarVideo/create.operation';
import { DEFAULT_LAYOUT, talkingAvatarBody } from '../../nodes/Akool/taskApis';
import { akoolFailureKind } from '../../nodes/Akool/transport';
import { startEmulator } from '../../emulator/server';

describe('normalizeAkoolVideo', () => {
	it.each([
		[1, 'submitted'],
		[2, 'processing'],
		[3, 'succeeded'],
		[4, 'failed'],
		[9, 'processing'],
	])('video_status %i → %s', (videoStatus, status) => {
		expect(normalizeAkoolVideo({ _id: 'a', video_status: videoStatus }).status).toBe(status);
	});

	it('maps a completed video', () => {
		const raw = { _id: '68c6ea80f0eec691e9056319', video_status: 3, video: 'https://cdn/x.mp4', create_time: 1710757981609, update_time: 1710757991609 };
		expect(normalizeAkoolVideo(raw)).toEqual({
			taskId: '68c6ea80f0eec691e9056319',
			externalTaskId: null,
			status: 'succeeded',
			statusMessage: null,
			videoUrl: 'https://cdn/x.mp4',
			watermarkVideoUrl: null,
			durationSeconds: null,
			unitsDeducted: null,
			createdAt: '2024-03-18T10:33:01.609Z',
			updatedAt: '2024-03-18T10:33:11.609Z',
			raw,
		});
	});

	it('the cost is deduction_duration (infobymodelid, §6.3), as Akool sends it', () => {
		const raw = { _id: 'a', video_status: 3, video: 'https://cdn/x.mp4', deduction_duration: 42, deduction_credit: 9 };
		expect(normalizeAkoolVideo(raw).unitsDeducted).toBe('42');
		expect(normalizeAkoolVideo({ ...raw, deduction_duration: 0 }).unitsDeducted).toBe('0');
		expect(normalizeAkoolVideo({ _id: 'a', video_status: 1, deduction_credit: 9 }).unitsDeducted).toBeNull();
	});

	it('the task ID is _id, never task_id or video_id', () => {
		expect(normalizeAkoolVideo({ _id: 'model', task_id: 'task', video_id: 'uuid', uid: 7, video_status: 1 }).taskId).toBe('model');
	});

	it.each([
		[{ error_reason: 'bad face', error_code: 1109 }, 'bad face (error code 1109)'],
		[{ faceswap_fail_reason: 'no face' }, 'no face'],
		[{ error_code: 7 }, 'error code 7'],
		[{ msg: 'oops' }, 'oops'],
		[{}, null],
	])('a failed video carries the reason %j', (extra, message) => {
		expect(normalizeAkoolVideo({ _id: 'a', video_status: 4, video: 'x', ...extra })).toMatchObject({ status: 'failed', statusMessage: message, videoUrl: null });
	});
});

describe('avatars', () => {
	it('accepts data.result and a bare data array', () => {
		const a = { avatar_id: 'x' };
		expect(avatarListOf({ result: [a] })).toEqual([a]);
		expect(avatarListOf([a])).toEqual([a]);
		expect(avatarListOf(null)).toEqual([]);
	});
	it('normalizes an avatar', () => {
		expect(normalizeAkoolAvatar({ _id: 'r', avatar_id: 'x', type: 2, from: 3, status: 1, url: 'u' })).toMatchObject({
			id: 'r',
			avatarId: 'x',
			type: 'streaming',
			from: 'own',
			status: 'submitted',
			statusCode: 1,
		});
	});
});

describe('failure kinds: never pay twice', () => {
	it.each([
		[200, 1006, 'POST', 'fatal'],
		// 1005 "Frequent operation" refused the request before anything was done (§6.3): safe to send again.
		[200, 1005, 'POST', 'retryable'],
		[200, 1005, 'GET', 'retryable'],
		[200, 1008, 'GET', 'notFound'],
		[200, 1014, 'GET', 'notFound'],
		[200, 1014, 'POST', 'fatal'],
		[200, 1104, 'POST', 'fatal'],
		[200, 1109, 'POST', 'fatal'],
		[200, 1222, 'POST', 'fatal'],
		[200, 1101, 'GET', 'fatal'],
		[500, undefined, 'POST', 'ambiguous'],
		[502, undefined, 'GET', 'retryable'],
		[429, undefined, 'POST', 'retryable'],
		[404, undefined, 'GET', 'notFound'],
		[400, undefined, 'POST', 'fatal'],
		// A 2xx without Akool's envelope (empty body, HTML page, other JSON): the create may have gone through.
		[200, undefined, 'POST', 'ambiguous'],
		[200, undefined, 'GET', 'retryable'],
		// An undocumented code with a 5xx may be a gateway's: the create may have gone through.
		[502, 9999, 'POST', 'ambiguous'],
		[502, 9999, 'GET', 'retryable'],
		[200, 9999, 'POST', 'fatal'],
		// A documented refusal is a refusal whatever the status.
		[500, 1006, 'POST', 'fatal'],
		// "Success" with an error status cannot be told either way.
		[500, 1000, 'POST', 'ambiguous'],
	] as const)('HTTP %i code %s %s → %s', (status, code, method, kind) => {
		expect(akoolFailureKind(status, code, method)).toBe(kind);
	});
});

describe('Avatar Layout fields', () => {
	const layout = createVideoFields.find((p) => p.name === 'layout');
	it('default to the whole canvas and explain centres, with the bottom-right example', () => {
		const defaults = Object.fromEntries(((layout?.options ?? []) as Array<{ name: string; default: unknown }>).map((o) => [o.name, o.default]));
		expect(defaults).toEqual({ ...DEFAULT_LAYOUT });
		expect(layout?.description).toMatch(/centre, not its top-left corner/);
		expect(layout?.hint).toMatch(/1920 × 1080 avatar in the bottom-right quarter has Offset X 2880, Offset Y 1620/);
	});
});

describe('talkingAvatarBody', () => {
	it('places the avatar and the background by their centres: by default both fill the canvas at 1920, 1080', () => {
		expect(DEFAULT_LAYOUT).toEqual({ scaleX: 1, scaleY: 1, offsetX: 1920, offsetY: 1080, width: 3840, height: 2160 });
		const body = talkingAvatarBody({ avatar: { from: 2, avatarId: 'x' }, audioUrl: 'https://x/a.mp3', background: '#fff', layout: { ...DEFAULT_LAYOUT, width: 1920, height: 1080, offsetX: 2880, offsetY: 1620 } });
		expect(body.elements).toEqual([
			{ type: 'image', url: '#fff', scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
			{ type: 'avatar', avatar_id: 'x', scale_x: 1, scale_y: 1, offset_x: 2880, offset_y: 1620, width: 1920, height: 1080 },
			{ type: 'audio', url: 'https://x/a.mp3' },
		]);
	});

	it('puts the background first, full canvas, and sends webhookUrl only when set', () => {
		const body = talkingAvatarBody({ avatar: { from: 3, url: 'https://x/a.mp4' }, audioUrl: 'https://x/a.mp3', background: 'https://x/bg.png', layout: DEFAULT_LAYOUT });
		expect(body).not.toHaveProperty('webhookUrl');
		expect((body.elements as IDataObject[]).map((e) => e.type)).toEqual(['image', 'avatar', 'audio']);
		expect((body.elements as IDataObject[])[1]).not.toHaveProperty('avatar_id');
	});
});

describe('credential', () => {
	const cred = new AkoolApi();
	it('x-api-key in API key mode, Bearer token in client mode', async () => {
		const opts: IHttpRequestOptions = { url: 'https://x', headers: { a: '1' } };
		expect((await cred.authenticate({ authentication: 'apiKey', apiKey: ' k ' }, opts)).headers).toEqual({ a: '1', 'x-api-key': 'k' });
		expect((await cred.authenticate({ authentication: 'clientCredentials', sessionToken: 't' }, opts)).headers).toEqual({ a: '1', Authorization: 'Bearer t' });
	});
	it('has an expirable hidden token field and keeps the client ID in both modes', () => {
		expect(cred.properties.find((p) => p.name === 'sessionToken')).toMatchObject({ type: 'hidden', typeOptions: { expirable: true } });
		expect(cred.properties.find((p) => p.name === 'clientId')?.displayOptions).toBeUndefined();
	});
	it('preAuthentication fetches a token in client mode only', async () => {
		const emu = await startEmulator();
		try {
			const helpers = { helpers: { httpRequest: async (o: IHttpRequestOptions) => (await fetch(o.url, { method: o.method, body: JSON.stringify(o.body), headers: { 'Content-Type': 'application/json' } })).json() } };
			const creds = { authentication: 'clientCredentials', clientId: emu.akool.config.clientId, clientSecret: emu.akool.config.clientSecret, baseUrl: `${emu.url}/` };
			expect(await cred.preAuthentication.call(helpers as never, creds)).toEqual({ sessionToken: expect.any(String) });
			expect(await cred.preAuthentication.call(helpers as never, { authentication: 'apiKey' })).toEqual({});
			await expect(cred.preAuthentication.call(helpers as never, { ...creds, clientSecret: 'bad' })).rejects.toThrow(/Akool getToken failed \(code 1101\)/);
			expect(emu.akool.counters.tokenRequests).toBe(2);
		} finally {
			await emu.close();
		}
	});
});

describe('getAvatars (load options)', () => {
	it('offers Akool\'s talking avatars by name, from avatar_from 2', async () => {
		const emu = await startEmulator();
		try {
			const creds = { authentication: 'apiKey', apiKey: emu.akool.config.apiKey, baseUrl: emu.url };
			const ctx = {
				getNode: () => ({ name: 'Akool', credentials: {} }),
				getCredentials: async () => creds,
				helpers: {
					async httpRequestWithAuthentication(_type: string, o: IHttpRequestOptions) {
						const auth = await new AkoolApi().authenticate(creds, o);
						const url = new URL(o.url);
						for (const [k, v] of Object.entries(o.qs ?? {})) url.searchParams.set(k, String(v));
						const res = await fetch(url, { method: o.method, headers: auth.headers as Record<string, string> });
						return { statusCode: res.status, body: await res.json() };
					},
				},
			} as unknown as ILoadOptionsFunctions;
			const options = await getAvatars.call(ctx);
			expect(options.map((o) => o.value)).toEqual(['dvp_Alinna_emotionsit_20250116', 'dvp_Sean_agriculture_1080P', 'dvp_Tristan_cloth2_1080P']);
			expect(options[0].name).toBe('Alinna (dvp_Alinna_emotionsit_20250116)');
			expect(emu.akool.requests[0].query).toEqual({ from: '2', type: '1', page: '1', size: '100' });
		} finally {
			await emu.close();
		}
	});
});
