import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

/**
 * Akool webhook verification (provider-apis.md §2.4, §6.3). A delivery is
 * `{signature, dataEncrypt, timestamp, nonce}`:
 * - signature = sha1 of [clientId, timestamp, nonce, dataEncrypt] sorted and joined without a
 *   separator (lowercase hex). It covers no secret, only the client ID: it proves little alone;
 * - dataEncrypt = Base64 of AES-CBC (PKCS#7) with key = the client secret (UTF-8; 16, 24 or 32
 *   bytes → AES-128/192/256) and IV = the client ID (UTF-8, first 16 bytes, NUL-padded). Only
 *   the secret's holder can make a payload that decrypts to JSON: that is the real proof;
 * - timestamp (ms) bounds replays: a delivery older (or further in the future) than the window is
 *   refused.
 * The decrypted payload is `{_id, status: 1|2|3|4, type, url?}`.
 */
export interface AkoolWebhookPayload {
	_id: string;
	status: 1 | 2 | 3 | 4;
	type: string;
	url?: string;
}

export type AkoolWebhookRejection =
	/** Not a delivery's shape (missing or wrong-typed fields, not Base64). */
	| 'malformed'
	| 'badSignature'
	/** The timestamp is outside the window (a replay, or a clock far off). */
	| 'stale'
	/** Does not decrypt with the credential's secret, or not to JSON (a wrong key). */
	| 'undecryptable'
	/** Decrypts to JSON that is not `{_id, status, …}`. */
	| 'badPayload'
	/** The credential's client secret cannot be an AES key (not 16, 24 or 32 bytes). */
	| 'unusableSecret';

export type AkoolWebhookVerdict =
	| { ok: true; payload: AkoolWebhookPayload; timestamp: number }
	| { ok: false; reason: AkoolWebhookRejection; message: string };

export interface AkoolWebhookKeys {
	clientId: string;
	clientSecret: string;
}

/**
 * Default window: 1 hour either way. Akool resends a delivery verbatim (its original timestamp)
 * until it gets HTTP 200, so the window is also how long n8n (or Akool's API, which the trigger
 * asks) may be down before a real delivery is refused for good. Replays inside it are caught by the
 * triggers' duplicate records.
 */
export const AKOOL_WEBHOOK_MAX_AGE_MS = 60 * 60_000;
/** Larger than any real payload ({_id, status, type, url}); bounds the work for garbage. */
const MAX_ENCRYPTED_CHARS = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SHA1_HEX = /^[0-9a-fA-F]{40}$/;

export function akoolSignature(clientId: string, timestamp: string, nonce: string, dataEncrypt: string): string {
	return createHash('sha1').update([clientId, timestamp, nonce, dataEncrypt].sort().join('')).digest('hex');
}

const reject = (reason: AkoolWebhookRejection, message: string): AkoolWebhookVerdict => ({ ok: false, reason, message });

/** A timestamp as sent: a number or a numeric string, in ms (seconds are read as seconds). */
function readTimestamp(value: unknown): { text: string; ms: number } | undefined {
	let text: string;
	if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
	else if (typeof value === 'string' && /^\d{1,16}$/.test(value.trim())) text = value.trim();
	else return undefined;
	const n = Number(text);
	if (!Number.isSafeInteger(n) || n <= 0) return undefined;
	// 10-digit values are seconds (until the year 2286); Akool sends ms.
	return { text, ms: n < 1e11 ? n * 1000 : n };
}

/**
 * Verifies, checks the age of and decrypts one delivery. Order: shape → signature → age →
 * decryption → payload shape. Never throws.
 */
export function openAkoolWebhook(body: unknown, keys: AkoolWebhookKeys, options: { now?: number; maxAgeMs?: number } = {}): AkoolWebhookVerdict {
	const now = options.now ?? Date.now();
	const maxAgeMs = options.maxAgeMs ?? AKOOL_WEBHOOK_MAX_AGE_MS;
	if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject('malformed', 'the body is not a JSON object');
	const { signature, dataEncrypt, timestamp, nonce } = body as Record<string, unknown>;
	if (typeof signature !== 'string' || !SHA1_HEX.test(signature)) return reject('malformed', 'signature is missing or not a SHA-1 hex digest');
	if (typeof dataEncrypt !== 'string' || !dataEncrypt || dataEncrypt.length > MAX_ENCRYPTED_CHARS || dataEncrypt.length % 4 !== 0 || !BASE64.test(dataEncrypt)) {
		return reject('malformed', 'dataEncrypt is missing or not Base64');
	}
	const ts = readTimestamp(timestamp);
	if (!ts) return reject('malformed', 'timestamp is missing or not a number');
	if ((typeof nonce !== 'string' && typeof nonce !== 'number') || String(nonce).length === 0 || String(nonce).length > 128) {
		return reject('malformed', 'nonce is missing');
	}

	const expected = Buffer.from(akoolSignature(keys.clientId, ts.text, String(nonce), dataEncrypt), 'utf8');
	const given = Buffer.from(signature.toLowerCase(), 'utf8');
	if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
		return reject('badSignature', 'the signature does not match (is the Client ID in the credential the one of this Akool account?)');
	}
	if (Math.abs(now - ts.ms) > maxAgeMs) {
		return reject('stale', `the delivery's timestamp is ${Math.round((now - ts.ms) / 1000)} s from now; at most ${Math.round(maxAgeMs / 1000)} s is accepted`);
	}

	const key = Buffer.from(keys.clientSecret, 'utf8');
	if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
		return reject('unusableSecret', `the client secret has ${key.length} bytes; AES needs 16, 24 or 32`);
	}
	const iv = Buffer.alloc(16);
	Buffer.from(keys.clientId, 'utf8').copy(iv, 0, 0, 16);
	let payload: unknown;
	try {
		const decipher = createDecipheriv(`aes-${key.length * 8}-cbc`, key, iv);
		const plain = Buffer.concat([decipher.update(Buffer.from(dataEncrypt, 'base64')), decipher.final()]).toString('utf8');
		payload = JSON.parse(plain);
	} catch {
		return reject('undecryptable', 'dataEncrypt does not decrypt to JSON with the credential\'s client secret');
	}
	if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return reject('badPayload', 'the decrypted payload is not an object');
	const p = payload as Record<string, unknown>;
	const status = Number(p.status);
	if (typeof p._id !== 'string' || !p._id || ![1, 2, 3, 4].includes(status)) return reject('badPayload', 'the decrypted payload has no _id or no status 1–4');
	const out: AkoolWebhookPayload = { _id: p._id, status: status as AkoolWebhookPayload['status'], type: typeof p.type === 'string' ? p.type : '' };
	if (typeof p.url === 'string') out.url = p.url;
	return { ok: true, payload: out, timestamp: ts.ms };
}
