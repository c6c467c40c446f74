import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as get from './get.operation';
import * as list from './list.operation';

export { create, get, list };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['avatar'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Upload an avatar from a video URL',
				action: 'Create an avatar',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get an avatar\'s details and status',
				action: 'Get an avatar',
			},
			{
				name: 'Get Many',
				value: 'list',
				description: 'List official avatars and your own',
				action: 'Get many avatars',
			},
		],
		default: 'list',
	},
	...create.description,
	...get.description,
	...list.description,
];
