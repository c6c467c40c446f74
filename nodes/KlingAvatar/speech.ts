import type { IDataObject } from 'n8n-workflow';
import { toSeconds } from '../shared/task';

export const TTS_PATH = '/v1/audio/tts';
/** The account's voice lists (provider-apis.md §1.7, S8). TTS takes none of their ids (§6.1): its voices are in ttsVoices.ts. */
export const VOICES_PATH = '/v1/general/presets-voices';
export const CUSTOM_VOICES_PATH = '/v1/general/custom-voices';

export interface KlingVoice {
	voiceId: string;
	voiceName: string;
	trialUrl: string | null;
	ownedBy: string | null;
}

/** Flattens a preset- or custom-voice list: `data[].task_result.voices[]`. */
export function parseVoices(data: unknown): KlingVoice[] {
	const groups = Array.isArray(data) ? (data as IDataObject[]) : [];
	const voices: KlingVoice[] = [];
	for (const group of groups) {
		const list = ((group.task_result as IDataObject | undefined)?.voices as IDataObject[] | undefined) ?? [];
		for (const v of list) {
			if (!v.voice_id) continue;
			voices.push({
				voiceId: String(v.voice_id),
				voiceName: String(v.voice_name ?? v.voice_id),
				trialUrl: v.trial_url ? String(v.trial_url) : null,
				ownedBy: v.owned_by ? String(v.owned_by) : null,
			});
		}
	}
	return voices;
}

/** The TTS answer as one flat object; `audioId` feeds Avatar Video → Create. */
export function normalizeSpeech(data: IDataObject): IDataObject {
	const audio = (((data.task_result as IDataObject | undefined)?.audios as IDataObject[] | undefined) ?? [])[0] ?? {};
	return {
		audioId: audio.id ? String(audio.id) : null,
		audioUrl: audio.url ? String(audio.url) : null,
		durationSeconds: toSeconds(audio.duration),
		taskId: data.task_id ? String(data.task_id) : null,
		status: data.task_status === 'succeed' ? 'succeeded' : String(data.task_status ?? ''),
		unitsDeducted: data.final_unit_deduction ? String(data.final_unit_deduction) : null,
		raw: data,
	};
}
