import type { IWebhookFunctions } from 'n8n-workflow';
import type { CallbackProvider } from '../shared/callbackOperation';
import type { CallbackHint } from '../shared/callbackWait';
import { AKOOL_CREDENTIAL } from './constants';
import { talkingAvatarApi } from './taskApis';
import type { AkoolWebhookKeys } from './webhookVerify';
import { openAkoolWebhook } from './webhookVerify';

/**
 * What an Akool webhook says to a waiting Create (provider-apis.md §2.4; verified by
 * webhookVerify.ts, shared with the Akool Trigger):
 * - no keys (the credential has no Client ID): nothing can be checked; no hint, the tasks are read in order;
 * - a body of another shape (no Akool delivery at all): 'refused' (answered 401, nothing read);
 * - a wrong signature, a stale timestamp, a delivery the credential's secret cannot open or of an
 *   unknown payload: no hint. The body is only ever a hint (the reads decide), so such a delivery
 *   costs reads, never the wait: answered 401, Akool would send it again and again, and a mistyped
 *   Client ID would end every batch at Max Wait;
 * - else the video and whether it reports an end (status 3 or 4).
 */
export function akoolWaitHint(body: unknown, keys: AkoolWebhookKeys | undefined, now = Date.now()): CallbackHint | 'refused' {
	if (!keys) return {};
	const verdict = openAkoolWebhook(body, keys, { now });
	if (!verdict.ok) return verdict.reason === 'malformed' ? 'refused' : {};
	const { _id, status } = verdict.payload;
	return { taskId: _id, terminal: status === 3 || status === 4 };
}

async function webhookKeys(ctx: IWebhookFunctions): Promise<AkoolWebhookKeys | undefined> {
	const credentials = await ctx.getCredentials(AKOOL_CREDENTIAL);
	const clientId = String(credentials.clientId ?? '').trim();
	// The API key has the same value as the client secret (credential hint).
	const clientSecret = String((credentials.authentication === 'clientCredentials' ? credentials.clientSecret : credentials.apiKey) ?? '').trim();
	return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

/** Akool → Talking Avatar Video → Create's callback wait (nodes/shared/callbackOperation.ts). */
export const akoolVideoCallback: CallbackProvider = {
	provider: 'Akool',
	read: async (ctx, taskId, itemIndex) => await talkingAvatarApi(ctx).get(taskId, itemIndex),
	hint: async (ctx: IWebhookFunctions) => akoolWaitHint(ctx.getBodyData(), await webhookKeys(ctx).catch(() => undefined)),
	videoFileName: (task) => `akool-talking-avatar-${task.taskId}.mp4`,
};
