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
		displayOptions: { show: { resource: ['lipSyncVideo'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Make the person in a video speak an audio track',
				action: 'Create a lip sync video',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a lip-sync task, optionally waiting for it and downloading the video',
				action: 'Get a lip sync video',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
];
