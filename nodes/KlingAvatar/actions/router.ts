import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { BatchOperation } from '../../shared/router';
import { routeOperation } from '../../shared/router';
import * as avatarVideo from './avatarVideo/AvatarVideo.resource';
import * as speech from './speech/Speech.resource';

const operations: Record<string, Record<string, BatchOperation>> = {
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

/** Dispatches to the operation; operations take the whole batch and handle continueOnFail per item. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await routeOperation(this, operations);
}
