import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as get from './get.operation';

export { create, get };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['talkingAvatarVideo'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Create a talking-avatar video from an avatar and a voice track',
				action: 'Create a talking avatar video',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a talking-avatar video, optionally waiting for it and downloading it',
				action: 'Get a talking avatar video',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
];
