import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as avatar from './actions/avatar/Avatar.resource';
import { router } from './actions/router';
import * as talkingAvatarVideo from './actions/talkingAvatarVideo/TalkingAvatarVideo.resource';
import { getAvatars } from './methods/loadOptions';

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
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Create talking-avatar videos and manage avatars with Akool',
		defaults: { name: 'Akool' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'akoolApi', required: true }],
		properties: [
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
		],
	};

	methods = { loadOptions: { getAvatars } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
