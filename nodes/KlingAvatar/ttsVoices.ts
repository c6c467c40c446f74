/**
 * Kling text-to-speech voice catalogue: the `(voice_id, voice_language)` pairs `POST /v1/audio/tts`
 * accepts (provider-apis.md §1.7 "TTS voice catalogue" and §6.1; source S15, the voice ids by
 * language behind Kling's Voice Guide).
 *
 * Facts behind it:
 * - TTS takes only ids from this catalogue, each valid for its language (`zh` | `en`). The same id
 *   can exist in both languages, with a different label in each.
 * - Ids from `GET /v1/general/presets-voices` or custom voices are refused with code 1201
 *   "Voice id not found" (live calls, Sept 2026, §6.1), so the Voice field cannot be built from them.
 *
 * A snapshot taken 2026-11-29: Kling may add voices later. The Speech → Create option
 * "Allow Voice IDs Not in the Catalogue" sends an unlisted id as it is.
 */

export type TtsLanguage = 'en' | 'zh';

export const TTS_LANGUAGES: readonly TtsLanguage[] = ['en', 'zh'];

export const TTS_LANGUAGE_NAMES: Readonly<Record<TtsLanguage, string>> = { en: 'English', zh: 'Chinese' };

export interface TtsVoice {
	voiceId: string;
	/** The label Kling's Voice Guide gives (English), or one made from the id (Chinese). */
	voiceName: string;
	language: TtsLanguage;
}

/** English voices with their Voice Guide labels, in the guide's order. */
const EN: ReadonlyArray<readonly [string, string]> = [
	['genshin_vindi2', 'Sunny'],
	['zhinen_xuesheng', 'Sage'],
	['AOT', 'Ace'],
	['ai_shatang', 'Blossom'],
	['genshin_klee2', 'Peppy'],
	['genshin_kirara', 'Dove'],
	['ai_kaiya', 'Shine'],
	['oversea_male1', 'Anchor'],
	['ai_chenjiahao_712', 'Lyric'],
	['girlfriend_4_speech02', 'Melody'],
	['chat1_female_new-3', 'Tender'],
	['chat_0407_5-1', 'Siren'],
	['cartoon-boy-07', 'Zippy'],
	['uk_boy1', 'Bud'],
	['cartoon-girl-01', 'Sprite'],
	['PeppaPig_platform', 'Candy'],
	['ai_huangzhong_712', 'Beacon'],
	['ai_huangyaoshi_712', 'Rock'],
	['ai_laoguowang_712', 'Titan'],
	['chengshu_jiejie', 'Grace'],
	['you_pingjing', 'Helen'],
	['calm_story1', 'Lore'],
	['uk_man2', 'Crag'],
	['laopopo_speech02', 'Prattle'],
	['heainainai_speech02', 'Hearth'],
	['reader_en_m-v1', 'The Reader'],
	['commercial_lady_en_f-v1', 'Commercial Lady'],
];

/** Chinese voice ids, in the guide's order. The facts file gives no English labels for them. */
const ZH: readonly string[] = [
	'genshin_vindi2',
	'zhinen_xuesheng',
	'tiyuxi_xuedi',
	'ai_shatang',
	'genshin_klee2',
	'genshin_kirara',
	'ai_kaiya',
	'tiexin_nanyou',
	'ai_chenjiahao_712',
	'girlfriend_1_speech02',
	'chat1_female_new-3',
	'girlfriend_2_speech02',
	'cartoon-boy-07',
	'cartoon-girl-01',
	'ai_huangyaoshi_712',
	'you_pingjing',
	'ai_laoguowang_712',
	'chengshu_jiejie',
	'zhuxi_speech02',
	'uk_oldman3',
	'laopopo_speech02',
	'heainainai_speech02',
	'dongbeilaotie_speech02',
	'chongqingxiaohuo_speech02',
	'chuanmeizi_speech02',
	'chaoshandashu_speech02',
	'ai_taiwan_man2_speech02',
	'xianzhanggui_speech02',
	'tianjinjiejie_speech02',
	'diyinnansang_DB_CN_M_04-v2',
	'yizhipiannan-v1',
	'guanxiaofang-v2',
	'tianmeixuemei-v1',
	'daopianyansang-v1',
	'mengwa-v1',
];

/** A readable label from a voice id: `ai_taiwan_man2_speech02` → "Ai Taiwan Man2 Speech02". */
export function labelFromVoiceId(voiceId: string): string {
	return voiceId
		.split(/[_-]+/)
		.filter(Boolean)
		.map((word) => word.charAt(0).toUpperCase() + word.slice(1))
		.join(' ');
}

/** Every catalogue pair: the English voices first, then the Chinese ones. */
export const TTS_VOICES: readonly TtsVoice[] = Object.freeze([
	...EN.map(([voiceId, voiceName]): TtsVoice => ({ voiceId, voiceName, language: 'en' })),
	...ZH.map((voiceId): TtsVoice => ({ voiceId, voiceName: labelFromVoiceId(voiceId), language: 'zh' })),
]);

/** The catalogue's voices for one language, sorted by name. */
export function ttsVoicesFor(language: TtsLanguage): TtsVoice[] {
	return TTS_VOICES.filter((v) => v.language === language).sort((a, b) => a.voiceName.localeCompare(b.voiceName));
}

/** The languages in which the catalogue lists a voice id (empty when it lists it in none). */
export function ttsLanguagesOf(voiceId: string): TtsLanguage[] {
	return TTS_LANGUAGES.filter((language) => TTS_VOICES.some((v) => v.voiceId === voiceId && v.language === language));
}

/** Whether `(voiceId, language)` is a pair Kling TTS accepts. Compared exactly: nothing says Kling ignores case. */
export const isTtsVoicePair = (voiceId: string, language: string): boolean =>
	TTS_VOICES.some((v) => v.voiceId === voiceId && v.language === language);

/**
 * Why a pair is not in the catalogue, as the rest of an "Invalid "Voice" in item N: …" message, or
 * undefined when Kling accepts it.
 */
export function ttsVoicePairProblem(voiceId: string, language: TtsLanguage): string | undefined {
	if (isTtsVoicePair(voiceId, language)) return undefined;
	const elsewhere = ttsLanguagesOf(voiceId);
	const base = `voice "${voiceId}" is not in Kling's text-to-speech voice catalogue for language "${language}" (${TTS_LANGUAGE_NAMES[language]})`;
	if (elsewhere.length) {
		return `${base}; it exists only for ${elsewhere.map((l) => `"${l}" (${TTS_LANGUAGE_NAMES[l]})`).join(' and ')}`;
	}
	return `${base}; it is in the catalogue for no language`;
}
