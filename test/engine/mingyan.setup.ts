import type { INode, INodeParameters } from 'n8n-workflow';
import type { Emulator } from '../../emulator/server';
import { nodeOf } from './setup';

export const mingyanCredentials = (emulator: Emulator, extra: Record<string, string> = {}) => ({
	mingyanApi: {
		apiKey: emulator.mingyan.config.apiKey,
		baseUrl: `${emulator.url}/kyyReactApiServer`,
		...extra,
	},
});

/** Fast polling so tests run in seconds against the emulator's short task timings. */
export const FAST = { pollMinIntervalSeconds: 0.2, pollMaxIntervalSeconds: 1 };

export function mingyanNode(parameters: INodeParameters, extra: Partial<INode> = {}): INode {
	return nodeOf('mingyanLipSync', parameters, {
		name: 'Node',
		credentials: { mingyanApi: { id: '1', name: 'Mingyan (emulator)' } },
		...extra,
	});
}

export const createParams = (emulator: Emulator, p: INodeParameters = {}): INodeParameters => ({
	resource: 'lipSyncVideo',
	operation: 'create',
	videoUrl: `${emulator.url}/assets/sample.mp4`,
	audioUrl: `${emulator.url}/assets/voice.mp3`,
	model: 'kyy_digitalHuman',
	modelVersion: 2,
	waitForCompletion: true,
	maxWaitMinutes: 1,
	downloadVideo: true,
	videoBinaryProperty: 'video',
	...p,
	options: { ...FAST, ...((p.options as object) ?? {}) },
});

export const getParams = (taskId: string, p: INodeParameters = {}): INodeParameters => ({
	resource: 'lipSyncVideo',
	operation: 'get',
	taskId,
	waitForCompletion: true,
	maxWaitMinutes: 1,
	downloadVideo: true,
	videoBinaryProperty: 'video',
	...p,
	options: { ...FAST, ...((p.options as object) ?? {}) },
});
