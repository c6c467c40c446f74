import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as lipSyncVideo from './actions/lipSyncVideo/LipSyncVideo.resource';
import { router } from './actions/router';
import { subtitleFrom } from '../shared/subtitle';

const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [{ name: 'Lip-Sync Video', value: 'lipSyncVideo' }],
		default: 'lipSyncVideo',
	},
	...lipSyncVideo.description,
];

/**
 * Programmatic rather than declarative: Create validates and encodes the URLs before paying,
 * waits on the whole batch with polling, downloads results and checks them against the MD5
 * Mingyan publishes, which routing rules cannot express.
 */
export class MingyanLipSync implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Mingyan Lip-Sync',
		name: 'mingyanLipSync',
		icon: { light: 'file:mingyanLipSync.svg', dark: 'file:mingyanLipSync.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: subtitleFrom(properties),
		// Used as is: n8n appends its tracking query only to the codex link, which would land after this #fragment.
		documentationUrl: 'https://github.com/talking-avatar/n8n-nodes-talking-avatar#mingyan-lip-sync',
		description: 'Make the person in a video speak a new audio track with the Mingyan (kyy) digital-human API',
		defaults: { name: 'Mingyan Lip-Sync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'mingyanApi', required: true }],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
