/**
 * Minimal HS256 JWT (RFC 7519) signing and verification for the emulator. Dev-only code.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface JwtPayload {
	iss?: unknown;
	exp?: unknown;
	nbf?: unknown;
	[claim: string]: unknown;
}

export type JwtVerifyResult =
	| { ok: true; payload: JwtPayload }
	/** malformed: not a JWT / bad JSON / wrong alg; signature: wrong key; issuer: unknown iss; nbf / exp: time claims. */
	| { ok: false; reason: 'malformed' | 'issuer' | 'signature' | 'nbf' | 'exp'; payload?: JwtPayload };

const b64u = (data: string | Buffer): string => Buffer.from(data).toString('base64url');
const B64U_RE = /^[A-Za-z0-9_-]+$/;

/** Signs `payload` with HS256 (header `{"alg":"HS256","typ":"JWT"}`). */
export function signHs256(payload: Record<string, unknown>, secret: string): string {
	const head = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
	const body = b64u(JSON.stringify(payload));
	const sig = b64u(createHmac('sha256', secret).update(`${head}.${body}`).digest());
	return `${head}.${body}.${sig}`;
}

/** The documented Kling token: iss = access key, exp = now + 1800 s, nbf = now - 5 s (Unix seconds). */
export function klingJwt(accessKey: string, secretKey: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
	return signHs256({ iss: accessKey, exp: nowSeconds + 1800, nbf: nowSeconds - 5 }, secretKey);
}

function parseJsonPart(part: string): Record<string, unknown> | null {
	if (!B64U_RE.test(part)) return null;
	try {
		const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
		return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}

/**
 * Verifies an HS256 token. `secretFor(iss)` returns the secret for a known issuer, or undefined.
 * Order: structure + alg → issuer → signature (timing-safe) → nbf (> now fails) → exp (<= now fails).
 */
export function verifyHs256(
	token: string,
	secretFor: (iss: string) => string | undefined,
	nowSeconds = Date.now() / 1000,
): JwtVerifyResult {
	const parts = token.split('.');
	if (parts.length !== 3 || !B64U_RE.test(parts[2])) return { ok: false, reason: 'malformed' };
	const header = parseJsonPart(parts[0]);
	const payload = parseJsonPart(parts[1]) as JwtPayload | null;
	if (!header || !payload || header.alg !== 'HS256') return { ok: false, reason: 'malformed' };
	if (typeof payload.iss !== 'string') return { ok: false, reason: 'issuer', payload };
	const secret = secretFor(payload.iss);
	if (secret === undefined) return { ok: false, reason: 'issuer', payload };
	const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
	const given = Buffer.from(parts[2], 'base64url');
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
		return { ok: false, reason: 'signature', payload };
	}
	if (payload.nbf !== undefined) {
		if (typeof payload.nbf !== 'number' || !Number.isFinite(payload.nbf)) return { ok: false, reason: 'malformed', payload };
		if (payload.nbf > nowSeconds) return { ok: false, reason: 'nbf', payload };
	}
	if (payload.exp !== undefined) {
		if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return { ok: false, reason: 'malformed', payload };
		if (payload.exp <= nowSeconds) return { ok: false, reason: 'exp', payload };
	}
	return { ok: true, payload };
}
