import type { AudioLimits, ImageLimits } from '../shared/media/validateMedia';

/** Kling Avatar input limits (provider-apis.md §1.5, seeds 000/001). */
export const KLING_IMAGE_LIMITS: ImageLimits = {
	formats: ['jpeg', 'png'],
	maxBytes: 10 * 1024 * 1024,
	minSidePx: 300,
	minAspect: 1 / 2.5,
	maxAspect: 2.5,
};

/**
 * Kling documents 2–300 s; the CometAPI proxy page says 2–60 s (seed 002), so a proxy may
 * refuse longer audio with its own error even though it passes here.
 */
export const KLING_AUDIO_LIMITS: AudioLimits = {
	formats: ['mp3', 'wav', 'm4a', 'aac'],
	maxBytes: 5 * 1024 * 1024,
	minSeconds: 2,
	maxSeconds: 300,
};

export const KLING_PROMPT_MAX_CHARS = 2500;
export const KLING_TTS_TEXT_MAX_CHARS = 1000;
export const KLING_TTS_SPEED = { min: 0.8, max: 2 } as const;
export const KLING_LIST_PAGE_SIZE_MAX = 500;
export const KLING_LIST_PAGE_NUM_MAX = 1000;
