import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { executeTaskOperation, taskIdJob } from '../../../shared/taskOperation';
import { taskFollowUpProperties } from '../../../shared/waitOptions';
import type { AvatarCreateRequest } from '../../avatarTaskApi';
import { klingAvatarApi } from '../../avatarTaskApi';

const displayOptions = { show: { resource: ['avatarVideo'], operation: ['get'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Find By',
		name: 'findBy',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Task ID', value: 'taskId', description: 'The ID Kling gave the task' },
			{ name: 'External Task ID', value: 'externalTaskId', description: 'Your own ID set at creation' },
		],
		default: 'taskId',
	},
	{
		displayName: 'Task ID',
		name: 'taskId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. {{ $json.taskId }}',
		displayOptions: { show: { findBy: ['taskId'] } },
	},
	{
		displayName: 'External Task ID',
		name: 'externalTaskId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. {{ $json.externalTaskId }}',
		displayOptions: { show: { findBy: ['externalTaskId'] } },
	},
	...taskFollowUpProperties(),
];

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeTaskOperation<AvatarCreateRequest>(this, items, {
		api: klingAvatarApi(this),
		waitDefault: false,
		buildJob: async (i) => {
			// Kling's query path takes either ID.
			const findBy = this.getNodeParameter('findBy', i) as 'taskId' | 'externalTaskId';
			const job = taskIdJob<AvatarCreateRequest>(this, i, findBy, findBy === 'taskId' ? 'Task ID' : 'External Task ID', 'Kling');
			// A failed task comes with `task_info: {}` (provider-apis.md §6.1): the ID asked for is its external ID.
			return findBy === 'externalTaskId' ? { ...job, externalTaskId: job.taskId } : job;
		},
		videoFileName: (task) => `kling-avatar-${task.taskId}.mp4`,
	});
}
