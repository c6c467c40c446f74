/**
 * Kling Speech → Create never pays twice for one item's speech, whatever n8n does to the node:
 * through n8n-core's real WorkflowExecute with the built package, against the emulator, counting
 * the TTS requests it received (counters.ttsRequests) and the audios it made (audios()), per text.
 * TTS is synchronous and has no client key or query (provider-apis.md §1.7): the ledger keeps the
 * audio itself, and a request whose answer was lost is never sent again.
 */
import type { INode, INodeParameters } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import type { Emulator } from '../../emulator/server';
import { errorOf, jsonOf, runNode, startTestBed, toolOfAgent, type TestBed } from './setup';
import { klingCredentials, klingNode } from './kling.setup';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryOnFail = (maxTries: number): Partial<INode> => ({ retryOnFail: true, maxTries, waitBetweenTries: 0 });
const descriptionOf = (error: unknown) => String((error as { description?: unknown } | undefined)?.description ?? '');

const speech = (p: INodeParameters = {}): INodeParameters => ({
	resource: 'speech',
	operation: 'create',
	text: '={{ $json.t }}',
	voiceLanguage: 'en',
	voiceId: 'oversea_male1',
	voiceSpeed: 1,
	downloadAudio: false,
	...p,
});
const texts = (...t: string[]) => t.map((text) => ({ json: { t: text } }));
/** Audios the emulator made, per text. */
const audiosByText = (emulator: Emulator): Record<string, number> => {
	const out: Record<string, number> = {};
	for (const a of emulator.kling.audios()) out[a.text] = (out[a.text] ?? 0) + 1;
	return out;
};

describe('Kling Speech → Create: the task ledger', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed();
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('2 items, Kling 5001 (maintenance) on the second TTS request, Retry On Fail: one audio per item (5001 is sent again inside the node)', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'tts', fault: 'delay', delayMs: 1 });
		emulator.kling.inject({ route: 'tts', fault: 'http503-5001' });
		const run = await runNode(engine, klingNode(speech(), retryOnFail(2)), texts('first', 'second'), klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(audiosByText(emulator)).toEqual({ first: 1, second: 1 });
		expect(emulator.kling.counters.ttsRequests).toBe(3); // first, second (refused: 5001), second
		expect(jsonOf(run).map((j) => j.audioId)).toEqual(emulator.kling.audios().map((a) => a.audioId));
	});

	it('Retry On Fail after item 1 failed (1102): item 0\'s audio is returned from the ledger, not made again', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'tts', fault: 'delay', delayMs: 1 });
		emulator.kling.inject({ route: 'tts', fault: 'http429-1102' });
		const run = await runNode(engine, klingNode(speech(), retryOnFail(2)), texts('first', 'second'), klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(audiosByText(emulator)).toEqual({ first: 1, second: 1 });
		expect(emulator.kling.counters.ttsRequests).toBe(3); // try 1: first, second (1102); try 2: second
		const out = jsonOf(run);
		expect(out.map((j) => j.audioId)).toEqual(emulator.kling.audios().map((a) => a.audioId));
		expect(out[0]).toMatchObject({ status: 'succeeded', taskId: expect.any(String), audioUrl: expect.stringMatching(/\.mp3$/), durationSeconds: expect.any(Number) });
	});

	it('Executions list → Retry after the last download failed: the audios come from the saved ledger, 0 new TTS requests', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'download', fault: 'delay', delayMs: 1 }); // item 0's audio downloads
		emulator.kling.inject({ route: 'download', fault: 'reset', times: 3 }); // item 1's does not (3 tries)
		const node = klingNode(speech({ downloadAudio: true }));
		const first = await runNode(engine, node, texts('first', 'second'), klingCredentials(emulator));
		expect(first.status).toBe('error');
		expect(emulator.kling.counters.ttsRequests).toBe(2);
		const made = emulator.kling.audios().map((a) => a.audioId);

		const retried = await engine.run({ nodes: [node], connections: {}, retryOf: first, credentials: klingCredentials(emulator) });
		expect(retried.status).toBe('success');
		expect(emulator.kling.counters.ttsRequests).toBe(2);
		expect(audiosByText(emulator)).toEqual({ first: 1, second: 1 });
		const out = retried.output('Node');
		expect(out.map((i) => i.json.audioId)).toEqual(made);
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect((await retried.binaryBuffer(out[1], 'audio')).length).toBeGreaterThan(1000);
	});

	it('1303 twice, then accepted: one audio, the item succeeds', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'tts', fault: 'http429-1303', times: 2 });
		const run = await runNode(engine, klingNode(speech()), texts('only'), klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(emulator.kling.counters.ttsRequests).toBe(3);
		expect(audiosByText(emulator)).toEqual({ only: 1 });
		expect(jsonOf(run)[0].audioId).toBe(emulator.kling.audios()[0].audioId);
	});

	it('connection reset after Kling made the audio, Retry On Fail: the item fails saying the speech may have been created; no try, and no Retry of the execution, sends it again', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'tts', fault: 'reset-after-accept' });
		const node = klingNode(speech(), retryOnFail(3));
		const run = await runNode(engine, node, texts('only'), klingCredentials(emulator));
		expect(run.status).toBe('error');
		expect(emulator.kling.counters.ttsRequests).toBe(1);
		expect(audiosByText(emulator)).toEqual({ only: 1 });
		const error = run.nodeError('Node');
		expect(error?.message).toMatch(/^An earlier run of this node sent this item's text to Kling at \S+ and got no answer: the speech may have been created$/);
		expect(descriptionOf(error)).toMatch(/no client key and has no documented query.*run the workflow again as a new execution/);

		const retried = await engine.run({ nodes: [node], connections: {}, retryOf: run, credentials: klingCredentials(emulator) });
		expect(retried.status).toBe('error');
		expect(retried.nodeError('Node')?.message).toMatch(/the speech may have been created$/);
		expect(emulator.kling.counters.ttsRequests).toBe(1);
		expect(emulator.kling.audios()).toHaveLength(1);
	});

	it('a lost answer with Continue On Fail: that item fails (may have been created), the others are made', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'tts', fault: 'delay', delayMs: 1 });
		emulator.kling.inject({ route: 'tts', fault: 'http500' });
		const run = await runNode(engine, klingNode(speech(), { continueOnFail: true }), texts('a', 'b', 'c'), klingCredentials(emulator));
		expect(run.status).toBe('success');
		const out = run.output('Node');
		expect(out[0].json.audioId).toBeTruthy();
		expect(errorOf(out[1])).toMatchObject({
			message: 'Creating speech failed: Kling code 5000 – Internal server error; the speech may have been created',
			itemIndex: 1,
			audioId: null,
		});
		expect(out[2].json.audioId).toBeTruthy();
		expect(emulator.kling.counters.ttsRequests).toBe(3);
	});

	it('Stop during the TTS request, then Retry from what n8n keeps of a stopped execution: nothing is sent', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'tts', fault: 'delay', delayMs: 800 });
		const node = klingNode(speech());
		const running = engine.start({ nodes: [node], connections: {}, items: texts('only'), credentials: klingCredentials(emulator) });
		while (emulator.kling.counters.ttsRequests < 1) await sleep(20);
		await sleep(100);
		running.cancel();
		const stopped = await running.promise;
		expect(stopped.status).toBe('canceled');
		await sleep(1_000); // the emulator finishes the request it got: the audio exists (and is paid)
		expect(emulator.kling.audios()).toHaveLength(1);
		const retried = await engine.run({ nodes: [node], connections: {}, retryOf: stopped, retryKept: 'lostNodeState', credentials: klingCredentials(emulator) });
		expect(retried.nodeError('Node')?.message).toMatch(/^This Retry repeats an execution that was stopped .*the speech may have been created already$/);
		expect(emulator.kling.counters.ttsRequests).toBe(1);
	});

	it('as an AI Agent tool retried by n8n (Retry On Fail) with the same arguments: one audio', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'download', fault: 'reset', times: 3 }); // the first call fails after the audio was made
		const params = speech({ text: "={{ $fromAI('text', 'What to say', 'string') }}", downloadAudio: true });
		const tool = klingNode(params, { name: 'Kling', type: 'n8n-nodes-talking-avatar.klingAvatarTool', ...retryOnFail(2) });
		const run = await engine.run({ ...toolOfAgent(tool, { text: 'Hello agent' }), credentials: klingCredentials(emulator) });
		expect(run.status).toBe('success');
		expect(emulator.kling.counters.ttsRequests).toBe(1);
		expect(audiosByText(emulator)).toEqual({ 'Hello agent': 1 });
		const response = String(run.output('Agent')[0].json.response);
		expect(response).not.toMatch(/error|failed/i); // the first call's download failure was retried away
		expect(JSON.parse(response)).toEqual([expect.objectContaining({ audioId: emulator.kling.audios()[0].audioId, status: 'succeeded' })]);
	});
});

describe('Kling Speech → Create through CometAPI', () => {
	/** CometAPI's preset root; the harness sends it to the emulator's /kling mount (like curl --resolve). */
	const COMET_ROOT = 'https://api.cometapi.com/kling';
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed();
		bed.engine.credentials.urlOverrides.set(COMET_ROOT, `${bed.emulator.url}/kling`);
	});
	afterAll(async () => bed?.close());
	beforeEach(() => {
		bed.emulator.reset();
		bed.emulator.kling.config.cometApi = true;
	});
	const cometCredentials = () => klingCredentials(bed.emulator, { authentication: 'apiKey', apiKey: bed.emulator.kling.config.apiKey, region: 'cometapi', baseUrl: '' });

	it('a catalogue pair works, at /kling/v1/audio/tts', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(speech({ voiceId: 'genshin_vindi2', voiceLanguage: 'zh' })), texts('你好'), cometCredentials());
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0].audioId).toBe(emulator.kling.audios()[0].audioId);
		expect(emulator.kling.audios()).toEqual([expect.objectContaining({ voiceId: 'genshin_vindi2', voiceLanguage: 'zh' })]);
		expect(emulator.kling.requests.map((r) => r.path)).toEqual(['/kling/v1/audio/tts']);
	});

	it('with "Allow Voice IDs Not in the Catalogue", a mismatched pair gets CometAPI\'s nested 1201, and the message names the voice and the language', async () => {
		const { emulator, engine } = bed;
		const node = klingNode(speech({ voiceId: 'oversea_male1', voiceLanguage: 'zh', options: { allowUnlistedVoice: true } }));
		const run = await runNode(engine, node, texts('你好'), cometCredentials());
		expect(run.status).toBe('error');
		const error = run.nodeError('Node');
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('Creating speech failed: Kling code 1201 (through CometAPI) – Voice id not found (voice "oversea_male1", language "zh")');
		expect(descriptionOf(error)).toMatch(/it exists only for "en" \(English\)\. It was sent only because "Allow Voice IDs Not in the Catalogue" is on\./);
		expect(emulator.kling.counters.ttsRequests).toBe(1);
		expect(emulator.kling.audios()).toEqual([]);
	});

	it('Kling\'s 1303 nested by CometAPI is sent again: one audio', async () => {
		const { emulator, engine } = bed;
		emulator.kling.inject({ route: 'tts', fault: 'http429-1303' });
		const run = await runNode(engine, klingNode(speech()), texts('once'), cometCredentials());
		expect(run.status).toBe('success');
		expect(emulator.kling.counters.ttsRequests).toBe(2);
		expect(audiosByText(emulator)).toEqual({ once: 1 });
	});
});
