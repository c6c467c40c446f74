/**
 * Parsing of media given as text (URL or Base64). Pure: returns a value or a problem
 * description; the caller turns problems into node errors naming item and field.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * An http(s) URL with a host; local paths and other schemes are refused.
 *
 * Text around a URL that people (and AI agents writing tool arguments) often include is removed:
 * wrapping quotes, backticks or angle brackets (`<https://…>`), and trailing sentence punctuation
 * (`.` `,` `;` `:` `!` `?`) or a closing bracket that has no opening one in the URL
 * (`(see https://…/a.png)` → `https://…/a.png`). Nothing else is changed.
 * @param options.binaryAlternative the field also takes a binary file (then a local path's message says so)
 */
export function parseHttpUrl(input: string, options: { binaryAlternative?: boolean } = {}): Parsed<string> {
	const value = trimAroundUrl(input);
	if (!value) return { ok: false, problem: 'the URL is empty' };
	if (/^(file:|\/|\.{1,2}\/|~\/|[a-zA-Z]:\\)/.test(value)) {
		const instead = options.binaryAlternative ? ' (or choose Binary File as the source)' : '; upload the file somewhere public first';
		return { ok: false, problem: `"${shorten(value)}" is a local file path; give a public http(s) URL${instead}` };
	}
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return { ok: false, problem: `"${shorten(value)}" is not a valid URL` };
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		return { ok: false, problem: `"${shorten(value)}" uses ${url.protocol.replace(':', '')}; only http and https URLs are accepted` };
	}
	if (!url.hostname) return { ok: false, problem: `"${shorten(value)}" has no host` };
	return { ok: true, value: url.toString() };
}

const WRAPPERS: Array<[string, string]> = [
	['"', '"'],
	["'", "'"],
	['`', '`'],
	['<', '>'],
	['(', ')'],
	['[', ']'],
];

function trimAroundUrl(input: string): string {
	let value = input.trim();
	for (let changed = true; changed && value; ) {
		changed = false;
		for (const [open, close] of WRAPPERS) {
			if (value.length > 1 && value.startsWith(open) && value.endsWith(close)) {
				value = value.slice(1, -1).trim();
				changed = true;
			}
		}
		if (/[.,;:!?]$/.test(value)) {
			value = value.slice(0, -1);
			changed = true;
		}
		for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']]) {
			if (value.endsWith(close) && count(value, open) < count(value, close)) {
				value = value.slice(0, -1);
				changed = true;
			}
		}
	}
	return value;
}

const count = (text: string, char: string) => text.split(char).length - 1;

const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL_BODY = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes Base64 text. A `data:<mime>;base64,` prefix is stripped (providers such as Kling
 * refuse it), whitespace is ignored, and the remaining text must be valid Base64.
 * Returns the decoded bytes and the clean Base64 text to send.
 */
/**
 * What `{{ $binary.<property>.data }}` gives where n8n keeps binary data outside the item: the
 * storage mode's name, not the file (n8n-core `BinaryDataService.store`; `STORED_MODES`).
 */
const STORAGE_MARKERS = new Set(['filesystem', 'filesystem-v2', 's3', 'azure', 'database']);

export function parseBase64(input: string): Parsed<{ buffer: Buffer; base64: string }> {
	let text = input.trim();
	if (STORAGE_MARKERS.has(text)) {
		return {
			ok: false,
			problem: `"${text}" is where n8n stores a binary file, not the file's content (an expression like {{ $binary.data.data }} gives only that here): choose Binary File as the source and name the binary property instead`,
		};
	}
	const prefix = /^data:[^,]*;base64,/i.exec(text);
	if (prefix) text = text.slice(prefix[0].length);
	else if (/^data:/i.test(text)) return { ok: false, problem: 'the data: URL is not Base64-encoded' };
	text = text.replace(/\s+/g, '');
	if (!text) return { ok: false, problem: 'the Base64 text is empty' };
	if (BASE64URL_BODY.test(text) && /[-_]/.test(text)) {
		text = text.replace(/-/g, '+').replace(/_/g, '/');
	}
	if (!BASE64_BODY.test(text) || text.length % 4 === 1) {
		return { ok: false, problem: 'the text is not valid Base64 (only A–Z, a–z, 0–9, +, / and = padding are allowed)' };
	}
	const padded = text.length % 4 ? text + '='.repeat(4 - (text.length % 4)) : text;
	const buffer = Buffer.from(padded, 'base64');
	if (!buffer.length) return { ok: false, problem: 'the Base64 text decodes to nothing' };
	return { ok: true, value: { buffer, base64: padded } };
}

function shorten(value: string): string {
	return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
