import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { throwIfCancelled } from '../shared/cancellation';
import type { FailureKind } from '../shared/errors';
import { failureKindOf, transportFailure, withFailureKind } from '../shared/errors';
import { AKOOL_CREDENTIAL, AKOOL_RATE_LIMITED, AKOOL_SUCCESS, AKOOL_TOKEN_INVALID, AKOOL_TOKEN_TRANSIENT_MARK, akoolBaseUrl } from './constants';

/** Node executions, load-options calls and the Akool Trigger's webhook calls. */
export type AkoolContext = IExecuteFunctions | ILoadOptionsFunctions | IWebhookFunctions;

const READ_TIMEOUT_MS = 60_000;
const WRITE_TIMEOUT_MS = 120_000;

/** The credential's token-exchange errors carry this prefix (credentials/AkoolApi.credentials.ts). */
const TOKEN_ERROR = 'Akool getToken failed';

interface AkoolEnvelope {
	code?: unknown;
	msg?: unknown;
	data?: unknown;
}

interface RawResponse {
	statusCode: number;
	body: unknown;
}

/**
 * What each documented code means, and what to do (provider-apis.md §2.2, and the fuller list of
 * Akool's error-code page in §6.3).
 */
export const AKOOL_CODES: Record<number, { meaning: string; advice: string; ambiguous?: true }> = {
	1003: { meaning: 'Parameter error or parameter can not be empty', advice: 'Check the parameters named in the message.' },
	[AKOOL_RATE_LIMITED]: {
		meaning: 'Frequent operation (rate limit)',
		advice: 'Akool refused the request because this account sent too many too fast; nothing was created. The node waited and tried again with growing pauses. Send fewer items at once, raise First Poll After, or try again later.',
	},
	1006: { meaning: 'Your quota is not enough', advice: 'Top up the Akool account\'s credits, then run the item again. Nothing was created.' },
	1008: { meaning: 'Content not exist', advice: 'Check the ID.' },
	1014: { meaning: 'Resource does not exist', advice: 'Check the ID.' },
	1101: {
		meaning: 'Invalid authorization, or the request token has expired',
		advice: 'Check the API key, or the client ID and secret, in the credential.',
	},
	1102: { meaning: 'Authorization cannot be empty', advice: 'Fill in the credential\'s API key, or its client ID and secret.' },
	1104: {
		meaning: 'Insufficient credit',
		advice: 'The Akool account has not enough credit for this video: top it up (Akool dashboard → billing), then run the item again. Nothing was created, and the node does not retry this by itself.',
	},
	// Akool documents 1109 twice, with two meanings (§2.2 vs §6.3); the answer cannot tell which applies.
	1109: {
		meaning: 'Akool documents 1109 both as "account not exist" (error-code page) and as "create avatar video error" (talking-avatar page)',
		advice: 'Check that the credential belongs to an existing Akool account, then the avatar and the media URLs.',
		ambiguous: true,
	},
	1200: { meaning: 'The account has been banned', advice: 'Contact Akool support.' },
	1201: { meaning: 'Create audio error, please try again later', advice: 'Try again later.' },
	1222: { meaning: 'Resource already exists', advice: 'For Avatar → Create: choose another Avatar ID.' },
};

/** Codes that say the requested record does not exist (provider-apis.md §6.3). */
const AKOOL_NOT_FOUND = new Set([1008, 1014]);

/**
 * How the engine treats a refused request. Akool has no idempotency key: a create that may have
 * gone through is "ambiguous" and never sent again. That is a create without an answer, one
 * answered 5xx without a documented business code (an undocumented code with a 5xx may be a
 * gateway's), or one answered 2xx without Akool's envelope (an empty body, an HTML page, JSON of
 * another shape): something accepted it, and what is unknown. The same answers to a read are
 * simply read again.
 *
 * 1005 "Frequent operation" is Akool's rate limit (provider-apis.md §6.3): the request was refused
 * before anything was done, so a refused create created nothing and sending it again is safe, like
 * a Kling 1302. The engine retries it with backoff, reads and creates alike. Every other business
 * code is a refusal that a retry would not change.
 */
export function akoolFailureKind(httpStatus: number, code: number | undefined, method: IHttpRequestMethods): FailureKind {
	if (code === AKOOL_RATE_LIMITED) return 'retryable';
	if (code !== undefined && AKOOL_NOT_FOUND.has(code)) return method === 'GET' ? 'notFound' : 'fatal';
	// "Success" with an error status: what happened cannot be told.
	if (code === AKOOL_SUCCESS) return method === 'GET' ? 'retryable' : 'ambiguous';
	const documented = code !== undefined && AKOOL_CODES[code] !== undefined;
	if (documented) return 'fatal'; // a business refusal: nothing was created, retrying will not help
	if (httpStatus >= 500 || (httpStatus >= 200 && httpStatus < 300 && code === undefined)) return method === 'GET' ? 'retryable' : 'ambiguous';
	if (code !== undefined) return 'fatal'; // an undocumented code without a 5xx: still Akool's refusal
	if (httpStatus === 429) return 'retryable';
	if (httpStatus === 404 && method === 'GET') return 'notFound';
	return 'fatal';
}

/** The error for an answer that is not `code: 1000`. */
export function akoolError(
	ctx: AkoolContext,
	response: RawResponse,
	method: IHttpRequestMethods,
	what: string,
	itemIndex?: number,
): NodeApiError {
	const envelope = (isObject(response.body) ? response.body : {}) as AkoolEnvelope;
	const code = typeof envelope.code === 'number' ? envelope.code : Number.isFinite(Number(envelope.code)) && envelope.code !== '' && envelope.code !== undefined ? Number(envelope.code) : undefined;
	const msg = typeof envelope.msg === 'string' ? envelope.msg : typeof response.body === 'string' ? response.body.slice(0, 200) : '';
	const known = code !== undefined ? AKOOL_CODES[code] : undefined;
	const reason = code !== undefined ? `Akool code ${code}` : `Akool HTTP ${response.statusCode}`;
	const text = msg || known?.meaning || '';
	// An ambiguous code carries both documented meanings in the message itself, whatever msg says.
	const both = known?.ambiguous && msg ? ` (${known.meaning})` : '';
	const error = new NodeApiError(ctx.getNode(), (isObject(response.body) ? response.body : { body: String(response.body ?? '') }) as JsonObject, {
		itemIndex,
		httpCode: String(response.statusCode),
		message: `${what} failed: ${reason}${text ? ` – ${text}` : ''}${both}`,
		description: known ? `${known.meaning}. ${known.advice}` : code !== undefined ? `Akool answered with code ${code}, which is not documented.` : undefined,
	});
	return withFailureKind(error, akoolFailureKind(response.statusCode, code, method));
}

/** The record a read asks for, named in its not-found error. */
export interface AkoolRecordRef {
	/** "talking-avatar video", "avatar" */
	record: string;
	id: string;
	/** What to check, added to the description. */
	hint?: string;
}

/**
 * The error for a record Akool says does not exist: codes 1008 / 1014 (provider-apis.md §6.3), or
 * a success without the record. Which of these Akool answers for an unknown ID is not known (§6.3
 * [?]), so each of them is read as "not found". `answer` is the refusal, when there was one.
 */
export function akoolNotFound(ctx: AkoolContext, what: string, ref: AkoolRecordRef, itemIndex?: number, answer?: Error): NodeApiError {
	const said = answer ? answer.message.replace(`${what} failed: `, '') : 'a success without the record';
	const error = new NodeApiError(ctx.getNode(), { id: ref.id }, {
		itemIndex,
		message: `${what} failed: Akool has no ${ref.record} with ID "${ref.id}"`,
		description: `Akool answered ${said}.${ref.hint ? ` ${ref.hint}` : ''}`,
	});
	return withFailureKind(error, 'notFound');
}

// ───────────────────────────── token handling ─────────────────────────────

interface TokenState {
	/** A request that is fetching a token (through n8n's preAuthentication); others wait for it. */
	pending?: Promise<unknown>;
	/** The token request was refused: the credential is wrong, every later request fails the same way. */
	failure?: Error;
	/**
	 * The last token request failed for now (rate limit, no answer): until `until` (epoch ms), requests
	 * fail with the same retryable error instead of asking again, so a batch asks Akool once per pause.
	 */
	transient?: { error: Error; until: number };
}

/** After a temporary getToken failure, how long the batch's other requests do not ask again. */
const TOKEN_RETRY_PAUSE_MS = 1_000;

const tokenStates = new WeakMap<object, TokenState>();

function tokenState(ctx: AkoolContext): TokenState {
	let state = tokenStates.get(ctx);
	if (!state) {
		state = {};
		tokenStates.set(ctx, state);
	}
	return state;
}

/** Akool rejected the token: HTTP 401, or code 1101 (which may come with HTTP 200). */
function tokenRejected(response: RawResponse): boolean {
	const code = isObject(response.body) ? Number((response.body as AkoolEnvelope).code) : undefined;
	return response.statusCode === 401 || code === AKOOL_TOKEN_INVALID;
}

async function send(
	ctx: AkoolContext,
	options: IHttpRequestOptions,
	what: string,
	itemIndex: number | undefined,
	refreshFrom?: ICredentialDataDecryptedObject,
): Promise<RawResponse> {
	let additional: Parameters<IExecuteFunctions['helpers']['httpRequestWithAuthentication']>[2];
	if (refreshFrom) {
		const ref = ctx.getNode().credentials?.[AKOOL_CREDENTIAL];
		// n8n runs preAuthentication when the expirable field is empty and stores the new token.
		additional = {
			credentialsDecrypted: {
				id: ref?.id ?? '',
				name: ref?.name ?? '',
				type: AKOOL_CREDENTIAL,
				data: { ...refreshFrom, sessionToken: '' },
			},
		};
	}
	try {
		return (await ctx.helpers.httpRequestWithAuthentication.call(ctx, AKOOL_CREDENTIAL, options, additional)) as RawResponse;
	} catch (error) {
		if ('getExecutionCancelSignal' in ctx) throwIfCancelled(ctx);
		const tokenMessage = tokenErrorMessage(error);
		if (tokenMessage) {
			// A rate limit or a lost answer on getToken: the request itself was never sent, so the
			// engine may repeat it (a create too) after its backoff; anything else is final.
			const transient = tokenMessage.includes(AKOOL_TOKEN_TRANSIENT_MARK);
			const tokenError = new NodeOperationError(ctx.getNode(), tokenMessage, {
				itemIndex,
				description: transient
					? 'The token request (POST /api/open/v3/getToken) was rate-limited or not answered; nothing else was sent.'
					: 'The token request (POST /api/open/v3/getToken) was refused; nothing else was sent.',
			});
			return await Promise.reject(withFailureKind(tokenError, transient ? 'retryable' : 'fatal'));
		}
		// No HTTP answer: a read can simply be repeated, a create may have gone through.
		const failure = transportFailure(ctx.getNode(), error, what, itemIndex);
		return await Promise.reject(withFailureKind(failure, options.method === 'GET' ? 'retryable' : 'ambiguous'));
	}
}

/**
 * Sends one request with the credential. In Client ID + Secret mode the token comes from n8n's
 * preAuthentication: the first request fetches it while the others wait (one getToken for a whole
 * batch), and when Akool rejects it (HTTP 401 or code 1101, which n8n cannot see because
 * ignoreHttpStatusErrors is on) the request is repeated once with the stored token emptied,
 * which makes n8n fetch and store a new one. A rejected request created nothing, so repeating a
 * create is safe.
 */
export async function akoolHttp(ctx: AkoolContext, options: IHttpRequestOptions, what: string, itemIndex?: number): Promise<RawResponse> {
	const first = await ctx.getCredentials(AKOOL_CREDENTIAL, itemIndex);
	if (first.authentication !== 'clientCredentials') return await send(ctx, options, what, itemIndex);

	const state = tokenState(ctx);
	let usedToken: string;
	let response: RawResponse;
	for (;;) {
		if (state.failure) return await Promise.reject(state.failure);
		await settled(state);
		if (pausedAfterTransient(state)) return await Promise.reject(state.transient?.error);
		const credentials = await ctx.getCredentials(AKOOL_CREDENTIAL, itemIndex);
		// Checked again after the await: another request may have started a fetch meanwhile.
		if (state.pending || state.failure) continue;
		usedToken = String(credentials.sessionToken ?? '');
		// No token yet: this request fetches it (preAuthentication) while the others wait.
		response = await (usedToken ? send(ctx, options, what, itemIndex) : exclusive(state, send(ctx, options, what, itemIndex)));
		break;
	}
	if (!tokenRejected(response)) return response;

	for (;;) {
		if (state.failure) return await Promise.reject(state.failure);
		await settled(state);
		if (pausedAfterTransient(state)) return await Promise.reject(state.transient?.error);
		const now = await ctx.getCredentials(AKOOL_CREDENTIAL, itemIndex);
		if (state.pending || state.failure) continue;
		// Another request has renewed the token meanwhile: use it.
		if (String(now.sessionToken ?? '') && now.sessionToken !== usedToken) return await send(ctx, options, what, itemIndex);
		return await exclusive(state, send(ctx, options, what, itemIndex, now));
	}
}

/** A temporary getToken failure is recent: fail with it rather than ask Akool again. */
function pausedAfterTransient(state: TokenState): boolean {
	return state.transient !== undefined && Date.now() < state.transient.until;
}

/** Waits until no token fetch is in flight. */
async function settled(state: TokenState): Promise<void> {
	for (let pending = state.pending; pending; pending = state.pending) {
		await pending.catch(() => undefined);
	}
}

async function exclusive<T>(state: TokenState, work: Promise<T>): Promise<T> {
	const pending = work
		.catch((error: Error) => {
			if (tokenErrorMessage(error)) {
				if (failureKindOf(error) === 'fatal') state.failure = error;
				else state.transient = { error, until: Date.now() + TOKEN_RETRY_PAUSE_MS };
			}
			return Promise.reject(error);
		})
		.finally(() => {
			if (state.pending === pending) state.pending = undefined;
		});
	void pending.then(() => (state.transient = undefined), () => undefined);
	state.pending = pending;
	return await pending;
}

// ───────────────────────────── requests ─────────────────────────────

export interface AkoolRequest {
	method: IHttpRequestMethods;
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	itemIndex?: number;
	/** What the request does, for messages ("Creating the talking-avatar video"). */
	what: string;
	/** A read of one record: a "no such record" answer becomes akoolNotFound's clear error. */
	reads?: AkoolRecordRef;
}

const baseUrls = new WeakMap<object, Promise<string>>();

function baseUrlFor(ctx: AkoolContext): Promise<string> {
	let url = baseUrls.get(ctx);
	if (!url) {
		url = ctx.getCredentials(AKOOL_CREDENTIAL).then((c) => akoolBaseUrl(c.baseUrl));
		baseUrls.set(ctx, url);
	}
	return url;
}

/** One Akool API call: returns `data` of a `code: 1000` answer, throws a classified error otherwise. */
export async function akoolRequest<T = unknown>(ctx: AkoolContext, request: AkoolRequest): Promise<T> {
	const { method, path, body, qs, itemIndex, what } = request;
	const response = await akoolHttp(
		ctx,
		{
			method,
			url: `${await baseUrlFor(ctx)}${path}`,
			body,
			qs,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: method === 'GET' ? READ_TIMEOUT_MS : WRITE_TIMEOUT_MS,
			// Stop / an execution timeout aborts the request (load-options contexts have no signal).
			abortSignal: 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal?.() : undefined,
		},
		what,
		itemIndex,
	);
	const envelope = isObject(response.body) ? (response.body as AkoolEnvelope) : undefined;
	if (response.statusCode < 300 && envelope && Number(envelope.code) === AKOOL_SUCCESS) return envelope.data as T;
	const error = akoolError(ctx, response, method, what, itemIndex);
	if (request.reads && failureKindOf(error) === 'notFound') return await Promise.reject(akoolNotFound(ctx, what, request.reads, itemIndex, error));
	return await Promise.reject(error);
}

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The credential's token-exchange message, wherever n8n wrapped it. */
function tokenErrorMessage(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
		const message = (current as { message?: unknown }).message;
		if (typeof message === 'string' && message.includes(TOKEN_ERROR)) return message.slice(message.indexOf(TOKEN_ERROR));
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}
