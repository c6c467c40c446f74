import { createHmac } from 'node:crypto';

/** Lifetime of a signed token; Kling's documented example uses 30 minutes. */
export const KLING_JWT_TTL_SECONDS = 1800;
/** `nbf` a little in the past so a slightly fast local clock is not refused (code 1003). */
const NOT_BEFORE_SKEW_SECONDS = 5;

const base64Url = (input: string | Buffer) => Buffer.from(input).toString('base64url');

/**
 * Signs the short-lived HS256 JWT Kling expects from an Access Key + Secret Key pair
 * (RFC 7519; claims exactly iss, exp, nbf in Unix seconds).
 */
export function signKlingJwt(accessKey: string, secretKey: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
	const header = base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
	const payload = base64Url(
		JSON.stringify({ iss: accessKey, exp: nowSeconds + KLING_JWT_TTL_SECONDS, nbf: nowSeconds - NOT_BEFORE_SKEW_SECONDS }),
	);
	const signature = base64Url(createHmac('sha256', secretKey).update(`${header}.${payload}`).digest());
	return `${header}.${payload}.${signature}`;
}
