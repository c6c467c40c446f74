import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { klingBaseUrl } from '../baseUrl';
import { parseVoices, VOICES_PATH } from '../speech';
import { KLING_CREDENTIAL, klingAdvice } from '../transport';

/** Kling's preset voices for the Voice field. A refusal names Kling's code, its message and what to do. */
export async function getVoices(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const credentials = await this.getCredentials(KLING_CREDENTIAL);
	let response: { statusCode: number; body: unknown };
	try {
		response = (await this.helpers.httpRequestWithAuthentication.call(this, KLING_CREDENTIAL, {
			method: 'GET',
			url: `${klingBaseUrl(credentials.region, credentials.baseUrl)}${VOICES_PATH}`,
			qs: { pageNum: 1, pageSize: 500 },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as { statusCode: number; body: unknown };
	} catch (error) {
		throw new NodeApiError(this.getNode(), error as never, {
			message: `Could not load the Kling voice list: no answer from ${klingBaseUrl(credentials.region, credentials.baseUrl)}`,
			description: 'Check the credential\'s Region or Base URL, and that n8n can reach it.',
		});
	}
	const envelope = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as { code?: unknown; message?: unknown; data?: unknown };
	if (response.statusCode >= 300 || envelope.code !== 0) {
		const code = typeof envelope.code === 'number' ? envelope.code : undefined;
		const said = typeof envelope.message === 'string' && envelope.message ? ` – ${envelope.message}` : '';
		throw new NodeOperationError(this.getNode(), `Could not load the Kling voice list: Kling ${code !== undefined ? `code ${code}` : `HTTP ${response.statusCode}`}${said}`, {
			description: klingAdvice(code) ?? `Kling answered HTTP ${response.statusCode}. Test the credential to see what is wrong with it.`,
		});
	}
	return parseVoices(envelope.data)
		.map((v) => ({ name: `${v.voiceName} (${v.voiceId})`, value: v.voiceId }))
		.sort((a, b) => a.name.localeCompare(b.name));
}
