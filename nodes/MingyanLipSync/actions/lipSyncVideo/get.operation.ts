import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { executeTaskOperation, taskIdJob } from '../../../shared/taskOperation';
import { taskFollowUpProperties } from '../../../shared/waitOptions';
import type { LipSyncCreateRequest } from '../../lipSyncTaskApi';
import { mingyanLipSyncApi } from '../../lipSyncTaskApi';
import { MINGYAN_FIRST_POLL_SECONDS } from '../../transport';
import { verifyMingyanDownload } from '../../verify';

const displayOptions = { show: { resource: ['lipSyncVideo'], operation: ['get'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Task ID',
		name: 'taskId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. {{ $json.taskId }}',
		description: 'The ID Mingyan gave the task at creation',
	},
	...taskFollowUpProperties(MINGYAN_FIRST_POLL_SECONDS),
];

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeTaskOperation<LipSyncCreateRequest>(this, items, {
		api: mingyanLipSyncApi(this),
		waitDefault: false,
		firstPollSeconds: MINGYAN_FIRST_POLL_SECONDS,
		buildJob: async (i) => taskIdJob(this, i, 'taskId', 'Task ID', 'Mingyan'),
		videoFileName: (task) => `mingyan-lipsync-${task.taskId}.mp4`,
		verifyDownload: async (task, binary, i) => await verifyMingyanDownload(this, task, binary, i),
	});
}
