import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as avatar from './actions/avatar/Avatar.resource';
import { router } from './actions/router';
import { callbackWebhook, notWaiting } from '../shared/callbackOperation';
import { CALLBACK_WAITING_TOOLTIP, CALLBACK_WEBHOOKS } from '../shared/callbackWait';
import { akoolVideoCallback } from './callback';
import { subtitleFrom } from '../shared/subtitle';
import * as talkingAvatarVideo from './actions/talkingAvatarVideo/TalkingAvatarVideo.resource';
import { getAvatars } from './methods/loadOptions';

const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Avatar', value: 'avatar' },
			{ name: 'Talking Avatar Video', value: 'talkingAvatarVideo' },
		],
		default: 'talkingAvatarVideo',
	},
	...avatar.description,
	...talkingAvatarVideo.description,
];

/**
 * Programmatic rather than declarative: Create validates inputs before paying, waits on the whole
 * batch with polling and downloads results, and the token is renewed on Akool's code 1101.
 */
export class Akool implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Akool',
		name: 'akool',
		icon: { light: 'file:akool.svg', dark: 'file:akool.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: subtitleFrom(properties),
		// Used as is: n8n appends its tracking query only to the codex link, which would land after this #fragment.
		documentationUrl: 'https://github.com/talking-avatar/n8n-nodes-talking-avatar#akool',
		description: 'Create talking-avatar videos and manage avatars with Akool',
		defaults: { name: 'Akool' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'akoolApi', required: true }],
		// Talking Avatar Video → Create with Wait By → Provider Callback: Akool's webhooks resume the waiting execution.
		webhooks: CALLBACK_WEBHOOKS,
		waitingNodeTooltip: CALLBACK_WAITING_TOOLTIP,
		properties,
	};

	methods = { loadOptions: { getAvatars } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}

	/** A provider callback for a Create that waits by callback (only that operation ever waits). */
	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const resource = this.getNodeParameter('resource', 'talkingAvatarVideo');
		const operation = this.getNodeParameter('operation', '');
		if (resource === 'talkingAvatarVideo' && operation === 'create') return await callbackWebhook(this, akoolVideoCallback);
		return notWaiting();
	}
}
