/**
 * The nodes as AI Agent tools, through n8n-core's own tool wrapper (createNodeAsTool and its
 * invocation), called by the harness's stand-in agent with the arguments a model would write.
 */
import { createParams as klingParams, klingCredentials, klingNode } from './kling.setup';
import { startTestBed, toolOfAgent, type TestBed } from './setup';

describe('as an AI Agent tool', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 50, processingMs: 200, concurrencyLimit: 50 } });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('returns the JSON an agent can act on, downloads nothing, and takes a URL the model wrapped in text', async () => {
		const { emulator, engine } = bed;
		const params = klingParams({
			imageSource: 'url',
			imageUrl: "={{ $fromAI('imageUrl', 'A public URL of the portrait', 'string') }}",
			audioSource: 'url',
			audioUrl: "={{ $fromAI('audioUrl', 'A public URL of the voice track', 'string') }}",
			downloadVideo: true, // the node's default: an agent cannot use a binary, so it is not downloaded
		});
		const tool = klingNode(params, { name: 'Kling', type: 'n8n-nodes-talking-avatar.klingAvatarTool' });
		const args = { imageUrl: `(${emulator.url}/assets/portrait.jpg)`, audioUrl: `<${emulator.url}/assets/voice.mp3>.` };
		const run = await engine.run({ ...toolOfAgent(tool, args), credentials: klingCredentials(emulator) });
		expect(run.status).toBe('success');
		const response = JSON.parse(String(run.output('Agent')[0].json.response)) as Array<Record<string, unknown>>;
		expect(response).toHaveLength(1);
		expect(Object.keys(response[0]).sort()).toEqual(['createdAt', 'durationSeconds', 'externalTaskId', 'status', 'statusMessage', 'taskId', 'videoUrl', 'watermarkVideoUrl']);
		expect(response[0]).toMatchObject({ status: 'succeeded', taskId: emulator.kling.tasks()[0].taskId, videoUrl: expect.stringMatching(/^http/) });
		expect(emulator.kling.counters.downloads).toBe(0);
		expect(emulator.kling.tasks()[0].body.image).toBe(`${emulator.url}/assets/portrait.jpg`);
		expect(emulator.kling.tasks()[0].body.sound_file).toBe(`${emulator.url}/assets/voice.mp3`);
	});

	it('Kling Speech as a tool answers with the audio ID and URL and downloads nothing', async () => {
		const { emulator, engine } = bed;
		const params = {
			resource: 'speech',
			operation: 'create',
			text: "={{ $fromAI('text', 'What the voice says', 'string') }}",
			voiceLanguage: 'en',
			voiceId: 'oversea_male1',
			voiceSpeed: 1,
			downloadAudio: true,
		};
		const tool = klingNode(params, { name: 'Kling Speech', type: 'n8n-nodes-talking-avatar.klingAvatarTool' });
		const run = await engine.run({ ...toolOfAgent(tool, { text: 'Hello from the agent.' }), credentials: klingCredentials(emulator) });
		expect(run.status).toBe('success');
		const [answer] = JSON.parse(String(run.output('Agent')[0].json.response)) as Array<Record<string, unknown>>;
		expect(answer).toMatchObject({ audioId: emulator.kling.audios()[0].audioId, audioUrl: expect.stringMatching(/^http/) });
		const audioFetches = emulator.kling.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/files/'));
		expect(audioFetches).toEqual([]);
	});

	it('a task still running when the call returns tells the agent how to continue', async () => {
		const { emulator, engine } = bed;
		const params = klingParams({ imageSource: 'url', imageUrl: `${emulator.url}/assets/portrait.jpg`, audioSource: 'url', audioUrl: `${emulator.url}/assets/voice.mp3`, waitForCompletion: false });
		const tool = klingNode(params, { name: 'Kling', type: 'n8n-nodes-talking-avatar.klingAvatarTool' });
		const run = await engine.run({ ...toolOfAgent(tool), credentials: klingCredentials(emulator) });
		const [answer] = JSON.parse(String(run.output('Agent')[0].json.response)) as Array<Record<string, unknown>>;
		expect(answer.status).toBe('submitted');
		expect(answer.next).toMatch(/call this tool again later with the Get operation and this taskId/);
	});
});
