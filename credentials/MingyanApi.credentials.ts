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
		{
			displayName:
				'Test reads a made-up task ID (free, creates nothing). A refused key gets 401 or 403. What Mingyan answers a good key for an unknown task ID is not documented: any 2xx passes, and a 404 means the key was accepted or the Base URL is wrong.',
			name: 'testNotice',
			type: 'notice',
			default: '',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.apiKey}}' },
		},
	};

	// Reading the result of a made-up task ID is the cheapest request the API has: it is free and
	// creates nothing. The API has no account or model-list endpoint to ask instead.
	//
	// What Mingyan answers a good key for an unknown task ID is not known (provider-apis.md §6.4
	// [?]), and the test does not guess it. It assumes only that the key is checked before the task
	// is looked up, so that a refused key answers 401 (or 403) whatever the ID. Any 2xx passes,
	// whatever its body. A 404 fails the test (n8n fails every non-2xx answer), and its message says
	// what a 404 can mean: the key was accepted and unknown IDs get 404, or the Base URL is wrong
	// (the service answers 404 "No handler found" for a path it does not serve, §6.4). The nodes
	// depend on neither answer: a Get of an unknown ID fails its item either way (a 404 as not
	// found, a "failed" task object as a failed task).
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
				properties: { value: 403, message: 'Mingyan refused the API key (HTTP 403): it has no access to the DigitalHuman API' },
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'Mingyan answered 404 for the test\'s made-up task ID. Either the key was accepted and Mingyan answers 404 for unknown task IDs (its answer for those is not documented), or the Base URL is wrong. If the Base URL is the API root (…/kyyReactApiServer), the key works.',
				},
			},
		],
	};
}
