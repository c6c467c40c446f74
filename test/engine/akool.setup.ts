import type { INode, INodeParameters } from 'n8n-workflow';
import type { Emulator } from '../../emulator/server';
import { nodeOf } from './setup';

/** Client ID + Client Secret (token) mode. */
export const akoolTokenCredentials = (emulator: Emulator, extra: Record<string, string> = {}) => ({
	akoolApi: {
		authentication: 'clientCredentials',
		clientId: emulator.akool.config.clientId,
		clientSecret: emulator.akool.config.clientSecret,
		baseUrl: emulator.url,
		...extra,
	},
});

/** API key (x-api-key) mode. */
export const akoolKeyCredentials = (emulator: Emulator, extra: Record<string, string> = {}) => ({
	akoolApi: {
		authentication: 'apiKey',
		apiKey: emulator.akool.config.apiKey,
		clientId: emulator.akool.config.clientId,
		baseUrl: emulator.url,
		...extra,
	},
});

/** Fast polling so tests run in seconds against the emulator's short timings. */
export const FAST = { pollMinIntervalSeconds: 0.2, pollMaxIntervalSeconds: 1 };

export function akoolNode(parameters: INodeParameters, extra: Partial<INode> = {}): INode {
	return nodeOf('akool', parameters, {
		name: 'Node',
		credentials: { akoolApi: { id: 'akool-1', name: 'Akool (emulator)' } },
		...extra,
	});
}

export const OFFICIAL_AVATAR = 'dvp_Tristan_cloth2_1080P';

export const videoParams = (emulator: Emulator, p: INodeParameters = {}): INodeParameters => ({
	resource: 'talkingAvatarVideo',
	operation: 'create',
	avatarSource: 'akool',
	avatarId: OFFICIAL_AVATAR,
	audioUrl: `${emulator.url}/assets/voice.mp3`,
	waitForCompletion: true,
	maxWaitMinutes: 1,
	downloadVideo: true,
	videoBinaryProperty: 'video',
	...p,
	options: { ...FAST, ...((p.options as object) ?? {}) },
});

export const TIMINGS = { queueMs: 150, processingMs: 500, avatarQueueMs: 100, avatarProcessingMs: 300 };
