/**
 * Bounds-checked reads shared by the media probes. Every probe works on a Buffer that may be
 * cut anywhere, so each read is guarded by `has` first; none of these throw on short input.
 */

/** Whether `n` bytes from offset `i` lie inside the buffer. */
export const has = (buf: Buffer, i: number, n: number): boolean => i >= 0 && n >= 0 && i + n <= buf.length;

/** `n` bytes at `i` as Latin-1 text (a FourCC, a magic number); '' when they are not all there. */
export const ascii = (buf: Buffer, i: number, n: number): string => (has(buf, i, n) ? buf.toString('latin1', i, i + n) : '');

/** Unsigned 64-bit big-endian as a double; exact up to 2^53, far beyond any real file. */
export const u64be = (buf: Buffer, i: number): number => buf.readUInt32BE(i) * 0x100000000 + buf.readUInt32BE(i + 4);

/** Unsigned 64-bit little-endian as a double. */
export const u64le = (buf: Buffer, i: number): number => buf.readUInt32LE(i + 4) * 0x100000000 + buf.readUInt32LE(i);

/**
 * A file that ends before the size its own header declares (a download or copy that stopped early).
 * `unit` says what was counted: bytes in most containers, frames when an MP3 header has no byte count.
 */
export interface Truncation {
	declared: number;
	present: number;
	unit: 'bytes' | 'frames';
}
