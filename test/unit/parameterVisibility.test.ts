import type { INode, INodeParameters, INodeType } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';
import { Akool } from '../../nodes/Akool/Akool.node';
import { KlingAvatar } from '../../nodes/KlingAvatar/KlingAvatar.node';
import { MingyanLipSync } from '../../nodes/MingyanLipSync/MingyanLipSync.node';

/** The parameters n8n's editor shows for these values (n8n-workflow's own display rules). */
function shown(nodeType: INodeType, values: INodeParameters): string[] {
	const node = { name: 'N', type: 'x', typeVersion: 1, position: [0, 0], parameters: values } as INode;
	const props = nodeType.description.properties;
	return props.filter((p) => NodeHelpers.displayParameter(values, p, node, nodeType.description)).map((p) => p.name);
}
function shownOptions(nodeType: INodeType, values: INodeParameters): string[] {
	const node = { name: 'N', type: 'x', typeVersion: 1, position: [0, 0], parameters: values } as INode;
	const options = nodeType.description.properties.find((p) => p.name === 'options' && NodeHelpers.displayParameter(values, p, node, nodeType.description));
	return ((options?.options ?? []) as Array<{ name: string; displayOptions?: unknown }>)
		.filter((o) => NodeHelpers.displayParameterPath(values, o as never, '', node, nodeType.description))
		.map((o) => o.name);
}

describe('fields that do nothing are hidden', () => {
	it.each([
		['Kling', new KlingAvatar(), { resource: 'avatarVideo', operation: 'create' }],
		['Akool', new Akool(), { resource: 'talkingAvatarVideo', operation: 'create' }],
		['Mingyan', new MingyanLipSync(), { resource: 'lipSyncVideo', operation: 'create' }],
	] as const)('%s Create without Wait for Completion: no download, no polling options', (_name, nodeType, base) => {
		const waiting = { ...base, waitForCompletion: true, downloadVideo: true };
		expect(shown(nodeType, waiting)).toEqual(expect.arrayContaining(['maxWaitMinutes', 'downloadVideo', 'videoBinaryProperty']));
		expect(shownOptions(nodeType, waiting)).toEqual(expect.arrayContaining(['pollMinIntervalSeconds', 'pollMaxIntervalSeconds']));
		const notWaiting = { ...base, waitForCompletion: false, downloadVideo: true };
		expect(shown(nodeType, notWaiting)).not.toEqual(expect.arrayContaining(['maxWaitMinutes']));
		expect(shown(nodeType, notWaiting).filter((n) => ['maxWaitMinutes', 'downloadVideo', 'videoBinaryProperty'].includes(n))).toEqual([]);
		expect(shownOptions(nodeType, notWaiting).filter((n) => n.startsWith('poll'))).toEqual([]);
	});

	it('a Get without waiting can still download a finished video, but polls no more than once', () => {
		const get = { resource: 'avatarVideo', operation: 'get', waitForCompletion: false, downloadVideo: true };
		expect(shown(new KlingAvatar(), get)).toEqual(expect.arrayContaining(['downloadVideo', 'videoBinaryProperty']));
		expect(shownOptions(new KlingAvatar(), get).filter((n) => n.startsWith('poll'))).toEqual([]);
	});
});
