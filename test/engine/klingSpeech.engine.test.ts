/**
 * Kling Speech (TTS) voices through the n8n engine against the emulator: only pairs of Kling's TTS
 * voice catalogue are sent (provider-apis.md §1.7, §6.1); anything else is refused before the
 * paid request, unless Options → Allow Voice IDs Not in the Catalogue sends it as it is.
 */
import type { INodeParameters } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { errorOf, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { klingCredentials, klingNode } from './kling.setup';

const speech = (p: INodeParameters = {}): INodeParameters => ({
	resource: 'speech',
	operation: 'create',
	text: 'Hello from n8n',
	voiceLanguage: 'en',
	voiceId: 'oversea_male1',
	voiceSpeed: 1,
	downloadAudio: false,
	...p,
});

const ttsPosts = (bed: TestBed) => bed.emulator.kling.requests.filter((r) => r.path.endsWith('/v1/audio/tts')).length;

describe('Kling Speech → Create: voices of the TTS catalogue only', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed();
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it.each([
		['oversea_male1', 'en'],
		['genshin_vindi2', 'en'],
		['genshin_vindi2', 'zh'],
		['ai_taiwan_man2_speech02', 'zh'],
	])('a catalogue pair works: %s in %s', async (voiceId, voiceLanguage) => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(speech({ voiceId, voiceLanguage })), [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		const [item] = jsonOf(run);
		expect(item.audioId).toBeTruthy();
		expect(emulator.kling.audios()).toEqual([expect.objectContaining({ audioId: item.audioId, voiceId, voiceLanguage })]);
		expect(emulator.kling.counters.ttsRequests).toBe(1);
	});

	it('a mismatched pair is refused before sending, naming item, field, voice, language and where the voice exists', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(speech({ voiceId: 'oversea_male1', voiceLanguage: 'zh' })), [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('error');
		const error = run.nodeError('Node');
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toBe(
			'Invalid "Voice" in item 0: voice "oversea_male1" is not in Kling\'s text-to-speech voice catalogue for language "zh" (Chinese); it exists only for "en" (English)',
		);
		expect((error as NodeOperationError).description).toMatch(/^Checked before sending: nothing was sent to Kling for this item\..*Allow Voice IDs Not in the Catalogue/);
		expect(emulator.kling.counters.ttsRequests).toBe(0);
		expect(ttsPosts(bed)).toBe(0);
	});

	it('an id from an expression is checked per item; with continueOnFail only that item fails, and no paid request was sent before the check', async () => {
		const { emulator, engine } = bed;
		const node = klingNode(speech({ voiceId: '={{ $json.voice }}', voiceLanguage: '={{ $json.lang }}' }), { continueOnFail: true });
		const items = [
			{ json: { voice: 'ai_shatang', lang: 'zh' } },
			{ json: { voice: 'emu_preset_newsreader_m1', lang: 'en' } },
			{ json: { voice: 'calm_story1', lang: 'en' } },
		];
		const run = await runNode(engine, node, items, klingCredentials(emulator));
		expect(run.status).toBe('success');
		const out = run.output('Node');
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[0].json.audioId).toBeTruthy();
		expect(out[2].json.audioId).toBeTruthy();
		expect(errorOf(out[1])).toMatchObject({
			message: 'Invalid "Voice" in item 1: voice "emu_preset_newsreader_m1" is not in Kling\'s text-to-speech voice catalogue for language "en" (English); it is in the catalogue for no language',
			itemIndex: 1,
			audioId: null,
		});
		expect(emulator.kling.audios().map((a) => a.voiceId)).toEqual(['ai_shatang', 'calm_story1']);
		expect(ttsPosts(bed)).toBe(2);
	});

	it('with "Allow Voice IDs Not in the Catalogue" the id is sent as it is; Kling\'s 1201 then names the voice and the language', async () => {
		const { emulator, engine } = bed;
		const presetId = emulator.kling.voices[0].voice_id;
		const node = klingNode(speech({ voiceId: presetId, voiceLanguage: 'en', options: { allowUnlistedVoice: true } }));
		const run = await runNode(engine, node, [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('error');
		expect(emulator.kling.counters.ttsRequests).toBe(1);
		expect(ttsPosts(bed)).toBe(1);
		const error = run.nodeError('Node');
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe(`Creating speech failed: Kling code 1201 – Voice id not found (voice "${presetId}", language "en")`);
		expect((error as NodeApiError).description).toMatch(
			new RegExp(`catalogue for language "en" \\(English\\); it is in the catalogue for no language\\. It was sent only because "Allow Voice IDs Not in the Catalogue" is on\\.`),
		);
		expect(emulator.kling.audios()).toEqual([]);
	});

	it('the option also lets a catalogue id go with the other language; Kling refuses the pair and the error says which', async () => {
		const { emulator, engine } = bed;
		const node = klingNode(speech({ voiceId: 'oversea_male1', voiceLanguage: 'zh', options: { allowUnlistedVoice: true } }), { continueOnFail: true });
		const run = await runNode(engine, node, [{ json: {} }], klingCredentials(emulator));
		const error = errorOf(run.output('Node')[0]);
		expect(error?.message).toBe('Creating speech failed: Kling code 1201 – Voice id not found (voice "oversea_male1", language "zh")');
		expect(error?.description).toMatch(/it exists only for "en" \(English\)\. It was sent only because/);
		expect(error?.httpCode).toBe('400');
		expect(ttsPosts(bed)).toBe(1);
	});

	it('the option changes nothing for a catalogue pair', async () => {
		const { emulator, engine } = bed;
		const node = klingNode(speech({ voiceId: 'mengwa-v1', voiceLanguage: 'zh', options: { allowUnlistedVoice: true } }));
		const run = await runNode(engine, node, [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(emulator.kling.audios()).toEqual([expect.objectContaining({ voiceId: 'mengwa-v1', voiceLanguage: 'zh' })]);
	});
});

describe('Kling Speech → List Voices', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed();
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('by default returns the TTS catalogue (voiceId, voiceName, language) without asking Kling', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode({ resource: 'speech', operation: 'listVoices', returnAll: true }), [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		const voices = jsonOf(run);
		const pairs = voices.map((v) => `${v.language}:${v.voiceId}`).sort();
		expect(pairs).toEqual(emulator.kling.ttsVoices.map((v) => `${v.language}:${v.voice_id}`).sort());
		expect(voices).toContainEqual({ voiceId: 'oversea_male1', voiceName: 'Anchor', language: 'en' });
		expect(emulator.kling.requests).toEqual([]);
	});

	it('filters the catalogue by language and honours Limit', async () => {
		const { emulator, engine } = bed;
		const zh = await runNode(engine, klingNode({ resource: 'speech', operation: 'listVoices', language: 'zh', returnAll: true }), [{ json: {} }], klingCredentials(emulator));
		expect(jsonOf(zh)).toHaveLength(35);
		expect(jsonOf(zh).every((v) => v.language === 'zh')).toBe(true);
		const limited = await runNode(engine, klingNode({ resource: 'speech', operation: 'listVoices', language: 'en', returnAll: false, limit: 3 }), [{ json: {} }], klingCredentials(emulator));
		expect(jsonOf(limited)).toHaveLength(3);
	});

	it.each([
		['presets', '/v1/general/presets-voices'],
		['custom', '/v1/general/custom-voices'],
	])('lists the account\'s %s voices from %s', async (voiceList, path) => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode({ resource: 'speech', operation: 'listVoices', voiceList, returnAll: true }), [{ json: {} }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		const expected = voiceList === 'presets' ? emulator.kling.voices : [{ voice_id: 'emu_custom_my_voice_1', voice_name: 'My voice' }];
		expect(jsonOf(run).map((v) => [v.voiceId, v.voiceName])).toEqual(expected.map((v) => [v.voice_id, v.voice_name]));
		expect(jsonOf(run)[0]).toEqual({ voiceId: expect.any(String), voiceName: expect.any(String), trialUrl: `${emulator.url}/assets/voice.mp3`, ownedBy: expect.any(String) });
		expect(emulator.kling.requests.map((r) => r.path)).toEqual([path]);
	});
});
