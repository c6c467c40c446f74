import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import * as avatar from './avatar/Avatar.resource';
import * as talkingAvatarVideo from './talkingAvatarVideo/TalkingAvatarVideo.resource';

type Operation = (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>;

const operations: Record<string, Record<string, Operation>> = {
	avatar: {
		create: avatar.create.execute,
		get: avatar.get.execute,
		list: avatar.list.execute,
	},
	talkingAvatarVideo: {
		create: talkingAvatarVideo.create.execute,
		get: talkingAvatarVideo.get.execute,
	},
};

/** Dispatches to the operation; operations take the whole batch and handle continueOnFail per item. */
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
