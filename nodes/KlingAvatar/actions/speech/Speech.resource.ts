import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as listVoices from './listVoices.operation';

export { create, listVoices };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['speech'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Turn text into speech with a Kling voice; its audio ID feeds Avatar Video → Create',
				action: 'Create speech',
			},
			{
				name: 'List Voices',
				value: 'listVoices',
				description: 'List the voices Speech → Create takes (Kling\'s text-to-speech catalogue), or your account\'s preset or custom voices',
				action: 'List voices',
			},
		],
		default: 'create',
	},
	...create.description,
	...listVoices.description,
];
