import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import * as lipSyncVideo from './lipSyncVideo/LipSyncVideo.resource';

type Operation = (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>;

const operations: Record<string, Record<string, Operation>> = {
	lipSyncVideo: {
		create: lipSyncVideo.create.execute,
		get: lipSyncVideo.get.execute,
	},
};

/**
 * Dispatches to the operation. Create and Get take the whole batch: they submit and wait on all
 * items together, and handle continueOnFail per item themselves.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const execute = operations[resource]?.[operation];
	if (!execute) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of resource "${resource}" is not supported`);
	}
	return [await execute.call(this, items)];
}
