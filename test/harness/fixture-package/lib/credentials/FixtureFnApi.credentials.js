'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.FixtureFnApi = void 0;

/** Credential whose `authenticate` is a FUNCTION (n8n calls it directly). */
class FixtureFnApi {
	constructor() {
		this.name = 'fixtureFnApi';
		this.displayName = 'Fixture Fn API';
		this.properties = [
			{ displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
		];
	}

	async authenticate(credentials, requestOptions) {
		return {
			...requestOptions,
			headers: { ...(requestOptions.headers || {}), 'x-fn-key': `fn:${credentials.apiKey}` },
		};
	}
}
exports.FixtureFnApi = FixtureFnApi;
