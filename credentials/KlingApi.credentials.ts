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
				{ name: 'Custom Base URL', value: 'custom', description: 'A proxy or another host' },
			],
			default: 'global',
			hint: 'Keys from the global and the China console do not work on each other\'s host',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'https://api.cometapi.com/kling',
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

	// Listing one avatar task is free, exists behind every base URL (regions and proxies alike)
	// and answers 401 for a bad key or token.
	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ $credentials.region === "custom" ? String($credentials.baseUrl).replace(/\\/+$/, "") : ($credentials.region === "china" ? "${KLING_BASE_URLS.china}" : "${KLING_BASE_URLS.global}") }}`,
			url: '/v1/videos/avatar/image2video',
			method: 'GET',
			qs: { pageNum: 1, pageSize: 1 },
		},
		// n8n shows only the HTTP status text ("Unauthorized") unless a rule names the cause.
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'Kling refused the keys (HTTP 401, codes 1000–1004): check the access key and secret key (or the API key), that Region matches the console the keys come from (global and China keys do not work on each other\'s host), and this machine\'s clock (tokens are signed with it)',
				},
			},
			{
				type: 'responseCode',
				properties: { value: 403, message: 'Kling accepted the keys but they have no permission for the avatar API (HTTP 403, code 1103)' },
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'This base URL does not serve Kling\'s avatar API (HTTP 404): check Region, or the Custom Base URL (it is the API root that /v1/... is appended to)',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 429,
					message: 'Kling accepted the keys but refused the request (HTTP 429): the account is in arrears, its resource pack is used up, or requests come too fast',
				},
			},
		],
	};
}
