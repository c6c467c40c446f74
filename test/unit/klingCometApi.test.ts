import { KlingApi } from '../../credentials/KlingApi.credentials';
import { isCometApi, klingBaseUrl } from '../../nodes/KlingAvatar/baseUrl';
import { klingAudioCheck } from '../../nodes/KlingAvatar/limits';

describe('CometAPI as a region', () => {
	it('has its base URL preset, and is recognised behind a Custom Base URL on its host', () => {
		expect(klingBaseUrl('cometapi', 'ignored')).toBe('https://api.cometapi.com/kling');
		expect(isCometApi('cometapi', '')).toBe(true);
		expect(isCometApi('custom', 'https://api.cometapi.com/kling/')).toBe(true);
		expect(isCometApi('custom', 'https://kling-proxy.example.com')).toBe(false);
		expect(isCometApi('custom', 'https://cometapi.com.evil.example/kling')).toBe(false);
		expect(isCometApi('global', '')).toBe(false);
	});

	it('checks avatar audio against 2–60 s there, and names the limit', () => {
		const wav = (seconds: number) => {
			const rate = 8000;
			const data = Math.round(seconds * rate);
			const h = Buffer.alloc(44);
			h.write('RIFF', 0);
			h.writeUInt32LE(36 + data, 4);
			h.write('WAVEfmt ', 8);
			h.writeUInt32LE(16, 16);
			h.writeUInt16LE(1, 20);
			h.writeUInt16LE(1, 22);
			h.writeUInt32LE(rate, 24);
			h.writeUInt32LE(rate, 28);
			h.writeUInt16LE(1, 32);
			h.writeUInt16LE(8, 34);
			h.write('data', 36);
			h.writeUInt32LE(data, 40);
			return Buffer.concat([h, Buffer.alloc(data, 0x80)]);
		};
		expect(klingAudioCheck(true)(wav(61))?.message).toBe('audio is 61.0 s long; it must be between 2 and 60 s (CometAPI\'s limit; Kling itself takes up to 300 s)');
		expect(klingAudioCheck(true)(wav(60))).toBeNull();
		expect(klingAudioCheck(true)(wav(1))?.message).toBe('audio is 1.0 s long; it must be between 2 and 60 s');
		expect(klingAudioCheck(false)(wav(61))).toBeNull();
		expect(klingAudioCheck(false)(wav(301))?.message).toBe('audio is 301.0 s long; it must be between 2 and 300 s');
	});
});

describe('the credential test\'s rules read every answer shape', () => {
	// n8n's credentials tester fails the test with the first rule whose `key` (a lodash path) has `value`.
	const credential = new KlingApi();
	const at = (body: unknown, key: string): unknown => key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), body);
	const verdict = (body: unknown): string | 'OK' =>
		(credential.test.rules as Array<{ properties: { key: string; value: unknown; message: string } }>).find((r) => at(body, r.properties.key) === r.properties.value)?.properties.message ?? 'OK';

	it('passes Kling\'s success envelope, direct or through CometAPI', () => {
		expect(verdict({ code: 0, message: 'SUCCEED', request_id: 'r', data: [] })).toBe('OK');
	});

	it('names the cause for each refusal shape', () => {
		expect(verdict({ code: 1002, message: 'Authorization is invalid' })).toMatch(/^Kling refused the keys \(code 1002\)/);
		expect(verdict({ code: 1102, message: 'Account balance not enough' })).toMatch(/balance or resource pack is used up \(code 1102\)/);
		expect(verdict({ message: 'x', data: { data: { code: 1002, message: 'x' } } })).toMatch(/^Kling refused the keys through the proxy \(code 1002\)/);
		expect(verdict({ message: 'x', data: { data: { code: 1102, message: 'x' } } })).toMatch(/^The proxy accepted the key, but Kling refused the account behind it \(code 1102: balance/);
		expect(verdict({ error: { code: '', message: 'Invalid token (request id: 1)', type: 'comet_api_error' } })).toMatch(/^CometAPI refused the test request: check the API key/);
		expect(verdict('<html></html>')).toMatch(/did not answer like Kling's API/);
	});

	it('tests the CometAPI region at CometAPI\'s Kling root', () => {
		expect(credential.test.request.baseURL).toContain('$credentials.region === "cometapi" ? "https://api.cometapi.com/kling"');
		const region = credential.properties.find((p) => p.name === 'region');
		expect((region?.options as Array<{ value: string }>).map((o) => o.value)).toEqual(['global', 'china', 'cometapi', 'custom']);
	});
});
