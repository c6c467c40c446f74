/**
 * Image format and pixel size from the file header alone: no decoding, no I/O.
 * The content decides the format, never a file name or a MIME type someone typed.
 * Never throws: unknown or truncated input gives format 'unknown' or null dimensions.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'heic' | 'unknown';

export interface ImageProbe {
	format: ImageFormat;
	width: number | null;
	height: number | null;
}

const u8 = (buf: Buffer, i: number): number => (i >= 0 && i < buf.length ? buf[i] : -1);
const has = (buf: Buffer, i: number, n: number): boolean => i >= 0 && i + n <= buf.length;
const ascii = (buf: Buffer, i: number, n: number): string =>
	has(buf, i, n) ? buf.toString('latin1', i, i + n) : '';

const result = (format: ImageFormat, width: number | null = null, height: number | null = null): ImageProbe => {
	// A zero side is as good as unreadable for every check that follows.
	const ok = width !== null && height !== null && width > 0 && height > 0;
	return { format, width: ok ? width : null, height: ok ? height : null };
};

function probePng(buf: Buffer): ImageProbe {
	// IHDR must be the first chunk: length(4) 'IHDR' width(4) height(4).
	if (!has(buf, 24, 0) || ascii(buf, 12, 4) !== 'IHDR') return result('png');
	return result('png', buf.readUInt32BE(16), buf.readUInt32BE(20));
}

/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function probeJpeg(buf: Buffer): ImageProbe {
	let i = 2;
	while (i < buf.length) {
		// Segments start with 0xFF; anything else means we lost the thread.
		if (buf[i] !== 0xff) return result('jpeg');
		// Any number of 0xFF fill bytes may precede the marker code.
		while (u8(buf, i) === 0xff) i++;
		const marker = u8(buf, i);
		if (marker < 0) break;
		i++;
		// Standalone markers (TEM, RSTn, SOI) have no length field.
		if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue;
		// Start of scan or end of image before any frame header: no size to be had.
		if (marker === 0xda || marker === 0xd9 || marker === 0x00) break;
		if (!has(buf, i, 2)) break;
		const length = buf.readUInt16BE(i);
		if (length < 2) break;
		if (isSof(marker)) {
			// length(2) precision(1) height(2) width(2)
			if (!has(buf, i + 3, 4)) break;
			return result('jpeg', buf.readUInt16BE(i + 5), buf.readUInt16BE(i + 3));
		}
		i += length;
	}
	return result('jpeg');
}

function probeWebp(buf: Buffer): ImageProbe {
	const chunk = ascii(buf, 12, 4);
	if (chunk === 'VP8 ') {
		// Lossy: 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height.
		if (!has(buf, 26, 4) || buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) return result('webp');
		return result('webp', buf.readUInt16LE(26) & 0x3fff, buf.readUInt16LE(28) & 0x3fff);
	}
	if (chunk === 'VP8L') {
		// Lossless: signature 0x2F, then width-1 and height-1 as 14-bit fields, little-endian bits.
		if (!has(buf, 21, 4) || buf[20] !== 0x2f) return result('webp');
		const bits = buf.readUInt32LE(21);
		return result('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
	}
	if (chunk === 'VP8X') {
		// Extended: canvas width-1 and height-1 as 24-bit little-endian values.
		if (!has(buf, 24, 6)) return result('webp');
		return result('webp', buf.readUIntLE(24, 3) + 1, buf.readUIntLE(27, 3) + 1);
	}
	return result('webp');
}

function probeBmp(buf: Buffer): ImageProbe {
	if (!has(buf, 14, 4)) return result('bmp');
	const dibSize = buf.readUInt32LE(14);
	if (dibSize === 12) {
		// OS/2 BITMAPCOREHEADER: 16-bit sides.
		if (!has(buf, 18, 4)) return result('bmp');
		return result('bmp', buf.readUInt16LE(18), buf.readUInt16LE(20));
	}
	if (!has(buf, 18, 8)) return result('bmp');
	// A negative height means the rows are stored top-down; the size is the same.
	return result('bmp', Math.abs(buf.readInt32LE(18)), Math.abs(buf.readInt32LE(22)));
}

const HEIC_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs'];

/** HEIF is ISO BMFF: the ftyp brands tell a HEIC still from an MP4 or an AVIF. */
function isHeic(buf: Buffer): boolean {
	if (ascii(buf, 4, 4) !== 'ftyp' || !has(buf, 0, 12)) return false;
	const size = Math.min(buf.readUInt32BE(0), buf.length);
	const brands: string[] = [ascii(buf, 8, 4)];
	for (let i = 16; i + 4 <= size; i += 4) brands.push(ascii(buf, i, 4));
	if (brands.some((b) => HEIC_BRANDS.includes(b))) return true;
	// Generic HEIF brands count unless the file says it is AVIF.
	const generic = brands.includes('mif1') || brands.includes('msf1');
	return generic && !brands.includes('avif') && !brands.includes('avis');
}

export function probeImage(buf: Buffer): ImageProbe {
	try {
		if (!buf || buf.length < 4) return result('unknown');
		if (has(buf, 0, 8) && buf.readUInt32BE(0) === 0x89504e47 && buf.readUInt32BE(4) === 0x0d0a1a0a) {
			return probePng(buf);
		}
		if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return probeJpeg(buf);
		const magic6 = ascii(buf, 0, 6);
		if (magic6 === 'GIF87a' || magic6 === 'GIF89a') {
			// Logical screen size, little-endian.
			if (!has(buf, 6, 4)) return result('gif');
			return result('gif', buf.readUInt16LE(6), buf.readUInt16LE(8));
		}
		if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return probeWebp(buf);
		// 'BM' alone is too weak a signature; the reserved words must be zero as well.
		if (buf[0] === 0x42 && buf[1] === 0x4d && has(buf, 6, 4) && buf.readUInt32LE(6) === 0) return probeBmp(buf);
		if (isHeic(buf)) return result('heic');
		return result('unknown');
	} catch {
		// Unreachable if the bounds checks above are right; the node must never crash on an upload.
		return result('unknown');
	}
}
