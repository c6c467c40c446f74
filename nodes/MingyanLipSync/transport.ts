import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import type { FailureKind } from '../shared/errors';
import { withFailureKind } from '../shared/errors';
import { sendProviderRequest } from '../shared/http';

export const MINGYAN_CREDENTIAL = 'mingyanApi';
/** Mingyan's query guidance: poll every 5–10 s (provider-apis.md §3, §6.4, vendor docs S31). */
export const MINGYAN_FIRST_POLL_SECONDS = 5;
export const MINGYAN_DEFAULT_BASE_URL = 'https://zcbservice.aizfw.cn/kyyReactApiServer';

/**
 * How the engine treats a refused request. Mingyan has no client idempotency key, so a create
 * that may have gone through (5xx, no answer) is "ambiguous" and never sent again.
 */
export function mingyanFailureKind(httpStatus: number, method: IHttpRequestMethods): FailureKind {
	if (httpStatus === 429) return 'retryable';
	if (httpStatus >= 500) return method === 'GET' ? 'retryable' : 'ambiguous';
	if (httpStatus === 404 && method === 'GET') return 'notFound';
	return 'fatal';
}

const ADVICE: Record<number, string> = {
	400: 'Mingyan refused the request: check the URLs (network URLs only, a supported format) and the model.',
	401: 'The API key was refused: check the Mingyan credential (the key is issued by the Mingyan team).',
	403: 'The API key has no access to this model or endpoint.',
	404: 'Mingyan does not know this task ID (or the base URL is wrong).',
	429: 'Too many requests: slow down.',
};

export interface MingyanRequest {
	method: IHttpRequestMethods;
	/** Path under the base URL, e.g. /v1/digitalHuman/videos */
	path: string;
	body?: IDataObject;
	itemIndex: number;
	/** What the request does, for messages ("Creating the lip-sync task"). */
	what: string;
}

const baseUrls = new WeakMap<object, Promise<string>>();

/** The credential's API root without a trailing slash, read once per execution context. */
function baseUrlFor(ctx: IExecuteFunctions): Promise<string> {
	let url = baseUrls.get(ctx);
	if (!url) {
		url = ctx
			.getCredentials(MINGYAN_CREDENTIAL)
			.then((c) => String(c.baseUrl ?? '').trim().replace(/\/+$/, '') || MINGYAN_DEFAULT_BASE_URL);
		baseUrls.set(ctx, url);
	}
	return url;
}

/** The provider's error text from any of the shapes seen (`error` string or object, `message`, `msg`). */
export function mingyanErrorText(body: unknown): string {
	if (typeof body === 'string') return body.slice(0, 300);
	if (typeof body !== 'object' || body === null) return '';
	const b = body as IDataObject;
	const data = (typeof b.data === 'object' && b.data !== null ? b.data : {}) as IDataObject;
	for (const candidate of [b.error, data.error, b.message, b.msg]) {
		if (typeof candidate === 'string' && candidate.trim()) return candidate.trim();
		if (typeof candidate === 'object' && candidate !== null) {
			const message = (candidate as IDataObject).message;
			if (typeof message === 'string' && message.trim()) return message.trim();
		}
	}
	return '';
}

/** One Mingyan API call: returns the response body of a 2xx answer, throws a classified NodeApiError otherwise. */
export async function mingyanRequest(ctx: IExecuteFunctions, request: MingyanRequest): Promise<unknown> {
	const { method, path, body, itemIndex, what } = request;
	const node = ctx.getNode();
	const response = await sendProviderRequest(ctx, MINGYAN_CREDENTIAL, {
		method,
		url: `${await baseUrlFor(ctx)}${path}`,
		body,
		itemIndex,
		what,
	});
	if (response.statusCode >= 200 && response.statusCode < 300) return response.body;

	const providerMessage = mingyanErrorText(response.body);
	const error = new NodeApiError(node, (typeof response.body === 'object' && response.body !== null ? response.body : {}) as JsonObject, {
		itemIndex,
		httpCode: String(response.statusCode),
		message: `${what} failed: Mingyan HTTP ${response.statusCode}${providerMessage ? ` – ${providerMessage}` : ''}`,
		description: ADVICE[response.statusCode] ?? (response.statusCode >= 500 ? 'Mingyan server error: try again later.' : ''),
	});
	return await Promise.reject(withFailureKind(error, mingyanFailureKind(response.statusCode, method)));
}
