import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import type { TtsLanguage } from '../ttsVoices';
import { TTS_LANGUAGE_NAMES, TTS_LANGUAGES, TTS_VOICES, ttsLanguagesOf, ttsVoicesFor } from '../ttsVoices';

/**
 * The Voice field of Speech → Create: Kling's TTS voice catalogue (ttsVoices.ts) for the chosen
 * Language, one option per voice, named "<label> (<voice id>)". Built into the node, so it needs
 * no credential and no request; presets-voices ids would be refused by TTS (provider-apis.md §6.1).
 *
 * n8n passes the Language field as it is: when it is an expression (`={{ … }}`), the language is
 * only known at run time, so every catalogue id is offered once, with the languages it exists in.
 */
export async function getTtsVoices(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const language = this.getCurrentNodeParameter('voiceLanguage');
	if (TTS_LANGUAGES.includes(language as TtsLanguage)) {
		return ttsVoicesFor(language as TtsLanguage).map((v) => ({ name: `${v.voiceName} (${v.voiceId})`, value: v.voiceId }));
	}
	const byId = new Map<string, INodePropertyOptions>();
	for (const v of TTS_VOICES) {
		if (byId.has(v.voiceId)) continue;
		const languages = ttsLanguagesOf(v.voiceId);
		byId.set(v.voiceId, {
			name: `${v.voiceName} (${v.voiceId})`,
			value: v.voiceId,
			description: `For ${languages.map((l) => TTS_LANGUAGE_NAMES[l]).join(' and ')}; the Language must match at run time`,
		});
	}
	return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}
