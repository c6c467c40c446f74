/**
 * Small HTTP helpers shared by the emulator's provider handlers. Dev-only code.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';

export type Req = http.IncomingMessage;
export type Res = http.ServerResponse;

export const sleep = (ms: number): Promise<void> =>
	new Promise((resolve) => {
		if (ms <= 0) return resolve();
		setTimeout(resolve, ms).unref();
	});

export const requestId = (): string => randomUUID();

/** Sends a JSON body (no-op when the socket is already gone). */
export function sendJson(res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
	if (res.headersSent || res.destroyed) return;
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': String(Buffer.byteLength(text)),
		...headers,
	});
	res.end(text);
}

/** Destroys the connection without writing a response (a "connection reset" for the client). */
export function destroySocket(req: Req, res: Res): void {
	const socket = req.socket;
	res.destroy();
	socket.destroy();
}

/** Reads the whole request body; rejects with `BodyTooLargeError` past `limitBytes`. */
export class BodyTooLargeError extends Error {}
/** The client went away before the body was complete (an aborted upload). */
export class BodyAbortedError extends Error {}
/**
 * @param bytesPerSecond when set, reads the body no faster than this (a slow uplink), so a test
 *   can stop an execution while its create is still uploading.
 */
export function readBody(req: Req, limitBytes: number, bytesPerSecond?: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let done = false;
		const settle = (fn: () => void) => {
			if (done) return;
			done = true;
			fn();
		};
		req.on('data', (chunk: Buffer) => {
			if (done) return;
			size += chunk.length;
			if (size > limitBytes) return settle(() => reject(new BodyTooLargeError(`request body over ${limitBytes} bytes`)));
			chunks.push(chunk);
			if (bytesPerSecond && bytesPerSecond > 0) {
				req.pause();
				setTimeout(() => req.resume(), (chunk.length / bytesPerSecond) * 1000);
			}
		});
		req.on('end', () => settle(() => resolve(Buffer.concat(chunks, size))));
		// A client that goes away mid-body: a reset shows as 'error' (ECONNRESET, "aborted"), a close as 'close'.
		req.on('error', (err) => settle(() => reject(new BodyAbortedError(`the upload broke off after ${size} bytes: ${err.message}`))));
		req.on('close', () => settle(() => reject(new BodyAbortedError(`the client closed the connection after ${size} bytes`))));
	});
}

/** Parses a query integer; `undefined` when absent, NaN when not an integer. */
export function queryInt(url: URL, name: string): number | undefined {
	const raw = url.searchParams.get(name);
	if (raw === null || raw === '') return undefined;
	return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
}

const CONTENT_TYPES: Record<string, string> = {
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.png': 'image/png',
	'.webp': 'image/webp',
	'.gif': 'image/gif',
	'.mp3': 'audio/mpeg',
	'.wav': 'audio/wav',
	'.m4a': 'audio/mp4',
	'.aac': 'audio/aac',
	'.mp4': 'video/mp4',
	'.json': 'application/json',
	'.txt': 'text/plain; charset=utf-8',
};
export const contentTypeFor = (file: string): string =>
	CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** Streams a file (HEAD: headers only). Returns false when the file does not exist. */
export async function sendFile(req: Req, res: Res, file: string, contentType = contentTypeFor(file)): Promise<boolean> {
	let size: number;
	try {
		const st = await fsp.stat(file);
		if (!st.isFile()) return false;
		size = st.size;
	} catch {
		return false;
	}
	res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(size) });
	if (req.method === 'HEAD') {
		res.end();
		return true;
	}
	try {
		await pipeline(createReadStream(file), res);
	} catch {
		// client went away
	}
	return true;
}

/**
 * The emulator's asset folder (portrait.jpg, voice.mp3, sample.mp4). Works both from the TypeScript
 * sources (emulator/) and from the compiled output (.build/emulator/), which has no copy of the assets.
 */
export function resolveAssetsDir(): string {
	const candidates = [
		path.join(__dirname, 'assets'),
		path.resolve(__dirname, '..', '..', 'emulator', 'assets'),
		path.resolve(process.cwd(), 'emulator', 'assets'),
	];
	return candidates.find((dir) => existsSync(dir)) ?? candidates[0];
}

/** True for URLs on this machine (the emulator itself or a test server); those are fetched and validated. */
export function isLocalUrl(u: URL): boolean {
	const host = u.hostname.replace(/^\[|\]$/g, '');
	return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/** GETs a URL into memory with a size cap and a timeout. */
export function fetchBuffer(
	target: string,
	limitBytes: number,
	timeoutMs = 10_000,
): Promise<{ status: number; body: Buffer; tooLarge: boolean }> {
	return new Promise((resolve, reject) => {
		const u = new URL(target);
		const mod = u.protocol === 'https:' ? https : http;
		const req = mod.get(u, { agent: false, timeout: timeoutMs }, (res) => {
			const declared = Number(res.headers['content-length'] ?? Number.NaN);
			if (Number.isFinite(declared) && declared > limitBytes) {
				res.destroy();
				resolve({ status: res.statusCode ?? 0, body: Buffer.alloc(0), tooLarge: true });
				return;
			}
			const chunks: Buffer[] = [];
			let size = 0;
			res.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > limitBytes) {
					res.destroy();
					resolve({ status: res.statusCode ?? 0, body: Buffer.alloc(0), tooLarge: true });
					return;
				}
				chunks.push(chunk);
			});
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks, size), tooLarge: false }));
			res.on('error', reject);
		});
		req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
		req.on('error', reject);
	});
}

/** POSTs JSON; resolves with the status code (never rejects: errors come back as `{statusCode:null,error}`). */
export function postJson(
	target: string,
	body: unknown,
	timeoutMs = 5_000,
): Promise<{ statusCode: number | null; error?: string }> {
	return postText(target, JSON.stringify(body), 'application/json', timeoutMs);
}

/** POSTs a body as is (e.g. text that is not JSON, for forged deliveries); like postJson otherwise. */
export function postText(
	target: string,
	text: string,
	contentType = 'application/json',
	timeoutMs = 5_000,
): Promise<{ statusCode: number | null; error?: string }> {
	return new Promise((resolve) => {
		let done = false;
		const finish = (r: { statusCode: number | null; error?: string }) => {
			if (!done) {
				done = true;
				resolve(r);
			}
		};
		let u: URL;
		try {
			u = new URL(target);
		} catch (err) {
			finish({ statusCode: null, error: (err as Error).message });
			return;
		}
		const mod = u.protocol === 'https:' ? https : http;
		const req = mod.request(
			u,
			{
				method: 'POST',
				agent: false,
				timeout: timeoutMs,
				headers: { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)) },
			},
			(res) => {
				res.resume();
				res.on('end', () => finish({ statusCode: res.statusCode ?? null }));
				res.on('error', (err) => finish({ statusCode: res.statusCode ?? null, error: err.message }));
			},
		);
		req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
		req.on('error', (err) => finish({ statusCode: null, error: err.message }));
		req.end(text);
	});
}
