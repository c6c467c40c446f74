import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { BatchOperation } from '../../shared/router';
import { routeOperation } from '../../shared/router';
import * as avatar from './avatar/Avatar.resource';
import * as talkingAvatarVideo from './talkingAvatarVideo/TalkingAvatarVideo.resource';

const operations: Record<string, Record<string, BatchOperation>> = {
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
	return await routeOperation(this, operations);
}
