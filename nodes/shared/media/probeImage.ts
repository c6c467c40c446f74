/**
 * Image format and pixel size from the file header alone: no decoding, no I/O.
 * The content decides the format, never a file name or a MIME type someone typed.
 * Never throws: unknown or truncated input gives format 'unknown' or null dimensions.
 *
 * For JPEG and PNG the probe also says how far the buffer reaches into the file's structure
 * (`structure`): whether the compressed picture data starts (JPEG SOS, PNG IDAT) and whether the
 * end marker is there (JPEG EOI, PNG IEND). The probe cannot know whether the buffer is the
 * whole file or only its head; the caller decides what those facts mean (validateMedia.checkImage).
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'heic' | 'unknown';

/** A JPEG frame's coding process, from its SOF marker (ITU T.81 Table B.1; JPEG-LS: ITU T.87). */
export interface JpegCoding {
	/** the SOF marker's second byte: 0xC0..0xCF, 0xF7 (SOF55, JPEG-LS), 0xF9 (SOF57, JPEG-LS part 2) */
	marker: number;
	/** e.g. 'baseline', 'progressive', 'arithmetic-coded progressive', 'JPEG-LS' */
	codingProcess: string;
	/** sample precision in bits (8 for every JPEG a browser shows) */
	precision: number;
	/** a DHP marker came first: a hierarchical (multi-resolution) image */
	hierarchical: boolean;
	/** baseline, extended sequential or progressive Huffman coding at 8 bits, not hierarchical */
	widelySupported: boolean;
}

export interface ImageStructure {
	/** offset where the compressed picture data starts (after the first JPEG SOS header, the first PNG IDAT), null if not in the buffer */
	dataAt: number | null;
	/** the end marker (JPEG EOI after the data, PNG IEND chunk) is in the buffer */
	ends: boolean;
}

export interface ImageProbe {
	format: ImageFormat;
	width: number | null;
	height: number | null;
	/** JPEG only: the coding process of the frame whose size is reported */
	jpeg?: JpegCoding;
	/** JPEG and PNG only */
	structure?: ImageStructure;
}

const u8 = (buf: Buffer, i: number): number => (i >= 0 && i < buf.length ? buf[i] : -1);
const has = (buf: Buffer, i: number, n: number): boolean => i >= 0 && i + n <= buf.length;
const ascii = (buf: Buffer, i: number, n: number): string =>
	has(buf, i, n) ? buf.toString('latin1', i, i + n) : '';

const result = (
	format: ImageFormat,
	width: number | null = null,
	height: number | null = null,
	extra: Pick<ImageProbe, 'jpeg' | 'structure'> = {},
): ImageProbe => {
	// A zero side is as good as unreadable for every check that follows.
	const ok = width !== null && height !== null && width > 0 && height > 0;
	return { format, width: ok ? width : null, height: ok ? height : null, ...extra };
};

const IEND = Buffer.from('IEND', 'latin1');

function probePng(buf: Buffer): ImageProbe {
	// IHDR must be the first chunk: length(4) 'IHDR' width(4) height(4).
	if (!has(buf, 24, 0) || ascii(buf, 12, 4) !== 'IHDR') return result('png');
	// Chunks up to the first IDAT: length(4) type(4) data crc(4) (PNG spec §5.3). Few and small.
	let dataAt: number | null = null;
	for (let i = 8; has(buf, i, 8); ) {
		if (ascii(buf, i + 4, 4) === 'IDAT') {
			dataAt = i + 8;
			break;
		}
		i += 12 + buf.readUInt32BE(i);
	}
	// IEND: the last chunk, a 12-byte length 0 + type + CRC; anything after it is ignored by decoders.
	const iend = buf.lastIndexOf(IEND);
	const ends = dataAt !== null && iend > dataAt && buf.readUInt32BE(iend - 4) === 0;
	return result('png', buf.readUInt32BE(16), buf.readUInt32BE(20), { structure: { dataAt, ends } });
}

/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. F7/F9: JPEG-LS. */
const isSof = (m: number): boolean => (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7 || m === 0xf9;

/** ITU T.81 Table B.1: the coding process of each SOF marker. */
const SOF_PROCESS: Record<number, string> = {
	0xc0: 'baseline',
	0xc1: 'extended sequential',
	0xc2: 'progressive',
	0xc3: 'lossless',
	0xc5: 'hierarchical sequential',
	0xc6: 'hierarchical progressive',
	0xc7: 'hierarchical lossless',
	0xc9: 'arithmetic-coded sequential',
	0xca: 'arithmetic-coded progressive',
	0xcb: 'arithmetic-coded lossless',
	0xcd: 'arithmetic-coded hierarchical sequential',
	0xce: 'arithmetic-coded hierarchical progressive',
	0xcf: 'arithmetic-coded hierarchical lossless',
	0xf7: 'JPEG-LS',
	0xf9: 'JPEG-LS extended',
};

const EOI = Buffer.from([0xff, 0xd9]);

/**
 * Walks the marker segments (ITU T.81 §B.1.1) from SOI to the first SOS. Like libjpeg, bytes that
 * are not a marker where one should start are skipped up to the next 0xFF (libjpeg warns
 * "N extraneous bytes before marker" and decodes the image).
 */
function probeJpeg(buf: Buffer): ImageProbe {
	let i = 2;
	let frame: { width: number; height: number; coding: JpegCoding } | null = null;
	let hierarchical = false;
	let dataAt: number | null = null;
	while (i < buf.length) {
		if (buf[i] !== 0xff) {
			// Garbage between segments: resynchronise on the next 0xFF.
			const next = buf.indexOf(0xff, i);
			if (next < 0) break;
			i = next;
		}
		// Any number of 0xFF fill bytes may precede the marker code.
		while (u8(buf, i) === 0xff) i++;
		const marker = u8(buf, i);
		if (marker < 0) break;
		i++;
		// FF 00 is a stuffed byte, not a marker: more garbage.
		if (marker === 0x00) continue;
		// Standalone markers (TEM, RSTn, SOI) have no length field.
		if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue;
		// End of image before any scan: nothing more to read.
		if (marker === 0xd9) break;
		if (!has(buf, i, 2)) break;
		const length = buf.readUInt16BE(i);
		if (length < 2) break;
		if (marker === 0xde) hierarchical = true; // DHP
		if (isSof(marker) && !frame) {
			// length(2) precision(1) height(2) width(2)
			if (!has(buf, i + 3, 4)) break;
			const precision = buf[i + 2];
			const codingProcess = SOF_PROCESS[marker];
			frame = {
				height: buf.readUInt16BE(i + 3),
				width: buf.readUInt16BE(i + 5),
				coding: {
					marker,
					codingProcess,
					precision,
					hierarchical,
					widelySupported: (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) && precision === 8 && !hierarchical,
				},
			};
		}
		if (marker === 0xda) {
			// SOS: its header, then the entropy-coded data.
			if (has(buf, i, length)) dataAt = i + length;
			break;
		}
		i += length;
	}
	// EOI after the data. Inside entropy-coded data every 0xFF is followed by 00 or RSTn (T.81
	// §B.1.1.5), so FF D9 there can only be the end; bytes after EOI (another picture, padding) are ignored.
	const ends = dataAt !== null && buf.lastIndexOf(EOI) >= dataAt;
	const structure = { dataAt, ends };
	if (!frame) return result('jpeg', null, null, { structure });
	return result('jpeg', frame.width, frame.height, { jpeg: frame.coding, structure });
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
