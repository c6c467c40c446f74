import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import * as avatarVideo from './avatarVideo/AvatarVideo.resource';
import * as speech from './speech/Speech.resource';

type Operation = (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>;

const operations: Record<string, Record<string, Operation>> = {
	avatarVideo: {
		create: avatarVideo.create.execute,
		get: avatarVideo.get.execute,
		list: avatarVideo.list.execute,
	},
	speech: {
		create: speech.create.execute,
		listVoices: speech.listVoices.execute,
	},
};

/**
 * Dispatches to the operation. Operations take the whole batch: Create and Get submit and
 * wait on all items together, and handle continueOnFail per item themselves.
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
