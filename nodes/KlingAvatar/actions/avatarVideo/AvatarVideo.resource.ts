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
		displayOptions: { show: { resource: ['avatarVideo'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Create a talking-avatar video from a portrait and a voice track',
				action: 'Create an avatar video',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get an avatar video task, optionally waiting for it and downloading the video',
				action: 'Get an avatar video',
			},
			{
				name: 'Get Many',
				value: 'list',
				description: 'List avatar video tasks, newest first',
				action: 'Get many avatar videos',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
	...list.description,
];
