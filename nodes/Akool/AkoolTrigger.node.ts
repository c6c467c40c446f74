import type {
	IDataObject,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { answer, CALLBACK_WEBHOOKS, NO_REGISTRATION_WEBHOOK_METHODS, RECEIVED, TRY_AGAIN, callbackTriggerProperties, emitConfirmedTask } from '../shared/callbackTrigger';
import { failureKindOf } from '../shared/errors';
import { AKOOL_CREDENTIAL, AKOOL_PATHS } from './constants';
import { normalizeAkoolVideo } from './normalize';
import { akoolRequest } from './transport';
import { AKOOL_WEBHOOK_MAX_AGE_MS, openAkoolWebhook } from './webhookVerify';

const properties: INodeProperties[] = [
	{
		displayName:
			'Put this node\'s Production URL (above) into the Webhook URL of Akool → Talking Avatar Video → Create, and activate (n8n 1.x) / publish (n8n 2.x) this workflow. Akool must be able to reach n8n: n8n needs a public https address (set WEBHOOK_URL), not localhost.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	...callbackTriggerProperties('Akool'),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Max Delivery Age (Seconds)',
				name: 'maxAgeSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 3600,
				description:
					'Deliveries whose signed timestamp is further than this from now (either way) are refused with HTTP 401: replays, or a clock far off. Akool resends a delivery verbatim (same timestamp) until it gets HTTP 200, so a real one that could not be taken in time (n8n or Akool\'s API down longer than this) is refused too: collect such videos with Akool → Talking Avatar Video → Get. Shorter = less room for replays, longer = survives longer downtime.',
			},
		],
	},
];

/**
 * Starts a workflow when Akool reports a talking-avatar video has ended (its webhook). Every
 * delivery is verified (signature over the client ID), checked for age (replays) and decrypted
 * with the credential's client secret; anything else is refused with HTTP 401 and starts nothing.
 * The video is then fetched with the credential (infobymodelid), and the emitted item is what
 * Akool's API says, in the shape of Create's output; the delivery only names the video.
 */
export class AkoolTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Akool Trigger',
		name: 'akoolTrigger',
		icon: { light: 'file:akool.svg', dark: 'file:akool.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "Status: " + $parameter["statusFilter"] }}',
		documentationUrl: 'https://github.com/talking-avatar/n8n-nodes-talking-avatar#callbacks-trigger-nodes',
		description: 'Starts the workflow when Akool reports that a talking-avatar video has ended (webhook)',
		defaults: { name: 'Akool Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'akoolApi', required: true }],
		webhooks: CALLBACK_WEBHOOKS,
		properties,
	};

	// Akool has no webhook registration API: the URL goes with each create (webhookUrl).
	webhookMethods = NO_REGISTRATION_WEBHOOK_METHODS;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const credentials = await this.getCredentials(AKOOL_CREDENTIAL);
		const clientId = String(credentials.clientId ?? '').trim();
		// Akool: the API key is the same value as the client secret.
		const clientSecret = String((credentials.authentication === 'clientCredentials' ? credentials.clientSecret : credentials.apiKey) ?? '').trim();
		if (!clientId || !clientSecret) {
			this.logger.error('Akool Trigger: the credential needs the Client ID and the API key (or Client Secret) to verify webhooks');
			return answer(this, 500, { error: 'the webhook cannot be verified now' });
		}
		const options = this.getNodeParameter('options', {}) as IDataObject;
		// An expression may give anything: what is not a positive number falls back to the default.
		const seconds = Number(options.maxAgeSeconds);
		const maxAgeMs = Number.isFinite(seconds) && seconds > 0 ? Math.max(1, seconds) * 1000 : AKOOL_WEBHOOK_MAX_AGE_MS;
		const verdict = openAkoolWebhook(this.getBodyData(), { clientId, clientSecret }, { maxAgeMs });
		if (!verdict.ok) {
			if (verdict.reason === 'unusableSecret') {
				this.logger.error(`Akool Trigger: ${verdict.message}`);
				return answer(this, 500, { error: 'the webhook cannot be verified now' });
			}
			// One answer for every failed check: which one failed (e.g. a right Client ID with a wrong
			// key) would help someone guessing the credential. The reason goes to n8n's log.
			this.logger.warn(`Akool Trigger: refused a delivery (${verdict.reason}): ${verdict.message}`);
			return answer(this, 401, { error: 'invalid webhook' });
		}
		const { payload } = verdict;
		// One webhook URL may serve other Akool products (faceswap, audio …): only talking-avatar videos are read here.
		if (payload.type && payload.type !== 'avatar') {
			this.logger.debug(`Akool Trigger: a webhook of type "${payload.type}" (not a talking-avatar video) was ignored`);
			return answer(this, 200, RECEIVED);
		}

		let data: IDataObject | null;
		try {
			data = await akoolRequest<IDataObject | null>(this, {
				method: 'GET',
				path: AKOOL_PATHS.videoInfo,
				qs: { video_model_id: payload._id },
				what: `Confirming the webhook for video ${payload._id}`,
			});
		} catch (error) {
			if (failureKindOf(error) === 'notFound') {
				this.logger.warn(`Akool Trigger: a verified webhook names video ${payload._id}, which this credential's account does not have`);
				return answer(this, 404, { error: 'unknown video' });
			}
			// Not 200: Akool sends it again (it retries until it gets 200).
			this.logger.warn(`Akool Trigger: could not confirm video ${payload._id}: ${(error as Error).message}; answered 502 so that it is sent again`);
			return answer(this, 502, TRY_AGAIN);
		}
		if (!data || typeof data !== 'object' || !data._id) {
			this.logger.warn(`Akool Trigger: a verified webhook names video ${payload._id}, which Akool does not return`);
			return answer(this, 404, { error: 'unknown video' });
		}
		const task = normalizeAkoolVideo(data);
		// Verified status 3 (completed) or 4 (failed) while Akool's API still shows it running: 503, sent again.
		return await emitConfirmedTask(this, task, { provider: 'Akool', fileName: `akool-${task.taskId}.mp4`, claimsEnded: payload.status === 3 || payload.status === 4 });
	}
}
