import { Akool } from '../../nodes/Akool/Akool.node';
import { KlingAvatar } from '../../nodes/KlingAvatar/KlingAvatar.node';
import { MingyanLipSync } from '../../nodes/MingyanLipSync/MingyanLipSync.node';

/** The subtitle n8n's canvas shows for a node with these parameters (the expression is a lookup table). */
function subtitle(expression: string, resource: string, operation: string): string | undefined {
	const table = JSON.parse(/\(\s*(\{.*\})\s*\)/.exec(expression)?.[1] ?? '{}') as Record<string, string>;
	return table[`${resource}:${operation}`];
}

describe('canvas subtitles read like the editor\'s own names', () => {
	const nodes = { Kling: new KlingAvatar(), Akool: new Akool(), Mingyan: new MingyanLipSync() };
	it.each([
		['Kling', 'avatarVideo', 'create', 'Create: Avatar Video'],
		['Kling', 'avatarVideo', 'list', 'Get Many: Avatar Video'],
		['Kling', 'speech', 'listVoices', 'List Voices: Speech'],
		['Akool', 'avatar', 'list', 'Get Many: Avatar'],
		['Akool', 'talkingAvatarVideo', 'get', 'Get: Talking Avatar Video'],
		['Mingyan', 'lipSyncVideo', 'create', 'Create: Lip-Sync Video'],
	] as const)('%s %s/%s → %s', (node, resource, operation, expected) => {
		expect(subtitle(String(nodes[node].description.subtitle), resource, operation)).toBe(expected);
	});

	it('covers every operation of every resource', () => {
		for (const node of [new KlingAvatar(), new Akool(), new MingyanLipSync()]) {
			const props = node.description.properties;
			for (const op of props.filter((p) => p.name === 'operation')) {
				for (const resource of (op.displayOptions?.show?.resource as string[]) ?? []) {
					for (const option of op.options as Array<{ value: string }>) {
						expect(subtitle(String(node.description.subtitle), resource, option.value)).toBeDefined();
					}
				}
			}
		}
	});
});
