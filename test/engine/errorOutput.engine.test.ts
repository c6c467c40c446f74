/**
 * n8n's error-output contract, for every operation of the three nodes, through n8n-core's real
 * WorkflowExecute (handleNodeErrorOutput, normalizeNodeErrors):
 * - On Error → "Continue (using error output)": exactly the failed items leave on the error output,
 *   and the node after it reads their task facts from `json.error`;
 * - "Continue (using regular output)": the same items stay on the main output;
 * - `pairedItem` points at the input item in both.
 */
import type { IConnections, IDataObject, INode, INodeExecutionData } from 'n8n-workflow';
import type { Emulator } from '../../emulator/server';
import type { InputItem, WorkflowRun } from '../harness/engine';
import { akoolKeyCredentials, akoolNode, FAST as AKOOL_FAST, OFFICIAL_AVATAR, TIMINGS as AKOOL_TIMINGS, videoParams } from './akool.setup';
import { createParams as klingCreateParams, klingCredentials, klingNode } from './kling.setup';
import { createParams as mingyanCreateParams, getParams as mingyanGetParams, mingyanCredentials, mingyanNode } from './mingyan.setup';
import { errorOf, fixture, startTestBed, type TestBed } from './setup';

const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const tiny = { data: fixture('tiny.png'), fileName: 'tiny.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };

type Credentials = Record<string, Record<string, string>>;

interface Case {
	/** "<Node>: <resource> → <operation>" */
	name: string;
	/** Runs before the workflow (creates tasks, queues faults); its result goes to node() and items(). */
	prepare?: (bed: TestBed) => Promise<IDataObject>;
	node: (emulator: Emulator, prepared: IDataObject) => INode;
	credentials: (emulator: Emulator) => Credentials;
	/** Every input item carries `row` = its index, to see n8n merge it into error-output items. */
	items: (emulator: Emulator, prepared: IDataObject) => InputItem[];
	/** Input indexes that must fail. */
	failed: number[];
	/** Whether the error item reports a task (taskId, externalTaskId, status keys). */
	task: boolean;
	/** Extra checks of the failed items' `json.error`, by input index. */
	check?: (errors: Map<number, IDataObject>, emulator: Emulator, prepared: IDataObject) => void;
}

const row = (n: number, json: IDataObject = {}): IDataObject => ({ row: n, ...json });

/** A Create of Kling with wait off, to have a task for the Get cases. */
async function klingTask(bed: TestBed): Promise<string> {
	const run = await bed.engine.run({
		nodes: [klingNode(klingCreateParams({ waitForCompletion: false, downloadVideo: false }))],
		connections: {},
		items: [{ json: {}, binary: { data: portrait, audio: voice } }],
		credentials: klingCredentials(bed.emulator),
	});
	return String(run.output('Node')[0].json.taskId);
}

const CASES: Case[] = [
	{
		name: 'Kling Avatar: Avatar Video → Create',
		node: () => klingNode(klingCreateParams({ prompt: '={{ $json.prompt }}', downloadVideo: false })),
		credentials: (e) => klingCredentials(e),
		items: () => [
			{ json: row(0, { prompt: 'ok' }), binary: { data: portrait, audio: voice } },
			{ json: row(1, { prompt: 'ok' }), binary: { data: tiny, audio: voice } },
			{ json: row(2, { prompt: 'please [[fail]]' }), binary: { data: portrait, audio: voice } },
		],
		failed: [1, 2],
		task: true,
		check: (errors, e) => {
			// Refused before sending: no task.
			expect(errors.get(1)).toMatchObject({ taskId: null, externalTaskId: null, status: null, description: expect.stringMatching(/nothing was sent to Kling/) });
			expect(errors.get(1)?.message).toMatch(/Invalid "Image" in item 1: image is 100×100 px/);
			// Failed at Kling: its task, with the external ID the node gave it.
			const failedTask = e.kling.tasks().find((t) => t.prompt === 'please [[fail]]');
			expect(errors.get(2)).toMatchObject({ taskId: failedTask?.taskId, externalTaskId: failedTask?.externalTaskId, status: 'failed' });
			expect(errors.get(2)?.externalTaskId).toMatch(/^n8n-/);
			expect(errors.get(2)?.message).toMatch(/failed: Failure to pass the risk control system/);
			expect(e.kling.counters.createRequests).toBe(2);
		},
	},
	{
		name: 'Kling Avatar: Avatar Video → Get',
		prepare: async (bed) => ({ taskId: await klingTask(bed) }),
		node: () => klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId: '={{ $json.id }}', waitForCompletion: false, downloadVideo: false, options: {} }),
		credentials: (e) => klingCredentials(e),
		items: (_e, p) => [{ json: row(0, { id: 'no-such-task' }) }, { json: row(1, { id: p.taskId }) }, { json: row(2, { id: '' }) }],
		failed: [0, 2],
		task: true,
		check: (errors) => {
			expect(errors.get(2)?.message).toBe('Invalid "Task ID" in item 2: the ID is empty');
			expect(errors.get(2)?.taskId).toBeNull();
		},
	},
	{
		name: 'Kling Avatar: Avatar Video → Get Many',
		prepare: async (bed) => {
			await klingTask(bed);
			bed.emulator.kling.inject({ route: 'list', fault: 'http500' });
			return {};
		},
		node: () => klingNode({ resource: 'avatarVideo', operation: 'list', returnAll: false, limit: 5, pageNum: 1 }),
		credentials: (e) => klingCredentials(e),
		items: () => [{ json: row(0) }, { json: row(1) }],
		failed: [0],
		task: false,
		check: (errors) => expect(errors.get(0)).toMatchObject({ message: expect.stringMatching(/Listing avatar tasks failed: Kling code 5000/), httpCode: '500' }),
	},
	{
		name: 'Kling Avatar: Speech → Create',
		prepare: async (bed) => {
			bed.emulator.kling.inject({ route: 'tts', fault: 'http500' });
			return {};
		},
		node: () => klingNode({ resource: 'speech', operation: 'create', text: '={{ $json.text }}', voiceLanguage: 'en', voiceId: 'oversea_male1', voiceSpeed: 1, downloadAudio: false }),
		credentials: (e) => klingCredentials(e),
		items: () => [{ json: row(0, { text: 'first' }) }, { json: row(1, { text: 'second' }) }, { json: row(2, { text: 'x'.repeat(1001) }) }],
		failed: [0, 2],
		task: true,
		check: (errors, e) => {
			expect(errors.get(0)?.message).toMatch(/Creating speech failed: Kling code 5000/);
			expect(errors.get(2)).toMatchObject({ message: expect.stringMatching(/Invalid "Text" in item 2: the text has 1001 characters/), audioId: null, taskId: null });
			expect(e.kling.counters.ttsRequests).toBe(2);
		},
	},
	{
		name: 'Kling Avatar: Speech → List Voices',
		prepare: async (bed) => {
			bed.emulator.kling.inject({ route: 'any', fault: 'http500' });
			return {};
		},
		node: () => klingNode({ resource: 'speech', operation: 'listVoices', voiceList: 'presets', returnAll: false, limit: 2 }),
		credentials: (e) => klingCredentials(e),
		items: () => [{ json: row(0) }, { json: row(1) }],
		failed: [0],
		task: false,
		check: (errors) => expect(errors.get(0)?.message).toMatch(/Listing preset voices failed/),
	},
	{
		name: 'Akool: Talking Avatar Video → Create',
		node: (e) => akoolNode(videoParams(e, { audioUrl: '={{ $json.audio }}', downloadVideo: false })),
		credentials: (e) => akoolKeyCredentials(e),
		items: (e) => [
			{ json: row(0, { audio: `${e.url}/assets/fail.mp3` }) },
			{ json: row(1, { audio: `${e.url}/assets/voice.mp3` }) },
			{ json: row(2, { audio: '/tmp/voice.mp3' }) },
		],
		failed: [0, 2],
		task: true,
		check: (errors, e) => {
			expect(errors.get(0)).toMatchObject({ taskId: e.akool.videos().find((v) => v.audioUrl.endsWith('fail.mp3'))?._id, externalTaskId: null, status: 'failed' });
			expect(errors.get(2)).toMatchObject({ taskId: null, message: expect.stringMatching(/Invalid "Audio URL" in item 2: .*local file path/) });
		},
	},
	{
		name: 'Akool: Talking Avatar Video → Get',
		prepare: async (bed) => {
			const run = await bed.engine.run({
				nodes: [akoolNode(videoParams(bed.emulator, { waitForCompletion: false, downloadVideo: false }))],
				connections: {},
				items: [{ json: {} }],
				credentials: akoolKeyCredentials(bed.emulator),
			});
			return { id: String(run.output('Node')[0].json.taskId) };
		},
		node: () => akoolNode({ resource: 'talkingAvatarVideo', operation: 'get', videoModelId: '={{ $json.id }}', waitForCompletion: false, downloadVideo: false, options: {} }),
		credentials: (e) => akoolKeyCredentials(e),
		items: (_e, p) => [{ json: row(0, { id: p.id }) }, { json: row(1, { id: '0123456789abcdef01234567' }) }],
		failed: [1],
		task: true,
	},
	{
		name: 'Akool: Avatar → Create',
		node: () =>
			akoolNode({ resource: 'avatar', operation: 'create', url: '={{ $json.url }}', avatarId: '={{ $json.id }}', avatarType: 1, waitForCompletion: true, maxWaitMinutes: 1, options: AKOOL_FAST }),
		credentials: (e) => akoolKeyCredentials(e),
		items: (e) => [
			{ json: row(0, { url: `${e.url}/assets/sample.mp4`, id: 'goodOne' }) },
			{ json: row(1, { url: `${e.url}/assets/fail.mp4`, id: 'badOne' }) },
			{ json: row(2, { url: `${e.url}/assets/sample.mp4`, id: 'bad-id!' }) },
		],
		failed: [1, 2],
		task: true,
		check: (errors, e) => {
			expect(errors.get(1)).toMatchObject({ taskId: e.akool.avatars().find((a) => a.avatar_id === 'badOne')?._id, status: 'failed' });
			expect(errors.get(2)).toMatchObject({ taskId: null, status: null });
		},
	},
	{
		name: 'Akool: Avatar → Get',
		node: () => akoolNode({ resource: 'avatar', operation: 'get', id: '={{ $json.id }}' }),
		credentials: (e) => akoolKeyCredentials(e),
		items: (e) => [{ json: row(0, { id: 'nope' }) }, { json: row(1, { id: e.akool.avatars().find((a) => a.avatar_id === OFFICIAL_AVATAR)?._id }) }],
		failed: [0],
		task: false,
		check: (errors) => expect(errors.get(0)?.message).toBe('Reading avatar nope failed: Akool has no avatar with ID "nope"'),
	},
	{
		name: 'Akool: Avatar → Get Many',
		prepare: async (bed) => {
			bed.emulator.akool.inject({ route: 'list', fault: 'code', code: 1003, msg: 'bad page' });
			return {};
		},
		node: () => akoolNode({ resource: 'avatar', operation: 'list', from: 'all', avatarType: 'all', returnAll: false, limit: 2, page: 1 }),
		credentials: (e) => akoolKeyCredentials(e),
		items: () => [{ json: row(0) }, { json: row(1) }],
		failed: [0],
		task: false,
		check: (errors) => expect(errors.get(0)?.message).toMatch(/Akool code 1003 – bad page/),
	},
	{
		name: 'Mingyan Lip-Sync: Lip-Sync Video → Create',
		node: (e) => mingyanNode(mingyanCreateParams(e, { videoUrl: '={{ $json.video }}', downloadVideo: false })),
		credentials: (e) => mingyanCredentials(e),
		items: (e) => [
			{ json: row(0, { video: `${e.url}/assets/sample.mp4` }) },
			{ json: row(1, { video: './clip.mp4' }) },
			{ json: row(2, { video: `${e.url}/assets/mingyan-fail.mp4` }) },
		],
		failed: [1, 2],
		task: true,
		check: (errors, e) => {
			expect(errors.get(2)).toMatchObject({ taskId: e.mingyan.tasks().find((t) => t.videoUrl.endsWith('mingyan-fail.mp4'))?.id, status: 'failed' });
			expect(errors.get(1)).toMatchObject({ taskId: null, message: expect.stringMatching(/Invalid "Video URL" in item 1/) });
		},
	},
	{
		name: 'Mingyan Lip-Sync: Lip-Sync Video → Get',
		prepare: async (bed) => {
			const run = await bed.engine.run({
				nodes: [mingyanNode(mingyanCreateParams(bed.emulator, { waitForCompletion: false, downloadVideo: false }))],
				connections: {},
				items: [{ json: {} }],
				credentials: mingyanCredentials(bed.emulator),
			});
			return { id: String(run.output('Node')[0].json.taskId) };
		},
		node: () => mingyanNode(mingyanGetParams('={{ $json.id }}', { waitForCompletion: false, downloadVideo: false })),
		credentials: (e) => mingyanCredentials(e),
		items: (_e, p) => [{ json: row(0, { id: 'dh_no_such_task' }) }, { json: row(1, { id: p.id }) }],
		failed: [0],
		task: true,
	},
];

/** Start → our node → Success (main) / Errors (error output, when there is one). */
function workflow(node: INode, onError: 'continueErrorOutput' | 'continueRegularOutput'): { nodes: INode[]; connections: IConnections } {
	const at = (name: string, type: string, x: number): INode => ({ id: name, name, type, typeVersion: 1, position: [x, 0], parameters: {} });
	const ours: INode = { ...node, name: 'Node', onError };
	return {
		nodes: [at('Start', 'n8n-nodes-base.manualTrigger', 0), ours, at('Success', 'n8n-nodes-base.noOp', 400), at('Errors', 'n8n-nodes-base.noOp', 400)],
		connections: {
			Start: { main: [[{ node: 'Node', type: 'main' as const, index: 0 }]] },
			Node: {
				main: [
					[{ node: 'Success', type: 'main' as const, index: 0 }],
					...(onError === 'continueErrorOutput' ? [[{ node: 'Errors', type: 'main' as const, index: 0 }]] : []),
				],
			},
		},
	};
}

const pairedIndex = (item: INodeExecutionData): number => (item.pairedItem as { item: number }).item;

describe('error items follow n8n\'s error-output contract (every operation, n8n-core WorkflowExecute)', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({
			kling: { submittedMs: 100, processingMs: 300, concurrencyLimit: 50 },
			akool: AKOOL_TIMINGS,
			mingyan: { queuedMs: 100, processingMs: 300 },
		});
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	async function run(c: Case, onError: 'continueErrorOutput' | 'continueRegularOutput'): Promise<{ result: WorkflowRun; prepared: IDataObject }> {
		const prepared = c.prepare ? await c.prepare(bed) : {};
		const { nodes, connections } = workflow(c.node(bed.emulator, prepared), onError);
		const result = await bed.engine.run({ nodes, connections, items: c.items(bed.emulator, prepared), credentials: c.credentials(bed.emulator) });
		return { result, prepared };
	}

	describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
		it('Continue (using error output): exactly the failed items reach the error branch, with their facts and pairedItem', async () => {
			const { result, prepared } = await run(c, 'continueErrorOutput');
			expect(result.status).toBe('success');
			const main = result.output('Node', 0);
			const errorOutput = result.output('Node', 1);
			expect(errorOutput.map(pairedIndex).sort()).toEqual(c.failed);
			expect(main.every((i) => i.json.error === undefined)).toBe(true);
			const all = c.items(bed.emulator, prepared).map((_, n) => n);
			expect([...new Set(main.map(pairedIndex))].sort()).toEqual(all.filter((n) => !c.failed.includes(n)));

			const errors = new Map<number, IDataObject>();
			for (const item of errorOutput) {
				const n = pairedIndex(item);
				const error = errorOf(item);
				expect(error).toBeDefined();
				expect(typeof error?.message).toBe('string');
				expect(error).toHaveProperty('description');
				expect(error?.itemIndex).toBe(n);
				if (c.task) for (const key of ['taskId', 'externalTaskId', 'status']) expect(error).toHaveProperty(key);
				// n8n 2.x merges the input item's json under the error item on the error output.
				expect(item.json.row).toBe(n);
				errors.set(n, error as IDataObject);
			}
			c.check?.(errors, bed.emulator, prepared);

			// The nodes after each branch received exactly these items, the error objects intact.
			expect(result.output('Errors').map((i) => i.json.error)).toEqual(errorOutput.map((i) => i.json.error));
			expect(result.output('Success')).toHaveLength(main.length);
		});

		it('Continue (using regular output): the failed items stay on the main output as { error }, paired with their input', async () => {
			const { result } = await run(c, 'continueRegularOutput');
			expect(result.status).toBe('success');
			const main = result.output('Node', 0);
			const failed = main.filter((i) => i.json.error !== undefined);
			expect(failed.map(pairedIndex).sort()).toEqual(c.failed);
			for (const item of failed) {
				expect(Object.keys(item.json)).toEqual(['error']);
				expect(errorOf(item)?.itemIndex).toBe(pairedIndex(item));
			}
			expect(result.output('Success')).toHaveLength(main.length);
		});
	});

	it('a node on the error branch reads the task ID by expression: {{ $json.error.taskId }} feeds a Kling Get of the failed task', async () => {
		const { nodes, connections } = workflow(klingNode(klingCreateParams({ prompt: '={{ $json.prompt }}', downloadVideo: false })), 'continueErrorOutput');
		const followUp: INode = {
			...klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId: '={{ $json.error.taskId }}', waitForCompletion: false, downloadVideo: false, options: {} }),
			id: 'follow-up',
			name: 'Get failed task',
			onError: 'continueRegularOutput',
		};
		const result = await bed.engine.run({
			nodes: [...nodes.filter((n) => n.name !== 'Errors'), followUp],
			connections: { ...connections, Node: { main: [connections.Node.main[0], [{ node: 'Get failed task', type: 'main' as const, index: 0 }]] } },
			items: [
				{ json: row(0, { prompt: 'ok' }), binary: { data: portrait, audio: voice } },
				{ json: row(1, { prompt: 'please [[fail]]' }), binary: { data: portrait, audio: voice } },
			],
			credentials: klingCredentials(bed.emulator),
		});
		expect(result.status).toBe('success');
		const failedTask = bed.emulator.kling.tasks().find((t) => t.prompt === 'please [[fail]]');
		expect(errorOf(result.output('Node', 1)[0])?.taskId).toBe(failedTask?.taskId);
		const got = result.output('Get failed task');
		expect(got).toHaveLength(1);
		// The Get found the failed task (it reports it as its own error item, with the same task ID).
		expect(got[0].json.taskId ?? errorOf(got[0])?.taskId).toBe(failedTask?.taskId);
		expect(bed.emulator.kling.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/${failedTask?.taskId}`))).toBe(true);
	});
});
