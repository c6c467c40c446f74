import { probeImage, type ImageProbe } from '../../../nodes/shared/media/probeImage';
import { audioFixtures, imageFixtures, load, noise, truths as expected } from './fixtures';

function expectWellFormed(p: ImageProbe): void {
	expect(['png', 'jpeg', 'gif', 'webp', 'bmp', 'heic', 'unknown']).toContain(p.format);
	for (const side of [p.width, p.height]) {
		if (side !== null) expect(Number.isInteger(side) && side > 0).toBe(true);
	}
}

/** A minimal PNG: signature + IHDR; probeImage never looks further. */
function pngHeader(width: number, height: number): Buffer {
	const b = Buffer.alloc(33);
	Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
	b.writeUInt32BE(13, 8);
	b.write('IHDR', 12, 'latin1');
	b.writeUInt32BE(width, 16);
	b.writeUInt32BE(height, 20);
	b[24] = 8;
	b[25] = 2;
	return b;
}

const segment = (marker: number, body: Buffer): Buffer => {
	const head = Buffer.from([0xff, marker, 0, 0]);
	head.writeUInt16BE(body.length + 2, 2);
	return Buffer.concat([head, body]);
};
const sof = (marker: number, width: number, height: number): Buffer => {
	const body = Buffer.from([8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
	body.writeUInt16BE(height, 1);
	body.writeUInt16BE(width, 3);
	return segment(marker, body);
};
const SOI = Buffer.from([0xff, 0xd8]);
const SOS = Buffer.from([0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0]);

describe('probeImage on real fixtures (vs ffprobe / libjpeg)', () => {
	it.each(imageFixtures)('%s', (name) => {
		const e = expected[name];
		const p = probeImage(load(name));
		expect(p).toMatchObject({ format: e.format, width: e.width, height: e.height });
		// The SOF marker libjpeg reported; baseline and progressive fixtures carry none in fixtures.json.
		if (e.sof) expect(p.jpeg?.marker).toBe(Number(e.sof));
		// A whole file shows where its picture data starts and its end marker; a cut one does not end.
		if (p.format === 'png' || p.format === 'jpeg') {
			expect(p.structure?.dataAt).toBeGreaterThan(0);
			expect(p.structure?.ends).toBe(e.cut === undefined);
		}
	});

	it('reads the progressive JPEG frame header (SOF2), not just baseline SOF0', () => {
		const buf = load('portrait-progressive.jpg');
		expect(buf.indexOf(Buffer.from([0xff, 0xc2]))).toBeGreaterThan(0);
		expect(buf.indexOf(Buffer.from([0xff, 0xc0, 0x00, 0x11]))).toBe(-1);
		expect(probeImage(buf)).toMatchObject({ format: 'jpeg', width: 600, height: 800, jpeg: { marker: 0xc2, codingProcess: 'progressive', widelySupported: true } });
	});

	it('skips the DHT (C4) segment that ffmpeg writes before SOF0', () => {
		const buf = load('portrait.jpg');
		const dht = buf.indexOf(Buffer.from([0xff, 0xc4]));
		const sof0 = buf.indexOf(Buffer.from([0xff, 0xc0]));
		expect(dht).toBeGreaterThan(0);
		expect(dht).toBeLessThan(sof0);
		expect(probeImage(buf).width).toBe(600);
	});

	it.each(audioFixtures)('%s is not an image', (name) => {
		expect(probeImage(load(name))).toEqual({ format: 'unknown', width: null, height: null });
	});
});

describe('probeImage JPEG marker walking', () => {
	it('reads a JPEG with an EXIF APP1 segment before SOF', () => {
		const jpeg = load('portrait.jpg');
		// A realistic camera-sized APP1 (~60 KB) holding bytes that look like markers.
		const exifBody = Buffer.concat([Buffer.from('Exif\0\0MM\0*\0\0\0\x08', 'latin1'), noise(60000, 7)]);
		const withExif = Buffer.concat([SOI, segment(0xe1, exifBody), jpeg.subarray(2)]);
		expect(probeImage(withExif)).toMatchObject({ format: 'jpeg', width: 600, height: 800 });
	});

	it('skips DHT (C4), JPG (C8) and DAC (CC) even though they sit in the SOF range', () => {
		const buf = Buffer.concat([
			SOI,
			segment(0xc4, Buffer.alloc(20, 1)),
			segment(0xc8, Buffer.from([0x01, 0x02])),
			segment(0xcc, Buffer.from([0x00, 0x10])),
			sof(0xc1, 640, 480),
			SOS,
		]);
		expect(probeImage(buf)).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
	});

	it('handles 0xFF fill bytes and standalone markers between segments', () => {
		const buf = Buffer.concat([
			SOI,
			Buffer.from([0xff, 0xff, 0xff]),
			segment(0xe0, Buffer.from('JFIF\0\x01\x02\0\0\x01\0\x01\0\0', 'latin1')),
			Buffer.from([0xff, 0x01, 0xff, 0xd0]), // TEM, RST0: no length field
			Buffer.from([0xff, 0xff]),
			sof(0xc2, 1080, 1920),
			SOS,
		]);
		expect(probeImage(buf)).toMatchObject({ format: 'jpeg', width: 1080, height: 1920 });
	});

	it('skips stray bytes between segments, as libjpeg does ("extraneous bytes before marker")', () => {
		expect(expected['jpeg-stray-bytes.jpg'].libjpeg).toContain('2 extraneous bytes before marker 0xc0');
		const junkBeforeSof = Buffer.concat([SOI, segment(0xdb, Buffer.alloc(65)), Buffer.from([0, 0, 0x12]), sof(0xc0, 640, 480), SOS]);
		expect(probeImage(junkBeforeSof)).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
		// FF 00 is a stuffed zero, not a marker: garbage too.
		const stuffed = Buffer.concat([SOI, Buffer.from([0xff, 0x00, 0x55]), sof(0xc0, 640, 480), SOS]);
		expect(probeImage(stuffed)).toMatchObject({ width: 640, height: 480 });
	});

	// ITU T.81 Table B.1 (and T.87 for JPEG-LS): only Huffman baseline, extended and progressive
	// at 8 bits are what browsers and common decoders read.
	const codings: Array<[number, string, boolean]> = [
		[0xc0, 'baseline', true],
		[0xc1, 'extended sequential', true],
		[0xc2, 'progressive', true],
		[0xc3, 'lossless', false],
		[0xc5, 'hierarchical sequential', false],
		[0xc6, 'hierarchical progressive', false],
		[0xc7, 'hierarchical lossless', false],
		[0xc9, 'arithmetic-coded sequential', false],
		[0xca, 'arithmetic-coded progressive', false],
		[0xcb, 'arithmetic-coded lossless', false],
		[0xcd, 'arithmetic-coded hierarchical sequential', false],
		[0xce, 'arithmetic-coded hierarchical progressive', false],
		[0xcf, 'arithmetic-coded hierarchical lossless', false],
		[0xf7, 'JPEG-LS', false],
		[0xf9, 'JPEG-LS extended', false],
	];
	it.each(codings)('SOF marker 0x%s: %s (widely supported: %s)', (marker, codingProcess, widelySupported) => {
		expect(probeImage(Buffer.concat([SOI, sof(marker, 321, 123), SOS]))).toMatchObject({
			width: 321,
			height: 123,
			jpeg: { marker, codingProcess, precision: 8, hierarchical: false, widelySupported },
		});
	});

	it('a DHP marker makes even a baseline frame hierarchical; 12-bit precision is not widely supported', () => {
		const dhp = segment(0xde, Buffer.from([8, 0, 123, 1, 65, 1, 1, 0x11]));
		expect(probeImage(Buffer.concat([SOI, dhp, sof(0xc0, 321, 123), SOS])).jpeg).toMatchObject({ hierarchical: true, widelySupported: false });
		const twelveBit = sof(0xc1, 321, 123);
		twelveBit[4] = 12;
		expect(probeImage(Buffer.concat([SOI, twelveBit, SOS])).jpeg).toMatchObject({ precision: 12, widelySupported: false });
	});

	it('says where the scan data starts and whether EOI follows it', () => {
		const data = Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]);
		const whole = Buffer.concat([SOI, sof(0xc0, 640, 480), SOS, data, Buffer.from([0xff, 0xd9])]);
		const dataAt = 2 + 19 + SOS.length;
		expect(probeImage(whole).structure).toEqual({ dataAt, ends: true });
		// Bytes after EOI (an appended picture or padding) are ignored; a cut file has no EOI.
		expect(probeImage(Buffer.concat([whole, Buffer.alloc(100)])).structure).toEqual({ dataAt, ends: true });
		expect(probeImage(whole.subarray(0, whole.length - 2)).structure).toEqual({ dataAt, ends: false });
		// An EXIF thumbnail's EOI before the scan does not count.
		const thumb = segment(0xe1, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
		expect(probeImage(Buffer.concat([SOI, thumb, sof(0xc0, 640, 480), SOS, data])).structure?.ends).toBe(false);
		// Cut before the scan header is complete: no data.
		expect(probeImage(Buffer.concat([SOI, sof(0xc0, 640, 480), SOS.subarray(0, 6)])).structure).toEqual({ dataAt: null, ends: false });
	});

	it('gives null dimensions when the scan starts before any frame header', () => {
		expect(probeImage(Buffer.concat([SOI, segment(0xdb, Buffer.alloc(65)), SOS, noise(500, 3)]))).toMatchObject({
			format: 'jpeg',
			width: null,
			height: null,
		});
	});

	it('gives null dimensions for a zero-height frame (height defined later by DNL)', () => {
		expect(probeImage(Buffer.concat([SOI, sof(0xc0, 640, 0), SOS]))).toMatchObject({ format: 'jpeg', width: null, height: null });
	});
});

describe('probeImage other formats (synthesized headers)', () => {
	it('GIF logical screen size', () => {
		const b = Buffer.from('GIF89a\x40\x01\xf0\x00\0\0\0;', 'latin1');
		expect(probeImage(b)).toEqual({ format: 'gif', width: 320, height: 240 });
	});

	const riff = (chunk: string, payload: Buffer): Buffer => {
		const b = Buffer.alloc(20 + payload.length);
		b.write('RIFF', 0, 'latin1');
		b.writeUInt32LE(b.length - 8, 4);
		b.write('WEBP', 8, 'latin1');
		b.write(chunk, 12, 'latin1');
		b.writeUInt32LE(payload.length, 16);
		payload.copy(b, 20);
		return b;
	};

	it('WebP lossy (VP8)', () => {
		const p = Buffer.alloc(10);
		p[3] = 0x9d;
		p[4] = 0x01;
		p[5] = 0x2a;
		p.writeUInt16LE(750, 6);
		p.writeUInt16LE(1000, 8);
		expect(probeImage(riff('VP8 ', p))).toEqual({ format: 'webp', width: 750, height: 1000 });
	});

	it('WebP lossless (VP8L)', () => {
		const p = Buffer.alloc(5);
		p[0] = 0x2f;
		p.writeUInt32LE((800 - 1) | ((600 - 1) << 14), 1);
		expect(probeImage(riff('VP8L', p))).toEqual({ format: 'webp', width: 800, height: 600 });
	});

	it('WebP extended (VP8X)', () => {
		const p = Buffer.alloc(10);
		p.writeUIntLE(4000 - 1, 4, 3);
		p.writeUIntLE(3000 - 1, 7, 3);
		expect(probeImage(riff('VP8X', p))).toEqual({ format: 'webp', width: 4000, height: 3000 });
	});

	it('BMP, including a top-down (negative height) bitmap', () => {
		const b = Buffer.alloc(54);
		b.write('BM', 0, 'latin1');
		b.writeUInt32LE(54, 2);
		b.writeUInt32LE(54, 10);
		b.writeUInt32LE(40, 14);
		b.writeInt32LE(640, 18);
		b.writeInt32LE(-480, 22);
		expect(probeImage(b)).toEqual({ format: 'bmp', width: 640, height: 480 });
	});

	const ftyp = (major: string, ...compatible: string[]): Buffer => {
		const b = Buffer.alloc(16 + 4 * compatible.length + 8);
		b.writeUInt32BE(16 + 4 * compatible.length, 0);
		b.write('ftyp', 4, 'latin1');
		b.write(major, 8, 'latin1');
		compatible.forEach((c, i) => b.write(c, 16 + 4 * i, 'latin1'));
		return b;
	};

	it('HEIC by ftyp brand (dimensions not read)', () => {
		expect(probeImage(ftyp('heic', 'mif1', 'heic'))).toEqual({ format: 'heic', width: null, height: null });
		expect(probeImage(ftyp('mif1', 'heic'))).toEqual({ format: 'heic', width: null, height: null });
	});

	it('AVIF and MP4 are not HEIC', () => {
		expect(probeImage(ftyp('avif', 'mif1', 'miaf')).format).toBe('unknown');
		expect(probeImage(ftyp('isom', 'iso2', 'mp41')).format).toBe('unknown');
		expect(probeImage(load('voice.m4a')).format).toBe('unknown');
	});
});

describe('probeImage never throws', () => {
	it('on empty and tiny buffers', () => {
		for (let n = 0; n < 4; n++) expect(probeImage(Buffer.alloc(n, 0xff)).format).toBe('unknown');
	});

	it.each(imageFixtures)('on every short prefix of %s', (name) => {
		const buf = load(name);
		const e = expected[name];
		for (let n = 0; n <= Math.min(buf.length, 700); n++) {
			const p = probeImage(buf.subarray(0, n));
			expectWellFormed(p);
			// Whatever is recognised must agree with the full file.
			if (p.format !== 'unknown') expect(p.format).toBe(e.format);
			if (p.width !== null) expect([p.width, p.height]).toEqual([e.width, e.height]);
		}
	});

	it('on a header claiming a segment longer than the buffer', () => {
		const b = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xf0, 1, 2, 3]);
		expect(probeImage(b)).toEqual({ format: 'jpeg', width: null, height: null, structure: { dataAt: null, ends: false } });
	});

	it('on a segment length below 2 (would loop forever if trusted)', () => {
		expect(probeImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0xff, 0xc0]))).toEqual({
			format: 'jpeg',
			width: null,
			height: null,
			structure: { dataAt: null, ends: false },
		});
	});

	it('on random bytes, and random bytes behind each magic number', () => {
		const magics = [
			Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
			Buffer.from([0xff, 0xd8, 0xff]),
			Buffer.from('GIF89a', 'latin1'),
			Buffer.from('RIFF\0\0\0\0WEBPVP8X', 'latin1'),
			Buffer.from('BM\0\0\0\0\0\0\0\0', 'latin1'),
			Buffer.from('\0\0\0\x18ftypheic', 'latin1'),
		];
		for (let seed = 1; seed <= 200; seed++) {
			const tail = noise(seed * 3, seed);
			expectWellFormed(probeImage(tail));
			for (const m of magics) expectWellFormed(probeImage(Buffer.concat([m, tail])));
		}
	});

	it('recognises nothing in all-zero or all-0xFF data', () => {
		expect(probeImage(Buffer.alloc(4096)).format).toBe('unknown');
		expect(probeImage(Buffer.alloc(4096, 0xff)).format).toBe('unknown');
	});

	it('returns the IHDR size of a PNG header on its own, with no picture data and no end', () => {
		expect(probeImage(pngHeader(512, 640))).toEqual({ format: 'png', width: 512, height: 640, structure: { dataAt: null, ends: false } });
	});

	it('finds the PNG picture data (IDAT) and the IEND chunk, bytes after IEND ignored', () => {
		const png = load('portrait.png');
		expect(png.toString('latin1', png.length - 8, png.length - 4)).toBe('IEND');
		const dataAt = probeImage(png).structure?.dataAt as number;
		expect(png.toString('latin1', dataAt - 4, dataAt)).toBe('IDAT');
		expect(probeImage(Buffer.concat([png, Buffer.alloc(50)])).structure).toEqual({ dataAt, ends: true });
		expect(probeImage(png.subarray(0, png.length - 12)).structure).toEqual({ dataAt, ends: false });
	});
});
