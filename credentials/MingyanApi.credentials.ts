import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

export class MingyanApi implements ICredentialType {
	name = 'mingyanApi';

	displayName = 'Mingyan API';

	icon = { light: 'file:mingyan.svg', dark: 'file:mingyan.dark.svg' } as const;

	documentationUrl = 'https://docs.mingyanai.com';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The key issued by the Mingyan (GlobalAiOpc) team; sent as a Bearer token',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://zcbservice.aizfw.cn/kyyReactApiServer',
			required: true,
			description: 'The API root that /v1/... paths are appended to. Change it only for another host or a proxy.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.apiKey}}' },
		},
	};

	// Reading the result of a made-up task ID is the cheapest request the API has: it is free,
	// creates nothing, and the key is checked before the task is looked up, so a bad key
	// answers 401. The API has no account or model-list endpoint to ask instead. What a good
	// key gets for an unknown ID is not documented: the emulator answers 200 with a "failed"
	// task object, which passes. Should the real service answer 404, the rule below says that
	// the key itself was accepted.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{ String($credentials.baseUrl).trim().replace(/\\/+$/, "") }}',
			url: '/v1/result/n8n-credential-test',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: { value: 401, message: 'Mingyan refused the API key (HTTP 401)' },
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'The key was accepted, but Mingyan answered 404 for the test task ID (expected for an unknown task, or the base URL is wrong)',
				},
			},
		],
	};
}
