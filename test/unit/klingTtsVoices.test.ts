import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { KLING_CUSTOM_VOICES, KLING_PRESET_VOICES, KLING_TTS_VOICES } from '../../emulator/klingVoices';
import { nameTheVoice } from '../../nodes/KlingAvatar/actions/speech/create.operation';
import {
	isTtsVoicePair,
	labelFromVoiceId,
	TTS_VOICES,
	ttsLanguagesOf,
	ttsVoicePairProblem,
	ttsVoicesFor,
} from '../../nodes/KlingAvatar/ttsVoices';

const pairKey = (voiceId: string, language: string) => `${language}:${voiceId}`;

describe('Kling TTS voice catalogue (provider-apis.md §1.7)', () => {
	it('holds the 27 English and 35 Chinese voices of the facts file, each pair once', () => {
		expect(ttsVoicesFor('en')).toHaveLength(27);
		expect(ttsVoicesFor('zh')).toHaveLength(35);
		const keys = TTS_VOICES.map((v) => pairKey(v.voiceId, v.language));
		expect(new Set(keys).size).toBe(keys.length);
	});

	it('is the same list as the emulator\'s own copy (ids, languages, English labels)', () => {
		const node = TTS_VOICES.map((v) => pairKey(v.voiceId, v.language)).sort();
		const emulator = KLING_TTS_VOICES.map((v) => pairKey(v.voice_id, v.language)).sort();
		expect(node).toEqual(emulator);
		const nodeEn = Object.fromEntries(ttsVoicesFor('en').map((v) => [v.voiceId, v.voiceName]));
		const emulatorEn = Object.fromEntries(KLING_TTS_VOICES.filter((v) => v.language === 'en').map((v) => [v.voice_id, v.voice_name]));
		expect(nodeEn).toEqual(emulatorEn);
	});

	it('keeps the Voice Guide labels for English and makes readable ones from the Chinese ids', () => {
		const en = Object.fromEntries(ttsVoicesFor('en').map((v) => [v.voiceId, v.voiceName]));
		expect(en).toMatchObject({ oversea_male1: 'Anchor', genshin_vindi2: 'Sunny', 'reader_en_m-v1': 'The Reader', 'commercial_lady_en_f-v1': 'Commercial Lady' });
		const zh = Object.fromEntries(ttsVoicesFor('zh').map((v) => [v.voiceId, v.voiceName]));
		expect(zh.genshin_vindi2).toBe('Genshin Vindi2');
		expect(zh['diyinnansang_DB_CN_M_04-v2']).toBe('Diyinnansang DB CN M 04 V2');
		expect(labelFromVoiceId('chat1_female_new-3')).toBe('Chat1 Female New 3');
	});

	it('lists a language\'s voices sorted by name', () => {
		const names = ttsVoicesFor('en').map((v) => v.voiceName);
		expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
		expect(ttsVoicesFor('zh').every((v) => v.language === 'zh')).toBe(true);
	});

	it('knows that the same id can exist in both languages', () => {
		expect(ttsLanguagesOf('genshin_vindi2')).toEqual(['en', 'zh']);
		expect(ttsLanguagesOf('oversea_male1')).toEqual(['en']);
		expect(ttsLanguagesOf('tiyuxi_xuedi')).toEqual(['zh']);
		expect(ttsLanguagesOf('no_such_voice')).toEqual([]);
	});

	it('accepts exactly the catalogue pairs', () => {
		expect(isTtsVoicePair('oversea_male1', 'en')).toBe(true);
		expect(isTtsVoicePair('oversea_male1', 'zh')).toBe(false);
		expect(isTtsVoicePair('Oversea_Male1', 'en')).toBe(false);
		expect(isTtsVoicePair('mengwa-v1', 'zh')).toBe(true);
		for (const v of TTS_VOICES) expect(ttsVoicePairProblem(v.voiceId, v.language)).toBeUndefined();
	});

	it('says which language a mismatched id exists in, or that it exists in none', () => {
		expect(ttsVoicePairProblem('oversea_male1', 'zh')).toBe(
			'voice "oversea_male1" is not in Kling\'s text-to-speech voice catalogue for language "zh" (Chinese); it exists only for "en" (English)',
		);
		expect(ttsVoicePairProblem('tiyuxi_xuedi', 'en')).toMatch(/for language "en" \(English\); it exists only for "zh" \(Chinese\)$/);
		expect(ttsVoicePairProblem('emu_preset_newsreader_m1', 'en')).toBe(
			'voice "emu_preset_newsreader_m1" is not in Kling\'s text-to-speech voice catalogue for language "en" (English); it is in the catalogue for no language',
		);
	});

	it('the emulator\'s preset and custom voices are not TTS voices (TTS refuses them, §6.1)', () => {
		for (const v of [...KLING_PRESET_VOICES, ...KLING_CUSTOM_VOICES]) expect(ttsLanguagesOf(v.voice_id)).toEqual([]);
	});
});

describe('examples/ use catalogue voices', () => {
	const dir = join(__dirname, '../../examples');
	const speechNodes = readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.flatMap((file) =>
			(JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Array<{ name: string; type: string; parameters: Record<string, unknown> }> }).nodes
				.filter((n) => n.type.endsWith('.klingAvatar') && n.parameters.resource === 'speech' && (n.parameters.operation ?? 'create') === 'create')
				.map((n) => [file, n.name, n.parameters] as const),
		);

	it('has Kling Speech → Create nodes (examples 02 and 03)', () => {
		expect(speechNodes.map(([file]) => file.slice(0, 2)).sort()).toEqual(['02', '03']);
	});

	it.each(speechNodes)('%s "%s": its voice and language are a catalogue pair', (_file, _name, parameters) => {
		expect(ttsVoicePairProblem(String(parameters.voiceId), parameters.voiceLanguage as 'en' | 'zh')).toBeUndefined();
	});
});

describe('a refusal from Kling TTS names the voice and the language', () => {
	const node = { name: 'Kling', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} } as INode;
	const refusal = (message: string) => new NodeApiError(node, { code: 1201 }, { message, description: 'A parameter is invalid: see the message.' });

	it('"Voice id not found" for a catalogue pair: maybe withdrawn since the snapshot', () => {
		const error = refusal('Creating speech failed: Kling code 1201 – Voice id not found');
		nameTheVoice(error, { voice_id: 'oversea_male1', voice_language: 'en' }, undefined);
		expect(error.message).toBe('Creating speech failed: Kling code 1201 – Voice id not found (voice "oversea_male1", language "en")');
		expect(error.description).toBe(
			'A parameter is invalid: see the message. Voice "oversea_male1" is in this node\'s catalogue for "en" (a snapshot of 2026-11-29): Kling may have withdrawn it, so pick another voice.',
		);
	});

	it('another 1201 still names the pair, without blaming the voice', () => {
		const error = refusal('Creating speech failed: Kling code 1201 – text contains unsupported characters');
		nameTheVoice(error, { voice_id: 'mengwa-v1', voice_language: 'zh' }, undefined);
		expect(error.message).toMatch(/unsupported characters \(voice "mengwa-v1", language "zh"\)$/);
		expect(error.description).toBe('A parameter is invalid: see the message.');
	});

	it('leaves other errors alone', () => {
		const error = refusal('Creating speech failed: Kling code 5000 – Internal server error');
		nameTheVoice(error, { voice_id: 'mengwa-v1', voice_language: 'zh' }, undefined);
		expect(error.message).toBe('Creating speech failed: Kling code 5000 – Internal server error');
		const validation = new NodeOperationError(node, 'Invalid "Voice" in item 0: voice …');
		nameTheVoice(validation, { voice_id: 'x', voice_language: 'en' }, 'x');
		expect(validation.message).toBe('Invalid "Voice" in item 0: voice …');
	});
});
