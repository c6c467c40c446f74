/**
 * The Akool webhook verifier (nodes/Akool/webhookVerify.ts). Deliveries are built here with
 * node:crypto following provider-apis.md §2.4, not with the verifier's or the emulator's code.
 * Every kind of bad delivery is tried many times: all must be refused.
 */
import { createCipheriv, createHash, randomBytes, randomInt } from 'node:crypto';
import { AkoolTrigger } from '../../nodes/Akool/AkoolTrigger.node';
import { AKOOL_WEBHOOK_MAX_AGE_MS, openAkoolWebhook } from '../../nodes/Akool/webhookVerify';

const keys = { clientId: 'emulatorClientId', clientSecret: 'emulatorClientSecret0123' };
const NOW = 1_780_000_000_000;

function encrypt(plain: string, clientId = keys.clientId, secret = keys.clientSecret): string {
	const iv = Buffer.alloc(16);
	Buffer.from(clientId).copy(iv, 0, 0, 16);
	const c = createCipheriv(`aes-${Buffer.byteLength(secret) * 8}-cbc`, Buffer.from(secret), iv);
	return Buffer.concat([c.update(plain, 'utf8'), c.final()]).toString('base64');
}
const sign = (clientId: string, ts: number | string, nonce: string, enc: string) =>
	createHash('sha1').update([clientId, String(ts), nonce, enc].sort().join('')).digest('hex');

function delivery(payload: unknown = { _id: '68c6ea80f0eec691e9056319', status: 3, type: 'avatar', url: 'https://cdn.example/v.mp4' }, o: { ts?: number; secret?: string; clientId?: string; plain?: string } = {}) {
	const dataEncrypt = encrypt(o.plain ?? JSON.stringify(payload), keys.clientId, o.secret ?? keys.clientSecret);
	const timestamp = o.ts ?? NOW;
	const nonce = String(randomInt(1000, 10000));
	return { signature: sign(o.clientId ?? keys.clientId, timestamp, nonce, dataEncrypt), dataEncrypt, timestamp, nonce };
}
const open = (body: unknown, maxAgeMs?: number) => openAkoolWebhook(body, keys, { now: NOW, maxAgeMs });

it('accepts a good delivery and returns the payload', () => {
	const v = open(delivery());
	expect(v).toEqual({ ok: true, timestamp: NOW, payload: { _id: '68c6ea80f0eec691e9056319', status: 3, type: 'avatar', url: 'https://cdn.example/v.mp4' } });
	// Timestamps sent as numeric strings, uppercase hex and 16- or 32-byte secrets work too.
	const d = delivery();
	expect(open({ ...d, signature: d.signature.toUpperCase() }).ok).toBe(true);
	const s = delivery(undefined, { ts: NOW - 1000 });
	const asString = { ...s, timestamp: String(s.timestamp), signature: sign(keys.clientId, String(s.timestamp), s.nonce, s.dataEncrypt) };
	expect(open(asString).ok).toBe(true);
	for (const secret of ['0123456789abcdef', '0123456789abcdef0123456789abcdef']) {
		const body = delivery(undefined, { secret });
		expect(openAkoolWebhook(body, { ...keys, clientSecret: secret }, { now: NOW }).ok).toBe(true);
	}
});

it('refuses every tampered signature and every tampered signed field (bad signature)', () => {
	const good = delivery();
	let refused = 0;
	let tries = 0;
	for (let i = 0; i < good.signature.length; i++) {
		for (const c of '0123456789abcdef') {
			if (c === good.signature[i].toLowerCase()) continue;
			tries++;
			const v = open({ ...good, signature: good.signature.slice(0, i) + c + good.signature.slice(i + 1) });
			if (!v.ok && v.reason === 'badSignature') refused++;
		}
	}
	// Signed fields changed after signing.
	for (let n = 0; n < 200; n++) {
		tries += 3;
		// Another payload (the same payload encrypts to the same text: the IV is fixed).
		const other = delivery({ _id: `68c6ea80f0eec691e90563${n}`, status: 3, type: 'avatar' });
		for (const body of [{ ...good, nonce: String(Number(good.nonce) + 1 + n) }, { ...good, timestamp: good.timestamp + 1 + n }, { ...good, dataEncrypt: other.dataEncrypt }]) {
			const v = open(body);
			if (!v.ok && v.reason === 'badSignature') refused++;
		}
	}
	// Signed with another client ID.
	for (let n = 0; n < 100; n++) {
		tries++;
		const v = open(delivery(undefined, { clientId: `other${randomBytes(6).toString('hex')}` }));
		if (!v.ok && v.reason === 'badSignature') refused++;
	}
	expect(refused).toBe(tries);
	expect(tries).toBeGreaterThan(1000);
});

it('refuses deliveries encrypted with another key, 100 % of 500 (wrong key)', () => {
	let refused = 0;
	for (let n = 0; n < 500; n++) {
		const secret = randomBytes(12).toString('hex'); // 24 characters, like the real one
		const v = open(delivery(undefined, { secret }));
		if (!v.ok && (v.reason === 'undecryptable' || v.reason === 'badPayload')) refused++;
	}
	expect(refused).toBe(500);
});

it('refuses timestamps outside the window either way (replays); the window is an option', () => {
	// One hour by default: a real delivery Akool resends after some downtime (of n8n or of Akool's API) still passes.
	expect(AKOOL_WEBHOOK_MAX_AGE_MS).toBe(3600_000);
	expect(open(delivery(undefined, { ts: NOW - 10 * 60_000 })).ok).toBe(true);
	const within = [0, 1000, AKOOL_WEBHOOK_MAX_AGE_MS - 1, -(AKOOL_WEBHOOK_MAX_AGE_MS - 1)];
	for (const age of within) expect(open(delivery(undefined, { ts: NOW - age })).ok).toBe(true);
	const outside = [AKOOL_WEBHOOK_MAX_AGE_MS + 1, 2 * 3600_000, 86_400_000 * 30, -(AKOOL_WEBHOOK_MAX_AGE_MS + 1), -2 * 3600_000];
	for (const age of outside) expect(open(delivery(undefined, { ts: NOW - age }))).toMatchObject({ ok: false, reason: 'stale' });
	// A verbatim replay of a real delivery, once it is older than the window.
	const real = delivery(undefined, { ts: NOW - 2000 });
	expect(open(real).ok).toBe(true);
	expect(open(real, 1000)).toMatchObject({ ok: false, reason: 'stale' });
	// Seconds are read as seconds.
	const secs = Math.floor(NOW / 1000);
	const d = delivery(undefined, { ts: secs });
	expect(open(d).ok).toBe(true);
});

it('refuses garbage: wrong shapes, wrong types, not Base64, not JSON inside, JSON of another shape', () => {
	const good = delivery();
	const garbage: unknown[] = [
		null,
		undefined,
		'text',
		42,
		[],
		[good],
		{},
		{ hello: 'world' },
		{ ...good, signature: undefined },
		{ ...good, signature: 'not-a-signature' },
		{ ...good, signature: good.signature.slice(1) },
		{ ...good, signature: 12345 },
		{ ...good, dataEncrypt: undefined },
		{ ...good, dataEncrypt: '' },
		{ ...good, dataEncrypt: '%%% not base64 %%%' },
		{ ...good, dataEncrypt: 'abc' },
		{ ...good, dataEncrypt: { nested: true } },
		{ ...good, dataEncrypt: 'A'.repeat(70_000) },
		{ ...good, timestamp: undefined },
		{ ...good, timestamp: 'yesterday' },
		{ ...good, timestamp: -5 },
		{ ...good, timestamp: 1.5 },
		{ ...good, timestamp: { t: 1 } },
		{ ...good, nonce: undefined },
		{ ...good, nonce: '' },
		{ ...good, nonce: { n: 1 } },
		{ ...good, nonce: 'x'.repeat(500) },
	];
	for (const body of garbage) expect(open(body).ok).toBe(false);
	for (const body of garbage) expect(['malformed', 'badSignature']).toContain((open(body) as { reason: string }).reason);
	// Correctly signed and encrypted, but what is inside is not a payload.
	expect(open(delivery(undefined, { plain: 'not json' }))).toMatchObject({ ok: false, reason: 'undecryptable' });
	for (const payload of [[1, 2], 'text', { status: 3 }, { _id: '', status: 3 }, { _id: 'x', status: 7 }, { _id: 'x' }, null]) {
		expect(open(delivery(payload))).toMatchObject({ ok: false, reason: 'badPayload' });
	}
	// Random bytes as dataEncrypt (Base64 of a multiple of 16 bytes), signed: never accepted.
	let refused = 0;
	for (let n = 0; n < 300; n++) {
		const dataEncrypt = randomBytes(16 * randomInt(1, 6)).toString('base64');
		const nonce = '1234';
		const v = open({ signature: sign(keys.clientId, NOW, nonce, dataEncrypt), dataEncrypt, timestamp: NOW, nonce });
		if (!v.ok && (v.reason === 'undecryptable' || v.reason === 'badPayload')) refused++;
	}
	expect(refused).toBe(300);
});

it('says when the credential secret cannot be an AES key', () => {
	expect(openAkoolWebhook(delivery(), { ...keys, clientSecret: 'short' }, { now: NOW })).toMatchObject({ ok: false, reason: 'unusableSecret' });
});

it('the Akool Trigger\'s Max Delivery Age default is the verifier\'s window', () => {
	const options = new AkoolTrigger().description.properties.find((p) => p.name === 'options')?.options as Array<{ name: string; default?: unknown }>;
	expect(Number(options.find((o) => o.name === 'maxAgeSeconds')?.default) * 1000).toBe(AKOOL_WEBHOOK_MAX_AGE_MS);
});
