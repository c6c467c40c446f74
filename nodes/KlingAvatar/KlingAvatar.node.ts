import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as avatarVideo from './actions/avatarVideo/AvatarVideo.resource';
import { router } from './actions/router';
import { callbackWebhook, notWaiting } from '../shared/callbackOperation';
import { CALLBACK_WAITING_TOOLTIP, CALLBACK_WEBHOOKS } from '../shared/callbackWait';
import { klingAvatarCallback } from './callback';
import { subtitleFrom } from '../shared/subtitle';
import * as speech from './actions/speech/Speech.resource';
import { getTtsVoices } from './methods/loadOptions';

const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Avatar Video', value: 'avatarVideo' },
			{ name: 'Speech', value: 'speech' },
		],
		default: 'avatarVideo',
	},
	...avatarVideo.description,
	...speech.description,
];

/**
 * Programmatic rather than declarative: Create validates media before paying, waits on the
 * whole batch with polling and downloads results, which routing rules cannot express.
 */
export class KlingAvatar implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kling Avatar',
		name: 'klingAvatar',
		icon: { light: 'file:klingAvatar.svg', dark: 'file:klingAvatar.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: subtitleFrom(properties),
		// Used as is: n8n appends its tracking query only to the codex link, which would land after this #fragment.
		documentationUrl: 'https://github.com/talking-avatar/n8n-nodes-talking-avatar#kling-avatar',
		description: 'Create talking-avatar videos from a portrait and a voice with Kling AI',
		defaults: { name: 'Kling Avatar' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'klingApi', required: true }],
		// Avatar Video → Create with Wait By → Provider Callback: Kling's callbacks resume the waiting execution.
		webhooks: CALLBACK_WEBHOOKS,
		waitingNodeTooltip: CALLBACK_WAITING_TOOLTIP,
		properties,
	};

	methods = { loadOptions: { getTtsVoices } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}

	/** A provider callback for a Create that waits by callback (only that operation ever waits). */
	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const resource = this.getNodeParameter('resource', 'avatarVideo');
		const operation = this.getNodeParameter('operation', '');
		if (resource === 'avatarVideo' && operation === 'create') return await callbackWebhook(this, klingAvatarCallback);
		return notWaiting();
	}
}
