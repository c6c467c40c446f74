/**
 * Pre-flight checks of an uploaded portrait / voice track against a provider's limits.
 * Pure: returns the first violation (or null) and leaves wrapping it in an n8n error, with the
 * item index and field name, to the node. The limits are provider facts and live with each
 * provider; nothing here knows a provider.
 *
 * Order: size, format, dimensions/duration, aspect ratio. Size comes first so an oversized
 * upload is called oversized even when its header is perfectly readable.
 */

import { probeAudio, type AudioFormat } from './probeAudio';
import { probeImage, type ImageFormat } from './probeImage';

export interface ImageLimits {
	formats: ImageFormat[];
	maxBytes: number;
	minSidePx: number;
	/** width / height, e.g. 0.4 (1:2.5) */
	minAspect: number;
	/** width / height, e.g. 2.5 (2.5:1) */
	maxAspect: number;
}

export interface AudioLimits {
	formats: AudioFormat[];
	maxBytes: number;
	minSeconds: number;
	maxSeconds: number;
}

export type MediaProblem =
	| 'tooLarge'
	| 'unknownFormat'
	| 'unsupportedFormat'
	| 'unreadableDimensions'
	| 'tooSmall'
	| 'aspectRatio'
	| 'unreadableDuration'
	| 'tooShort'
	| 'tooLong';

export interface MediaViolation {
	/** one of MediaProblem, stable for code to branch on */
	problem: string;
	/** the measured value as shown to the user, e.g. "11.0 MB" */
	measured: string;
	/** the limit as shown to the user, e.g. "10.0 MB" */
	limit: string;
	/** one sentence naming both, e.g. "image is 11.0 MB; the limit is 10.0 MB" */
	message: string;
}

const KB = 1024;
const MB = 1024 * 1024;
const GB = 1024 * MB;
// Ratios equal to the limit must pass even if a division lands one ulp off.
const EPSILON = 1e-9;

/** "10.0 MB" (1 MB = 1024 × 1024 bytes), "512 KB", "900 bytes". */
export function formatBytes(n: number): string {
	if (!Number.isFinite(n) || n < KB) return `${n} bytes`;
	if (n >= GB) return `${(n / GB).toFixed(1)} GB`;
	// 1023.6 KB would round to "1024 KB"; say "1.0 MB" instead.
	if (n >= MB || Math.round(n / KB) >= 1024) return `${(n / MB).toFixed(1)} MB`;
	return `${Math.round(n / KB)} KB`;
}

/** Limits as people write them: 2.5, 300, 0.5 — no trailing zeros. */
const plain = (n: number): string => String(Number(n.toFixed(3)));

/**
 * Shows a measured value with `digits` decimals, adding decimals while the rounded text
 * would look like it satisfies a limit the exact value breaks (e.g. 1.96 s shown as "2.0 s").
 */
function shown(value: number, digits: number, inRange: (v: number) => boolean): string {
	let text = value.toFixed(digits);
	for (let d = digits + 1; d <= digits + 3 && !inRange(value) && inRange(Number(text)); d++) {
		text = value.toFixed(d);
	}
	return text;
}

const violation = (problem: MediaProblem, measured: string, limit: string, message: string): MediaViolation => ({
	problem,
	measured,
	limit,
	message,
});

function sizeViolation(kind: 'image' | 'audio', size: number, maxBytes: number): MediaViolation | null {
	if (size <= maxBytes) return null;
	let measured = formatBytes(size);
	let limit = formatBytes(maxBytes);
	// Just over the limit both round to the same text; exact bytes make the difference visible.
	if (measured === limit) {
		measured = `${size} bytes`;
		limit = `${maxBytes} bytes (${formatBytes(maxBytes)})`;
	}
	return violation('tooLarge', measured, limit, `${kind} is ${measured}; the limit is ${limit}`);
}

/** Providers document JPEG as "jpg, jpeg"; users recognise that spelling from their file names. */
const imageFormatList = (formats: ImageFormat[]): string =>
	formats.map((f) => (f === 'jpeg' ? 'jpg, jpeg' : f)).join(', ');

function formatViolation(kind: 'image' | 'audio', format: string, allowedList: string): MediaViolation {
	if (format === 'unknown') {
		return violation(
			'unknownFormat',
			'unknown',
			allowedList,
			`${kind} format could not be recognised from its content; allowed: ${allowedList}`,
		);
	}
	return violation('unsupportedFormat', format, allowedList, `${kind} format is ${format}; allowed: ${allowedList}`);
}

/** 3 → "3.00:1", 0.25 → "1:4.00"; limits without padding: 0.4 → "1:2.5". */
function ratio(aspect: number, measured: boolean, inRange: (v: number) => boolean): string {
	if (aspect >= 1) return `${measured ? shown(aspect, 2, inRange) : plain(aspect)}:1`;
	const inverse = 1 / aspect;
	return `1:${measured ? shown(inverse, 2, (v) => inRange(1 / v)) : plain(inverse)}`;
}

/** `totalBytes`: the file's size when `buf` holds only its start (format and dimensions are in the header). */
export function checkImage(buf: Buffer, limits: ImageLimits, totalBytes = buf.length): MediaViolation | null {
	const tooLarge = sizeViolation('image', totalBytes, limits.maxBytes);
	if (tooLarge) return tooLarge;

	const probe = probeImage(buf);
	if (probe.format === 'unknown' || !limits.formats.includes(probe.format)) {
		return formatViolation('image', probe.format, imageFormatList(limits.formats));
	}

	const { width, height } = probe;
	if (width === null || height === null) {
		return violation(
			'unreadableDimensions',
			'unknown',
			`at least ${limits.minSidePx} px per side`,
			'image dimensions could not be read from the file header',
		);
	}
	const size = `${width}×${height} px`;
	if (Math.min(width, height) < limits.minSidePx) {
		return violation(
			'tooSmall',
			size,
			`at least ${limits.minSidePx} px per side`,
			`image is ${size}; each side must be at least ${limits.minSidePx} px`,
		);
	}

	const aspect = width / height;
	const inRange = (v: number): boolean => v >= limits.minAspect - EPSILON && v <= limits.maxAspect + EPSILON;
	if (!inRange(aspect)) {
		const measured = ratio(aspect, true, inRange);
		const limit = `between ${ratio(limits.minAspect, false, inRange)} and ${ratio(limits.maxAspect, false, inRange)}`;
		return violation('aspectRatio', measured, limit, `image aspect ratio is ${measured} (${size}); it must be ${limit}`);
	}
	return null;
}

export function checkAudio(buf: Buffer, limits: AudioLimits): MediaViolation | null {
	const tooLarge = sizeViolation('audio', buf.length, limits.maxBytes);
	if (tooLarge) return tooLarge;

	const probe = probeAudio(buf);
	if (probe.format === 'unknown' || !limits.formats.includes(probe.format)) {
		return formatViolation('audio', probe.format, limits.formats.join(', '));
	}

	const limit = `between ${plain(limits.minSeconds)} and ${plain(limits.maxSeconds)} s`;
	const seconds = probe.durationSeconds;
	if (seconds === null) {
		return violation('unreadableDuration', 'unknown', limit, 'audio length could not be read from the file header');
	}
	const inRange = (v: number): boolean => v >= limits.minSeconds && v <= limits.maxSeconds;
	if (!inRange(seconds)) {
		const measured = `${shown(seconds, 1, inRange)} s`;
		return violation(
			seconds < limits.minSeconds ? 'tooShort' : 'tooLong',
			measured,
			limit,
			`audio is ${measured} long; it must be ${limit}`,
		);
	}
	return null;
}
