import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';
import type { CallbackProvider } from '../shared/callbackOperation';
import type { CallbackHint } from '../shared/callbackWait';
import { AKOOL_CREDENTIAL } from './constants';
import { talkingAvatarApi } from './taskApis';

const isObject = (value: unknown): value is IDataObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The webhook's keys: clientId (signature, IV) and the client secret (AES key; the API key has the same value). */
export interface AkoolWebhookKeys {
	clientId: string;
	clientSecret: string;
}

/**
 * What an Akool webhook's body says (provider-apis.md §2.4): `{signature, dataEncrypt, timestamp,
 * nonce}`, signature = sha1 of the four values sorted and joined, dataEncrypt = Base64 AES-CBC
 * (key = client secret, IV = client ID) of `{_id, status, type, url}`.
 * - No keys (the credential has no Client ID): nothing can be checked; the hint is empty and the
 *   node reads the tasks in order.
 * - A body that is not Akool's shape, or a wrong signature: 'refused' (answered 401, no read).
 * - Keys that cannot decrypt it: an empty hint (the signature held, so the call is Akool's).
 */
export function akoolCallbackHint(body: unknown, keys: AkoolWebhookKeys | undefined): CallbackHint | 'refused' {
	if (!keys) return {};
	if (!isObject(body)) return 'refused';
	const { signature, dataEncrypt, timestamp, nonce } = body;
	if (typeof signature !== 'string' || typeof dataEncrypt !== 'string' || timestamp === undefined || nonce === undefined) return 'refused';
	const expected = createHash('sha1').update([keys.clientId, String(timestamp), String(nonce), dataEncrypt].sort().join('')).digest('hex');
	const given = signature.toLowerCase();
	if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return 'refused';
	let payload: unknown;
	try {
		const bits = Buffer.byteLength(keys.clientSecret, 'utf8') * 8;
		const iv = Buffer.alloc(16);
		Buffer.from(keys.clientId, 'utf8').copy(iv, 0, 0, 16);
		const decipher = createDecipheriv(`aes-${bits}-cbc`, Buffer.from(keys.clientSecret, 'utf8'), iv);
		payload = JSON.parse(Buffer.concat([decipher.update(Buffer.from(dataEncrypt, 'base64')), decipher.final()]).toString('utf8'));
	} catch {
		return {};
	}
	if (!isObject(payload) || typeof payload._id !== 'string' || !payload._id) return {};
	const status = Number(payload.status);
	return { taskId: payload._id, terminal: status === 3 || status === 4 ? true : status === 1 || status === 2 ? false : undefined };
}

async function webhookKeys(ctx: IWebhookFunctions): Promise<AkoolWebhookKeys | undefined> {
	const credentials = await ctx.getCredentials(AKOOL_CREDENTIAL);
	const clientId = String(credentials.clientId ?? '').trim();
	const clientSecret = String((credentials.authentication === 'clientCredentials' ? credentials.clientSecret : credentials.apiKey) ?? '').trim();
	return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

/** Akool → Talking Avatar Video → Create's callback wait (nodes/shared/callbackOperation.ts). */
export const akoolVideoCallback: CallbackProvider = {
	provider: 'Akool',
	read: async (ctx, taskId, itemIndex) => await talkingAvatarApi(ctx).get(taskId, itemIndex),
	hint: async (ctx: IWebhookFunctions) => akoolCallbackHint(ctx.getBodyData(), await webhookKeys(ctx).catch(() => undefined)),
	videoFileName: (task) => `akool-talking-avatar-${task.taskId}.mp4`,
};
