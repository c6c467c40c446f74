/**
 * Akool emulator (provider-apis.md §2, §6.3 wins where they differ): getToken + both auth modes,
 * the `{code,msg,data}` envelope, avatar list / detail / create, talking-avatar create, get by
 * video_model_id, a real MP4 result, and encrypted + signed webhooks on every status change.
 * Dev-only code.
 *
 * Answers follow §6.3: a numeric `uid`; the create answer carries `task_id` and `video_id`, other IDs
 * than `_id` (which infobymodelid takes); infobymodelid carries the cost in `deduction_duration`;
 * the error codes are the fuller list (1005 rate limit as a fault, 1008 / 1014 for unknown IDs,
 * 1104 for credit, 1222 for a duplicate avatar ID). Element offsets are read as the element's
 * centre (§6.3), which the videos' `layout` reports.
 *
 * All routes live under /api/open/v3/ at the root (base URL = the emulator URL). Result videos
 * are served without auth from /api/open/v3/emulator/files/<_id>.mp4.
 */
import { FaultQueue } from './faults';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { akoolEncrypt, akoolSign } from './akoolCrypto';
import type { DeliveryControl, DeliveryMark } from './deliveryControls';
import { DeliveryControls } from './deliveryControls';
import { destroySocket, postJson, postText, queryInt, sendFile, sendJson, sleep } from './http';
import type { Req, Res } from './http';
import { signHs256 } from './jwt';
import type { EmulatorContext, ProviderHandler } from './server';

// ───────────────────────────── public types ─────────────────────────────

export type AkoolStatus = 1 | 2 | 3 | 4;

export interface AkoolConfig {
	/** getToken pair; also the webhook IV (clientId) and AES key (clientSecret: 16, 24 or 32 bytes). */
	clientId: string;
	clientSecret: string;
	/** Accepted in x-api-key. Akool: the API key is the same value as the client secret. */
	apiKey: string;
	/** Lifetime of tokens from getToken. Default one year. */
	tokenTtlMs: number;
	/** HTTP status of auth errors (1101, 1102). Akool does not document it; default 200 (the code carries the error). */
	authErrorHttpStatus: number;
	/** Time a video stays queueing (1), then processing (2). Defaults 1000 / 3000 ms. */
	queueMs: number;
	processingMs: number;
	/** Same for uploaded avatars. Defaults 500 / 1500 ms. */
	avatarQueueMs: number;
	avatarProcessingMs: number;
	/** Decided at creation: a reason makes the video end with status 4. Default: the audio URL contains "fail". */
	shouldFail: (video: AkoolVideo) => string | null;
	/** Decided at upload: a reason makes the avatar end with status 4. Default: the video URL contains "fail". */
	avatarShouldFail: (avatar: AkoolAvatarRecord) => string | null;
	/** Credits left; each video costs 1, 0 left → code 1006. Default Infinity. */
	credits: number;
	/** Every authenticated request answers code 1200. */
	banned: boolean;
	/** The account's `uid`: a number in real answers (provider-apis.md §6.3). */
	uid: number;
	/**
	 * The code for running out of credit: 1006 "Your quota is not enough" (the talking-avatar page,
	 * default) or 1104 "insufficient credit" (the error-code page). Which one Akool sends is not known.
	 */
	creditsExhaustedCode: 1006 | 1104;
	/**
	 * What infobymodelid and avatar/detail answer for an unknown ID (not known, §6.3 [?]): code 1008
	 * "content not exist" (default), 1014 "resource does not exist", or code 1000 with `data: null`.
	 */
	unknownIdAnswer: 1008 | 1014 | 'null-data';
	/** `deduction_duration` of a completed video (0 before, and for a failed one). Unit not documented; default 5. */
	deductionDuration: number;
	/** Shape of the avatar list `data`: `{result: [...]}` (official demo, default) or a bare array (doc table). */
	avatarListShape: 'result' | 'array';
	/** Webhook deliveries retried this many times after a non-200 answer (default 2, 100 ms apart). */
	webhookRetries: number;
	webhookRetryDelayMs: number;
	/** Added to every response. Default 0. */
	latencyMs: number;
}

/** A talking-avatar video (snapshot). */
export interface AkoolVideo {
	_id: string;
	/** Another ID in the create answer; infobymodelid does not take it. */
	task_id: string;
	/** A UUID, also in the answers. */
	video_id: string;
	uid: number;
	/** The parsed JSON body received by create. */
	body: Record<string, unknown>;
	avatarFrom: 2 | 3;
	avatarId: string | null;
	avatarUrl: string | null;
	audioUrl: string;
	background: string | null;
	webhookUrl: string | null;
	createdAt: number;
	queueMs: number;
	processingMs: number;
	outcome: 3 | 4;
	failReason: string | null;
	/** Where each image / avatar element lands on the canvas, reading offsets as its centre. */
	layout: AkoolElementBox[];
	/** Status now (lazy: computed from the clock). */
	status: AkoolStatus;
}

/**
 * An element's box on the 3840 × 2160 canvas under the centre reading of offset_x / offset_y
 * (provider-apis.md §6.3); its size is width × scale_x by height × scale_y (scale's role is [I]).
 */
export interface AkoolElementBox {
	type: 'image' | 'avatar';
	left: number;
	top: number;
	right: number;
	bottom: number;
	/** The share of the canvas the element covers, 0..1. */
	canvasCovered: number;
	/** The share of the element inside the canvas, 0..1. */
	visible: number;
}

export interface AkoolAvatarRecord {
	_id: string;
	uid: number;
	avatar_id: string;
	name: string;
	type: 1 | 2;
	from: 2 | 3;
	url: string;
	url_from: number | null;
	createdAt: number;
	queueMs: number;
	processingMs: number;
	outcome: 3 | 4;
	failReason: string | null;
	status: AkoolStatus;
}

export type AkoolFaultRoute = 'getToken' | 'create' | 'get' | 'list' | 'detail' | 'avatarCreate' | 'download' | 'any';
export interface AkoolFault {
	route: AkoolFaultRoute;
	/** http500 / http503 / http429: bare HTTP errors; reset: connection dropped before processing;
	 * reset-after-accept: processed (a video is created), then the connection is dropped;
	 * code: HTTP 200 with `code` / `msg`; rateLimit: code 1005 "Frequent operation", Akool's rate
	 * limit (nothing is processed: a refused create creates no video); delay: `delayMs` more latency. */
	fault: 'http500' | 'http503' | 'http429' | 'reset' | 'reset-after-accept' | 'code' | 'rateLimit' | 'delay';
	code?: number;
	msg?: string;
	delayMs?: number;
	/** How many matching requests it hits (default 1). */
	times?: number;
}

export interface AkoolCounters {
	tokenRequests: number;
	tokensIssued: number;
	/** Requests refused with 1101 / 1102. */
	authFailures: number;
	createRequests: number;
	createAccepted: number;
	getRequests: number;
	listRequests: number;
	detailRequests: number;
	avatarCreateRequests: number;
	downloads: number;
	/** Requests per pathname. */
	byPath: Record<string, number>;
}

export interface AkoolRequestLogEntry {
	method: string;
	path: string;
	/** How the request authenticated. */
	auth: 'token' | 'apiKey' | 'none';
	/** The query parameters as received. */
	query: Record<string, string>;
	/** The business code answered (or the HTTP status for bare errors). */
	code: number | null;
	at: number;
}

export interface AkoolWebhookDelivery {
	url: string;
	videoId: string;
	status: AkoolStatus;
	/** The receiver's HTTP status, null when unreachable. */
	statusCode: number | null;
	error?: string;
	attempt: number;
	/** What was POSTed: `{signature, dataEncrypt, timestamp, nonce}`. */
	body: { signature: string; dataEncrypt: string; timestamp: number; nonce: string };
	/** The plain payload inside dataEncrypt. */
	payload: { _id: string; status: AkoolStatus; type: string; url?: string };
	at: number;
	/** Set when a test control changed this delivery (`lost`: never sent). */
	control?: DeliveryMark;
}

/** A test control on webhook deliveries (emulator/deliveryControls.ts); `task` is the video `_id`. */
export type AkoolWebhookControl = DeliveryControl<AkoolStatus>;

/**
 * Deliveries Akool never sent, for receiver tests:
 * - `signed`: signed and encrypted correctly (a lie only the fetch of the video can catch);
 * - `badSignature`: encrypted correctly, the signature altered;
 * - `wrongKey`: signed correctly (the signature covers no secret), encrypted with another secret;
 * - `oldTimestamp`: signed and encrypted correctly, `ageMs` old (default 2 h, beyond the trigger's 1 h window): a replay;
 * - `futureTimestamp`: the same, `ageMs` in the future;
 * - `replay`: a recorded delivery (`of`, default the last one) sent again verbatim;
 * - `garbage`: `body` (default a JSON object of the right keys with nonsense values) as is.
 */
export type AkoolForgery = 'signed' | 'badSignature' | 'wrongKey' | 'oldTimestamp' | 'futureTimestamp' | 'replay' | 'garbage';

export interface AkoolForgedWebhook {
	/** The video it claims to be about (`_id`); default a made-up one. */
	video?: string;
	/** The plain payload (default `{_id, status: 3, type: 'avatar', url: <foreign URL>}`). */
	payload?: Record<string, unknown>;
	/** oldTimestamp / futureTimestamp: how far off (default 2 h). */
	ageMs?: number;
	/** replay: the delivery to send again (default the last recorded one). */
	of?: AkoolWebhookDelivery;
	/** garbage: sent as is (a string is sent as text with a JSON content type). */
	body?: unknown;
}

export interface AkoolForgedDelivery {
	url: string;
	kind: AkoolForgery;
	/** What was POSTed. */
	body: unknown;
	statusCode: number | null;
	error?: string;
	at: number;
}

/** The default result URL of a forged completion: not one of the emulator's. */
export const FORGED_AKOOL_VIDEO_URL = 'https://forged.invalid/akool/not-from-akool.mp4';

export interface AkoolEmulator extends ProviderHandler {
	config: AkoolConfig;
	readonly counters: AkoolCounters;
	readonly requests: AkoolRequestLogEntry[];
	readonly webhooks: AkoolWebhookDelivery[];
	videos(): AkoolVideo[];
	video(id: string): AkoolVideo | undefined;
	/** Official (seeded) and uploaded avatars. */
	avatars(): AkoolAvatarRecord[];
	/** Invalidates every token issued so far (the next request with one gets code 1101). */
	revokeTokens(): void;
	inject(fault: AkoolFault): void;
	pendingFaults(): AkoolFault[];
	clearFaults(): void;
	/** Adds a test control on webhook deliveries: lose, duplicate, delay or reorder them (per video or all). */
	controlWebhooks(control: AkoolWebhookControl): void;
	/** Controls still active. */
	webhookControls(): AkoolWebhookControl[];
	clearWebhookControls(): void;
	/** POSTs a delivery Akool never sent (see AkoolForgery); recorded in `forgedWebhooks`, not in `webhooks`. */
	forgeWebhook(url: string, kind: AkoolForgery, forged?: AkoolForgedWebhook): Promise<AkoolForgedDelivery>;
	readonly forgedWebhooks: AkoolForgedDelivery[];
	reset(): void;
	close(): void;
}

// ───────────────────────────── constants ─────────────────────────────

export const AKOOL_DEFAULT_CONFIG: Readonly<AkoolConfig> = Object.freeze({
	clientId: 'emulatorClientId',
	clientSecret: 'emulatorClientSecret0123',
	apiKey: 'emulatorClientSecret0123',
	tokenTtlMs: 365 * 86_400_000,
	authErrorHttpStatus: 200,
	queueMs: 1000,
	processingMs: 3000,
	avatarQueueMs: 500,
	avatarProcessingMs: 1500,
	shouldFail: (video: AkoolVideo) => (/fail/i.test(video.audioUrl) ? 'Audio could not be processed' : null),
	avatarShouldFail: (avatar: AkoolAvatarRecord) => (/fail/i.test(avatar.url) ? 'No clear face found in the video' : null),
	credits: Infinity,
	banned: false,
	uid: 1_004_217,
	creditsExhaustedCode: 1006,
	unknownIdAnswer: 1008,
	deductionDuration: 5,
	avatarListShape: 'result',
	webhookRetries: 2,
	webhookRetryDelayMs: 100,
	latencyMs: 0,
});

/** Akool's codes and messages (provider-apis.md §2.2 and §6.3). */
export const AKOOL_MESSAGES: Readonly<Record<number, string>> = Object.freeze({
	1000: 'OK',
	1003: 'Parameter error or Parameter can not be empty',
	1005: 'Frequent operation',
	1006: 'Your quota is not enough',
	1008: 'content not exist',
	1014: 'resource does not exist',
	1101: 'Invalid authorization or The request token has expired',
	1102: 'Authorization cannot be empty',
	1104: 'insufficient credit',
	1109: 'create avatar video error',
	1200: 'The account has been banned',
	1201: 'Create audio error, please try again later',
	1222: 'resource already exists',
});

/** Seeded official avatars belong to Akool's own account. */
const AKOOL_UID = 1;

/** Seeded official avatars (from 2). */
const OFFICIAL_AVATARS: ReadonlyArray<{ avatar_id: string; name: string; type: 1 | 2 }> = [
	{ avatar_id: 'dvp_Tristan_cloth2_1080P', name: 'Tristan', type: 1 },
	{ avatar_id: 'dvp_Alinna_emotionsit_20250116', name: 'Alinna', type: 1 },
	{ avatar_id: 'dvp_Sean_agriculture_1080P', name: 'Sean', type: 1 },
	{ avatar_id: 'dvp_Emma_streaming', name: 'Emma', type: 2 },
];

const PREFIX = '/api/open/v3';
/** The canvas Akool requires ("must be 3840 × 2160"). */
const CANVAS_W = 3840;
const CANVAS_H = 2160;
const FILES = `${PREFIX}/emulator/files/`;
const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
/** Signs emulator tokens (opaque to clients). */
const TOKEN_SIGNING_KEY = randomBytes(32).toString('hex');

class AkoolError extends Error {
	constructor(
		readonly code: number,
		message = AKOOL_MESSAGES[code] ?? 'error',
	) {
		super(message);
	}
}

/** 24-hex ObjectId like "68c6ea80f0eec691e9056319". */
const objectId = (): string => Math.floor(Date.now() / 1000).toString(16).padStart(8, '0') + randomBytes(8).toString('hex');

type Route = 'getToken' | 'list' | 'detail' | 'avatarCreate' | 'create' | 'get' | 'download';

interface VideoRecord extends Omit<AkoolVideo, 'status'> {
	firstTerminalServedAt: number | null;
}
type AvatarRecord = Omit<AkoolAvatarRecord, 'status'>;

interface Account {
	uid: number;
	auth: 'token' | 'apiKey';
}

// ───────────────────────────── implementation ─────────────────────────────

export function createAkoolEmulator(ctx: EmulatorContext, overrides: Partial<AkoolConfig> = {}): AkoolEmulator {
	return new AkoolEmulatorImpl(ctx, overrides);
}

function emptyCounters(): AkoolCounters {
	return {
		tokenRequests: 0,
		tokensIssued: 0,
		authFailures: 0,
		createRequests: 0,
		createAccepted: 0,
		getRequests: 0,
		listRequests: 0,
		detailRequests: 0,
		avatarCreateRequests: 0,
		downloads: 0,
		byPath: {},
	};
}

class AkoolEmulatorImpl implements AkoolEmulator {
	config: AkoolConfig;
	readonly counters: AkoolCounters = emptyCounters();
	readonly requests: AkoolRequestLogEntry[] = [];
	readonly webhooks: AkoolWebhookDelivery[] = [];
	readonly forgedWebhooks: AkoolForgedDelivery[] = [];

	private readonly startupConfig: AkoolConfig;
	private deliveryControls = new DeliveryControls<AkoolStatus>();
	/** Deliveries held back by a `reorder` control, per video: sent after the video's next delivery. */
	private held = new Map<string, AkoolStatus[]>();
	private videoRecords: VideoRecord[] = [];
	private avatarRecords: AvatarRecord[] = [];
	private tokens = new Map<string, { exp: number; revoked: boolean }>();
	private faults = new FaultQueue<AkoolFault>();
	private timers = new Set<NodeJS.Timeout>();
	private generation = 0;

	constructor(
		private readonly ctx: EmulatorContext,
		overrides: Partial<AkoolConfig>,
	) {
		const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<AkoolConfig>;
		this.startupConfig = { ...AKOOL_DEFAULT_CONFIG, ...defined };
		this.config = { ...this.startupConfig };
		this.seed();
	}

	// ── control surface ──

	videos(): AkoolVideo[] {
		const now = Date.now();
		return this.videoRecords.map((r) => this.videoSnapshot(r, now));
	}

	video(id: string): AkoolVideo | undefined {
		const r = this.videoRecords.find((v) => v._id === id);
		return r ? this.videoSnapshot(r, Date.now()) : undefined;
	}

	avatars(): AkoolAvatarRecord[] {
		const now = Date.now();
		return this.avatarRecords.map((a) => ({ ...a, url: a.url || `${this.ctx.baseUrl()}/assets/sample.mp4`, status: this.statusOf(a.createdAt, a.queueMs, a.processingMs, a.outcome, now) }));
	}

	revokeTokens(): void {
		for (const t of this.tokens.values()) t.revoked = true;
	}

	inject(fault: AkoolFault): void {
		this.faults.inject(fault);
	}

	pendingFaults(): AkoolFault[] {
		return this.faults.pending();
	}

	clearFaults(): void {
		this.faults.clear();
	}

	controlWebhooks(control: AkoolWebhookControl): void {
		this.deliveryControls.add(control);
	}

	webhookControls(): AkoolWebhookControl[] {
		return this.deliveryControls.pending();
	}

	clearWebhookControls(): void {
		this.deliveryControls.clear();
	}

	async forgeWebhook(url: string, kind: AkoolForgery, forged: AkoolForgedWebhook = {}): Promise<AkoolForgedDelivery> {
		const { clientId, clientSecret } = this.config;
		const payload = forged.payload ?? { _id: forged.video ?? objectId(), status: 3, type: 'avatar', url: FORGED_AKOOL_VIDEO_URL };
		// Beyond the trigger's default window (1 h), so the forgery means "outside the window".
		const age = forged.ageMs ?? 2 * 3600_000;
		const timestamp = kind === 'oldTimestamp' ? Date.now() - age : kind === 'futureTimestamp' ? Date.now() + age : Date.now();
		const nonce = String(randomInt(1000, 10000));
		let body: unknown;
		if (kind === 'replay') {
			const of = forged.of ?? this.webhooks[this.webhooks.length - 1];
			if (!of) throw new Error('forgeWebhook replay: no delivery recorded yet');
			body = of.body;
		} else if (kind === 'garbage') {
			body = forged.body ?? { signature: 'not-a-signature', dataEncrypt: '%%% not base64 %%%', timestamp: 'yesterday', nonce: { n: 1 } };
		} else {
			// Another secret of the same length (so AES still takes it): the real one reversed, or shifted.
			const reversed = [...clientSecret].reverse().join('');
			const otherSecret = reversed !== clientSecret ? reversed : clientSecret.replace(/./g, (c) => (c === 'x' ? 'y' : 'x'));
			const dataEncrypt = akoolEncrypt(payload, clientId, kind === 'wrongKey' ? otherSecret : clientSecret);
			let signature = akoolSign(clientId, timestamp, nonce, dataEncrypt);
			if (kind === 'badSignature') signature = (signature[0] === '0' ? '1' : '0') + signature.slice(1);
			body = { signature, dataEncrypt, timestamp, nonce };
		}
		const result = typeof body === 'string' ? await postText(url, body) : await postJson(url, body);
		const delivery: AkoolForgedDelivery = { url, kind, body, statusCode: result.statusCode, error: result.error, at: Date.now() };
		this.forgedWebhooks.push(delivery);
		return delivery;
	}

	reset(): void {
		this.close();
		this.generation++;
		this.videoRecords = [];
		this.tokens.clear();
		this.faults.clear();
		Object.assign(this.counters, emptyCounters());
		this.requests.length = 0;
		this.webhooks.length = 0;
		this.forgedWebhooks.length = 0;
		this.deliveryControls.clear();
		this.held.clear();
		this.config = { ...this.startupConfig };
		this.seed();
	}

	close(): void {
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
	}

	private seed(): void {
		const at = Date.now() - 86_400_000;
		this.avatarRecords = OFFICIAL_AVATARS.map((a, n) => ({
			_id: `64f0a1b2c3d4e5f6a7b8c9${n.toString(16).padStart(2, '0')}`,
			uid: AKOOL_UID,
			avatar_id: a.avatar_id,
			name: a.name,
			type: a.type,
			from: 2,
			// Filled in per view: the server's URL is not known yet at construction.
			url: '',
			url_from: 1,
			createdAt: at,
			queueMs: 0,
			processingMs: 0,
			outcome: 3,
			failReason: null,
		}));
	}

	// ── request entry ──

	async handle(req: Req, res: Res, url: URL, body: Buffer): Promise<boolean> {
		let p = url.pathname;
		if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
		const method = req.method ?? 'GET';
		const route = matchRoute(method, p);
		if (!route) return false;
		this.counters.byPath[url.pathname] = (this.counters.byPath[url.pathname] ?? 0) + 1;
		this.count(route);
		await sleep(this.config.latencyMs);

		const fault = this.takeFault(route);
		let resetAfter = false;
		if (fault) {
			switch (fault.fault) {
				case 'delay':
					await sleep(fault.delayMs ?? 1000);
					break;
				case 'reset':
					this.log(method, url, 'none', null);
					destroySocket(req, res);
					return true;
				case 'reset-after-accept':
					resetAfter = true;
					break;
				case 'http500':
				case 'http503':
				case 'http429': {
					const status = Number(fault.fault.slice(4));
					this.log(method, url, 'none', status);
					sendJson(res, status, { message: status === 429 ? 'Too Many Requests' : 'Internal Server Error' });
					return true;
				}
				case 'code':
				case 'rateLimit': {
					const code = fault.fault === 'rateLimit' ? 1005 : (fault.code ?? 1003);
					this.log(method, url, 'none', code);
					sendJson(res, 200, { code, msg: fault.msg ?? AKOOL_MESSAGES[code] ?? 'error' });
					return true;
				}
			}
		}

		if (route === 'download') {
			this.log(method, url, 'none', null);
			await this.download(req, res, p.slice(FILES.length));
			return true;
		}

		let account: Account | undefined;
		let status = 200;
		let payload: Record<string, unknown>;
		try {
			if (route === 'getToken') {
				payload = this.getToken(body);
			} else {
				account = this.authenticate(req);
				if (this.config.banned) throw new AkoolError(1200);
				payload = { code: 1000, msg: 'OK', data: this.dispatch(route, account, url, body) };
			}
		} catch (error) {
			if (!(error instanceof AkoolError)) throw error;
			if (error.code === 1101 || error.code === 1102) {
				this.counters.authFailures++;
				status = this.config.authErrorHttpStatus;
			}
			payload = { code: error.code, msg: error.message };
		}
		this.log(method, url, account?.auth ?? 'none', Number(payload.code));
		if (resetAfter) {
			destroySocket(req, res);
			return true;
		}
		sendJson(res, status, payload);
		return true;
	}

	private dispatch(route: Route, account: Account, url: URL, body: Buffer): unknown {
		switch (route) {
			case 'list':
				return this.list(account, url);
			case 'detail':
				return this.detail(account, url);
			case 'avatarCreate':
				return this.avatarCreate(account, body);
			case 'create':
				return this.create(account, body);
			case 'get':
				return this.get(account, url);
			default:
				throw new AkoolError(1003, 'unknown route');
		}
	}

	private count(route: Route): void {
		const c = this.counters;
		if (route === 'getToken') c.tokenRequests++;
		else if (route === 'create') c.createRequests++;
		else if (route === 'get') c.getRequests++;
		else if (route === 'list') c.listRequests++;
		else if (route === 'detail') c.detailRequests++;
		else if (route === 'avatarCreate') c.avatarCreateRequests++;
		else if (route === 'download') c.downloads++;
	}

	private log(method: string, url: URL, auth: AkoolRequestLogEntry['auth'], code: number | null): void {
		this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), auth, code, at: Date.now() });
	}

	private takeFault(route: Route): AkoolFault | undefined {
		return this.faults.take((r) => r === route || (r === 'any' && route !== 'download'));
	}

	// ── auth ──

	private getToken(raw: Buffer): Record<string, unknown> {
		const body = parseJson(raw);
		if (typeof body.clientId !== 'string' || typeof body.clientSecret !== 'string' || !body.clientId || !body.clientSecret) {
			throw new AkoolError(1003, 'clientId and clientSecret are required');
		}
		if (body.clientId !== this.config.clientId || body.clientSecret !== this.config.clientSecret) {
			throw new AkoolError(1101, 'Invalid clientId or clientSecret');
		}
		const now = Date.now();
		const exp = now + this.config.tokenTtlMs;
		const token = signHs256({ uid: this.config.uid, iat: Math.floor(now / 1000), exp: Math.floor(exp / 1000), jti: randomUUID() }, TOKEN_SIGNING_KEY);
		this.tokens.set(token, { exp, revoked: false });
		this.counters.tokensIssued++;
		// The token sits at the top level, not under `data`.
		return { code: 1000, token };
	}

	/** Authorization (Bearer token) wins when both headers are sent. */
	private authenticate(req: Req): Account {
		const authorization = header(req, 'authorization');
		if (authorization) {
			const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
			const record = m ? this.tokens.get(m[1]) : undefined;
			if (!record || record.revoked || record.exp <= Date.now()) throw new AkoolError(1101);
			return { uid: this.config.uid, auth: 'token' };
		}
		const apiKey = header(req, 'x-api-key');
		if (apiKey) {
			if (apiKey.trim() !== this.config.apiKey) throw new AkoolError(1101);
			return { uid: this.config.uid, auth: 'apiKey' };
		}
		throw new AkoolError(1102);
	}

	// ── avatars ──

	private statusOf(createdAt: number, queueMs: number, processingMs: number, outcome: 3 | 4, now: number): AkoolStatus {
		if (now < createdAt + queueMs) return 1;
		if (now < createdAt + queueMs + processingMs) return 2;
		return outcome;
	}

	private avatarView(a: AvatarRecord, now: number): Record<string, unknown> {
		const status = this.statusOf(a.createdAt, a.queueMs, a.processingMs, a.outcome, now);
		const view: Record<string, unknown> = {
			_id: a._id,
			uid: a.uid,
			type: a.type,
			from: a.from,
			status,
			avatar_id: a.avatar_id,
			name: a.name,
			url: a.url || `${this.ctx.baseUrl()}/assets/sample.mp4`,
			thumbnailUrl: `${this.ctx.baseUrl()}/assets/portrait.jpg`,
			gender: 'female',
			create_time: a.createdAt,
		};
		if (status === 4) view.error_reason = a.failReason ?? 'failed';
		return view;
	}

	private visibleAvatars(account: Account): AvatarRecord[] {
		return this.avatarRecords.filter((a) => a.from === 2 || a.uid === account.uid);
	}

	private list(account: Account, url: URL): unknown {
		const from = queryInt(url, 'from');
		const type = queryInt(url, 'type');
		const page = queryInt(url, 'page') ?? 1;
		const size = queryInt(url, 'size') ?? 100;
		if (from !== undefined && from !== 2 && from !== 3) throw new AkoolError(1003, 'from must be 2 or 3');
		if (type !== undefined && type !== 1 && type !== 2) throw new AkoolError(1003, 'type must be 1 or 2');
		if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1) throw new AkoolError(1003, 'page and size must be positive integers');
		const now = Date.now();
		const all = this.visibleAvatars(account)
			.filter((a) => (from === undefined || a.from === from) && (type === undefined || a.type === type))
			.map((a) => this.avatarView(a, now));
		const result = all.slice((page - 1) * size, page * size);
		return this.config.avatarListShape === 'array' ? result : { count: all.length, result };
	}

	private detail(account: Account, url: URL): unknown {
		const id = url.searchParams.get('id');
		if (!id) throw new AkoolError(1003, 'id is required');
		const a = this.visibleAvatars(account).find((x) => x._id === id);
		if (!a) return this.unknownId();
		return this.avatarView(a, Date.now());
	}

	private avatarCreate(account: Account, raw: Buffer): unknown {
		const body = parseJson(raw);
		const url = requireHttpUrl(body.url, 'url');
		const avatarId = body.avatar_id;
		if (typeof avatarId !== 'string' || !avatarId) throw new AkoolError(1003, 'avatar_id is required');
		if (!/^[a-zA-Z0-9]+$/.test(avatarId)) throw new AkoolError(1003, 'avatar_id can only contain letters and digits');
		if (this.avatarRecords.some((a) => a.avatar_id === avatarId && (a.from === 2 || a.uid === account.uid))) {
			throw new AkoolError(1222, `avatar_id ${avatarId} already exists`);
		}
		const type = Number(body.type ?? 1);
		if (type !== 1 && type !== 2) throw new AkoolError(1003, 'type must be 1 or 2');
		const record: AvatarRecord = {
			_id: objectId(),
			uid: account.uid,
			avatar_id: avatarId,
			name: typeof body.name === 'string' && body.name ? body.name : avatarId,
			type,
			from: 3,
			url,
			url_from: body.url_from === undefined ? null : Number(body.url_from),
			createdAt: Date.now(),
			queueMs: this.config.avatarQueueMs,
			processingMs: this.config.avatarProcessingMs,
			outcome: 3,
			failReason: null,
		};
		const reason = this.config.avatarShouldFail({ ...record, status: 1 });
		if (reason) {
			record.outcome = 4;
			record.failReason = reason;
		}
		this.avatarRecords.push(record);
		return this.avatarView(record, record.createdAt);
	}

	// ── videos ──

	private create(account: Account, raw: Buffer): unknown {
		const body = parseJson(raw);
		if (body.width !== CANVAS_W || body.height !== CANVAS_H) throw new AkoolError(1003, 'width must be 3840 and height must be 2160');
		const avatarFrom = body.avatar_from;
		if (avatarFrom !== 2 && avatarFrom !== 3) throw new AkoolError(1003, 'avatar_from must be 2 or 3');
		if (!Array.isArray(body.elements) || body.elements.length === 0) throw new AkoolError(1003, 'elements can not be empty');
		const elements = body.elements as Array<Record<string, unknown>>;
		const avatars = elements.filter((e) => e && e.type === 'avatar');
		const audios = elements.filter((e) => e && e.type === 'audio');
		if (avatars.length !== 1) throw new AkoolError(1003, 'exactly one avatar element is required');
		if (audios.length !== 1) throw new AkoolError(1003, 'exactly one audio element is required');
		for (const e of elements) {
			if (!e || !['image', 'avatar', 'audio'].includes(String(e.type))) throw new AkoolError(1003, `unknown element type ${String(e?.type)}`);
			if (e.type === 'audio') continue;
			for (const key of ['scale_x', 'scale_y', 'offset_x', 'offset_y', 'width', 'height']) {
				if (typeof e[key] !== 'number' || !Number.isFinite(e[key])) throw new AkoolError(1003, `${String(e.type)} element: ${key} is required`);
			}
			if (e.type === 'image') {
				const u = e.url;
				if (typeof u !== 'string' || !(HEX_COLOUR.test(u) || isHttpUrl(u))) throw new AkoolError(1003, 'image element: url must be a link or a hex colour');
			}
		}
		const avatar = avatars[0];
		let avatarId: string | null = null;
		let avatarUrl: string | null = null;
		if (avatarFrom === 2) {
			if (typeof avatar.avatar_id !== 'string' || !avatar.avatar_id) throw new AkoolError(1003, 'avatar element: avatar_id is required');
			avatarId = avatar.avatar_id;
			const known = this.visibleAvatars(account).find((a) => a.avatar_id === avatarId);
			if (!known || this.statusOf(known.createdAt, known.queueMs, known.processingMs, known.outcome, Date.now()) !== 3) {
				throw new AkoolError(1003, `avatar ${avatarId} not found or not ready`);
			}
		} else {
			avatarUrl = requireHttpUrl(avatar.url, 'avatar element url');
		}
		const audioUrl = requireHttpUrl(audios[0].url, 'audio element url');
		const webhookUrl = body.webhookUrl === undefined || body.webhookUrl === '' ? null : requireHttpUrl(body.webhookUrl, 'webhookUrl');
		if (this.config.credits < 1) throw new AkoolError(this.config.creditsExhaustedCode);
		this.config.credits -= 1;
		const image = elements.find((e) => e.type === 'image');
		const record: VideoRecord = {
			_id: objectId(),
			task_id: objectId(),
			video_id: randomUUID(),
			uid: account.uid,
			body,
			avatarFrom,
			avatarId,
			avatarUrl,
			audioUrl,
			background: image ? String(image.url) : null,
			webhookUrl,
			createdAt: Date.now(),
			queueMs: this.config.queueMs,
			processingMs: this.config.processingMs,
			outcome: 3,
			failReason: null,
			layout: elements.filter((e) => e.type !== 'audio').map(elementBox),
			firstTerminalServedAt: null,
		};
		const reason = this.config.shouldFail(this.videoSnapshot(record, record.createdAt));
		if (reason) {
			record.outcome = 4;
			record.failReason = reason;
		}
		this.videoRecords.push(record);
		this.counters.createAccepted++;
		this.scheduleWebhooks(record);
		// The create answer (§6.3): no cost field yet.
		const { deduction_duration: _notYet, ...answer } = this.videoView(record, record.createdAt);
		return { ...answer, task_id: record.task_id };
	}

	/** The answer for an ID nobody has (config.unknownIdAnswer). */
	private unknownId(): null {
		const answer = this.config.unknownIdAnswer;
		if (answer === 'null-data') return null;
		throw new AkoolError(answer);
	}

	private get(account: Account, url: URL): unknown {
		const id = url.searchParams.get('video_model_id');
		if (!id) throw new AkoolError(1003, 'video_model_id is required');
		// Only `_id` is a video_model_id: task_id and video_id are not found here.
		const r = this.videoRecords.find((v) => v._id === id && v.uid === account.uid);
		if (!r) return this.unknownId();
		const now = Date.now();
		const view = this.videoView(r, now);
		if (Number(view.video_status) >= 3 && r.firstTerminalServedAt === null) r.firstTerminalServedAt = now;
		return view;
	}

	private videoStatus(r: VideoRecord, now: number): AkoolStatus {
		return this.statusOf(r.createdAt, r.queueMs, r.processingMs, r.outcome, now);
	}

	private resultUrl(r: VideoRecord): string {
		return `${this.ctx.baseUrl()}${FILES}${r._id}.mp4`;
	}

	/** infobymodelid's `data` (§6.3): `{_id, create_time, uid, video_id, deduction_duration, video_status, video}`. */
	private videoView(r: VideoRecord, now: number): Record<string, unknown> {
		const status = this.videoStatus(r, now);
		const view: Record<string, unknown> = {
			_id: r._id,
			create_time: r.createdAt,
			uid: r.uid,
			video_id: r.video_id,
			deduction_duration: status === 3 ? this.config.deductionDuration : 0,
			video_status: status,
			video: status === 3 ? this.resultUrl(r) : '',
		};
		if (status === 4) {
			view.error_code = 1109;
			view.error_reason = r.failReason ?? 'failed';
		}
		return view;
	}

	private videoSnapshot(r: VideoRecord, now: number): AkoolVideo {
		const { firstTerminalServedAt: _ignored, ...rest } = r;
		return { ...rest, status: this.videoStatus(r, now) };
	}

	private async download(req: Req, res: Res, name: string): Promise<void> {
		const id = name.replace(/\.mp4$/, '');
		const r = this.videoRecords.find((v) => v._id === id);
		if (!r || this.videoStatus(r, Date.now()) !== 3 || !(await sendFile(req, res, path.join(this.ctx.assetsDir, 'sample.mp4'), 'video/mp4'))) {
			sendJson(res, 404, { code: 404, msg: 'file not found' });
		}
	}

	// ── webhooks ──

	private scheduleWebhooks(r: VideoRecord): void {
		if (!r.webhookUrl) return;
		const changes: Array<{ status: AkoolStatus; at: number }> = [{ status: 1, at: r.createdAt }];
		if (r.processingMs > 0) changes.push({ status: 2, at: r.createdAt + r.queueMs });
		changes.push({ status: r.outcome, at: r.createdAt + r.queueMs + r.processingMs });
		const gen = this.generation;
		// Deliveries of one video go out in order (test controls aside).
		let chain = Promise.resolve();
		for (const change of changes) {
			const timer = setTimeout(() => {
				this.timers.delete(timer);
				const terminal = change.status === 3 || change.status === 4;
				const control = this.deliveryControls.take([r._id], change.status);
				if (control?.action === 'lose') {
					this.webhooks.push({ ...this.signed(r, change.status), statusCode: null, error: 'lost (test control)', attempt: 0, at: Date.now(), control: 'lost' });
					return;
				}
				if (control?.action === 'delay') {
					// Outside the in-order chain: later status changes overtake it.
					const late = setTimeout(() => {
						this.timers.delete(late);
						void this.deliver(r, change.status, gen, 'delayed');
					}, Math.max(0, control.delayMs ?? 1000));
					late.unref();
					this.timers.add(late);
					return;
				}
				if (control?.action === 'reorder' && !terminal) {
					this.held.set(r._id, [...(this.held.get(r._id) ?? []), change.status]);
					return;
				}
				// Deliveries held back by `reorder` before this one go out right after it (taken now, not
				// when an earlier delivery still in flight completes).
				const held = this.held.get(r._id) ?? [];
				this.held.delete(r._id);
				chain = chain.then(async () => {
					const sent = await this.deliver(r, change.status, gen);
					if (control?.action === 'duplicate' && sent) {
						for (let n = 0; n < Math.max(1, Math.floor(control.copies ?? 1)); n++) await this.resend(sent, gen);
					}
					if (gen !== this.generation) return;
					for (const status of held) await this.deliver(r, status, gen, 'reordered');
				});
			}, Math.max(0, change.at - Date.now()));
			timer.unref();
			this.timers.add(timer);
		}
	}

	/** A delivery's body and payload, freshly encrypted and signed now. */
	private signed(r: VideoRecord, status: AkoolStatus): Pick<AkoolWebhookDelivery, 'url' | 'videoId' | 'status' | 'body' | 'payload'> {
		const { clientId, clientSecret } = this.config;
		const payload: AkoolWebhookDelivery['payload'] = { _id: r._id, status, type: 'avatar' };
		if (status === 3) payload.url = this.resultUrl(r);
		const dataEncrypt = akoolEncrypt(payload, clientId, clientSecret);
		const timestamp = Date.now();
		const nonce = String(randomInt(1000, 10000));
		const body = { signature: akoolSign(clientId, timestamp, nonce, dataEncrypt), dataEncrypt, timestamp, nonce };
		return { url: r.webhookUrl as string, videoId: r._id, status, body, payload };
	}

	/** Sends (and retries after non-200 answers, each attempt signed anew); returns the last attempt's record. */
	private async deliver(r: VideoRecord, status: AkoolStatus, gen: number, control?: DeliveryMark): Promise<AkoolWebhookDelivery | undefined> {
		let last: AkoolWebhookDelivery | undefined;
		for (let attempt = 1; attempt <= 1 + Math.max(0, this.config.webhookRetries); attempt++) {
			if (gen !== this.generation) return undefined;
			const signed = this.signed(r, status);
			const result = await postJson(signed.url, signed.body);
			if (gen !== this.generation) return undefined;
			last = { ...signed, statusCode: result.statusCode, error: result.error, attempt, at: Date.now() };
			if (control) last.control = control;
			this.webhooks.push(last);
			if (result.statusCode === 200) return last;
			await sleep(this.config.webhookRetryDelayMs);
		}
		return last;
	}

	/** The same body once more, verbatim (a duplicated delivery). */
	private async resend(of: AkoolWebhookDelivery, gen: number): Promise<void> {
		const result = await postJson(of.url, of.body);
		if (gen !== this.generation) return;
		this.webhooks.push({ ...of, statusCode: result.statusCode, error: result.error, attempt: 1, at: Date.now(), control: 'duplicate' });
	}
}

// ───────────────────────────── helpers ─────────────────────────────

/** Where an (already validated) image / avatar element lands, its offsets read as its centre (§6.3). */
function elementBox(e: Record<string, unknown>): AkoolElementBox {
	const w = Number(e.width) * Number(e.scale_x);
	const h = Number(e.height) * Number(e.scale_y);
	const left = Number(e.offset_x) - w / 2;
	const top = Number(e.offset_y) - h / 2;
	const overlapW = Math.max(0, Math.min(left + w, CANVAS_W) - Math.max(left, 0));
	const overlapH = Math.max(0, Math.min(top + h, CANVAS_H) - Math.max(top, 0));
	const overlap = overlapW * overlapH;
	return {
		type: e.type as AkoolElementBox['type'],
		left,
		top,
		right: left + w,
		bottom: top + h,
		canvasCovered: overlap / (CANVAS_W * CANVAS_H),
		visible: w * h > 0 ? overlap / (w * h) : 0,
	};
}

function matchRoute(method: string, p: string): Route | null {
	const isGet = method === 'GET' || method === 'HEAD';
	if (p.startsWith(FILES)) return isGet && !p.slice(FILES.length).includes('/') ? 'download' : null;
	switch (p) {
		case `${PREFIX}/getToken`:
			return method === 'POST' ? 'getToken' : null;
		case `${PREFIX}/avatar/list`:
			return isGet ? 'list' : null;
		case `${PREFIX}/avatar/detail`:
			return isGet ? 'detail' : null;
		case `${PREFIX}/avatar/create`:
			return method === 'POST' ? 'avatarCreate' : null;
		case `${PREFIX}/talkingavatar/create`:
			return method === 'POST' ? 'create' : null;
		case `${PREFIX}/content/video/infobymodelid`:
			return isGet ? 'get' : null;
		default:
			return null;
	}
}

function header(req: Req, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

function parseJson(raw: Buffer): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(raw.toString('utf8') || '{}');
	} catch {
		throw new AkoolError(1003, 'the body must be JSON');
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AkoolError(1003, 'the body must be a JSON object');
	return value as Record<string, unknown>;
}

function isHttpUrl(value: string): boolean {
	try {
		const u = new URL(value);
		return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname;
	} catch {
		return false;
	}
}

function requireHttpUrl(value: unknown, field: string): string {
	if (typeof value !== 'string' || !value) throw new AkoolError(1003, `${field} can not be empty`);
	if (!isHttpUrl(value)) throw new AkoolError(1003, `${field} must be an http(s) link`);
	return value;
}
