import type { IDataObject, IHttpRequestMethods, JsonObject } from 'n8n-workflow';
import type { RequestContext } from '../shared/cancellation';
import { NodeApiError } from 'n8n-workflow';
import type { FailureKind } from '../shared/errors';
import { withFailureKind } from '../shared/errors';
import { sendProviderRequest } from '../shared/http';
import type { StreamedJsonBody } from '../shared/jsonBody';
import { isCometApi, klingBaseUrl } from './baseUrl';

export const KLING_CREDENTIAL = 'klingApi';

interface KlingEnvelope {
	code?: number;
	message?: string;
	request_id?: string;
	data?: unknown;
}

/**
 * What a refused request said, whoever answered it:
 * - `kling`: Kling's envelope `{code, message, request_id}` (provider-apis.md §1.3);
 * - `cometNested`: CometAPI relaying Kling's refusal,
 *   `{message, data: {data: {code, message, request_id}, message}}` (§6.2);
 * - `cometOwn`: CometAPI's own refusal (bad key, bad path, …),
 *   `{error: {code: "", message: "… (request id: …)", type: "comet_api_error"}}` (§6.2);
 * - `other`: anything else (an HTML page, another proxy's JSON).
 */
export interface KlingAnswer {
	/** Kling's numeric code (top-level, or CometAPI's `data.data.code`); undefined when the answer has none. */
	code: number | undefined;
	/** The most specific message found; '' when there is none. */
	message: string;
	/** Kling's request_id, or the id CometAPI writes into its message ("(request id: …)"). */
	requestId: string | undefined;
	shape: 'kling' | 'cometNested' | 'cometOwn' | 'other';
	/** CometAPI's own `error.code` (often ""; "invalid_request" marks a malformed request answered with HTTP 500). */
	proxyCode?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');
/** Kling codes are numbers; a numeric string is read too, anything else is no code. */
const codeOf = (value: unknown): number | undefined =>
	typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
const COMET_REQUEST_ID = /\s*\(request id: ([^)]+)\)\s*$/i;

/**
 * Reads any answer of Kling or of the CometAPI proxy into one shape (see KlingAnswer), so that
 * codes such as 1303 (capacity) or 1102 (balance) are recognised whichever way they arrive.
 * A body that is JSON text (served without a JSON content type) is parsed first.
 */
export function parseKlingAnswer(body: unknown): KlingAnswer {
	let value = body;
	if (typeof value === 'string' && /^\s*\{/.test(value)) {
		try {
			value = JSON.parse(value) as unknown;
		} catch {
			// not JSON after all: reported as text below
		}
	}
	if (!isObject(value)) {
		const raw = typeof value === 'string' ? value.replace(/\s+/g, ' ').trim().slice(0, 200) : '';
		return { code: undefined, message: raw, requestId: undefined, shape: 'other' };
	}
	const top = codeOf(value.code);
	if (top !== undefined) {
		return { code: top, message: text(value.message), requestId: text(value.request_id) || undefined, shape: 'kling' };
	}
	const outer = isObject(value.data) ? value.data : undefined;
	const inner = outer && isObject(outer.data) ? outer.data : undefined;
	if (inner && codeOf(inner.code) !== undefined) {
		return {
			code: codeOf(inner.code),
			message: text(inner.message) || text(outer?.message) || text(value.message),
			requestId: text(inner.request_id) || undefined,
			shape: 'cometNested',
		};
	}
	if (isObject(value.error)) {
		const full = text(value.error.message);
		const id = COMET_REQUEST_ID.exec(full);
		return {
			code: undefined,
			message: id ? full.slice(0, id.index).trim() : full,
			requestId: id ? id[1].trim() : undefined,
			shape: 'cometOwn',
			proxyCode: text(value.error.code),
		};
	}
	return { code: undefined, message: text(value.message) || text(value.error) || text(value.msg), requestId: undefined, shape: 'other' };
}

/** Advice per documented error code (provider-apis.md §1.3, "Suggested action"). */
const ADVICE: Record<number, string> = {
	1000: 'Authentication failed: check the credential.',
	1001: 'The Authorization header is empty: check the credential.',
	1002: 'The token or API key is invalid: check the keys and the region (global and China keys do not work on each other\'s host).',
	1003: 'The token is not valid yet: check this machine\'s clock.',
	1004: 'The token has expired: check this machine\'s clock.',
	1100: 'Account exception: check the account settings in the Kling developer portal.',
	1101: 'The account is in arrears: recharge it.',
	1102: 'The account balance or resource pack is used up ("Account balance not enough"). Kling sends this with HTTP 429, but it is not a rate limit: waiting does not help. Top up the balance or buy a resource pack (for a proxy key, at the proxy), then run the item again.',
	1103: 'The key has no permission for this API or model.',
	1200: 'Invalid request parameters.',
	1201: 'A parameter is invalid: see the message.',
	1202: 'Invalid request method.',
	1203: 'The requested resource does not exist.',
	1300: 'A platform policy was triggered.',
	1301: 'The content-safety policy was triggered: change the input.',
	1302: 'Too many requests: slow down.',
	1303: 'The account\'s concurrency limit (resource pack) is reached.',
	1304: 'The IP whitelist policy was triggered: contact Kling support.',
	5000: 'Kling internal error: try again later.',
	5001: 'Kling is temporarily unavailable (maintenance): try again later.',
	5002: 'Kling timed out internally: try again later.',
};

/**
 * Decides how the engine treats a refused request. A Kling code is Kling's own verdict and wins
 * over the HTTP status (a proxy may relay it with any status, provider-apis.md §6.2); without one
 * the status decides. Reads are always safe to repeat; a create that died with a 5xx may have been
 * processed, so it is "ambiguous", and so is a create answered 2xx without a readable envelope
 * (empty body, an HTML page, JSON of another shape): something accepted it, and what is unknown. Nothing here reads message text: the engine looks a refused
 * create up by its external_task_id before failing, so the unknown wording of a duplicate-key
 * refusal (provider-apis.md §6.1) never matters.
 * @param proxyCode CometAPI's own error.code: "invalid_request" with HTTP 500 is a malformed request, not an outage
 */
export function klingFailureKind(httpStatus: number, code: number | undefined, method: IHttpRequestMethods, proxyCode?: string): FailureKind {
	if (code !== undefined) {
		if (code === 1303) return 'capacity';
		if (code === 1302) return 'retryable';
		if (code >= 5000 && code <= 5002) return method === 'GET' ? 'retryable' : 'ambiguous';
		if (code === 1203 && method === 'GET') return 'notFound';
		// Everything else, the account codes 1100–1102 included: they come with HTTP 429 but are
		// permanent (1102 "Account balance not enough", §6.1), never a rate limit to wait out.
		return 'fatal';
	}
	if (httpStatus >= 500) return proxyCode === 'invalid_request' ? 'fatal' : method === 'GET' ? 'retryable' : 'ambiguous';
	if (httpStatus >= 200 && httpStatus < 300) return method === 'GET' ? 'retryable' : 'ambiguous';
	if (method === 'GET' && httpStatus === 404) return 'notFound';
	if (httpStatus === 429) return 'retryable';
	return 'fatal';
}

export interface KlingRequest {
	method: IHttpRequestMethods;
	path: string;
	body?: IDataObject;
	/** Instead of `body`: a JSON body streamed while it is sent (large media, see shared/jsonBody). */
	streamBody?: StreamedJsonBody;
	qs?: IDataObject;
	itemIndex: number;
	/** What the request does, for messages ("Creating the avatar task"). */
	what: string;
}

/** Where the credential sends requests: its API root, and whether that is the CometAPI proxy. */
export interface KlingHost {
	baseUrl: string;
	cometApi: boolean;
}

const hosts = new WeakMap<object, Promise<KlingHost>>();

/** The credential's API root, read once per execution context. */
export function klingHost(ctx: RequestContext): Promise<KlingHost> {
	let host = hosts.get(ctx);
	if (!host) {
		host = ctx.getCredentials(KLING_CREDENTIAL).then((c) => ({
			baseUrl: klingBaseUrl(c.region, c.baseUrl),
			cometApi: isCometApi(c.region, c.baseUrl),
		}));
		hosts.set(ctx, host);
	}
	return host;
}

/** One Kling API call: returns `data` of a `code: 0` answer, throws a classified NodeApiError otherwise. */
export async function klingRequest<T = IDataObject>(ctx: RequestContext, request: KlingRequest): Promise<T> {
	const { method, path, body, streamBody, qs, itemIndex, what } = request;
	const node = ctx.getNode();
	const response = await sendProviderRequest(ctx, KLING_CREDENTIAL, {
		method,
		url: `${(await klingHost(ctx)).baseUrl}${path}`,
		// n8n's HTTP client sends a Blob-like body as a stream with its Content-Length.
		body: streamBody ? (streamBody as unknown as IDataObject) : body,
		// No redirects for a streamed body: the redirect layer would keep a copy of the whole
		// body to be able to send it again (20 MB per create in flight). Kling never redirects an API call.
		...(streamBody ? { headers: { 'Content-Type': 'application/json' }, disableFollowRedirect: true } : {}),
		qs,
		itemIndex,
		what,
	});

	// Successful answers are Kling's envelope, also through CometAPI (provider-apis.md §6.2), also
	// when served as text.
	const envelope = (isObject(response.body) ? response.body : isObject(jsonText(response.body)) ? jsonText(response.body) : {}) as KlingEnvelope;
	if (response.statusCode < 300 && envelope.code === 0) return envelope.data as T;

	const host = await klingHost(ctx);
	const answer = parseKlingAnswer(response.body);
	const { code, message: said, requestId, shape } = answer;
	const status = response.statusCode;
	// Who answered: Kling's code, else the proxy or host, never "Kling" for a page Kling did not write.
	const who =
		code !== undefined
			? `Kling code ${code}${shape === 'cometNested' ? ' (through CometAPI)' : ''}`
			: host.cometApi || shape === 'cometOwn'
				? `CometAPI HTTP ${status}`
				: isObject(response.body) || isObject(jsonText(response.body))
					? `Kling HTTP ${status}`
					: `HTTP ${status} from ${hostName(host.baseUrl)}`;
	const unreadable = code === undefined && status >= 200 && status < 300 ? ' (an answer without Kling\'s envelope: what happened is unknown)' : '';
	const kind = klingFailureKind(status, code, method, answer.proxyCode);
	const error = new NodeApiError(node, (isObject(response.body) ? response.body : { message: said }) as JsonObject, {
		itemIndex,
		httpCode: String(response.statusCode),
		message: `${what} failed: ${who}${unreadable}${said ? ` – ${said}` : ''}`,
		description: [code !== undefined ? ADVICE[code] : undefined, requestId ? `Request ID: ${requestId}` : undefined].filter(Boolean).join(' '),
	});
	answers.set(error, { httpStatus: status, answer, cometApi: host.cometApi });
	return Promise.reject(withFailureKind(error, kind));
}

/** The body as JSON when it is JSON text (a proxy may serve JSON as text/plain); undefined otherwise. */
function jsonText(body: unknown): unknown {
	if (typeof body !== 'string' || !/^\s*\{/.test(body)) return undefined;
	try {
		return JSON.parse(body) as unknown;
	} catch {
		return undefined;
	}
}

function hostName(baseUrl: string): string {
	return /^https?:\/\/([^/:?#]+)/i.exec(baseUrl)?.[1] ?? baseUrl;
}

/** What answered a refused request: the HTTP status, the parsed answer, and whether it went through CometAPI. */
export interface KlingRefusal {
	httpStatus: number;
	answer: KlingAnswer;
	cometApi: boolean;
}

/** The answers behind refused requests (klingRequest's errors only). */
const answers = new WeakMap<object, KlingRefusal>();

/** What a klingRequest error was answered with; undefined for other errors (no answer, or made elsewhere). */
export function refusalOf(error: unknown): KlingRefusal | undefined {
	return typeof error === 'object' && error !== null ? answers.get(error) : undefined;
}

/**
 * Whether a refused read proves "no such task", so that a create whose answer was lost may be sent
 * again (with the same external_task_id). Kling's answer for an unknown task id is not documented
 * (provider-apis.md §6.1); only Kling's own words count:
 * - a Kling code of the request/resource block 1200–1203 (1203 "resource does not exist"; the
 *   others may be how an unknown id is worded) from Kling's own host;
 * - without a code, HTTP 404 from Kling's own host.
 * Through CometAPI nothing counts (not even a relayed 1203): see below.
 * Anything else cannot tell: a proxy's own refusal (CometAPI's `{error: …}` with any status, an HTML
 * page), credential, account, rate or capacity codes, content-policy codes. The lookup then fails
 * and the engine keeps the create pending instead of paying again. Errors not made by klingRequest
 * (e.g. "the query path is not served") never count.
 */
export function saysNoSuchTask(error: unknown): boolean {
	const refusal = refusalOf(error);
	if (!refusal) return false;
	const { httpStatus, answer, cometApi } = refusal;
	// Through CometAPI nothing proves it: whether CometAPI passes external_task_id on to Kling, and
	// whether its query path reads an external id, are not documented (§6.2). If it did not, every
	// lookup would say "not found" for a task that exists, and a re-send would pay twice.
	if (cometApi) return false;
	if (answer.code !== undefined) return answer.code >= 1200 && answer.code <= 1203;
	return httpStatus === 404;
}
