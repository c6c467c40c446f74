/**
 * Kling AI emulator: avatar image2video (create / query one / query list), TTS, preset and custom voices,
 * account costs, result files, callbacks, plus a control surface for tests (config, faults,
 * counters, task inspection). Follows /work/shared/provider-apis.md §1. Dev-only code.
 *
 * Mounted at the root (only the Kling routes are claimed there) and under `/kling` (CometAPI-style
 * proxy base URL, where every path is claimed). With `cometApi` on, `/kling` answers errors the way
 * CometAPI does (provider-apis.md §6.2) while the root stays Kling.
 */
import { FaultQueue } from './faults';
import type { DeliveryControl, DeliveryMark } from './deliveryControls';
import { DeliveryControls } from './deliveryControls';
import { randomInt, randomUUID } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { probeAudio } from '../nodes/shared/media/probeAudio';
import { probeImage } from '../nodes/shared/media/probeImage';
import { destroySocket, fetchBuffer, isLocalUrl, postJson, postText, queryInt, requestId, sendFile, sendJson, sleep } from './http';
import type { Req, Res } from './http';
import { verifyHs256 } from './jwt';
import type { KlingTtsVoice, KlingVoice } from './klingVoices';
import { isKlingTtsPair, KLING_CUSTOM_VOICES, KLING_PRESET_VOICES, KLING_TTS_VOICES } from './klingVoices';
import type { EmulatorContext, ProviderHandler } from './server';

// ───────────────────────────── public types ─────────────────────────────

export type KlingTaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';

export interface KlingConfig {
	/** AK of the JWT mode (the JWT `iss`). */
	accessKey: string;
	/** SK of the JWT mode (HS256 key). */
	secretKey: string;
	/** Single API key accepted verbatim as the Bearer token ('' disables the mode). */
	apiKey: string;
	/** Tasks in submitted/processing per account (per access key / per API key). Default 5. */
	concurrencyLimit: number;
	/** Time a task stays `submitted`. Default 1000 ms. */
	submittedMs: number;
	/** Time a task then stays `processing`. Default 3000 ms. */
	processingMs: number;
	/** Allowed audio duration (sound_file and audio_id). Default 2..300 s; at most 60 s in CometAPI mode. */
	audioMinSeconds: number;
	audioMaxSeconds: number;
	/** Decided at creation: a failure message makes the task end `failed`. Default: prompt contains `[[fail]]`. */
	shouldFail: (task: KlingTask) => string | null;
	/** Per-task override of the two phase durations (decided at creation). */
	durationFor?: (task: KlingTask) => { submittedMs?: number; processingMs?: number } | null | undefined;
	/** When set, result videos are the sample MP4 padded with a `free` box to exactly this many bytes (streamed). */
	resultVideoBytes?: number;
	/** Added to every Kling response (including downloads). Default 0. */
	latencyMs: number;
	/**
	 * Failed tasks as real ones arrive (provider-apis.md §6.1): `task_info: {}` and `task_result: {}`
	 * ('empty', default), or with the external id and `videos: []` ('filled').
	 */
	failedTaskShape: 'empty' | 'filled';
	/**
	 * CometAPI mode for the `/kling` mount (provider-apis.md §6.2): successes stay Kling's envelope;
	 * Kling's refusals come nested, `{message, data: {data: {code, message, request_id}, message}}`;
	 * CometAPI's own (key, unknown path) come as `{error: {code: "", message: "… (request id: …)",
	 * type: "comet_api_error"}}`. Only the API key is accepted there (a CometAPI key). Default false.
	 */
	cometApi: boolean;
	/** HTTP status of a nested Kling refusal in CometAPI mode; null: Kling's own status. CometAPI's is not documented [?]. Default null. */
	cometApiUpstreamStatus: number | null;
	/** In CometAPI mode, GET /kling/v1/videos/avatar/image2video/{id} answers CometAPI's 404 (the path is not in its docs, §6.2). Default false. */
	cometApiAvatarQuery404: boolean;
}

export interface KlingTaskTimelineEntry {
	status: KlingTaskStatus;
	/** ms since the epoch */
	at: number;
}

/** A snapshot of one avatar task (as of the call that returned it). */
export interface KlingTask {
	taskId: string;
	/** The access key (JWT mode) or the API key the task was created with. */
	account: string;
	externalTaskId: string | null;
	/** The parsed JSON body received by create. */
	body: Record<string, unknown>;
	mode: 'std' | 'pro';
	prompt: string;
	watermark: boolean;
	callbackUrl: string | null;
	audioSource: 'audio_id' | 'sound_file';
	/** Probed (or TTS) audio duration; null when unknown (e.g. a remote URL). */
	audioDurationSeconds: number | null;
	/** Duration reported for the result video (audio duration, else 5). */
	videoDurationSeconds: number;
	videoId: string;
	/** ms since the epoch */
	createdAt: number;
	submittedMs: number;
	processingMs: number;
	/** Final outcome decided at creation. */
	outcome: 'succeed' | 'failed';
	failMessage: string | null;
	/** Status now (lazy: computed from the clock). */
	status: KlingTaskStatus;
	/** When the task became terminal (ms), null while it is still running. */
	finishedAt: number | null;
	/** When a GET (one or list) first returned the terminal state, null until then. */
	firstTerminalServedAt: number | null;
	/** Status changes that have happened so far. */
	timeline: KlingTaskTimelineEntry[];
}

export type KlingFaultRoute = 'create' | 'get' | 'list' | 'tts' | 'download' | 'any';
export type KlingFaultKind =
	| 'http500'
	| 'http503-5001'
	| 'http429-1302'
	| 'http429-1303'
	/** 1102 "Account balance not enough" with HTTP 429 (provider-apis.md §6.1): permanent, not a rate limit. */
	| 'http429-1102'
	/** 404/1203 "task not found" for a task that exists: one not yet readable just after its create. */
	| 'http404-1203'
	| 'reset'
	| 'reset-after-accept'
	| 'delay';

export interface KlingFault {
	route: KlingFaultRoute;
	fault: KlingFaultKind;
	/** How many matching requests it hits (default 1). */
	times?: number;
	/** For `delay` (default 1000). */
	delayMs?: number;
}

export interface KlingCounters {
	/** Every POST to the create route (including rejected and faulted ones). */
	createRequests: number;
	/** Tasks actually created. */
	createAccepted: number;
	getRequests: number;
	listRequests: number;
	ttsRequests: number;
	/** presets-voices and custom-voices requests. */
	voiceRequests: number;
	/** Result video downloads (GET/HEAD /files/kling/<id>.mp4). */
	downloads: number;
	/** Requests per URL pathname as received (e.g. `/kling/v1/videos/avatar/image2video`). */
	byPath: Record<string, number>;
}

export interface KlingRequestLogEntry {
	method: string;
	/** pathname, without the query string */
	path: string;
	/** ms since the epoch */
	at: number;
}

export interface KlingCallbackDelivery {
	url: string;
	taskId: string;
	taskStatus: KlingTaskStatus;
	/** The receiver's HTTP status, null when it could not be reached. */
	statusCode: number | null;
	error?: string;
	/** The bare task object that was POSTed. */
	body: Record<string, unknown>;
	/** ms since the epoch (when the delivery completed) */
	at: number;
	/** Set when a test control changed this delivery (`lost`: never sent), or for forgeCallback's. */
	control?: DeliveryMark | 'forged';
}

/** A test control on callback deliveries (emulator/deliveryControls.ts); `task` is a task_id or external_task_id. */
export type KlingCallbackControl = DeliveryControl<KlingTaskStatus>;

/** What forgeCallback sends: a callback Kling never sent. */
export interface KlingForgedCallback {
	/**
	 * The task it claims to be about (task_id or external_task_id). A known task's object is used,
	 * with the status (and result) below; an unknown or omitted one gets a made-up task object.
	 */
	task?: string;
	/** The status it claims (default `succeed`). */
	status?: KlingTaskStatus;
	/** For `succeed`: the video URL it claims (default a foreign https URL). */
	videoUrl?: string;
	/** Sent verbatim instead of a task object (any JSON), or as is when a string. */
	body?: unknown;
}

/** The default video URL of a forged `succeed`: not one of the emulator's. */
export const FORGED_VIDEO_URL = 'https://forged.invalid/videos/not-from-kling.mp4';

export interface KlingAudio {
	audioId: string;
	account: string;
	durationSeconds: number;
	text: string;
	voiceId: string;
	voiceLanguage: 'zh' | 'en';
	createdAt: number;
}

export type { KlingTtsVoice, KlingVoice } from './klingVoices';
export { KLING_CUSTOM_VOICES, KLING_PRESET_VOICES, KLING_TTS_VOICES } from './klingVoices';

export interface KlingEmulator extends ProviderHandler {
	/** Mutable at runtime (replace it or change fields). */
	config: KlingConfig;
	readonly counters: KlingCounters;
	readonly requests: KlingRequestLogEntry[];
	readonly callbacks: KlingCallbackDelivery[];
	/** Snapshots of all tasks, oldest first. */
	tasks(): KlingTask[];
	/** Snapshot of one task by task_id or external_task_id (any account). */
	task(id: string): KlingTask | undefined;
	/** Audio ids issued by TTS. */
	audios(): KlingAudio[];
	/** Queues a fault; faults are consumed in order by the first matching request. */
	inject(fault: KlingFault): void;
	/** Faults not consumed yet. */
	pendingFaults(): KlingFault[];
	clearFaults(): void;
	/** The preset voices served by /v1/general/presets-voices (TTS refuses them). */
	readonly voices: readonly KlingVoice[];
	/** The TTS voice catalogue: the only (voice_id, voice_language) pairs TTS accepts. */
	readonly ttsVoices: readonly KlingTtsVoice[];
	/** Adds a test control on callback deliveries: lose, duplicate, delay or reorder them (per task or all). */
	controlCallbacks(control: KlingCallbackControl): void;
	/** Controls still active. */
	callbackControls(): KlingCallbackControl[];
	clearCallbackControls(): void;
	/**
	 * POSTs a callback Kling never sent to `url` (e.g. a `succeed` with a foreign video URL for a
	 * task still running, or for an unknown task). Recorded in `callbacks` with `control: 'forged'`.
	 */
	forgeCallback(url: string, forged?: KlingForgedCallback): Promise<KlingCallbackDelivery>;
	/** Clears tasks, audios, counters, request log, callbacks and faults; restores the startup config. */
	reset(): void;
	close(): void;
}

// ───────────────────────────── constants ─────────────────────────────

export const KLING_DEFAULT_CONFIG: Readonly<KlingConfig> = Object.freeze({
	accessKey: 'emulator-access-key',
	secretKey: 'emulator-secret-key-0123456789',
	apiKey: 'emulator-api-key',
	concurrencyLimit: 5,
	submittedMs: 1000,
	processingMs: 3000,
	audioMinSeconds: 2,
	audioMaxSeconds: 300,
	// An image URL containing "pixel-invalid" is accepted, then fails (provider-apis.md §6.1).
	shouldFail: (task: KlingTask) =>
		typeof task.body.image === 'string' && /^https?:\/\/\S*pixel-invalid/i.test(task.body.image)
			? 'Image pixel is invalid'
			: task.prompt.includes('[[fail]]')
				? 'Failure to pass the risk control system'
				: null,
	latencyMs: 0,
	failedTaskShape: 'empty',
	cometApi: false,
	cometApiUpstreamStatus: null,
	cometApiAvatarQuery404: false,
});

/** HTTP status for each Kling code (provider-apis.md §1.3). */
export const KLING_HTTP_STATUS: Readonly<Record<number, number>> = Object.freeze({
	1000: 401, 1001: 401, 1002: 401, 1003: 401, 1004: 401,
	1100: 429, 1101: 429, 1102: 429, 1103: 403,
	1200: 400, 1201: 400, 1202: 404, 1203: 404,
	1300: 400, 1301: 400, 1302: 429, 1303: 429, 1304: 429,
	5000: 500, 5001: 503, 5002: 504,
});

const MB = 1024 * 1024;
const IMAGE_MAX_BYTES = 10 * MB;
const AUDIO_MAX_BYTES = 5 * MB;
/** CometAPI's avatar page: audio 2–60 s (provider-apis.md §6.2, seed 002). */
export const COMET_API_AUDIO_MAX_SECONDS = 60;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
/**
 * `BASE64_RE.test(text)`, ~4× faster on megabytes (the RegExp was most of the emulator's time in
 * bench P3): whole groups before the last one must decode and encode back to themselves (which
 * holds exactly when they are alphabet characters only, padding aside); the short rest goes through the RegExp.
 */
function isBase64Text(text: string): boolean {
	const cut = Math.max(0, (Math.floor(text.length / 4) - 1) * 4);
	const head = text.slice(0, cut);
	// A head ending in '=' round-trips too ("QQ==" is the code of one byte): padding must end the text.
	return BASE64_RE.test(text.slice(cut)) && !head.endsWith('=') && Buffer.from(head, 'base64').toString('base64') === head;
}
const ZEROS = Buffer.alloc(64 * 1024);

/** Numeric-string task ids like "867283741759111202", unique per process. */
let nextTaskId = 867283741759111202n + BigInt(randomInt(0, 2 ** 40)) * 1000n;
const newTaskId = (): string => {
	nextTaskId += BigInt(randomInt(1, 997));
	return nextTaskId.toString();
};

class KlingError extends Error {
	constructor(
		readonly code: number,
		message: string,
	) {
		super(message);
	}
}
const invalid = (message: string) => new KlingError(1201, message);

/** A refusal of CometAPI's own (not Kling's), in CometAPI mode only. */
class CometError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

// ───────────────────────────── implementation ─────────────────────────────

type Route = 'create' | 'get' | 'list' | 'tts' | 'voices' | 'custom-voices' | 'costs' | 'download' | 'tts-file';

interface TaskRecord {
	seq: number;
	taskId: string;
	account: string;
	externalTaskId: string | null;
	body: Record<string, unknown>;
	mode: 'std' | 'pro';
	prompt: string;
	watermark: boolean;
	callbackUrl: string | null;
	audioSource: 'audio_id' | 'sound_file';
	audioDurationSeconds: number | null;
	videoDurationSeconds: number;
	videoId: string;
	createdAt: number;
	submittedMs: number;
	processingMs: number;
	outcome: 'succeed' | 'failed';
	failMessage: string | null;
	firstTerminalServedAt: number | null;
}

interface Media {
	kind: 'url' | 'bytes';
	bytes?: Buffer;
}

function emptyCounters(): KlingCounters {
	return {
		createRequests: 0,
		createAccepted: 0,
		getRequests: 0,
		listRequests: 0,
		ttsRequests: 0,
		voiceRequests: 0,
		downloads: 0,
		byPath: {},
	};
}

const durationString = (seconds: number): string => String(Math.round(seconds * 100) / 100);

export function createKlingEmulator(ctx: EmulatorContext, overrides: Partial<KlingConfig> = {}): KlingEmulator {
	return new KlingEmulatorImpl(ctx, overrides);
}

class KlingEmulatorImpl implements KlingEmulator {
	config: KlingConfig;
	readonly counters: KlingCounters = emptyCounters();
	readonly requests: KlingRequestLogEntry[] = [];
	readonly callbacks: KlingCallbackDelivery[] = [];
	readonly voices = KLING_PRESET_VOICES;
	readonly ttsVoices = KLING_TTS_VOICES;

	private readonly startupConfig: KlingConfig;
	private records: TaskRecord[] = [];
	private byId = new Map<string, TaskRecord>();
	private audioStore = new Map<string, KlingAudio>();
	private faults = new FaultQueue<KlingFault>();
	private timers = new Set<NodeJS.Timeout>();
	private callbackChains = new Map<string, Promise<void>>();
	private deliveryControls = new DeliveryControls<KlingTaskStatus>();
	/** Deliveries held back by a `reorder` control, per task: sent after the task's next delivery. */
	private held = new Map<string, Array<Record<string, unknown>>>();
	private seq = 0;
	/** Bumped by reset(): deliveries still in flight from before are not recorded. */
	private generation = 0;
	private voiceDurationCache: { mtimeMs: number; size: number; seconds: number | null } | null = null;

	constructor(
		private readonly ctx: EmulatorContext,
		overrides: Partial<KlingConfig>,
	) {
		this.startupConfig = { ...KLING_DEFAULT_CONFIG, ...stripUndefined(overrides) };
		this.config = { ...this.startupConfig };
	}

	// ── control surface ──

	tasks(): KlingTask[] {
		const now = Date.now();
		return this.records.map((r) => this.snapshot(r, now));
	}

	task(id: string): KlingTask | undefined {
		const r = this.byId.get(id) ?? this.records.find((x) => x.externalTaskId === id);
		return r ? this.snapshot(r, Date.now()) : undefined;
	}

	audios(): KlingAudio[] {
		return [...this.audioStore.values()].map((a) => ({ ...a }));
	}

	inject(fault: KlingFault): void {
		this.faults.inject(fault);
	}

	pendingFaults(): KlingFault[] {
		return this.faults.pending();
	}

	clearFaults(): void {
		this.faults.clear();
	}

	controlCallbacks(control: KlingCallbackControl): void {
		this.deliveryControls.add(control);
	}

	callbackControls(): KlingCallbackControl[] {
		return this.deliveryControls.pending();
	}

	clearCallbackControls(): void {
		this.deliveryControls.clear();
	}

	async forgeCallback(url: string, forged: KlingForgedCallback = {}): Promise<KlingCallbackDelivery> {
		const status = forged.status ?? 'succeed';
		let body: unknown = forged.body;
		if (body === undefined) {
			const rec = forged.task === undefined ? undefined : (this.byId.get(forged.task) ?? this.records.find((r) => r.externalTaskId === forged.task));
			const now = Date.now();
			const obj: Record<string, unknown> = rec
				? { ...this.view(rec, now) }
				: { task_id: forged.task ?? newTaskId(), task_info: { external_task_id: '' }, created_at: now - 5000, watermark_info: { enabled: false } };
			obj.task_status = status;
			obj.task_status_msg = status === 'failed' ? 'forged failure' : '';
			obj.updated_at = now;
			if (status === 'succeed') {
				obj.task_result = { videos: [{ id: randomUUID(), url: forged.videoUrl ?? FORGED_VIDEO_URL, duration: '5' }] };
				obj.final_unit_deduction = '1';
			} else {
				delete obj.task_result;
			}
			body = obj;
		}
		const result = typeof body === 'string' ? await postText(url, body) : await postJson(url, body);
		const parsed = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : { raw: body };
		const delivery: KlingCallbackDelivery = {
			url,
			taskId: String(parsed.task_id ?? ''),
			taskStatus: status,
			statusCode: result.statusCode,
			error: result.error,
			body: parsed,
			at: Date.now(),
			control: 'forged',
		};
		this.callbacks.push(delivery);
		return delivery;
	}

	reset(): void {
		this.clearTimers();
		this.generation++;
		this.records = [];
		this.byId.clear();
		this.audioStore.clear();
		this.faults.clear();
		// In place, so references taken before reset() stay live.
		Object.assign(this.counters, emptyCounters());
		this.requests.length = 0;
		this.callbacks.length = 0;
		this.callbackChains.clear();
		this.deliveryControls.clear();
		this.held.clear();
		this.config = { ...this.startupConfig };
	}

	close(): void {
		this.clearTimers();
	}

	private clearTimers(): void {
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
	}

	// ── request entry ──

	async handle(req: Req, res: Res, url: URL, body: Buffer): Promise<boolean> {
		let p = url.pathname;
		let prefixed = false;
		if (p === '/kling' || p.startsWith('/kling/')) {
			prefixed = true;
			p = p.slice('/kling'.length) || '/';
		}
		if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
		const method = req.method ?? 'GET';
		const comet = prefixed && this.config.cometApi;
		const match = matchRoute(method, p);
		if (!match) {
			if (!prefixed) return false;
			this.log(method, url.pathname);
			await sleep(this.config.latencyMs);
			if (comet) this.cometError(res, new CometError(404, `Invalid URL (${method} ${url.pathname})`));
			else this.error(res, 1203, `resource not found: ${url.pathname}`);
			return true;
		}
		this.log(method, url.pathname);
		if (match === 'bad-method') {
			await sleep(this.config.latencyMs);
			this.error(res, 1202, 'Invalid request method', comet);
			return true;
		}
		const { route, id } = match;
		this.count(route);
		await sleep(this.config.latencyMs);
		if (comet && route === 'get' && this.config.cometApiAvatarQuery404) {
			this.cometError(res, new CometError(404, `Invalid URL (${method} ${url.pathname})`));
			return true;
		}

		let resetAfter = false;
		const fault = this.takeFault(route);
		if (fault) {
			switch (fault.fault) {
				case 'delay':
					await sleep(fault.delayMs ?? 1000);
					break;
				case 'reset':
					destroySocket(req, res);
					return true;
				case 'reset-after-accept':
					resetAfter = true;
					break;
				case 'http500':
					this.error(res, 5000, 'Internal server error', comet);
					return true;
				case 'http503-5001':
					this.error(res, 5001, 'Service temporarily unavailable', comet);
					return true;
				case 'http429-1302':
					this.error(res, 1302, 'Request rate too high', comet);
					return true;
				case 'http429-1303':
					this.error(res, 1303, 'parallel task over resource pack limit', comet);
					return true;
				case 'http429-1102':
					this.error(res, 1102, 'Account balance not enough', comet);
					return true;
				case 'http404-1203':
					this.error(res, 1203, 'task not found', comet);
					return true;
			}
		}

		if (route === 'download' || route === 'tts-file') {
			await this.serveFile(req, res, route, id ?? '', resetAfter);
			return true;
		}

		let status: number;
		let payload: Record<string, unknown>;
		try {
			const account = comet ? this.authenticateComet(req) : this.authenticate(req);
			const data = await this.run(route, account, url, body, id, comet);
			status = 200;
			payload = { code: 0, message: 'SUCCEED', request_id: requestId(), data };
		} catch (err) {
			if (err instanceof CometError) {
				status = err.status;
				payload = cometOwnBody(err.message);
			} else {
				const e = err instanceof KlingError ? err : new KlingError(5000, `Internal server error: ${(err as Error).message}`);
				({ status, payload } = this.refusal(e.code, e.message, comet));
			}
		}
		if (resetAfter) destroySocket(req, res);
		else sendJson(res, status, payload);
		return true;
	}

	private log(method: string, pathname: string): void {
		this.requests.push({ method, path: pathname, at: Date.now() });
		this.counters.byPath[pathname] = (this.counters.byPath[pathname] ?? 0) + 1;
	}

	private count(route: Route): void {
		const c = this.counters;
		if (route === 'create') c.createRequests++;
		else if (route === 'get') c.getRequests++;
		else if (route === 'list') c.listRequests++;
		else if (route === 'tts') c.ttsRequests++;
		else if (route === 'voices' || route === 'custom-voices') c.voiceRequests++;
		else if (route === 'download') c.downloads++;
	}

	private takeFault(route: Route): KlingFault | null {
		return this.faults.take((r) => r === 'any' || r === route || (r === 'download' && route === 'tts-file')) ?? null;
	}

	private error(res: Res, code: number, message: string, comet = false): void {
		const { status, payload } = this.refusal(code, message, comet);
		sendJson(res, status, payload);
	}

	/** Kling's refusal: its envelope, or in CometAPI mode nested the way CometAPI relays it (provider-apis.md §6.2). */
	private refusal(code: number, message: string, comet: boolean): { status: number; payload: Record<string, unknown> } {
		const own = KLING_HTTP_STATUS[code] ?? 400;
		const kling = { code, message, request_id: requestId() };
		if (!comet) return { status: own, payload: kling };
		return { status: this.config.cometApiUpstreamStatus ?? own, payload: { message, data: { data: kling, message } } };
	}

	private cometError(res: Res, error: CometError): void {
		sendJson(res, error.status, cometOwnBody(error.message));
	}

	/** CometAPI checks its own key (sent as Bearer) before relaying anything; Kling's JWTs mean nothing there. */
	private authenticateComet(req: Req): string {
		const header = req.headers.authorization ?? '';
		const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
		if (!this.config.apiKey || token !== this.config.apiKey) throw new CometError(401, 'Invalid token');
		return this.config.apiKey;
	}

	/** Returns the account (access key or API key) or throws 1001..1004. */
	private authenticate(req: Req): string {
		const header = req.headers.authorization;
		if (header === undefined || header.trim() === '') throw new KlingError(1001, 'Authorization is empty');
		if (!header.startsWith('Bearer ')) throw new KlingError(1002, 'Authorization is invalid');
		const token = header.slice('Bearer '.length);
		if (token === '') throw new KlingError(1001, 'Authorization is empty');
		if (/\s/.test(token)) throw new KlingError(1002, 'Authorization is invalid');
		const cfg = this.config;
		if (cfg.apiKey && token === cfg.apiKey) return cfg.apiKey;
		const result = verifyHs256(token, (iss) => (iss === cfg.accessKey ? cfg.secretKey : undefined));
		if (result.ok) return cfg.accessKey;
		if (result.reason === 'nbf') throw new KlingError(1003, 'Authorization is not active (nbf is in the future)');
		if (result.reason === 'exp') throw new KlingError(1004, 'Authorization has expired');
		throw new KlingError(1002, 'Authorization is invalid');
	}

	private run(route: Route, account: string, url: URL, body: Buffer, id: string | undefined, comet: boolean): Promise<unknown> | unknown {
		switch (route) {
			case 'create':
				return this.create(account, body, comet);
			case 'get':
				return this.getOne(account, id ?? '');
			case 'list':
				return this.list(account, url);
			case 'tts':
				return this.tts(account, body);
			case 'voices':
				return this.voiceList(url, 'presets-voices', KLING_PRESET_VOICES);
			case 'custom-voices':
				return this.voiceList(url, 'custom-voices', KLING_CUSTOM_VOICES);
			case 'costs':
				return this.costs(account, url);
			default:
				throw new KlingError(1203, 'resource not found');
		}
	}

	// ── avatar create ──

	private async create(account: string, raw: Buffer, comet = false): Promise<unknown> {
		const body = parseJsonObject(raw);
		const cfg = this.config;

		const image = optString(body, 'image');
		if (!image) throw invalid('image is required');
		const audioId = optString(body, 'audio_id');
		const soundFile = optString(body, 'sound_file');
		if (audioId && soundFile) throw invalid('audio_id and sound_file are mutually exclusive: provide only one');
		if (!audioId && !soundFile) throw invalid('either audio_id or sound_file is required');
		const prompt = optString(body, 'prompt') ?? '';
		if (prompt.length > 2500) throw invalid('prompt cannot exceed 2500 characters');
		const modeRaw = optString(body, 'mode') ?? 'std';
		if (modeRaw !== 'std' && modeRaw !== 'pro') throw invalid(`mode must be std or pro, got "${modeRaw}"`);
		const mode: 'std' | 'pro' = modeRaw;
		let watermark = false;
		if (body.watermark_info !== undefined && body.watermark_info !== null) {
			const wm = body.watermark_info as Record<string, unknown>;
			if (typeof wm !== 'object' || Array.isArray(wm)) throw invalid('watermark_info must be an object');
			if (wm.enabled !== undefined && typeof wm.enabled !== 'boolean') throw invalid('watermark_info.enabled must be a boolean');
			watermark = wm.enabled === true;
		}
		const callbackUrl = optString(body, 'callback_url') || null;
		if (callbackUrl !== null && !/^https?:\/\/[^\s]+$/i.test(callbackUrl)) throw invalid('callback_url must be an http(s) URL');
		const externalTaskId = optString(body, 'external_task_id') || null;

		// Media checks (may fetch local URLs).
		const img = await this.loadMedia(image, 'image', IMAGE_MAX_BYTES);
		if (img.bytes) checkImage(img.bytes);
		let audioDurationSeconds: number | null = null;
		if (audioId) {
			const audio = this.audioStore.get(audioId);
			if (!audio) throw invalid('audio_id not found');
			audioDurationSeconds = audio.durationSeconds;
		} else {
			const snd = await this.loadMedia(soundFile as string, 'sound_file', AUDIO_MAX_BYTES);
			if (snd.bytes) audioDurationSeconds = checkAudio(snd.bytes);
		}
		if (audioDurationSeconds !== null) {
			const { audioMinSeconds: min } = this.config;
			// CometAPI's avatar page allows 2–60 s of audio (provider-apis.md §6.2).
			const max = comet ? Math.min(this.config.audioMaxSeconds, COMET_API_AUDIO_MAX_SECONDS) : this.config.audioMaxSeconds;
			if (audioDurationSeconds < min || audioDurationSeconds > max) {
				throw invalid(`audio duration must be between ${min} and ${max} seconds (got ${durationString(audioDurationSeconds)} s)`);
			}
		}

		// Synchronous from here on: no other request can interleave between the checks and the insert.
		if (externalTaskId !== null && this.records.some((r) => r.account === account && r.externalTaskId === externalTaskId)) {
			throw invalid('external_task_id already exists');
		}
		const now = Date.now();
		const running = this.records.filter((r) => r.account === account && !this.isTerminalAt(r, now)).length;
		if (running >= this.config.concurrencyLimit) throw new KlingError(1303, 'parallel task over resource pack limit');

		const rec: TaskRecord = {
			seq: ++this.seq,
			taskId: newTaskId(),
			account,
			externalTaskId,
			body,
			mode,
			prompt,
			watermark,
			callbackUrl,
			audioSource: audioId ? 'audio_id' : 'sound_file',
			audioDurationSeconds,
			videoDurationSeconds: audioDurationSeconds ?? 5,
			videoId: randomUUID(),
			createdAt: now,
			submittedMs: Math.max(0, cfg.submittedMs),
			processingMs: Math.max(0, cfg.processingMs),
			outcome: 'succeed',
			failMessage: null,
			firstTerminalServedAt: null,
		};
		const override = cfg.durationFor?.(this.snapshot(rec, now));
		if (override) {
			if (typeof override.submittedMs === 'number') rec.submittedMs = Math.max(0, override.submittedMs);
			if (typeof override.processingMs === 'number') rec.processingMs = Math.max(0, override.processingMs);
		}
		const failMessage = cfg.shouldFail(this.snapshot(rec, now));
		if (failMessage) {
			rec.outcome = 'failed';
			rec.failMessage = failMessage;
		}
		this.records.push(rec);
		this.byId.set(rec.taskId, rec);
		this.counters.createAccepted++;
		this.scheduleCallbacks(rec);

		return {
			task_id: rec.taskId,
			task_status: 'submitted',
			task_info: { external_task_id: rec.externalTaskId ?? '' },
			created_at: rec.createdAt,
			updated_at: rec.createdAt,
		};
	}

	/** URL → accepted as is, or fetched when local; otherwise raw base64 (no data: prefix). */
	private async loadMedia(value: string, field: 'image' | 'sound_file', maxBytes: number): Promise<Media> {
		const label = field === 'image' ? 'image' : 'sound_file';
		if (/^data:/i.test(value.trim())) {
			throw invalid(`${label} must be a URL or raw Base64 without a data: prefix (remove "data:...;base64,")`);
		}
		if (/^https?:\/\//i.test(value)) {
			let u: URL;
			try {
				u = new URL(value);
			} catch {
				throw invalid(`${label} is not a valid URL`);
			}
			if (!isLocalUrl(u)) return { kind: 'url' }; // no internet here: trusted as is
			let got: { status: number; body: Buffer; tooLarge: boolean };
			try {
				got = await fetchBuffer(u.toString(), maxBytes);
			} catch (err) {
				throw invalid(`${label} URL could not be downloaded: ${(err as Error).message}`);
			}
			if (got.tooLarge) throw invalid(`${label} exceeds ${maxBytes / MB}MB`);
			if (got.status !== 200) throw invalid(`${label} URL could not be downloaded (HTTP ${got.status})`);
			return { kind: 'bytes', bytes: got.body };
		}
		const compact = value.replace(/[\r\n]/g, '');
		if (compact.length % 4 === 1 || !isBase64Text(compact)) {
			throw invalid(`${label} is neither an http(s) URL nor valid Base64`);
		}
		if (Math.floor((compact.length * 3) / 4) > maxBytes + 3) throw invalid(`${label} exceeds ${maxBytes / MB}MB`);
		const bytes = Buffer.from(compact, 'base64');
		if (bytes.length > maxBytes) throw invalid(`${label} exceeds ${maxBytes / MB}MB`);
		return { kind: 'bytes', bytes };
	}

	// ── avatar query ──

	private getOne(account: string, id: string): unknown {
		// Lookup by task_id, then by external_task_id, within the caller's account. The code for an
		// unknown id is our guess (404/1203, provider-apis.md §4).
		let rec = this.byId.get(id);
		if (rec && rec.account !== account) rec = undefined;
		rec ??= this.records.find((r) => r.account === account && r.externalTaskId === id);
		if (!rec) throw new KlingError(1203, 'task not found');
		const now = Date.now();
		this.markServed(rec, now);
		return this.view(rec, now);
	}

	private list(account: string, url: URL): unknown {
		const pageNum = queryInt(url, 'pageNum') ?? 1;
		const pageSize = queryInt(url, 'pageSize') ?? 30;
		if (!Number.isInteger(pageNum) || pageNum < 1 || pageNum > 1000) throw invalid('pageNum must be an integer between 1 and 1000');
		if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) throw invalid('pageSize must be an integer between 1 and 500');
		const now = Date.now();
		const mine = this.records
			.filter((r) => r.account === account)
			.sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq)
			.slice((pageNum - 1) * pageSize, pageNum * pageSize);
		return mine.map((r) => {
			this.markServed(r, now);
			return this.view(r, now);
		});
	}

	private markServed(rec: TaskRecord, now: number): void {
		if (rec.firstTerminalServedAt === null && this.isTerminalAt(rec, now)) rec.firstTerminalServedAt = now;
	}

	// ── lifecycle ──

	private processingAt(r: TaskRecord): number {
		return r.createdAt + r.submittedMs;
	}

	private terminalAt(r: TaskRecord): number {
		return r.createdAt + r.submittedMs + r.processingMs;
	}

	private isTerminalAt(r: TaskRecord, at: number): boolean {
		return at >= this.terminalAt(r);
	}

	private statusAt(r: TaskRecord, at: number): KlingTaskStatus {
		if (at >= this.terminalAt(r)) return r.outcome;
		if (at >= this.processingAt(r)) return 'processing';
		return 'submitted';
	}

	private timelineAt(r: TaskRecord, at: number): KlingTaskTimelineEntry[] {
		const out: KlingTaskTimelineEntry[] = [{ status: 'submitted', at: r.createdAt }];
		const p = this.processingAt(r);
		const t = this.terminalAt(r);
		if (at >= p && p < t) out.push({ status: 'processing', at: p });
		if (at >= t) out.push({ status: r.outcome, at: t });
		return out;
	}

	/** The provider's task object as of `at` (query `data`, list items and callback bodies). */
	private view(r: TaskRecord, at: number): Record<string, unknown> {
		const status = this.statusAt(r, at);
		const updatedAt = status === 'submitted' ? r.createdAt : status === 'processing' ? this.processingAt(r) : this.terminalAt(r);
		const base = this.ctx.baseUrl();
		const obj: Record<string, unknown> = {
			task_id: r.taskId,
			task_status: status,
			task_status_msg: status === 'failed' ? (r.failMessage ?? '') : '',
			task_info: { external_task_id: r.externalTaskId ?? '' },
			created_at: r.createdAt,
			updated_at: updatedAt,
			watermark_info: { enabled: r.watermark },
		};
		if (status === 'succeed') {
			const video: Record<string, unknown> = {
				id: r.videoId,
				url: `${base}/files/kling/${r.taskId}.mp4`,
				duration: durationString(r.videoDurationSeconds),
			};
			if (r.watermark) video.watermark_url = `${base}/files/kling/${r.taskId}_wm.mp4`;
			obj.task_result = { videos: [video] };
			const units = r.mode === 'pro' ? 2 : 1;
			obj.final_unit_deduction = String(units);
			// Newer task objects (provider-apis.md §6.1); the emulator's price is made up.
			obj.final_balance_deduction = { quota: units, list_price: units * 0.5 };
		} else if (status === 'failed') {
			if (this.config.failedTaskShape === 'empty') {
				// As a real failed task arrives (provider-apis.md §6.1): no external id, no videos.
				obj.task_info = {};
				obj.task_result = {};
			} else {
				obj.task_result = { videos: [] };
			}
			obj.final_unit_deduction = '0';
			obj.final_balance_deduction = { quota: 0, list_price: 0 };
		}
		return obj;
	}

	private snapshot(r: TaskRecord, now: number): KlingTask {
		const terminal = this.isTerminalAt(r, now);
		return {
			taskId: r.taskId,
			account: r.account,
			externalTaskId: r.externalTaskId,
			body: r.body,
			mode: r.mode,
			prompt: r.prompt,
			watermark: r.watermark,
			callbackUrl: r.callbackUrl,
			audioSource: r.audioSource,
			audioDurationSeconds: r.audioDurationSeconds,
			videoDurationSeconds: r.videoDurationSeconds,
			videoId: r.videoId,
			createdAt: r.createdAt,
			submittedMs: r.submittedMs,
			processingMs: r.processingMs,
			outcome: r.outcome,
			failMessage: r.failMessage,
			status: this.statusAt(r, now),
			finishedAt: terminal ? this.terminalAt(r) : null,
			firstTerminalServedAt: r.firstTerminalServedAt,
			timeline: this.timelineAt(r, now),
		};
	}

	// ── callbacks ──

	private scheduleCallbacks(r: TaskRecord): void {
		if (!r.callbackUrl) return;
		// One delivery per status change, in order (a 0 ms processing phase is skipped, like the timeline).
		const statuses: Array<{ at: number; status: KlingTaskStatus }> = [{ status: 'submitted', at: r.createdAt }];
		if (r.processingMs > 0) statuses.push({ status: 'processing', at: this.processingAt(r) });
		statuses.push({ status: r.outcome, at: this.terminalAt(r) });
		for (const s of statuses) {
			const timer = setTimeout(() => {
				this.timers.delete(timer);
				this.deliver(r, s.status, s.at);
			}, Math.max(0, s.at - Date.now()));
			timer.unref();
			this.timers.add(timer);
		}
	}

	private deliver(r: TaskRecord, status: KlingTaskStatus, at: number): void {
		const url = r.callbackUrl as string;
		// Body as of the status change (the status itself forced, for 0 ms phases).
		const body: Record<string, unknown> = { ...this.view(r, Math.max(at, r.createdAt)), task_status: status };
		if (status !== 'failed') body.task_status_msg = '';
		if (status === 'submitted' || status === 'processing') {
			delete body.task_result;
			delete body.final_unit_deduction;
			delete body.final_balance_deduction;
			body.task_info = { external_task_id: r.externalTaskId ?? '' };
			body.updated_at = status === 'submitted' ? r.createdAt : this.processingAt(r);
		}
		const gen = this.generation;
		const terminal = status === 'succeed' || status === 'failed';
		const send = async (payload: Record<string, unknown>, control?: DeliveryMark) => {
			const result = await postJson(url, payload);
			if (gen !== this.generation) return;
			const delivered: KlingCallbackDelivery = {
				url,
				taskId: r.taskId,
				taskStatus: payload.task_status as KlingTaskStatus,
				statusCode: result.statusCode,
				error: result.error,
				body: payload,
				at: Date.now(),
			};
			if (control) delivered.control = control;
			this.callbacks.push(delivered);
		};
		const control = this.deliveryControls.take([r.taskId, r.externalTaskId], status);
		if (control?.action === 'lose') {
			this.callbacks.push({ url, taskId: r.taskId, taskStatus: status, statusCode: null, error: 'lost (test control)', body, at: Date.now(), control: 'lost' });
			return;
		}
		if (control?.action === 'delay') {
			// Outside the in-order chain: later status changes overtake it.
			const timer = setTimeout(() => {
				this.timers.delete(timer);
				void send(body, 'delayed');
			}, Math.max(0, control.delayMs ?? 1000));
			timer.unref();
			this.timers.add(timer);
			return;
		}
		if (control?.action === 'reorder' && !terminal) {
			const list = this.held.get(r.taskId) ?? [];
			list.push(body);
			this.held.set(r.taskId, list);
			return;
		}
		// Deliveries held back by `reorder` before this one go out right after it (taken now: one
		// held while an earlier delivery is still in flight must wait for this one, not that one).
		const held = this.held.get(r.taskId) ?? [];
		this.held.delete(r.taskId);
		const prev = this.callbackChains.get(r.taskId) ?? Promise.resolve();
		const next = prev.then(async () => {
			await send(body);
			if (control?.action === 'duplicate') {
				for (let n = 0; n < Math.max(1, Math.floor(control.copies ?? 1)); n++) await send(body, 'duplicate');
			}
			if (gen !== this.generation) return;
			for (const late of held) await send(late, 'reordered');
		});
		this.callbackChains.set(r.taskId, next);
		if (terminal) {
			void next.then(() => {
				if (this.callbackChains.get(r.taskId) === next) this.callbackChains.delete(r.taskId);
			});
		}
	}

	// ── TTS, voices, costs ──

	private async tts(account: string, raw: Buffer): Promise<unknown> {
		const body = parseJsonObject(raw);
		const text = optString(body, 'text');
		if (!text || text.trim() === '') throw invalid('text is required');
		if (text.length > 1000) throw invalid('text cannot exceed 1000 characters');
		const voiceId = optString(body, 'voice_id');
		if (!voiceId) throw invalid('voice_id is required');
		const language = optString(body, 'voice_language') ?? 'zh';
		if (language !== 'zh' && language !== 'en') throw invalid('voice_language must be zh or en');
		let speed = 1;
		if (body.voice_speed !== undefined && body.voice_speed !== null) {
			if (typeof body.voice_speed !== 'number' || !Number.isFinite(body.voice_speed)) throw invalid('voice_speed must be a number');
			speed = Math.round(Math.min(2, Math.max(0.8, body.voice_speed)) * 10) / 10;
		}
		void speed;
		// Only TTS catalogue pairs; presets/custom ids and mismatched pairs get 1201 (provider-apis.md §6.1).
		if (!isKlingTtsPair(voiceId, language)) throw invalid('Voice id not found');
		const durationSeconds = (await this.voiceDuration()) ?? 3;
		const now = Date.now();
		const audioId = randomUUID();
		this.audioStore.set(audioId, { audioId, account, durationSeconds, text, voiceId, voiceLanguage: language, createdAt: now });
		return {
			task_id: newTaskId(),
			task_status: 'succeed',
			task_status_msg: '',
			task_result: {
				audios: [{ id: audioId, url: `${this.ctx.baseUrl()}/files/kling/tts/${audioId}.mp3`, duration: durationString(durationSeconds) }],
			},
			final_unit_deduction: '1',
			created_at: now,
			updated_at: now,
		};
	}

	private async voiceDuration(): Promise<number | null> {
		const file = path.join(this.ctx.assetsDir, 'voice.mp3');
		try {
			const st = await fsp.stat(file);
			const c = this.voiceDurationCache;
			if (c && c.mtimeMs === st.mtimeMs && c.size === st.size) return c.seconds;
			const seconds = probeAudio(await fsp.readFile(file)).durationSeconds;
			this.voiceDurationCache = { mtimeMs: st.mtimeMs, size: st.size, seconds };
			return seconds;
		} catch {
			return null;
		}
	}

	/** presets-voices / custom-voices: one `data[]` entry whose task_result holds the page of voices (S8). */
	private voiceList(url: URL, taskId: string, all: readonly KlingVoice[]): unknown {
		const pageNum = queryInt(url, 'pageNum') ?? 1;
		const pageSize = queryInt(url, 'pageSize') ?? 30;
		if (!Number.isInteger(pageNum) || pageNum < 1 || pageNum > 1000) throw invalid('pageNum must be an integer between 1 and 1000');
		if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) throw invalid('pageSize must be an integer between 1 and 500');
		const trial = `${this.ctx.baseUrl()}/assets/voice.mp3`;
		const voices = all.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((v) => ({ ...v, trial_url: trial }));
		const now = Date.now();
		return [{ task_id: taskId, task_status: 'succeed', task_result: { voices }, created_at: now, updated_at: now }];
	}

	private costs(account: string, url: URL): unknown {
		const start = queryInt(url, 'start_time');
		const end = queryInt(url, 'end_time');
		if (start === undefined || end === undefined) throw invalid('start_time and end_time are required (Unix ms)');
		if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
			throw invalid('start_time and end_time must be Unix ms with start_time <= end_time');
		}
		const now = Date.now();
		const used = this.records
			.filter((r) => r.account === account && r.outcome === 'succeed' && this.isTerminalAt(r, now))
			.reduce((sum, r) => sum + (r.mode === 'pro' ? 2 : 1), 0);
		const day = 86_400_000;
		const name = url.searchParams.get('resource_pack_name');
		const packs = [
			{
				resource_pack_name: 'Avatar video pack (emulator)',
				resource_pack_id: 'emulator-pack-0001',
				resource_pack_type: 'decreasing_total',
				total_quantity: 1000,
				remaining_quantity: Math.max(0, 1000 - used),
				purchase_time: now - 30 * day,
				effective_time: now - 30 * day,
				invalid_time: now + 335 * day,
				status: 'online',
			},
		].filter((p) => !name || p.resource_pack_name === name);
		return { code: 0, msg: '', resource_pack_subscribe_infos: packs };
	}

	// ── files ──

	private async serveFile(req: Req, res: Res, route: 'download' | 'tts-file', name: string, truncate: boolean): Promise<void> {
		if (route === 'tts-file') {
			const audioId = name.replace(/\.mp3$/, '');
			const file = path.join(this.ctx.assetsDir, 'voice.mp3');
			if (!this.audioStore.has(audioId) || !(await sendFile(req, res, file, 'audio/mpeg'))) {
				sendJson(res, 404, { code: 1203, message: 'file not found', request_id: requestId() });
			}
			return;
		}
		const m = /^(.+?)(_wm)?\.mp4$/.exec(name);
		const rec = m ? this.byId.get(m[1]) : undefined;
		const now = Date.now();
		if (!m || !rec || this.statusAt(rec, now) !== 'succeed' || (m[2] && !rec.watermark)) {
			sendJson(res, 404, { code: 1203, message: 'file not found', request_id: requestId() });
			return;
		}
		const sample = path.join(this.ctx.assetsDir, 'sample.mp4');
		let sampleSize: number;
		try {
			sampleSize = (await fsp.stat(sample)).size;
		} catch {
			sendJson(res, 500, { code: 5000, message: 'emulator asset sample.mp4 is missing', request_id: requestId() });
			return;
		}
		const padding = paddingFor(sampleSize, this.config.resultVideoBytes);
		const total = sampleSize + padding;
		res.writeHead(200, {
			'Content-Type': 'video/mp4',
			'Content-Length': String(total),
			'Content-Disposition': `inline; filename="${name}"`,
		});
		if (req.method === 'HEAD') {
			res.end();
			return;
		}
		let sent = 0;
		const limit = truncate ? Math.min(64 * 1024, Math.floor(total / 2)) : Infinity;
		async function* chunks(): AsyncGenerator<Buffer> {
			for await (const chunk of createReadStream(sample, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
				yield chunk;
			}
			if (padding > 0) {
				yield freeBoxHeader(padding);
				let left = padding - freeBoxHeader(padding).length;
				while (left > 0) {
					const n = Math.min(left, ZEROS.length);
					yield n === ZEROS.length ? ZEROS : ZEROS.subarray(0, n);
					left -= n;
				}
			}
		}
		async function* limited(): AsyncGenerator<Buffer> {
			for await (const chunk of chunks()) {
				if (sent + chunk.length >= limit) {
					yield chunk.subarray(0, Math.max(0, limit - sent));
					sent = limit;
					return;
				}
				sent += chunk.length;
				yield chunk;
			}
		}
		try {
			await pipeline(Readable.from(truncate ? limited() : chunks(), { objectMode: false }), res, { end: !truncate });
		} catch {
			// client went away
		}
		if (truncate) {
			// reset-after-accept on a download: headers and part of the body, then the connection drops.
			destroySocket(req, res);
		}
	}
}

// ───────────────────────────── helpers ─────────────────────────────

/** CometAPI's own error body; the request id sits in the message (provider-apis.md §6.2). */
function cometOwnBody(message: string): Record<string, unknown> {
	return { error: { code: '', message: `${message} (request id: ${requestId().replace(/-/g, '').slice(0, 20)})`, type: 'comet_api_error' } };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
	return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type RouteMatch = { route: Route; id?: string } | 'bad-method' | null;

function matchRoute(method: string, p: string): RouteMatch {
	const isGet = method === 'GET' || method === 'HEAD';
	const avatar = '/v1/videos/avatar/image2video';
	if (p === avatar) return method === 'POST' ? { route: 'create' } : isGet ? { route: 'list' } : 'bad-method';
	if (p.startsWith(`${avatar}/`)) {
		const rest = p.slice(avatar.length + 1);
		if (rest.includes('/')) return null;
		return isGet ? { route: 'get', id: safeDecode(rest) } : 'bad-method';
	}
	if (p === '/v1/audio/tts') return method === 'POST' ? { route: 'tts' } : 'bad-method';
	if (p === '/v1/general/presets-voices') return isGet ? { route: 'voices' } : 'bad-method';
	if (p === '/v1/general/custom-voices') return isGet ? { route: 'custom-voices' } : 'bad-method';
	if (p === '/account/costs') return isGet ? { route: 'costs' } : 'bad-method';
	if (p.startsWith('/files/kling/tts/')) {
		const rest = p.slice('/files/kling/tts/'.length);
		return isGet && !rest.includes('/') ? { route: 'tts-file', id: safeDecode(rest) } : null;
	}
	if (p.startsWith('/files/kling/')) {
		const rest = p.slice('/files/kling/'.length);
		return isGet && !rest.includes('/') ? { route: 'download', id: safeDecode(rest) } : null;
	}
	return null;
}

function safeDecode(s: string): string {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

function parseJsonObject(raw: Buffer): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(raw.toString('utf8'));
	} catch {
		throw new KlingError(1200, 'Invalid request parameters: the body must be JSON');
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw new KlingError(1200, 'Invalid request parameters: the body must be a JSON object');
	}
	return value as Record<string, unknown>;
}

/** A string field; '' / absent → undefined-ish ('' kept as ''), wrong type → 1201. */
function optString(body: Record<string, unknown>, key: string): string | undefined {
	const v = body[key];
	if (v === undefined || v === null) return undefined;
	if (typeof v !== 'string') throw invalid(`${key} must be a string`);
	return v;
}

function checkImage(bytes: Buffer): void {
	if (bytes.length > IMAGE_MAX_BYTES) throw invalid('image exceeds 10MB');
	const info = probeImage(bytes);
	if (info.format !== 'png' && info.format !== 'jpeg') {
		throw invalid(`image format must be jpg/jpeg/png (got ${info.format})`);
	}
	if (info.width === null || info.height === null) throw invalid('image could not be decoded');
	if (info.width < 300 || info.height < 300) {
		throw invalid(`image width and height must be at least 300px (got ${info.width}x${info.height})`);
	}
	const ratio = info.width / info.height;
	if (ratio > 2.5 || ratio < 1 / 2.5) {
		throw invalid(`image aspect ratio must be between 1:2.5 and 2.5:1 (got ${info.width}x${info.height})`);
	}
}

/** Returns the probed duration (null when the probe can't tell: accepted, the real service decodes it). */
function checkAudio(bytes: Buffer): number | null {
	if (bytes.length > AUDIO_MAX_BYTES) throw invalid('sound_file exceeds 5MB');
	const info = probeAudio(bytes);
	if (!['mp3', 'wav', 'm4a', 'aac'].includes(info.format)) {
		throw invalid(`sound_file format must be mp3/wav/m4a/aac (got ${info.format})`);
	}
	return info.durationSeconds;
}

/** Bytes of padding (a whole `free` box) to reach `target`; 0 when no target or it can't be reached exactly. */
function paddingFor(sampleSize: number, target: number | undefined): number {
	if (target === undefined || !Number.isFinite(target)) return 0;
	const pad = Math.floor(target) - sampleSize;
	return pad >= 8 ? pad : 0;
}

/** ISO-BMFF `free` box header for a box of `boxSize` bytes (64-bit largesize past 4 GiB). */
function freeBoxHeader(boxSize: number): Buffer {
	if (boxSize <= 0xffffffff) {
		const h = Buffer.alloc(8);
		h.writeUInt32BE(boxSize, 0);
		h.write('free', 4, 'latin1');
		return h;
	}
	const h = Buffer.alloc(16);
	h.writeUInt32BE(1, 0);
	h.write('free', 4, 'latin1');
	h.writeBigUInt64BE(BigInt(boxSize), 8);
	return h;
}
