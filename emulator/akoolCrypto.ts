/**
 * Akool webhook crypto (provider-apis.md §2.4): AES-CBC with key = clientSecret (UTF-8; 16/24/32
 * bytes → AES-128/192/256), IV = clientId (UTF-8, first 16 bytes, NUL-padded), PKCS#7, Base64;
 * signature = sha1 of [clientId, timestamp, nonce, dataEncrypt] sorted and joined without a separator.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

export function akoolIv(clientId: string): Buffer {
	const iv = Buffer.alloc(16);
	Buffer.from(clientId, 'utf8').copy(iv, 0, 0, 16);
	return iv;
}

export function akoolCipher(clientSecret: string): string {
	const bits = Buffer.byteLength(clientSecret, 'utf8') * 8;
	if (bits !== 128 && bits !== 192 && bits !== 256) {
		throw new Error(`the client secret must be 16, 24 or 32 bytes for AES (got ${bits / 8})`);
	}
	return `aes-${bits}-cbc`;
}

export function akoolSign(clientId: string, timestamp: number | string, nonce: string, dataEncrypt: string): string {
	return createHash('sha1').update([clientId, String(timestamp), nonce, dataEncrypt].sort().join('')).digest('hex');
}

export function akoolEncrypt(payload: unknown, clientId: string, clientSecret: string): string {
	const cipher = createCipheriv(akoolCipher(clientSecret), Buffer.from(clientSecret, 'utf8'), akoolIv(clientId));
	return Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]).toString('base64');
}

export function akoolDecrypt(dataEncrypt: string, clientId: string, clientSecret: string): unknown {
	const decipher = createDecipheriv(akoolCipher(clientSecret), Buffer.from(clientSecret, 'utf8'), akoolIv(clientId));
	return JSON.parse(Buffer.concat([decipher.update(Buffer.from(dataEncrypt, 'base64')), decipher.final()]).toString('utf8'));
}
