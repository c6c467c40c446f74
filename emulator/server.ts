/**
 * The local provider emulator: one node:http server on 127.0.0.1 that mounts provider handlers
 * (Kling now; Akool and Mingyan are mounted the same way). Dev-only code, never published.
 *
 * Routing: `GET|HEAD /assets/<file>` is served from emulator/assets/ (no auth). Every other request
 * is offered to the mounted handlers in mount order; the first one that returns true owns it.
 * Unhandled requests get a plain 404 JSON body.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { BodyAbortedError, BodyTooLargeError, readBody, resolveAssetsDir, sendFile, sendJson } from './http';
import type { Req, Res } from './http';
import { createKlingEmulator } from './kling';
import type { AkoolConfig, AkoolEmulator } from './akool';
import { createAkoolEmulator } from './akool';
import type { KlingConfig, KlingEmulator } from './kling';
import type { MingyanConfig, MingyanEmulator } from './mingyan';
import { createMingyanEmulator } from './mingyan';

/** A provider mounted in the emulator. */
export interface ProviderHandler {
	/** Handles the request and returns true, or returns false to let the next handler try. */
	handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<boolean>;
	/** Clears tasks, counters and faults and restores the default configuration. */
	reset(): void;
	/** Optional: stop timers (callbacks) when the server closes. */
	close?(): void;
}

/** What a handler learns about the server it is mounted in. */
export interface EmulatorContext {
	/** http://127.0.0.1:PORT (valid once the server listens, i.e. before any request arrives). */
	baseUrl(): string;
	/** emulator/assets/ */
	assetsDir: string;
}

export interface EmulatorOptions {
	/** 0 (default) = a random free port. */
	port?: number;
	/** 127.0.0.1 unless told otherwise. */
	host?: string;
	kling?: Partial<KlingConfig>;
	akool?: Partial<AkoolConfig>;
	mingyan?: Partial<MingyanConfig>;
	/** Overrides the assets folder (default emulator/assets/). */
	assetsDir?: string;
	/** Largest request body accepted (default 64 MB; a 10 MB image is ~13.4 MB as base64). */
	maxBodyBytes?: number;
}

export interface Emulator {
	/**
	 * http://127.0.0.1:PORT (no trailing slash). The Kling API is mounted here and under `${url}/kling`,
	 * which answers like the CometAPI proxy when `kling.config.cometApi` is on (emulator/kling.ts).
	 */
	url: string;
	port: number;
	kling: KlingEmulator;
	/** Akool API under /api/open/v3/... (base URL = url). */
	akool: AkoolEmulator;
	/** Mingyan DigitalHuman API under /kyyReactApiServer/... (base URL = url + '/kyyReactApiServer'). */
	mingyan: MingyanEmulator;
	context: EmulatorContext;
	/**
	 * Reads request bodies no faster than this many bytes per second (null: as fast as they come).
	 * Lets a test press Stop while a create is still uploading. reset() clears it.
	 */
	uploadBytesPerSecond: number | null;
	/** Request bodies whose client went away before the body was complete (uploads aborted). */
	readonly abortedUploads: number;
	/**
	 * Every request since the last reset(): arrival and end (response finished or closed) in
	 * epoch ms, method and path (no query). For timelines such as bench P7's breakdown.
	 */
	readonly requests: ReadonlyArray<EmulatorRequestRecord>;
	/** Adds a provider handler (tried after the ones already mounted). */
	mount(handler: ProviderHandler): void;
	/** reset() on every mounted handler. */
	reset(): void;
	/** Stops listening, destroys open (keep-alive) sockets and stops handler timers. */
	close(): Promise<void>;
}

export interface EmulatorRequestRecord {
	at: number;
	endedAt: number | null;
	method: string;
	path: string;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	const host = options.host ?? '127.0.0.1';
	const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
	const assetsDir = options.assetsDir ?? resolveAssetsDir();
	let baseUrl = '';
	const context: EmulatorContext = { baseUrl: () => baseUrl, assetsDir };
	const handlers: ProviderHandler[] = [];
	const sockets = new Set<Socket>();
	const throttle = { uploadBytesPerSecond: null as number | null, abortedUploads: 0 };
	let requests: EmulatorRequestRecord[] = [];

	const kling = createKlingEmulator(context, options.kling);
	const akool = createAkoolEmulator(context, options.akool);
	const mingyan = createMingyanEmulator(context, options.mingyan);
	handlers.push(kling, akool, mingyan);

	const server = http.createServer((req, res) => {
		const record: EmulatorRequestRecord = { at: Date.now(), endedAt: null, method: req.method ?? '', path: (req.url ?? '').split('?')[0] };
		requests.push(record);
		if (requests.length > 100_000) requests.splice(0, 20_000); // a long `npm start` session
		res.once('close', () => (record.endedAt = Date.now()));
		void dispatch(req, res).catch((err: Error) => {
			if (!res.headersSent && !res.destroyed) {
				sendJson(res, 500, { code: 5000, message: `emulator error: ${err.message}` });
			} else {
				res.destroy();
			}
		});
	});
	server.keepAliveTimeout = 5_000;
	server.headersTimeout = 30_000;
	server.requestTimeout = 0; // long downloads must not be cut
	server.maxHeadersCount = 200;
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	server.on('clientError', (_err, socket) => {
		if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
		else socket.destroy();
	});

	async function dispatch(req: Req, res: Res): Promise<void> {
		const url = new URL(req.url ?? '/', baseUrl || `http://${host}`);
		if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith('/assets/')) {
			req.resume();
			const name = decodeURIComponent(url.pathname.slice('/assets/'.length));
			const file = path.resolve(assetsDir, name);
			const inside = file.startsWith(path.resolve(assetsDir) + path.sep);
			if (!inside || !(await sendFile(req, res, file))) {
				sendJson(res, 404, { code: 404, message: `asset not found: ${name}` });
			}
			return;
		}
		let body: Buffer;
		try {
			body = await readBody(req, maxBodyBytes, throttle.uploadBytesPerSecond ?? undefined);
		} catch (err) {
			if (err instanceof BodyAbortedError) {
				throttle.abortedUploads++;
				return;
			}
			if (err instanceof BodyTooLargeError) {
				sendJson(res, 413, { code: 1200, message: err.message }, { Connection: 'close' });
				return;
			}
			res.destroy();
			return;
		}
		for (const handler of handlers) {
			if (await handler.handle(req, res, url, body)) return;
		}
		sendJson(res, 404, { code: 404, message: `no emulator route for ${req.method} ${url.pathname}` });
	}

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

	let closed: Promise<void> | null = null;
	return {
		url: baseUrl,
		port,
		kling,
		akool,
		mingyan,
		context,
		get uploadBytesPerSecond() {
			return throttle.uploadBytesPerSecond;
		},
		set uploadBytesPerSecond(value: number | null) {
			throttle.uploadBytesPerSecond = value;
		},
		get abortedUploads() {
			return throttle.abortedUploads;
		},
		get requests() {
			return requests;
		},
		mount(handler: ProviderHandler) {
			handlers.push(handler);
		},
		reset() {
			throttle.uploadBytesPerSecond = null;
			throttle.abortedUploads = 0;
			requests = [];
			for (const h of handlers) h.reset();
		},
		close() {
			if (!closed) {
				closed = new Promise<void>((resolve) => {
					for (const h of handlers) h.close?.();
					server.close(() => resolve());
					server.closeAllConnections();
					for (const s of sockets) s.destroy();
				});
			}
			return closed;
		},
	};
}
