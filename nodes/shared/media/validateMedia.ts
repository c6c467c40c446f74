/**
 * Pre-flight checks of an uploaded portrait / voice track against a provider's limits.
 * Pure: returns the first violation (or null) and leaves wrapping it in an n8n error, with the
 * item index and field name, to the node. The limits are provider facts and live with each
 * provider; nothing here knows a provider.
 *
 * Order: size, format (and for a JPEG its coding), dimensions/duration, completeness, then the
 * limits on dimensions, aspect ratio or length. Size comes first so an oversized upload is called
 * oversized even when its header is perfectly readable. For audio a video container comes right
 * after an unrecognisable format: "this is a video" says more than the list of allowed formats.
 */

import { probeAudio, type AudioFormat, type AudioProbe } from './probeAudio';
import { probeImage, type ImageFormat, type ImageStructure, type JpegCoding } from './probeImage';

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
	| 'unsupportedCoding'
	| 'unreadableDimensions'
	| 'truncated'
	| 'tooSmall'
	| 'aspectRatio'
	| 'video'
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

function formatViolation(kind: 'image' | 'audio', format: string, allowedList: string, described = format): MediaViolation {
	if (format === 'unknown') {
		return violation(
			'unknownFormat',
			'unknown',
			allowedList,
			`${kind} format could not be recognised from its content; allowed: ${allowedList}`,
		);
	}
	return violation('unsupportedFormat', format, allowedList, `${kind} format is ${described}; allowed: ${allowedList}`);
}

/** The audio format in words where its short name could mislead (an "mp2" is not an mp3 with a typo). */
function describeAudio(p: AudioProbe): string {
	switch (p.format) {
		case 'mp1':
			return 'mp1 (MPEG audio Layer I; mp3 is Layer III)';
		case 'mp2':
			return 'mp2 (MPEG audio Layer II; mp3 is Layer III)';
		case 'mp4':
			return p.codec ? `mp4 with ${p.codec} audio (an m4a holds AAC)` : 'mp4 without an audio track';
		case 'mpeg-ps':
			return 'mpeg-ps (an MPEG program stream: a video container, as in .mpg or .vob)';
		case 'mpeg-ts':
			return 'mpeg-ts (an MPEG transport stream: a video container, as in .ts)';
		case 'avi':
			return 'avi (a video container)';
		case 'matroska':
			return 'matroska (Matroska / WebM: a video container)';
		case 'flv':
			return 'flv (a Flash video container)';
		case 'asf':
			return 'asf (Windows Media: wma / wmv)';
		default:
			return p.format;
	}
}

/** "SOF2"; JPEG-LS (ITU T.87) numbers its markers on from T.81's: 0xF7 is SOF55. */
const sofName = (marker: number): string => `SOF${marker - 0xc0}`;

function codingViolation(coding: JpegCoding): MediaViolation {
	let name = coding.codingProcess.startsWith('JPEG-LS') ? `${coding.codingProcess} image` : `${coding.codingProcess} JPEG`;
	if (coding.hierarchical && !coding.codingProcess.includes('hierarchical')) name = `hierarchical ${name}`;
	// The precision matters only where the process alone would be fine (12-bit baseline-like files).
	if (coding.precision !== 8 && coding.marker <= 0xc2) name = `${coding.precision}-bit ${name}`;
	const measured = `${name} (${sofName(coding.marker)})`;
	const article = /^[aeiou]/i.test(measured) ? 'an' : 'a';
	return violation(
		'unsupportedCoding',
		measured,
		'baseline or progressive JPEG (8-bit), or PNG',
		`image is ${article} ${measured}, which browsers and many decoders cannot display; re-encode it as a baseline or progressive JPEG, or as PNG`,
	);
}

/** "2240514 bytes (2.1 MB)"; small counts and frame counts as they are. */
const countText = (n: number, unit: 'bytes' | 'frames'): string =>
	unit === 'bytes' && n >= KB ? `${n} bytes (${formatBytes(n)})` : `${n} ${unit}`;

/** 3 → "3.00:1", 0.25 → "1:4.00"; limits without padding: 0.4 → "1:2.5". */
function ratio(aspect: number, measured: boolean, inRange: (v: number) => boolean): string {
	if (aspect >= 1) return `${measured ? shown(aspect, 2, inRange) : plain(aspect)}:1`;
	const inverse = 1 / aspect;
	return `1:${measured ? shown(inverse, 2, (v) => inRange(1 / v)) : plain(inverse)}`;
}

/**
 * `totalBytes`: the file's size when `buf` holds only its start (format, coding and dimensions are
 * in the header). Only with the whole file (`buf.length >= totalBytes`) is completeness checked:
 * a JPEG must reach its scan data and end with EOI, a PNG reach IDAT and end with IEND. From a
 * head alone nothing is claimed about the rest of the file.
 */
export function checkImage(buf: Buffer, limits: ImageLimits, totalBytes = buf.length): MediaViolation | null {
	const tooLarge = sizeViolation('image', totalBytes, limits.maxBytes);
	if (tooLarge) return tooLarge;

	const probe = probeImage(buf);
	if (probe.format === 'unknown' || !limits.formats.includes(probe.format)) {
		return formatViolation('image', probe.format, imageFormatList(limits.formats));
	}
	if (probe.jpeg && !probe.jpeg.widelySupported) return codingViolation(probe.jpeg);

	const { width, height } = probe;
	if (width === null || height === null) {
		return violation(
			'unreadableDimensions',
			'unknown',
			`at least ${limits.minSidePx} px per side`,
			'image dimensions could not be read from the file header',
		);
	}
	const cut = buf.length >= totalBytes ? truncatedImage(probe.format, probe.structure, buf.length) : null;
	if (cut) return cut;

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

const PICTURE_DATA: Record<string, { start: string; end: string }> = {
	jpeg: { start: 'the picture data starts (JPEG start of scan)', end: 'the JPEG end-of-image marker' },
	png: { start: 'the picture data starts (PNG IDAT chunk)', end: 'the PNG IEND chunk' },
};

function truncatedImage(format: ImageFormat, structure: ImageStructure | undefined, bytes: number): MediaViolation | null {
	const words = PICTURE_DATA[format];
	if (!structure || !words || structure.ends) return null;
	const where = structure.dataAt === null ? `before ${words.start}` : `inside the picture data, before ${words.end}`;
	return violation(
		'truncated',
		`${bytes} bytes`,
		'a complete file',
		`image file is cut short: its ${bytes} bytes end ${where}`,
	);
}

/** A video sent as audio: what is in it, and what to give instead. */
function videoViolation(p: AudioProbe, allowedList: string): MediaViolation {
	const video = p.video as NonNullable<AudioProbe['video']>;
	const container = p.format === 'mp4' ? 'MP4' : p.format;
	const seconds = p.durationSeconds !== null ? `${p.durationSeconds.toFixed(1)} s of ` : '';
	const audio = video.audioCodec ? `${seconds}${video.audioCodec} audio` : 'no audio track';
	const what = `${container}: ${video.codec} video, ${audio}`;
	return violation('video', `video (${what})`, 'audio only', `audio is a video (${what}); give its audio track alone (allowed: ${allowedList})`);
}

export function checkAudio(buf: Buffer, limits: AudioLimits): MediaViolation | null {
	const tooLarge = sizeViolation('audio', buf.length, limits.maxBytes);
	if (tooLarge) return tooLarge;

	const probe = probeAudio(buf);
	const allowedList = limits.formats.join(', ');
	if (probe.format === 'unknown') return formatViolation('audio', probe.format, allowedList);
	if (probe.video) return videoViolation(probe, allowedList);
	if (!limits.formats.includes(probe.format)) return formatViolation('audio', probe.format, allowedList, describeAudio(probe));
	if (probe.truncated) {
		const { declared, present, unit } = probe.truncated;
		return violation(
			'truncated',
			countText(present, unit),
			`${countText(declared, unit)}, as the header declares`,
			`audio file is cut short: its header says ${countText(declared, unit)}, ${present} ${unit} are present`,
		);
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
