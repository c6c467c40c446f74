import type { IDataObject } from 'n8n-workflow';
import type { FailureKind } from '../shared/errors';
import { failureKindOf } from '../shared/errors';
import { toSeconds } from '../shared/task';
import { refusalOf } from './transport';

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

/** Kling's "Temporarily unavailable (maintenance)", HTTP 503 (provider-apis.md §1.3). */
export const KLING_MAINTENANCE_CODE = 5001;

/**
 * How Speech → Create treats a failed TTS request: the transport's verdict (klingFailureKind, which
 * klingRequest attached to the error), with one refinement for a create that cannot be looked up.
 *
 * - `retryable` (1302, HTTP 429) and `capacity` (1303): refused, nothing was made; send again later.
 * - Kling's own code 5001 ("temporarily unavailable (maintenance)", in Kling's envelope or nested by
 *   CometAPI): read as a refusal too, so `retryable`. klingFailureKind calls every 5000–5002 on a
 *   create `ambiguous`, which costs the avatar nothing (its create is looked up by external_task_id
 *   before anything is sent again). TTS has no such lookup (§1.7), so `ambiguous` means the item
 *   fails; and maintenance is the one 5xx code that says the service was not taking requests at
 *   all (an inference from its meaning: Kling's table only says "retry later"). 5000 (internal
 *   error) and 5002 (internal timeout) may come after the audio was made, and a bare HTTP 503
 *   without Kling's code may come from anything on the way: those stay `ambiguous`.
 * - `ambiguous` (no answer, reset, other 5xx): the audio may have been made, and paid.
 * - `fatal`: anything else (1201 voice, 1102 balance, …).
 */
export function ttsFailureKind(error: unknown): FailureKind {
	const kind = failureKindOf(error);
	if (kind === 'ambiguous' && refusalOf(error)?.answer.code === KLING_MAINTENANCE_CODE) return 'retryable';
	return kind;
}
