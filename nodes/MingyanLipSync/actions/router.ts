import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { BatchOperation } from '../../shared/router';
import { routeOperation } from '../../shared/router';
import * as lipSyncVideo from './lipSyncVideo/LipSyncVideo.resource';

const operations: Record<string, Record<string, BatchOperation>> = {
	lipSyncVideo: {
		create: lipSyncVideo.create.execute,
		get: lipSyncVideo.get.execute,
	},
};

/** Dispatches to the operation; operations take the whole batch and handle continueOnFail per item. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await routeOperation(this, operations);
}
