import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';
import { KLING_BASE_URLS } from '../nodes/KlingAvatar/baseUrl';
import { signKlingJwt } from '../nodes/KlingAvatar/jwt';

export class KlingApi implements ICredentialType {
	name = 'klingApi';

	displayName = 'Kling API';

	icon = { light: 'file:kling.svg', dark: 'file:kling.dark.svg' } as const;

	documentationUrl = 'https://app.klingai.com/global/dev/document-api/apiReference/commonInfo';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'Access Key + Secret Key',
					value: 'accessKey',
					description: 'Signs a short-lived token (HS256 JWT) for every request',
				},
				{
					name: 'API Key',
					value: 'apiKey',
					description: 'A single key sent as a Bearer token (newer Kling keys, or a proxy such as CometAPI)',
				},
			],
			default: 'accessKey',
		},
		{
			displayName: 'Access Key',
			name: 'accessKey',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['accessKey'] } },
		},
		{
			displayName: 'Secret Key',
			name: 'secretKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['accessKey'] } },
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['apiKey'] } },
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'options',
			options: [
				{ name: 'Global (Singapore)', value: 'global', description: KLING_BASE_URLS.global },
				{ name: 'China (Beijing)', value: 'china', description: KLING_BASE_URLS.china },
				{ name: 'CometAPI (Proxy)', value: 'cometapi', description: `${KLING_BASE_URLS.cometapi}, with a CometAPI key in API Key mode` },
				{ name: 'Custom Base URL', value: 'custom', description: 'Another proxy or host; its limits may differ from Kling\'s' },
			],
			default: 'global',
			hint: 'Keys from the global and the China console do not work on each other\'s host. CometAPI takes its own key (Authentication: API Key).',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'https://kling-proxy.example.com',
			description: 'The API root that /v1/... paths are appended to',
			required: true,
			displayOptions: { show: { region: ['custom'] } },
		},
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const token =
			credentials.authentication === 'apiKey'
				? String(credentials.apiKey ?? '').trim()
				: signKlingJwt(String(credentials.accessKey ?? '').trim(), String(credentials.secretKey ?? '').trim());
		return {
			...requestOptions,
			headers: { ...(requestOptions.headers ?? {}), Authorization: `Bearer ${token}` },
		};
	}

	// Listing one avatar task is free and exists behind Kling's regions and the proxies we know of;
	// CometAPI does not document the list path (provider-apis.md §6.2, [?]), so there a refusal
	// of CometAPI's own may also mean the path, not the key: its message says both.
	// Every HTTP answer is taken as an answer (ignoreHttpStatusErrors) so that the rules below can
	// name the cause from Kling's own code: n8n 1.x shows only its generic 401 text for a failed
	// request, whatever a responseCode rule says.
	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ $credentials.region === "custom" ? String($credentials.baseUrl).replace(/\\/+$/, "") : ($credentials.region === "china" ? "${KLING_BASE_URLS.china}" : ($credentials.region === "cometapi" ? "${KLING_BASE_URLS.cometapi}" : "${KLING_BASE_URLS.global}")) }}`,
			url: '/v1/videos/avatar/image2video',
			method: 'GET',
			qs: { pageNum: 1, pageSize: 1 },
			ignoreHttpStatusErrors: true,
		},
		rules: [
			...[1000, 1001, 1002, 1003, 1004].map((code) => ({
				type: 'responseSuccessBody' as const,
				properties: {
					key: 'code',
					value: code,
					message: `Kling refused the keys (code ${code}): check the access key and secret key (or the API key), that Region matches the console the keys come from (global and China keys do not work on each other's host), and this machine's clock (tokens are signed with it)`,
				},
			})),
			{ type: 'responseSuccessBody', properties: { key: 'code', value: 1100, message: 'Kling accepted the keys, but the account has a problem (code 1100): check it in the Kling developer portal' } },
			{ type: 'responseSuccessBody', properties: { key: 'code', value: 1101, message: 'Kling accepted the keys, but the account is in arrears (code 1101)' } },
			{ type: 'responseSuccessBody', properties: { key: 'code', value: 1102, message: 'Kling accepted the keys, but the account balance or resource pack is used up (code 1102)' } },
			{ type: 'responseSuccessBody', properties: { key: 'code', value: 1103, message: 'Kling accepted the keys, but they have no permission for the avatar API (code 1103)' } },
			// CometAPI answers in its own shapes (provider-apis.md §6.2): its own refusals, and Kling's nested.
			{ type: 'responseSuccessBody', properties: { key: 'error.type', value: 'comet_api_error', message: 'CometAPI refused the test request: check the API key (a CometAPI key, with Authentication set to API Key; keys of Kling\'s own console do not work there). The test lists one avatar task, a path CometAPI does not document: if the key is right, save the credential and try a Create' } },
			...[1000, 1001, 1002, 1003, 1004].map((code) => ({
				type: 'responseSuccessBody' as const,
				properties: { key: 'data.data.code', value: code, message: `Kling refused the keys through the proxy (code ${code}): check the API key` },
			})),
			...[1100, 1101, 1102, 1103].map((code) => ({
				type: 'responseSuccessBody' as const,
				properties: { key: 'data.data.code', value: code, message: `The proxy accepted the key, but Kling refused the account behind it (code ${code}${code === 1102 ? ': balance or resource pack used up' : ''})` },
			})),
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: undefined,
					message: 'This base URL did not answer like Kling\'s API (no Kling code in the answer): check Region, or the Custom Base URL (the API root that /v1/... is appended to)',
				},
			},
		],
	};
}
