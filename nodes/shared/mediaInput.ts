import { createHash } from 'node:crypto';
import type { IExecuteFunctions } from 'n8n-workflow';
import { binaryIdentity, readBinaryForCheck, readBinaryHead } from './binaryInput';
import { invalidInput } from './items';
import type { MediaViolation } from './media/validateMedia';
import { parseBase64, parseHttpUrl } from './mediaSource';

export type MediaSourceKind = 'binary' | 'url' | 'base64';

/**
 * A validated media input, small enough to keep for the whole batch: binary data is read
 * again when the request is sent, so a large batch never holds every file in memory.
 */
export type MediaRef =
	| { kind: 'url'; url: string }
	| { kind: 'base64'; base64: string; bytes: number; digest: string }
	/** `digest`: which stored file it is (binaryInput.binaryIdentity), for the task ledger. */
	| { kind: 'binary'; property: string; bytes: number; fileName?: string; digest: string };

export interface MediaFieldSpec {
	source: MediaSourceKind;
	/** Binary property name, URL or Base64 text, depending on `source`. */
	value: string;
	/** Field name shown in errors, e.g. "Image". */
	field: string;
	provider: string;
	/**
	 * Checks the bytes against the provider's limits. URLs are only checked for syntax.
	 * `buffer` may be only the start of the file (see headerBytes); `totalBytes` is its size.
	 * The buffer of a binary input is reused afterwards: keep facts from it, never the buffer.
	 */
	check(buffer: Buffer, totalBytes: number): MediaViolation | null;
	/**
	 * When the check needs only the file's first bytes (image format and dimensions), a binary
	 * input is read only that far; the whole file is read when they do not suffice.
	 */
	headerBytes?: number;
}

/** Reads and validates one media input. Throws a NodeOperationError naming item and field. */
export async function resolveMediaInput(ctx: IExecuteFunctions, itemIndex: number, spec: MediaFieldSpec): Promise<MediaRef> {
	const invalid = (problem: string) => invalidInput(ctx, itemIndex, spec.field, problem, spec.provider);
	if (spec.source === 'url') {
		const url = parseHttpUrl(spec.value, { binaryAlternative: true });
		if (!url.ok) throw invalid(url.problem);
		return { kind: 'url', url: url.value };
	}
	if (spec.source === 'base64') {
		const parsed = parseBase64(spec.value);
		if (!parsed.ok) throw invalid(parsed.problem);
		const violation = spec.check(parsed.value.buffer, parsed.value.buffer.length);
		if (violation) throw invalid(violation.message);
		return { kind: 'base64', base64: parsed.value.base64, bytes: parsed.value.buffer.length, digest: digestOf(parsed.value.buffer) };
	}
	const property = spec.value.trim();
	if (!property) throw invalid('no binary property name is set');
	let checked: { violation: MediaViolation | null; bytes: number; fileName?: string } | undefined;
	let digest: string;
	try {
		if (spec.headerBytes) {
			const { head, totalBytes, fileName } = await readBinaryHead(ctx, itemIndex, property, spec.headerBytes);
			const violation = spec.check(head, totalBytes);
			// A header found in the prefix settles it; otherwise (e.g. a JPEG with a large EXIF block) read it all.
			if (head.length >= totalBytes || violation?.problem !== 'unreadableDimensions') {
				checked = { violation, bytes: totalBytes, fileName };
			}
		}
		if (!checked) {
			const input = await readBinaryForCheck(ctx, itemIndex, property);
			checked = { violation: spec.check(input.buffer, input.buffer.length), bytes: input.buffer.length, fileName: input.fileName };
		}
		digest = binaryIdentity(ctx, itemIndex, property);
	} catch (error) {
		// The property is there but its stored file is not (pruned with an old execution, moved storage).
		if (hasBinaryProperty(ctx, itemIndex, property)) {
			throw invalid(`the stored file behind binary property "${property}" could not be read (${(error as Error).message}): n8n may have deleted it, e.g. with an old execution's data; run the node that produced it again`);
		}
		throw invalid(`no binary property "${property}" on this item (${(error as Error).message})`);
	}
	const { violation, bytes, fileName } = checked;
	if (violation) throw invalid(`${violation.message}${fileName ? ` (file "${fileName}")` : ''}`);
	return { kind: 'binary', property, bytes, fileName, digest };
}

/** The text a JSON API takes for a media input: the URL, or the raw Base64 (no data: prefix). */
export async function mediaRefToText(ctx: IExecuteFunctions, itemIndex: number, ref: MediaRef): Promise<string> {
	if (ref.kind === 'url') return ref.url;
	if (ref.kind === 'base64') return ref.base64;
	return (await ctx.helpers.getBinaryDataBuffer(itemIndex, ref.property)).toString('base64');
}

/** A short description of a media input for the task ledger's fingerprints (never the content itself). */
export function describeMediaRef(ref: MediaRef): string {
	if (ref.kind === 'url') return `url:${ref.url}`;
	return `${ref.kind}:${ref.bytes}:${ref.digest}`;
}

/** SHA-256 (hex, 32 characters) of media bytes: tells two files apart without keeping them. */
function digestOf(bytes: Buffer): string {
	return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

function hasBinaryProperty(ctx: IExecuteFunctions, itemIndex: number, property: string): boolean {
	try {
		ctx.helpers.assertBinaryData(itemIndex, property);
		return true;
	} catch {
		return false;
	}
}
