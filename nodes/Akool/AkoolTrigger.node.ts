import type {
	IDataObject,
	IHookFunctions,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { answer, CALLBACK_WEBHOOKS, callbackTriggerProperties, emitConfirmedTask } from '../shared/callbackTrigger';
import { failureKindOf } from '../shared/errors';
import { AKOOL_CREDENTIAL, AKOOL_PATHS } from './constants';
import { normalizeAkoolVideo } from './normalize';
import { akoolRequest } from './transport';
import { AKOOL_WEBHOOK_MAX_AGE_MS, openAkoolWebhook } from './webhookVerify';

const properties: INodeProperties[] = [
	{
		displayName:
			'Put this node\'s Production URL (above) into the Webhook URL of Akool → Talking Avatar Video → Create and activate this workflow. Akool must be able to reach n8n: n8n needs a public https address (set WEBHOOK_URL), not localhost.',
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
				default: 300,
				description: 'Deliveries whose signed timestamp is further than this from now (either way) are refused with HTTP 401: old deliveries sent again (replays), or a clock far off',
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
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const credentials = await this.getCredentials(AKOOL_CREDENTIAL);
		const clientId = String(credentials.clientId ?? '').trim();
		// Akool: the API key is the same value as the client secret.
		const clientSecret = String((credentials.authentication === 'clientCredentials' ? credentials.clientSecret : credentials.apiKey) ?? '').trim();
		if (!clientId || !clientSecret) {
			this.logger.error('Akool Trigger: the credential needs the Client ID and the API key (or Client Secret) to verify webhooks');
			return answer(this, 500, { error: 'the Akool credential has no Client ID or secret: webhooks cannot be verified' });
		}
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const maxAgeMs = Math.max(1, Number(options.maxAgeSeconds ?? AKOOL_WEBHOOK_MAX_AGE_MS / 1000)) * 1000;
		const verdict = openAkoolWebhook(this.getBodyData(), { clientId, clientSecret }, { maxAgeMs });
		if (!verdict.ok) {
			if (verdict.reason === 'unusableSecret') {
				this.logger.error(`Akool Trigger: ${verdict.message}`);
				return answer(this, 500, { error: 'the Akool credential\'s secret cannot decrypt webhooks' });
			}
			this.logger.warn(`Akool Trigger: refused a delivery (${verdict.reason}): ${verdict.message}`);
			return answer(this, 401, { error: 'invalid webhook', reason: verdict.reason });
		}
		const { payload } = verdict;
		// One webhook URL may serve other Akool products (faceswap, audio …): only talking-avatar videos are read here.
		if (payload.type && payload.type !== 'avatar') {
			return answer(this, 200, { received: true, emitted: false, reason: `type "${payload.type}" is not a talking-avatar video` });
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
			this.logger.warn(`Akool Trigger: could not confirm video ${payload._id}: ${(error as Error).message}`);
			return answer(this, 502, { error: 'the video could not be confirmed with Akool; send again' });
		}
		if (!data || typeof data !== 'object' || !data._id) return answer(this, 404, { error: 'unknown video' });
		const task = normalizeAkoolVideo(data);
		return await emitConfirmedTask(this, task, { provider: 'Akool', fileName: `akool-${task.taskId}.mp4` });
	}
}
