import { createHmac, timingSafeEqual } from 'node:crypto';
import { KlingApi } from '../../credentials/KlingApi.credentials';
import { signKlingJwt } from '../../nodes/KlingAvatar/jwt';
import { klingBaseUrl } from '../../nodes/KlingAvatar/baseUrl';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** An independent HS256 check, written from RFC 7519 rather than from the signer. */
function verifyHs256(token: string, secret: string): boolean {
	const [h, p, s] = token.split('.');
	const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${h}.${p}`).digest();
	const given = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
	return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('Kling JWT', () => {
	const now = 1_750_000_000;
	const token = signKlingJwt('my-access-key', 'my-secret-key', now);

	it('has the documented header and claims', () => {
		const [header, payload] = token.split('.').map((part, i) => (i < 2 ? decode(part) : part));
		expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
		expect(payload).toEqual({ iss: 'my-access-key', exp: now + 1800, nbf: now - 5 });
	});

	it('is signed with the secret key (and only that key)', () => {
		expect(verifyHs256(token, 'my-secret-key')).toBe(true);
		expect(verifyHs256(token, 'other-secret')).toBe(false);
		expect(token).not.toMatch(/[=+/]/);
	});
});

describe('Kling credential', () => {
	const credential = new KlingApi();

	it('sends a fresh JWT as Bearer for Access Key + Secret Key', async () => {
		const out = await credential.authenticate(
			{ authentication: 'accessKey', accessKey: ' ak ', secretKey: 'sk' },
			{ url: '/v1/x', headers: { 'X-Other': '1' } },
		);
		const auth = String(out.headers?.Authorization);
		expect(auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
		const jwt = auth.slice('Bearer '.length);
		expect(decode(jwt.split('.')[1]).iss).toBe('ak');
		expect(verifyHs256(jwt, 'sk')).toBe(true);
		expect(out.headers?.['X-Other']).toBe('1');
	});

	it('sends the API key as is', async () => {
		const out = await credential.authenticate({ authentication: 'apiKey', apiKey: 'key-123' }, { url: '/v1/x' });
		expect(out.headers?.Authorization).toBe('Bearer key-123');
	});

	it('resolves regions and custom roots', () => {
		expect(klingBaseUrl('global', '')).toBe('https://api-singapore.klingai.com');
		expect(klingBaseUrl('china', '')).toBe('https://api-beijing.klingai.com');
		expect(klingBaseUrl('custom', 'https://api.cometapi.com/kling/')).toBe('https://api.cometapi.com/kling');
	});

	it('marks secrets as passwords and has a test request', () => {
		const secret = credential.properties.filter((p) => ['secretKey', 'apiKey'].includes(p.name));
		expect(secret.every((p) => p.typeOptions?.password === true)).toBe(true);
		expect(credential.test.request.url).toBe('/v1/videos/avatar/image2video');
	});
});
