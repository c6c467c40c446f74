import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { invalidInput } from '../../../shared/items';
import { executeTaskOperation } from '../../../shared/taskOperation';
import { pollingOptionFields, waitAndDownloadProperties } from '../../../shared/waitOptions';
import { AKOOL } from '../../constants';
import type { TalkingAvatarRequest } from '../../taskApis';
import { talkingAvatarApi } from '../../taskApis';

const displayOptions = { show: { resource: ['talkingAvatarVideo'], operation: ['get'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Video Model ID',
		name: 'videoModelId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. {{ $json.taskId }}',
		description: 'The video\'s _id, returned by Create as taskId',
	},
	...waitAndDownloadProperties({ wait: false }),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [...pollingOptionFields],
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeTaskOperation<TalkingAvatarRequest>(this, items, {
		api: talkingAvatarApi(this),
		waitDefault: false,
		buildJob: async (i) => {
			const id = String(this.getNodeParameter('videoModelId', i, '')).trim();
			if (!id) throw invalidInput(this, i, 'Video Model ID', 'the ID is empty', AKOOL);
			return { itemIndex: i, taskId: id };
		},
		videoFileName: (task) => `akool-talking-avatar-${task.taskId}.mp4`,
	});
}
