import type { IHttpRequestOptions, ILoadOptionsFunctions } from 'n8n-workflow';
import { KlingApi } from '../../credentials/KlingApi.credentials';
import { getVoices } from '../../nodes/KlingAvatar/methods/loadOptions';
import type { Emulator } from '../../emulator/server';
import { startEmulator } from '../../emulator/server';

/** A load-options context whose HTTP helper signs with the real credential and asks the emulator. */
function contextFor(emu: Emulator, credentials: Record<string, string>): ILoadOptionsFunctions {
	return {
		getNode: () => ({ name: 'Kling', credentials: {} }),
		getCredentials: async () => credentials,
		helpers: {
			async httpRequestWithAuthentication(_type: string, o: IHttpRequestOptions) {
				const signed = await new KlingApi().authenticate(credentials, o);
				const url = new URL(o.url);
				for (const [k, v] of Object.entries(o.qs ?? {})) url.searchParams.set(k, String(v));
				const res = await fetch(url, { headers: signed.headers as Record<string, string> });
				const body = await res.json();
				return o.returnFullResponse ? { statusCode: res.status, body } : body;
			},
		},
	} as unknown as ILoadOptionsFunctions;
}

describe('Kling voice list (load options)', () => {
	let emu: Emulator;
	beforeAll(async () => (emu = await startEmulator()));
	afterAll(async () => emu.close());
	const creds = (secretKey: string) => ({ authentication: 'accessKey', accessKey: emu.kling.config.accessKey, secretKey, region: 'custom', baseUrl: emu.url });

	it('lists the voices with a good credential', async () => {
		const options = await getVoices.call(contextFor(emu, creds(emu.kling.config.secretKey)));
		expect(options.length).toBeGreaterThan(3);
		expect(options[0]).toEqual({ name: expect.stringMatching(/\(.+\)$/), value: expect.any(String) });
	});

	it('with a wrong secret, names Kling\'s code and message and what to do', async () => {
		const error = await getVoices.call(contextFor(emu, creds('wrong-secret'))).catch((e: Error) => e);
		expect((error as Error).message).toBe('Could not load the Kling voice list: Kling code 1002 – Authorization is invalid');
		expect((error as { description?: string }).description).toMatch(/check the keys and the region/);
	});
});
