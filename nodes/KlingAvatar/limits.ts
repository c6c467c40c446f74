import type { AudioLimits, ImageLimits, MediaViolation } from '../shared/media/validateMedia';
import { checkAudio } from '../shared/media/validateMedia';

/** Kling Avatar input limits (provider-apis.md §1.5, seeds 000/001). */
export const KLING_IMAGE_LIMITS: ImageLimits = {
	formats: ['jpeg', 'png'],
	maxBytes: 10 * 1024 * 1024,
	minSidePx: 300,
	minAspect: 1 / 2.5,
	maxAspect: 2.5,
};

/** Kling's own audio limits for avatar: 2–300 s (provider-apis.md §1.5, seeds 000/001). */
export const KLING_AUDIO_LIMITS: AudioLimits = {
	formats: ['mp3', 'wav', 'm4a', 'aac'],
	maxBytes: 5 * 1024 * 1024,
	minSeconds: 2,
	maxSeconds: 300,
};

/**
 * Through CometAPI, avatar audio may last 2–60 s only (provider-apis.md §6.2, seed 002). Other
 * proxies (Custom Base URL) may have limits of their own that the node does not know.
 */
export const KLING_COMETAPI_AUDIO_LIMITS: AudioLimits = { ...KLING_AUDIO_LIMITS, maxSeconds: 60 };

/** The audio check for avatar input on this host: Kling's limits, or CometAPI's shorter ones (named in the message). */
export function klingAudioCheck(cometApi: boolean): (buffer: Buffer) => MediaViolation | null {
	if (!cometApi) return (buffer) => checkAudio(buffer, KLING_AUDIO_LIMITS);
	return (buffer) => {
		const violation = checkAudio(buffer, KLING_COMETAPI_AUDIO_LIMITS);
		if (violation?.problem !== 'tooLong') return violation;
		return { ...violation, message: `${violation.message} (CometAPI's limit; Kling itself takes up to ${KLING_AUDIO_LIMITS.maxSeconds} s)` };
	};
}

export const KLING_PROMPT_MAX_CHARS = 2500;
export const KLING_TTS_TEXT_MAX_CHARS = 1000;
export const KLING_TTS_SPEED = { min: 0.8, max: 2 } as const;
export const KLING_LIST_PAGE_SIZE_MAX = 500;
export const KLING_LIST_PAGE_NUM_MAX = 1000;
