/**
 * The Kling emulator's voices (provider-apis.md §1.7, §6.1). Dev-only code.
 *
 * - TTS voice catalogue: the `(voice_id, voice_language)` pairs `POST /v1/audio/tts` accepts; any
 *   other pair, presets-voices and custom-voice ids included, gets 1201 "Voice id not found".
 *   The emulator keeps its own copy, typed from the facts file (S15, snapshot 2026-11-29), so a
 *   change to the node's copy (nodes/KlingAvatar/ttsVoices.ts) cannot pass unnoticed:
 *   test/unit/klingTtsVoices.test.ts checks the two are equal.
 * - Preset and custom voices (`GET /v1/general/presets-voices`, `/v1/general/custom-voices`,
 *   S8: `voice_id, voice_name, trial_url, owned_by`). Real ids are not known [?]: these are made up,
 *   and none is in the TTS catalogue, since TTS refuses presets-voices ids (§6.1).
 */

export interface KlingTtsVoice {
	voice_id: string;
	language: 'zh' | 'en';
	/** The Voice Guide's English label; null for the Chinese entries (the facts give none). */
	voice_name: string | null;
}

/** A voice of the account lists (presets-voices, custom-voices). */
export interface KlingVoice {
	voice_id: string;
	voice_name: string;
	/** "kling" for the official library, the creator's id for custom voices (S8). */
	owned_by: string;
}

const ZH = [
	'genshin_vindi2', 'zhinen_xuesheng', 'tiyuxi_xuedi', 'ai_shatang', 'genshin_klee2', 'genshin_kirara', 'ai_kaiya',
	'tiexin_nanyou', 'ai_chenjiahao_712', 'girlfriend_1_speech02', 'chat1_female_new-3', 'girlfriend_2_speech02',
	'cartoon-boy-07', 'cartoon-girl-01', 'ai_huangyaoshi_712', 'you_pingjing', 'ai_laoguowang_712', 'chengshu_jiejie',
	'zhuxi_speech02', 'uk_oldman3', 'laopopo_speech02', 'heainainai_speech02', 'dongbeilaotie_speech02',
	'chongqingxiaohuo_speech02', 'chuanmeizi_speech02', 'chaoshandashu_speech02', 'ai_taiwan_man2_speech02',
	'xianzhanggui_speech02', 'tianjinjiejie_speech02', 'diyinnansang_DB_CN_M_04-v2', 'yizhipiannan-v1',
	'guanxiaofang-v2', 'tianmeixuemei-v1', 'daopianyansang-v1', 'mengwa-v1',
];

const EN: Record<string, string> = {
	genshin_vindi2: 'Sunny', zhinen_xuesheng: 'Sage', AOT: 'Ace', ai_shatang: 'Blossom', genshin_klee2: 'Peppy',
	genshin_kirara: 'Dove', ai_kaiya: 'Shine', oversea_male1: 'Anchor', ai_chenjiahao_712: 'Lyric',
	girlfriend_4_speech02: 'Melody', 'chat1_female_new-3': 'Tender', 'chat_0407_5-1': 'Siren', 'cartoon-boy-07': 'Zippy',
	uk_boy1: 'Bud', 'cartoon-girl-01': 'Sprite', PeppaPig_platform: 'Candy', ai_huangzhong_712: 'Beacon',
	ai_huangyaoshi_712: 'Rock', ai_laoguowang_712: 'Titan', chengshu_jiejie: 'Grace', you_pingjing: 'Helen',
	calm_story1: 'Lore', uk_man2: 'Crag', laopopo_speech02: 'Prattle', heainainai_speech02: 'Hearth',
	'reader_en_m-v1': 'The Reader', 'commercial_lady_en_f-v1': 'Commercial Lady',
};

export const KLING_TTS_VOICES: readonly KlingTtsVoice[] = Object.freeze([
	...ZH.map((voice_id): KlingTtsVoice => ({ voice_id, language: 'zh', voice_name: null })),
	...Object.entries(EN).map(([voice_id, voice_name]): KlingTtsVoice => ({ voice_id, language: 'en', voice_name })),
]);

/** Whether Kling TTS accepts this pair. */
export const isKlingTtsPair = (voiceId: string, language: string): boolean =>
	KLING_TTS_VOICES.some((v) => v.voice_id === voiceId && v.language === language);

/** The official library served by presets-voices (made-up ids; TTS refuses them). */
export const KLING_PRESET_VOICES: readonly KlingVoice[] = Object.freeze([
	{ voice_id: 'emu_preset_newsreader_m1', voice_name: 'Newsreader', owned_by: 'kling' },
	{ voice_id: 'emu_preset_storyteller_f1', voice_name: 'Storyteller', owned_by: 'kling' },
	{ voice_id: 'emu_preset_host_m2', voice_name: 'Host', owned_by: 'kling' },
	{ voice_id: 'emu_preset_calm_f2', voice_name: 'Calm', owned_by: 'kling' },
]);

/** The custom voices every emulator account has (made up; TTS refuses them). */
export const KLING_CUSTOM_VOICES: readonly KlingVoice[] = Object.freeze([
	{ voice_id: 'emu_custom_my_voice_1', voice_name: 'My voice', owned_by: '100200300' },
]);
