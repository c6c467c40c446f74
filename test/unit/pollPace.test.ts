/**
 * Each provider's polling pace: Mingyan documents "poll every 5–10 s" (provider-apis.md §3, §6.4),
 * the others start at the shared 2 s. The field's default and what the operation reads when the
 * user sets nothing must agree.
 */
import type { IExecuteFunctions, INode, INodeParameters, INodeType } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';
import { Akool } from '../../nodes/Akool/Akool.node';
import { KlingAvatar } from '../../nodes/KlingAvatar/KlingAvatar.node';
import { MingyanLipSync } from '../../nodes/MingyanLipSync/MingyanLipSync.node';
import { readWaitSettings } from '../../nodes/shared/waitOptions';

/** The default of the First Poll After option the editor shows for these values. */
function firstPollDefault(nodeType: INodeType, values: INodeParameters): unknown {
	const node = { name: 'N', type: 'x', typeVersion: 1, position: [0, 0], parameters: values } as INode;
	const options = nodeType.description.properties.find((p) => p.name === 'options' && NodeHelpers.displayParameter(values, p, node, nodeType.description));
	return ((options?.options ?? []) as Array<{ name: string; default?: unknown }>).find((o) => o.name === 'pollMinIntervalSeconds')?.default;
}

/** A context whose parameters are all unset (getNodeParameter answers the fallback). */
const unset = { getNodeParameter: (_name: string, _i: number, fallback: unknown) => fallback } as unknown as IExecuteFunctions;

describe('polling pace per provider', () => {
	it.each([
		['Mingyan Create', 5, new MingyanLipSync(), { resource: 'lipSyncVideo', operation: 'create', waitForCompletion: true }],
		['Mingyan Get', 5, new MingyanLipSync(), { resource: 'lipSyncVideo', operation: 'get', waitForCompletion: true }],
		['Kling Create', 2, new KlingAvatar(), { resource: 'avatarVideo', operation: 'create', waitForCompletion: true }],
		['Akool Create', 2, new Akool(), { resource: 'talkingAvatarVideo', operation: 'create', waitForCompletion: true }],
	] as const)('%s: First Poll After defaults to %d s', (_name, seconds, nodeType, values) => {
		expect(firstPollDefault(nodeType, values)).toBe(seconds);
	});

	it('with nothing set, the operation waits the provider\'s pace before the first check', () => {
		expect(readWaitSettings(unset, 0, true, 5).schedule.minIntervalMs).toBe(5000);
		expect(readWaitSettings(unset, 0, true).schedule.minIntervalMs).toBe(2000);
		const set = { getNodeParameter: (name: string, _i: number, fallback: unknown) => (name === 'options' ? { pollMinIntervalSeconds: 0.5 } : fallback) } as unknown as IExecuteFunctions;
		expect(readWaitSettings(set, 0, true, 5).schedule.minIntervalMs).toBe(500);
	});
});
