'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.FixtureHeaderApi = void 0;

/** Credential with a GENERIC authenticate object (expressions resolved by the credentials helper). */
class FixtureHeaderApi {
	constructor() {
		this.name = 'fixtureHeaderApi';
		this.displayName = 'Fixture Header API';
		this.properties = [
			{ displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
			{ displayName: 'Region', name: 'region', type: 'string', default: 'eu' },
		];
		this.authenticate = {
			type: 'generic',
			properties: {
				headers: { Authorization: '=Bearer {{$credentials.apiKey}}', 'X-Static': 'static-value' },
				qs: { region: '={{$credentials.region}}' },
			},
		};
	}
}
exports.FixtureHeaderApi = FixtureHeaderApi;
