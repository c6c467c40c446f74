import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { executeTaskOperation, taskIdJob } from '../../../shared/taskOperation';
import { taskFollowUpProperties } from '../../../shared/waitOptions';
import { AKOOL } from '../../constants';
import type { TalkingAvatarRequest } from '../../taskApis';
import { talkingAvatarApi } from '../../taskApis';

const displayOptions = { show: { resource: ['talkingAvatarVideo'], operation: ['get'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Task ID',
		name: 'videoModelId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. {{ $json.taskId }}',
		description: 'The taskId that Create outputs (Akool\'s video_model_id)',
	},
	...taskFollowUpProperties(),
];

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeTaskOperation<TalkingAvatarRequest>(this, items, {
		api: talkingAvatarApi(this),
		waitDefault: false,
		buildJob: async (i) => taskIdJob(this, i, 'videoModelId', 'Task ID', AKOOL),
		videoFileName: (task) => `akool-talking-avatar-${task.taskId}.mp4`,
	});
}
