import { createHash } from 'node:crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

export interface BinaryInput {
	buffer: Buffer;
	fileName?: string;
	mimeType?: string;
}

/**
 * Reads an input binary through n8n's helpers, so it works whatever the instance's
 * binary-data mode is (memory, filesystem, S3). Never reads `binary.<prop>.data` directly.
 */
export async function readBinaryInput(
	ctx: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
): Promise<BinaryInput> {
	const meta = ctx.helpers.assertBinaryData(itemIndex, propertyName);
	const buffer = await ctx.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	return { buffer, fileName: meta.fileName, mimeType: meta.mimeType };
}

interface Scratch {
	buffer: Buffer;
	busy: boolean;
}
/** One reusable buffer per node execution for pre-flight checks (see readBinaryForCheck). */
const scratches = new WeakMap<object, Scratch>();

/**
 * Reads an input binary for a pre-flight check into a buffer reused across the items of one
 * execution, so validating 20 × 15 MB of media allocates one file's worth instead of 300 MB
 * of short-lived buffers (which the allocator keeps as resident memory long after they die).
 * The returned buffer is only valid until the next call with the same `ctx`: check it, keep
 * facts (size, dimensions), never the buffer. A concurrent call gets a fresh buffer.
 */
export async function readBinaryForCheck(
	ctx: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
): Promise<BinaryInput> {
	const meta = ctx.helpers.assertBinaryData(itemIndex, propertyName);
	let scratch = scratches.get(ctx);
	if (!scratch) {
		scratch = { buffer: Buffer.alloc(0), busy: false };
		scratches.set(ctx, scratch);
	}
	if (scratch.busy) return await readBinaryInput(ctx, itemIndex, propertyName);
	scratch.busy = true;
	try {
		let length = 0;
		const ensure = (size: number) => {
			if (size <= scratch.buffer.length) return;
			const grown = Buffer.allocUnsafe(Math.max(size, Math.ceil(scratch.buffer.length * 1.5)));
			scratch.buffer.copy(grown, 0, 0, length);
			scratch.buffer = grown;
		};
		if (meta.id) {
			const stream = (await ctx.helpers.getBinaryStream(meta.id, 256 * 1024)) as AsyncIterable<Buffer>;
			for await (const chunk of stream) {
				ensure(length + chunk.length);
				chunk.copy(scratch.buffer, length);
				length += chunk.length;
			}
		} else {
			const size = Buffer.byteLength(meta.data, 'base64');
			ensure(size);
			length = scratch.buffer.write(meta.data, 0, size, 'base64');
		}
		return { buffer: scratch.buffer.subarray(0, length), fileName: meta.fileName, mimeType: meta.mimeType };
	} finally {
		scratch.busy = false;
	}
}

/**
 * Bytes the Base64 text decodes to. `Buffer.byteLength(text, 'base64')` counts from the length
 * alone, so text wrapped in lines (MIME, 76 columns, as a Code node may write it) would be
 * over-counted; such text is decoded to count it (the file is in memory anyway in this mode).
 */
function base64ByteCount(text: string): number {
	const wrapped = text.includes('\n') || text.includes('\r') || text.includes(' ') || text.includes('\t');
	return wrapped ? Buffer.from(text, 'base64').length : Buffer.byteLength(text, 'base64');
}

export interface BinaryHead {
	/** The first bytes of the file (at most the requested number). */
	head: Buffer;
	/** The whole file's size. */
	totalBytes: number;
	fileName?: string;
}

/**
 * Reads only the start of an input binary plus its size: enough to check an image's format and
 * dimensions without reading a 10 MB file that the request will stream anyway.
 */
export async function readBinaryHead(ctx: IExecuteFunctions, itemIndex: number, propertyName: string, maxBytes: number): Promise<BinaryHead> {
	const meta = ctx.helpers.assertBinaryData(itemIndex, propertyName);
	if (!meta.id) {
		// Memory mode: the file is held as Base64 text; decode just the prefix.
		const base64 = meta.data;
		return {
			head: Buffer.from(base64.slice(0, Math.ceil(maxBytes / 3) * 4), 'base64'),
			totalBytes: base64ByteCount(base64),
			fileName: meta.fileName,
		};
	}
	const { fileSize } = await ctx.helpers.getBinaryMetadata(meta.id);
	const chunks: Buffer[] = [];
	let length = 0;
	const stream = (await ctx.helpers.getBinaryStream(meta.id, maxBytes)) as AsyncIterable<Buffer>;
	for await (const chunk of stream) {
		chunks.push(chunk);
		length += chunk.length;
		if (length >= maxBytes) break; // ends the stream: the rest of the file is not read
	}
	return { head: Buffer.concat(chunks).subarray(0, maxBytes), totalBytes: Number(fileSize), fileName: meta.fileName };
}

/**
 * What tells one input binary apart from another without reading it again: the name n8n gave the
 * stored file (filesystem, S3 and database modes: a UUID per stored file, the same when an
 * execution is retried from its saved data), or in memory mode a SHA-256 of the Base64 text n8n
 * already holds.
 */
export function binaryIdentity(ctx: IExecuteFunctions, itemIndex: number, propertyName: string): string {
	const meta = ctx.helpers.assertBinaryData(itemIndex, propertyName);
	// The file's own name (a UUID) only: n8n moves a webhook's upload from executions/temp/ to
	// executions/<id>/ when it saves the execution (restoreBinaryDataId), which changes the path.
	if (meta.id) return `id:${meta.id.split(/[/:]/).pop()}`;
	return `sha256:${createHash('sha256').update(meta.data).digest('hex').slice(0, 32)}`;
}
