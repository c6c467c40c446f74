import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';
import { AKOOL_DEFAULT_BASE_URL, AKOOL_PATHS, AKOOL_RATE_LIMITED, AKOOL_SUCCESS, AKOOL_TOKEN_TRANSIENT_MARK, akoolBaseUrl } from '../nodes/Akool/constants';

/** Marks errors of the token exchange, so the node can tell them from lost requests. */
export const AKOOL_TOKEN_ERROR_PREFIX = 'Akool getToken failed';

/** Socket-level failures that may clear by themselves (Node / undici error codes). */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

function isTransientNetworkError(error: unknown): boolean {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
		current = (current as { cause?: unknown }).cause;
	}
	return /socket hang up/i.test(String((error as { message?: unknown } | undefined)?.message ?? ''));
}

export class AkoolApi implements ICredentialType {
	name = 'akoolApi';

	displayName = 'Akool API';

	icon = { light: 'file:akool.svg', dark: 'file:akool.dark.svg' } as const;

	documentationUrl = 'https://docs.akool.com/authentication/usage';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'API Key',
					value: 'apiKey',
					description: 'Sends the API key in the x-api-key header (recommended by Akool)',
				},
				{
					name: 'Client ID + Client Secret',
					value: 'clientCredentials',
					description: 'Exchanges the pair for a token (POST /api/open/v3/getToken), kept and reused until Akool rejects it',
				},
			],
			default: 'apiKey',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			hint: 'Akool → API Credentials. The API key has the same value as the client secret.',
			displayOptions: { show: { authentication: ['apiKey'] } },
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			hint: 'Akool → API Credentials. Needed for the token, and in both modes to verify and decrypt Akool webhooks.',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['clientCredentials'] } },
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: AKOOL_DEFAULT_BASE_URL,
			description: 'The API root that /api/open/v3/... paths are appended to',
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	];

	/**
	 * Client ID + Client Secret: gets a token once; n8n stores it in the expirable Session Token
	 * field and calls this again when that field is empty (the node empties it after Akool answers
	 * HTTP 401 or code 1101). API Key mode needs no token and returns nothing to store.
	 */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		if (credentials.authentication !== 'clientCredentials') return {};
		const clientId = String(credentials.clientId ?? '').trim();
		const clientSecret = String(credentials.clientSecret ?? '').trim();
		if (!clientId || !clientSecret) {
			throw new Error(`${AKOOL_TOKEN_ERROR_PREFIX}: the Client ID and the Client Secret are both required`);
		}
		let response: { code?: unknown; msg?: unknown; token?: unknown } | undefined;
		try {
			response = (await this.helpers.httpRequest({
				method: 'POST',
				url: `${akoolBaseUrl(credentials.baseUrl)}${AKOOL_PATHS.credentialExchange}`,
				body: { clientId, clientSecret },
				json: true,
				ignoreHttpStatusErrors: true,
			})) as typeof response;
		} catch (error) {
			// A dropped or refused connection may work a moment later; a wrong host, scheme or certificate never will.
			if (isTransientNetworkError(error)) {
				throw new Error(`${AKOOL_TOKEN_ERROR_PREFIX}: no answer (${(error as Error).message}) ${AKOOL_TOKEN_TRANSIENT_MARK}`);
			}
			throw new Error(`${AKOOL_TOKEN_ERROR_PREFIX}: ${akoolBaseUrl(credentials.baseUrl)} could not be reached (${(error as Error).message}). Check the Base URL.`);
		}
		if (response?.code === AKOOL_RATE_LIMITED) {
			const msg = typeof response.msg === 'string' && response.msg ? `: ${response.msg}` : '';
			throw new Error(`${AKOOL_TOKEN_ERROR_PREFIX} (code ${AKOOL_RATE_LIMITED})${msg} ${AKOOL_TOKEN_TRANSIENT_MARK}`);
		}
		// The token sits at the top level of the answer, not under `data`.
		if (response?.code !== AKOOL_SUCCESS || typeof response.token !== 'string' || !response.token) {
			const code = response?.code !== undefined ? ` (code ${String(response.code)})` : '';
			const msg = typeof response?.msg === 'string' && response.msg ? `: ${response.msg}` : '';
			throw new Error(`${AKOOL_TOKEN_ERROR_PREFIX}${code}${msg}. Check the Client ID, the Client Secret and the Base URL.`);
		}
		return { sessionToken: response.token };
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const headers: IDataObject = { ...(requestOptions.headers ?? {}) };
		if (credentials.authentication === 'clientCredentials') {
			headers.Authorization = `Bearer ${String(credentials.sessionToken ?? '')}`;
		} else {
			headers['x-api-key'] = String(credentials.apiKey ?? '').trim();
		}
		return { ...requestOptions, headers };
	}

	// Listing one official avatar is free. Akool may refuse a key with HTTP 200 and a code, so the
	// codes are checked too.
	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ String($credentials.baseUrl || "${AKOOL_DEFAULT_BASE_URL}").trim().replace(/\\/+$/, "") }}`,
			url: AKOOL_PATHS.avatarList,
			method: 'GET',
			qs: { from: 2, page: 1, size: 1 },
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: { key: 'code', value: 1101, message: 'Invalid authorization (Akool code 1101): check the API key or the client ID and secret' },
			},
			{
				type: 'responseSuccessBody',
				properties: { key: 'code', value: 1102, message: 'Authorization is empty (Akool code 1102)' },
			},
			{
				type: 'responseSuccessBody',
				properties: { key: 'code', value: 1200, message: 'The Akool account has been banned (code 1200)' },
			},
		],
	};
}
