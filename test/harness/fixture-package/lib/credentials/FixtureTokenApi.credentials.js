'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.FixtureTokenApi = void 0;

/**
 * Credential with preAuthentication + an expirable hidden property (like n8n's
 * session-token credentials): the token is fetched from `${baseUrl}/token`.
 */
class FixtureTokenApi {
	constructor() {
		this.name = 'fixtureTokenApi';
		this.displayName = 'Fixture Token API';
		this.properties = [
			{ displayName: 'Session Token', name: 'sessionToken', type: 'hidden', typeOptions: { expirable: true }, default: '' },
			{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
			{ displayName: 'Client ID', name: 'clientId', type: 'string', default: '' },
			{ displayName: 'Client Secret', name: 'clientSecret', type: 'string', typeOptions: { password: true }, default: '' },
		];
		this.authenticate = {
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.sessionToken}}' } },
		};
	}

	async preAuthentication(credentials) {
		const response = await this.helpers.httpRequest({
			method: 'POST',
			url: `${credentials.baseUrl}/token`,
			body: { clientId: credentials.clientId, clientSecret: credentials.clientSecret },
			json: true,
		});
		return { sessionToken: response.token };
	}
}
exports.FixtureTokenApi = FixtureTokenApi;
