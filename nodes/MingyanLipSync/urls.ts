import type { Parsed } from '../shared/mediaSource';
import { parseHttpUrl } from '../shared/mediaSource';

/**
 * Mingyan's URL rules (seed 004): audio and video must be network URLs, "no Chinese characters in
 * the URL", audio formats mp4, mp3, wav, m4a and "aar". "aar" is almost certainly a typo for aac
 * (an Android library archive is not audio, and every other provider lists aac): aac is accepted.
 */
export const AUDIO_EXTENSIONS = ['mp4', 'mp3', 'wav', 'm4a', 'aac'] as const;

/**
 * The doc names no video formats. This list is a sanity check (it catches swapped Audio/Video URL
 * fields and image links), not the provider's rule: the containers a lip-sync service can read.
 */
export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'm4v', 'avi', 'webm', 'mkv'] as const;

/**
 * Extensions of dynamic pages: the file type then comes from the server, not from the path,
 * so a URL like https://host/get.php?file=voice.mp3 counts as "no extension".
 */
const PAGE_EXTENSIONS = new Set(['php', 'asp', 'aspx', 'jsp', 'cgi', 'do', 'action', 'html', 'htm', 'ashx']);

/**
 * The file extension of a URL's last path segment (lower case), or undefined when it has none
 * (no dot, a dynamic page, or something that does not look like an extension).
 */
export function urlExtension(url: string): string | undefined {
	let pathname: string;
	try {
		pathname = new URL(url).pathname;
	} catch {
		return undefined;
	}
	const segment = pathname.slice(pathname.lastIndexOf('/') + 1);
	const dot = segment.lastIndexOf('.');
	if (dot <= 0 || dot === segment.length - 1) return undefined;
	const ext = segment.slice(dot + 1).toLowerCase();
	if (!/^[a-z0-9]{1,5}$/.test(ext) || PAGE_EXTENSIONS.has(ext)) return undefined;
	return ext;
}

/**
 * Validates a media URL for Mingyan and returns it ready to send: http(s) only (local paths and
 * file: refused), and every non-ASCII character percent-encoded as UTF-8 (the WHATWG URL
 * serializer does this for path, query and fragment, and turns a non-ASCII host into punycode;
 * existing %XX escapes are kept, so nothing is encoded twice).
 */
export function prepareMediaUrl(input: string, allowed: readonly string[], kind: 'audio' | 'video'): Parsed<string> {
	const parsed = parseHttpUrl(input);
	if (!parsed.ok) return parsed;
	const value = parsed.value;
	if (/[^\x21-\x7e]/.test(value)) {
		// Not reachable with a WHATWG-serialized URL; kept as a guard for the provider's rule.
		return { ok: false, problem: `"${value}" still contains characters that are not plain ASCII` };
	}
	const ext = urlExtension(value);
	if (ext !== undefined && !allowed.includes(ext)) {
		return {
			ok: false,
			problem: `the URL ends in ".${ext}", which is not a supported ${kind} format (${allowed.join(', ')}); give a link to a supported file, or a link without a file extension`,
		};
	}
	return { ok: true, value };
}
