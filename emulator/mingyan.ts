/**
 * Mingyan / GlobalAiOpc "kyy" DigitalHuman lip-sync emulator (provider-apis.md §3, seed 004).
 * Dev-only code.
 *
 * Routes (all under /kyyReactApiServer; anything else is left to other handlers):
 *   POST /kyyReactApiServer/v1/digitalHuman/videos   create (Bearer key)
 *   GET  /kyyReactApiServer/v1/result/{id}           query  (Bearer key)
 *   GET  /kyyReactApiServer/files/{id}.mp4           the result video (no auth, like a CDN link)
 *
 * Lifecycle is lazy and clock-driven: queued for `queuedMs`, processing for `processingMs`, then
 * completed (video_url + md5) or failed (error). Answers are flat like the docs, or wrapped as
 * `{code, message, data: {...}}` when `wrapInData` is on (both shapes are seen in the wild).
 * Like the real API (per the docs), URLs that are not http(s) or that contain non-ASCII characters
 * are refused with 400 `{error}`, so tests prove the node encoded them.
 *
 * A 404 has the real service's body `{"message": …}`: an unknown route answers
 * `{"message":"No handler found for GET /kyyReactApiServer/…"}` (provider-apis.md §6.4).
 */
import { FaultQueue } from './faults';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { destroySocket, sendJson, sleep } from './http';
import type { Req, Res } from './http';
import type { EmulatorContext, ProviderHandler } from './server';

export type MingyanStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface MingyanConfig {
	/** The accepted Bearer key. */
	apiKey: string;
	/** Time a task stays `queued`. Default 500 ms. */
	queuedMs: number;
	/** Time a task then stays `processing`. Default 1500 ms. */
	processingMs: number;
	/** Decided at creation: a message makes the task end `failed`. Default: videoUrl contains `mingyan-fail`. */
	shouldFail: (task: MingyanTaskSnapshot) => string | null;
	/** Answer `{code: 0, message, data: {...}}` instead of the documented flat body. Default false. */
	wrapInData: boolean;
	/** Publish an md5 that does not match the served file. Default false. */
	wrongMd5: boolean;
	/** Leave `md5` out of completed results. Default false. */
	omitMd5: boolean;
	/** Serve only the first half of the video (with a matching Content-Length, so HTTP sees no error). Default false. */
	truncateDownload: boolean;
	/**
	 * What GET /v1/result/{unknown id} answers with a good key. The real answer is not known
	 * (provider-apis.md §6.4 [?]), so both are offered: 200 with a `failed` task object (default),
	 * or 404 with `{message}` like the service's other 404s. Tests of the credential and of Get run
	 * against both.
	 */
	unknownIdStatus: 200 | 404;
	/** `created` in seconds (default, OpenAI-style) or milliseconds. */
	createdUnit: 's' | 'ms';
	/** Added to every response. Default 0. */
	latencyMs: number;
}

export interface MingyanTaskSnapshot {
	id: string;
	/** The parsed JSON body received by create. */
	body: Record<string, unknown>;
	model: string;
	videoUrl: string;
	audioUrl: string;
	modelVersion: number | undefined;
	/** ms since the epoch */
	createdAt: number;
	outcome: 'completed' | 'failed';
	failMessage: string | null;
	status: MingyanStatus;
}

export interface MingyanCounters {
	/** Every POST to the create route (including refused and faulted ones). */
	createRequests: number;
	/** Tasks actually created. */
	createAccepted: number;
	resultRequests: number;
	downloads: number;
	/** Requests refused with 401. */
	unauthorized: number;
}

export interface MingyanRequestLogEntry {
	method: string;
	/** The raw request target as received (path + query, not decoded). */
	url: string;
	/** The raw request body text ('' for GET). */
	body: string;
	/** ms since the epoch */
	at: number;
}

export type MingyanFaultRoute = 'create' | 'result' | 'download';
export type MingyanFaultKind = 'http500' | 'http429' | 'reset' | 'reset-after-accept';

export interface MingyanFault {
	route: MingyanFaultRoute;
	fault: MingyanFaultKind;
	/** How many matching requests it hits (default 1). */
	times?: number;
}

export interface MingyanEmulator extends ProviderHandler {
	/** Mutable at runtime. */
	config: MingyanConfig;
	readonly counters: MingyanCounters;
	/** Every request under /kyyReactApiServer, in order. */
	readonly requests: MingyanRequestLogEntry[];
	/** The exact audioUrl / videoUrl strings received by create (accepted or not), in order. */
	readonly receivedUrls: Array<{ audioUrl: unknown; videoUrl: unknown }>;
	tasks(): MingyanTaskSnapshot[];
	task(id: string): MingyanTaskSnapshot | undefined;
	/** MD5 (hex) of the file served for completed tasks. */
	sampleMd5(): Promise<string>;
	inject(fault: MingyanFault): void;
	clearFaults(): void;
	reset(): void;
}

export const MINGYAN_PREFIX = '/kyyReactApiServer';

export const MINGYAN_DEFAULT_CONFIG: Readonly<MingyanConfig> = Object.freeze({
	apiKey: 'emulator-mingyan-key',
	queuedMs: 500,
	processingMs: 1500,
	shouldFail: (task: MingyanTaskSnapshot) => (task.videoUrl.includes('mingyan-fail') ? 'face not detected in the video' : null),
	wrapInData: false,
	wrongMd5: false,
	omitMd5: false,
	truncateDownload: false,
	unknownIdStatus: 200 as const,
	createdUnit: 's' as const,
	latencyMs: 0,
});

const AUDIO_FORMATS = ['mp4', 'mp3', 'wav', 'm4a', 'aac'];

interface TaskRecord {
	id: string;
	body: Record<string, unknown>;
	model: string;
	videoUrl: string;
	audioUrl: string;
	modelVersion: number | undefined;
	createdAt: number;
	queuedMs: number;
	processingMs: number;
	outcome: 'completed' | 'failed';
	failMessage: string | null;
}

class BadRequest extends Error {}

const emptyCounters = (): MingyanCounters => ({ createRequests: 0, createAccepted: 0, resultRequests: 0, downloads: 0, unauthorized: 0 });

export function createMingyanEmulator(ctx: EmulatorContext, overrides: Partial<MingyanConfig> = {}): MingyanEmulator {
	const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<MingyanConfig>;
	const startup: MingyanConfig = { ...MINGYAN_DEFAULT_CONFIG, ...defined };
	const records = new Map<string, TaskRecord>();
	const faults = new FaultQueue<MingyanFault>();
	let sampleCache: Buffer | null = null;

	const loadSample = async (): Promise<Buffer> => {
		if (!sampleCache) sampleCache = await fsp.readFile(path.join(ctx.assetsDir, 'sample.mp4'));
		return sampleCache;
	};

	const statusAt = (r: TaskRecord, now: number): MingyanStatus => {
		if (now < r.createdAt + r.queuedMs) return 'queued';
		if (now < r.createdAt + r.queuedMs + r.processingMs) return 'processing';
		return r.outcome;
	};

	const snapshot = (r: TaskRecord): MingyanTaskSnapshot => ({
		id: r.id,
		body: r.body,
		model: r.model,
		videoUrl: r.videoUrl,
		audioUrl: r.audioUrl,
		modelVersion: r.modelVersion,
		createdAt: r.createdAt,
		outcome: r.outcome,
		failMessage: r.failMessage,
		status: statusAt(r, Date.now()),
	});

	const emu: MingyanEmulator = {
		config: { ...startup },
		counters: emptyCounters(),
		requests: [],
		receivedUrls: [],
		tasks: () => [...records.values()].map(snapshot),
		task: (id) => {
			const r = records.get(id);
			return r ? snapshot(r) : undefined;
		},
		sampleMd5: async () => createHash('md5').update(await loadSample()).digest('hex'),
		inject(fault) {
			faults.inject(fault);
		},
		clearFaults() {
			faults.clear();
		},
		reset() {
			records.clear();
			faults.clear();
			Object.assign(emu.counters, emptyCounters());
			emu.requests.length = 0;
			emu.receivedUrls.length = 0;
			emu.config = { ...startup };
		},
		async handle(req: Req, res: Res, url: URL, body: Buffer): Promise<boolean> {
			if (url.pathname !== MINGYAN_PREFIX && !url.pathname.startsWith(`${MINGYAN_PREFIX}/`)) return false;
			const method = req.method ?? 'GET';
			emu.requests.push({ method, url: req.url ?? '', body: body.toString('utf8'), at: Date.now() });
			let p = url.pathname.slice(MINGYAN_PREFIX.length);
			if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
			await sleep(emu.config.latencyMs);

			const route: MingyanFaultRoute | null =
				p === '/v1/digitalHuman/videos' ? 'create' : p.startsWith('/v1/result/') ? 'result' : p.startsWith('/files/') ? 'download' : null;
			if (!route) {
				// The service's own answer for a path it does not serve (Spring-style, §6.4).
				sendJson(res, 404, { message: `No handler found for ${method} ${url.pathname}` });
				return true;
			}
			const isGet = method === 'GET' || method === 'HEAD';
			if ((route === 'create' && method !== 'POST') || (route !== 'create' && !isGet)) {
				sendJson(res, 405, { error: `method ${method} not allowed` });
				return true;
			}
			if (route === 'create') emu.counters.createRequests++;
			else if (route === 'result') emu.counters.resultRequests++;
			else emu.counters.downloads++;

			let resetAfter = false;
			const fault = takeFault(route);
			if (fault === 'reset') {
				destroySocket(req, res);
				return true;
			}
			if (fault === 'http500') {
				sendJson(res, 500, { error: 'internal server error' });
				return true;
			}
			if (fault === 'http429') {
				sendJson(res, 429, { error: 'too many requests' });
				return true;
			}
			if (fault === 'reset-after-accept') resetAfter = true;

			if (route === 'download') {
				await serveVideo(req, res, p.slice('/files/'.length), resetAfter);
				return true;
			}

			const auth = String(req.headers.authorization ?? '');
			if (auth !== `Bearer ${emu.config.apiKey}`) {
				emu.counters.unauthorized++;
				sendJson(res, 401, { error: auth ? 'Unauthorized: invalid API key' : 'Unauthorized: missing Authorization header' });
				return true;
			}

			let status = 200;
			let payload: Record<string, unknown>;
			try {
				if (route === 'create') {
					payload = create(body);
				} else {
					const id = safeDecode(p.slice('/v1/result/'.length));
					const r = records.get(id);
					if (r) {
						payload = view(r, await loadSample());
					} else if (emu.config.unknownIdStatus === 404) {
						status = 404;
						payload = { message: `task ${id} not found` };
					} else {
						payload = { id, object: 'video', created: 0, model: '', status: 'failed', video_url: '', md5: '', error: 'task not found' };
					}
				}
			} catch (err) {
				if (!(err instanceof BadRequest)) throw err;
				status = 400;
				payload = { error: err.message };
			}
			if (resetAfter) {
				destroySocket(req, res);
				return true;
			}
			const wrap = emu.config.wrapInData && status === 200;
			sendJson(res, status, wrap ? { code: 0, message: 'success', data: payload } : payload);
			return true;
		},
	};

	function takeFault(route: MingyanFaultRoute): MingyanFaultKind | undefined {
		return faults.take((r) => r === route)?.fault;
	}

	function create(raw: Buffer): Record<string, unknown> {
		let body: Record<string, unknown>;
		try {
			const parsed: unknown = JSON.parse(raw.toString('utf8'));
			if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
			body = parsed as Record<string, unknown>;
		} catch {
			throw new BadRequest('the body must be a JSON object');
		}
		emu.receivedUrls.push({ audioUrl: body.audioUrl, videoUrl: body.videoUrl });
		const model = body.model;
		if (typeof model !== 'string' || !model) throw new BadRequest('model is required');
		if (model !== 'kyy_digitalHuman') throw new BadRequest(`unknown model: ${model}`);
		const videoUrl = checkUrl(body.videoUrl, 'videoUrl');
		const audioUrl = checkUrl(body.audioUrl, 'audioUrl');
		const ext = /\.([a-z0-9]+)$/i.exec(new URL(audioUrl).pathname)?.[1]?.toLowerCase();
		if (ext && /^(mp3|wav|m4a|aac|mp4|flac|ogg|opus|wma|amr|jpg|jpeg|png|gif|webp|txt|pdf)$/.test(ext) && !AUDIO_FORMATS.includes(ext)) {
			throw new BadRequest(`unsupported audio format: ${ext}`);
		}
		for (const key of ['modelVersion', 'sideFace', 'tiltedFace']) {
			const v = body[key];
			if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v))) throw new BadRequest(`${key} must be an integer`);
		}
		if (body.modelVersion !== undefined && body.modelVersion !== 1 && body.modelVersion !== 2) throw new BadRequest('modelVersion must be 1 or 2');
		for (const key of ['sideFace', 'tiltedFace']) {
			if (body[key] !== undefined && body[key] !== 0 && body[key] !== 1) throw new BadRequest(`${key} must be 0 or 1`);
		}
		const r: TaskRecord = {
			id: `dh_${randomBytes(12).toString('hex')}`,
			body,
			model,
			videoUrl,
			audioUrl,
			modelVersion: body.modelVersion as number | undefined,
			createdAt: Date.now(),
			queuedMs: emu.config.queuedMs,
			processingMs: emu.config.processingMs,
			outcome: 'completed',
			failMessage: null,
		};
		const failMessage = emu.config.shouldFail(snapshot(r));
		if (failMessage) {
			r.outcome = 'failed';
			r.failMessage = failMessage;
		}
		records.set(r.id, r);
		emu.counters.createAccepted++;
		return { id: r.id, object: 'video', created: created(r), model: r.model, status: 'queued', error: '' };
	}

	function created(r: TaskRecord): number {
		return emu.config.createdUnit === 'ms' ? r.createdAt : Math.floor(r.createdAt / 1000);
	}

	function view(r: TaskRecord, sample: Buffer): Record<string, unknown> {
		const status = statusAt(r, Date.now());
		const out: Record<string, unknown> = { id: r.id, object: 'video', created: created(r), model: r.model, status, video_url: '', md5: '', error: '' };
		if (status === 'completed') {
			out.video_url = `${ctx.baseUrl()}${MINGYAN_PREFIX}/files/${r.id}.mp4`;
			const md5 = createHash('md5').update(sample).digest('hex');
			if (emu.config.omitMd5) delete out.md5;
			else out.md5 = emu.config.wrongMd5 ? md5.replace(/^./, (c) => (c === '0' ? '1' : '0')) : md5;
		} else if (status === 'failed') {
			out.error = r.failMessage ?? 'failed';
		}
		return out;
	}

	async function serveVideo(req: Req, res: Res, name: string, resetAfter: boolean): Promise<void> {
		const id = safeDecode(name).replace(/\.mp4$/, '');
		const r = records.get(id);
		if (!r || statusAt(r, Date.now()) !== 'completed') {
			sendJson(res, 404, { message: 'file not found' });
			return;
		}
		const sample = await loadSample();
		const bytes = emu.config.truncateDownload ? sample.subarray(0, Math.floor(sample.length / 2)) : sample;
		res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': String(bytes.length) });
		if (req.method === 'HEAD') {
			res.end();
			return;
		}
		if (resetAfter) {
			// Headers and part of the body, then the connection drops.
			res.write(bytes.subarray(0, Math.floor(bytes.length / 4)));
			await sleep(20);
			destroySocket(req, res);
			return;
		}
		res.end(bytes);
	}

	return emu;
}

/** Validates a media URL like the real API: network (http/https) URLs only, no non-ASCII characters. */
function checkUrl(value: unknown, field: string): string {
	if (typeof value !== 'string' || !value) throw new BadRequest(`${field} is required`);
	if (/[^\x00-\x7f]/.test(value)) throw new BadRequest(`${field} must not contain Chinese (non-ASCII) characters; percent-encode them`);
	let u: URL;
	try {
		u = new URL(value);
	} catch {
		throw new BadRequest(`${field} must be a network URL, not a local file path`);
	}
	if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BadRequest(`${field} must be an http(s) network URL`);
	return value;
}

function safeDecode(s: string): string {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}
