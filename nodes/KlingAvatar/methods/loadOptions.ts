import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { klingBaseUrl } from '../baseUrl';
import { parseVoices, VOICES_PATH } from '../speech';
import { KLING_CREDENTIAL } from '../transport';

/** Kling's preset voices for the Voice field. */
export async function getVoices(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const credentials = await this.getCredentials(KLING_CREDENTIAL);
	try {
		const response = (await this.helpers.httpRequestWithAuthentication.call(this, KLING_CREDENTIAL, {
			method: 'GET',
			url: `${klingBaseUrl(credentials.region, credentials.baseUrl)}${VOICES_PATH}`,
			qs: { pageNum: 1, pageSize: 500 },
			json: true,
		})) as { data?: unknown };
		return parseVoices(response.data)
			.map((v) => ({ name: `${v.voiceName} (${v.voiceId})`, value: v.voiceId }))
			.sort((a, b) => a.name.localeCompare(b.name));
	} catch (error) {
		throw new NodeApiError(this.getNode(), error as never, { message: 'Could not load the Kling voice list' });
	}
}
