import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import type { FailureKind } from '../shared/errors';
import { failureKindOf, withFailureKind } from '../shared/errors';
import { sendProviderRequest } from '../shared/http';
import type { StreamedJsonBody } from '../shared/jsonBody';
import { klingBaseUrl } from './baseUrl';

export const KLING_CREDENTIAL = 'klingApi';

interface KlingEnvelope {
	code?: number;
	message?: string;
	request_id?: string;
	data?: unknown;
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
	1102: 'The resource pack is used up or expired: buy a pack.',
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

/** What to do about a Kling error code (provider-apis.md §1.3), or undefined for an unknown one. */
export const klingAdvice = (code: number | undefined): string | undefined => (code === undefined ? undefined : ADVICE[code]);

/**
 * Decides how the engine treats a refused request. Reads are always safe to repeat;
 * a create that died with a 5xx may have been processed, so it is "ambiguous". Nothing here reads
 * Kling's message text: the engine looks a refused create up by its external_task_id before
 * failing, so the unknown wording of a duplicate-key refusal (provider-apis.md §6.1) never matters.
 */
export function klingFailureKind(httpStatus: number, code: number | undefined, method: IHttpRequestMethods): FailureKind {
	if (code === 1303) return 'capacity';
	if (code === 1302) return 'retryable';
	if ((code !== undefined && code >= 5000 && code <= 5002) || httpStatus >= 500) {
		return method === 'GET' ? 'retryable' : 'ambiguous';
	}
	if (method === 'GET' && (code === 1203 || (httpStatus === 404 && code === undefined))) return 'notFound';
	if (httpStatus === 429 && code === undefined) return 'retryable';
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

const baseUrls = new WeakMap<object, Promise<string>>();

/** The credential's API root, read once per execution context. */
function baseUrlFor(ctx: IExecuteFunctions): Promise<string> {
	let url = baseUrls.get(ctx);
	if (!url) {
		url = ctx.getCredentials(KLING_CREDENTIAL).then((c) => klingBaseUrl(c.region, c.baseUrl));
		baseUrls.set(ctx, url);
	}
	return url;
}

/** One Kling API call: returns `data` of a `code: 0` answer, throws a classified NodeApiError otherwise. */
export async function klingRequest<T = IDataObject>(ctx: IExecuteFunctions, request: KlingRequest): Promise<T> {
	const { method, path, body, streamBody, qs, itemIndex, what } = request;
	const node = ctx.getNode();
	const response = await sendProviderRequest(ctx, KLING_CREDENTIAL, {
		method,
		url: `${await baseUrlFor(ctx)}${path}`,
		// n8n's HTTP client sends a Blob-like body as a stream with its Content-Length.
		body: streamBody ? (streamBody as unknown as IDataObject) : body,
		// No redirects for a streamed body: the redirect layer would keep a copy of the whole
		// body to be able to send it again (20 MB per create in flight). Kling never redirects an API call.
		...(streamBody ? { headers: { 'Content-Type': 'application/json' }, disableFollowRedirect: true } : {}),
		qs,
		itemIndex,
		what,
	});

	const envelope = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as KlingEnvelope;
	if (response.statusCode < 300 && envelope.code === 0) return envelope.data as T;

	const code = typeof envelope.code === 'number' ? envelope.code : undefined;
	const providerMessage = envelope.message || (typeof response.body === 'string' ? response.body.slice(0, 200) : '');
	const kind = klingFailureKind(response.statusCode, code, method);
	const error = new NodeApiError(node, (envelope as JsonObject) ?? {}, {
		itemIndex,
		httpCode: String(response.statusCode),
		message: `${what} failed: Kling ${code !== undefined ? `code ${code}` : `HTTP ${response.statusCode}`}${providerMessage ? ` – ${providerMessage}` : ''}`,
		description: [
			code !== undefined ? ADVICE[code] : undefined,
			envelope.request_id ? `Request ID: ${envelope.request_id}` : undefined,
		]
			.filter(Boolean)
			.join(' '),
	});
	answers.set(error, { httpStatus: response.statusCode, code });
	return Promise.reject(withFailureKind(error, kind));
}

/** The HTTP status and Kling code behind a refused request (klingRequest's errors only). */
const answers = new WeakMap<object, { httpStatus: number; code: number | undefined }>();

/**
 * Whether a refused read says "no such task" in some form. Kling's answer for an unknown task id
 * is not known (provider-apis.md §6.1), so every 4xx counts except the credential and account
 * codes (1000–1004, 1100–1103), which would refuse any request. Safe for lookups before a
 * re-send: the re-sent create carries the same external_task_id, which Kling keeps unique.
 */
export function saysNoSuchTask(error: unknown): boolean {
	if (failureKindOf(error) === 'notFound') return true;
	const answer = typeof error === 'object' && error !== null ? answers.get(error) : undefined;
	if (!answer || answer.httpStatus < 400 || answer.httpStatus >= 500 || answer.httpStatus === 429) return false;
	const { code } = answer;
	return code === undefined || !((code >= 1000 && code <= 1004) || (code >= 1100 && code <= 1103));
}
