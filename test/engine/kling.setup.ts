import type { INode, INodeParameters } from 'n8n-workflow';
import type { Emulator } from '../../emulator/server';
import { nodeOf } from './setup';

export const klingCredentials = (emulator: Emulator, extra: Record<string, string> = {}) => ({
	klingApi: {
		authentication: 'accessKey',
		accessKey: emulator.kling.config.accessKey,
		secretKey: emulator.kling.config.secretKey,
		region: 'custom',
		baseUrl: emulator.url,
		...extra,
	},
});

/** Fast polling so tests run in seconds against the emulator's short task timings. */
export const FAST = { pollMinIntervalSeconds: 0.2, pollMaxIntervalSeconds: 1 };

export function klingNode(parameters: INodeParameters, extra: Partial<INode> = {}): INode {
	return nodeOf('klingAvatar', parameters, {
		name: 'Node',
		credentials: { klingApi: { id: '1', name: 'Kling (emulator)' } },
		...extra,
	});
}

export const createParams = (p: INodeParameters = {}): INodeParameters => ({
	resource: 'avatarVideo',
	operation: 'create',
	imageSource: 'binary',
	imageBinaryProperty: 'data',
	audioSource: 'binary',
	audioBinaryProperty: 'audio',
	mode: 'std',
	waitForCompletion: true,
	maxWaitMinutes: 1,
	downloadVideo: true,
	videoBinaryProperty: 'video',
	...p,
	options: { ...FAST, ...((p.options as object) ?? {}) },
});
