import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { invalidInput } from '../../../shared/items';
import { executeTaskOperation } from '../../../shared/taskOperation';
import { pollingOptionFields, waitAndDownloadProperties } from '../../../shared/waitOptions';
import type { LipSyncCreateRequest } from '../../lipSyncTaskApi';
import { mingyanLipSyncApi } from '../../lipSyncTaskApi';
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
	return await executeTaskOperation<LipSyncCreateRequest>(this, items, {
		api: mingyanLipSyncApi(this),
		waitDefault: false,
		buildJob: async (i) => {
			const id = String(this.getNodeParameter('taskId', i, '')).trim();
			if (!id) throw invalidInput(this, i, 'Task ID', 'the ID is empty', 'Mingyan');
			return { itemIndex: i, taskId: id };
		},
		videoFileName: (task) => `mingyan-lipsync-${task.taskId}.mp4`,
		verifyDownload: async (task, binary, i) => await verifyMingyanDownload(this, task, binary, i),
	});
}
