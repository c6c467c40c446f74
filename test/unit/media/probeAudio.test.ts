import { probeAudio, type AudioProbe } from '../../../nodes/shared/media/probeAudio';
import { allAudioFixtures, apev2Tag, audioFixtures, id3v1Tag, imageFixtures, load, lyrics3v2Tag, noise, truths as expected } from './fixtures';

/**
 * How close a length must come to the truth (fixtures.json, measured at generation time):
 * containers that state the exact length to 10 ms; LAME-tagged MP3s, whose gapless length ffmpeg
 * decodes, to the sample (1 ms); other frame-based estimates to 0.1 s.
 */
const GAPLESS = ['voice-vbr.mp3', 'lame-300s.mp3', 'lame-120s.mp3', 'lame-1.97s.mp3', 'lame-2s.mp3'];
const tolerance = (name: string): number =>
	GAPLESS.includes(name) ? 0.001 : ['wav', 'm4a', 'mp2'].includes(expected[name].format) ? 0.01 : 0.1;

const FORMATS = ['mp3', 'mp2', 'mp1', 'wav', 'm4a', 'mp4', 'aac', 'ogg', 'flac', 'mpeg-ps', 'mpeg-ts', 'avi', 'matroska', 'flv', 'asf', 'unknown'];

function expectWellFormed(p: AudioProbe): void {
	expect(FORMATS).toContain(p.format);
	if (p.durationSeconds !== null) expect(Number.isFinite(p.durationSeconds) && p.durationSeconds >= 0).toBe(true);
	if (p.truncated) expect(p.truncated.present).toBeLessThan(p.truncated.declared);
}

/* ---------- synthesizers ---------- */

function wav(opts: { byteRate: number; claimedDataSize: number; dataBytes: number; before?: Buffer[] }): Buffer {
	const fmt = Buffer.alloc(24);
	fmt.write('fmt ', 0, 'latin1');
	fmt.writeUInt32LE(16, 4);
	fmt.writeUInt16LE(1, 8);
	fmt.writeUInt16LE(1, 10);
	fmt.writeUInt32LE(opts.byteRate, 12);
	fmt.writeUInt32LE(opts.byteRate, 16);
	fmt.writeUInt16LE(1, 20);
	fmt.writeUInt16LE(8, 22);
	const dataHead = Buffer.alloc(8);
	dataHead.write('data', 0, 'latin1');
	dataHead.writeUInt32LE(opts.claimedDataSize >>> 0, 4);
	const head = Buffer.alloc(12);
	head.write('RIFF', 0, 'latin1');
	head.write('WAVE', 8, 'latin1');
	const out = Buffer.concat([head, fmt, ...(opts.before ?? []), dataHead, Buffer.alloc(opts.dataBytes, 0x80)]);
	out.writeUInt32LE(Math.min(0xffffffff, out.length - 8 + Math.max(0, opts.claimedDataSize - opts.dataBytes)), 4);
	return out;
}

function chunk(id: string, body: Buffer): Buffer {
	const head = Buffer.alloc(8);
	head.write(id, 0, 'latin1');
	head.writeUInt32LE(body.length, 4);
	return Buffer.concat([head, body, Buffer.alloc(body.length & 1)]);
}

function box(type: string, ...children: Buffer[]): Buffer {
	const body = Buffer.concat(children);
	const head = Buffer.alloc(8);
	head.writeUInt32BE(body.length + 8, 0);
	head.write(type, 4, 'latin1');
	return Buffer.concat([head, body]);
}

function largeBox(type: string, body: Buffer): Buffer {
	const head = Buffer.alloc(16);
	head.writeUInt32BE(1, 0);
	head.write(type, 4, 'latin1');
	head.writeUInt32BE(0, 8);
	head.writeUInt32BE(body.length + 16, 12);
	return Buffer.concat([head, body]);
}

function fullBox(type: string, version: number, body: Buffer): Buffer {
	return box(type, Buffer.concat([Buffer.from([version, 0, 0, 0]), body]));
}

function mvhd(version: 0 | 1, timescale: number, duration: number): Buffer {
	const body = Buffer.alloc(version === 1 ? 108 : 96);
	if (version === 1) {
		body.writeUInt32BE(timescale, 16);
		body.writeUInt32BE(Math.floor(duration / 0x100000000), 20);
		body.writeUInt32BE(duration >>> 0, 24);
	} else {
		body.writeUInt32BE(timescale, 8);
		body.writeUInt32BE(duration, 12);
	}
	return fullBox('mvhd', version, body);
}

/** mdhd: like mvhd's first fields (creation, modification, timescale, duration), then language. */
function mdhd(version: 0 | 1, timescale: number, duration: number): Buffer {
	const body = Buffer.alloc(version === 1 ? 32 : 20);
	if (version === 1) {
		body.writeUInt32BE(timescale, 16);
		body.writeUInt32BE(Math.floor(duration / 0x100000000), 20);
		body.writeUInt32BE(duration >>> 0, 24);
	} else {
		body.writeUInt32BE(timescale, 8);
		body.writeUInt32BE(duration, 12);
	}
	return fullBox('mdhd', version, body);
}

const hdlr = (handler: string): Buffer => fullBox('hdlr', 0, Buffer.concat([Buffer.alloc(4), Buffer.from(handler, 'latin1'), Buffer.alloc(13)]));

function tkhd(id: number): Buffer {
	const body = Buffer.alloc(80);
	body.writeUInt32BE(id, 8);
	return fullBox('tkhd', 0, body);
}

/** esds: ES_Descriptor(3) → DecoderConfigDescriptor(4) with the object type, lengths in the 4-byte form. */
function esds(objectType: number): Buffer {
	const dc = Buffer.from([0x04, 0x80, 0x80, 0x80, 13, objectType, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
	const es = Buffer.concat([Buffer.from([0x03, 0x80, 0x80, 0x80, 3 + dc.length, 0, 1, 0]), dc]);
	return fullBox('esds', 0, es);
}

/** An AudioSampleEntry (28 bytes of fields) or a VisualSampleEntry stand-in, with child boxes. */
const sampleEntry = (codec: string, ...kids: Buffer[]): Buffer => box(codec, Buffer.alloc(28), ...kids);

function trak(opts: {
	id?: number;
	handler?: string;
	entry?: Buffer;
	timescale: number;
	duration: number;
	mdhdVersion?: 0 | 1;
	edits?: Array<[number, number]>;
	tables?: Buffer[];
}): Buffer {
	const stsd = fullBox('stsd', 0, Buffer.concat([Buffer.from([0, 0, 0, 1]), opts.entry ?? sampleEntry('mp4a', esds(0x40))]));
	const edts = opts.edits
		? [
				box(
					'edts',
					fullBox(
						'elst',
						0,
						Buffer.concat([
							Buffer.from([0, 0, 0, opts.edits.length]),
							...opts.edits.map(([segment, mediaTime]) => {
								const e = Buffer.alloc(12);
								e.writeUInt32BE(segment, 0);
								e.writeInt32BE(mediaTime, 4);
								e.writeUInt32BE(0x10000, 8);
								return e;
							}),
						]),
					),
				),
			]
		: [];
	return box(
		'trak',
		tkhd(opts.id ?? 1),
		...edts,
		box(
			'mdia',
			mdhd(opts.mdhdVersion ?? 0, opts.timescale, opts.duration),
			hdlr(opts.handler ?? 'soun'),
			box('minf', box('stbl', stsd, ...(opts.tables ?? []))),
		),
	);
}

const u32s = (...values: number[]): Buffer => {
	const b = Buffer.alloc(4 * values.length);
	values.forEach((v, k) => b.writeUInt32BE(v >>> 0, 4 * k));
	return b;
};

const ftyp = (brand: string): Buffer => box('ftyp', Buffer.from(`${brand}\0\0\x02\0isomiso2mp41`, 'latin1'));

/** MPEG audio frames with silent (zero) payloads: header bits as in the spec tables. */
function mpegFrames(opts: { versionBits: number; layerBits: number; bitrateIndex: number; rateIndex: number; length: number; count: number }): Buffer {
	const frame = Buffer.alloc(opts.length);
	frame[0] = 0xff;
	frame[1] = 0xe0 | (opts.versionBits << 3) | (opts.layerBits << 1) | 1;
	frame[2] = (opts.bitrateIndex << 4) | (opts.rateIndex << 2);
	frame[3] = 0xc0; // mono
	return Buffer.concat(Array.from({ length: opts.count }, () => frame));
}

function adtsFrames(rateIndex: number, count: number, length = 100): Buffer {
	const f = Buffer.alloc(length);
	f[0] = 0xff;
	f[1] = 0xf1;
	f[2] = (1 << 6) | (rateIndex << 2);
	f[3] = 0x40 | ((length >> 11) & 3);
	f[4] = (length >> 3) & 0xff;
	f[5] = ((length & 7) << 5) | 0x1f;
	f[6] = 0xfc;
	return Buffer.concat(Array.from({ length: count }, () => f));
}

function id3v2(payload: number, footer = false): Buffer {
	const b = Buffer.alloc(10 + payload + (footer ? 10 : 0));
	b.write('ID3', 0, 'latin1');
	b[3] = 4;
	b[5] = footer ? 0x10 : 0;
	// syncsafe: 7 bits per byte
	b[6] = (payload >> 21) & 0x7f;
	b[7] = (payload >> 14) & 0x7f;
	b[8] = (payload >> 7) & 0x7f;
	b[9] = payload & 0x7f;
	// Tag text full of 0xFF bytes that must not be taken for frame syncs.
	b.fill(0xff, 10, 10 + Math.min(payload, 64));
	if (footer) b.write('3DI', 10 + payload, 'latin1');
	return b;
}

/** The MPEG audio frames above with a Xing/Info tag (and optionally a LAME extension) in the first. */
function withXing(frames: Buffer, opts: { tag?: 'Xing' | 'Info'; frames?: number; bytes?: number; lame?: { delay: number; padding: number; encoder?: string } }): Buffer {
	const out = Buffer.from(frames);
	// Mono MPEG-1: the tag sits after 4 + 17 bytes of header and side information.
	let o = 21;
	out.write(opts.tag ?? 'Xing', o, 'latin1');
	const flags = (opts.frames !== undefined ? 1 : 0) | (opts.bytes !== undefined ? 2 : 0);
	out.writeUInt32BE(flags, o + 4);
	o += 8;
	if (opts.frames !== undefined) {
		out.writeUInt32BE(opts.frames, o);
		o += 4;
	}
	if (opts.bytes !== undefined) {
		out.writeUInt32BE(opts.bytes, o);
		o += 4;
	}
	if (opts.lame) {
		out.write((opts.lame.encoder ?? 'LAME3.100').padEnd(9, '\0'), o, 'latin1');
		out.writeUIntBE((opts.lame.delay << 12) | opts.lame.padding, o + 21, 3);
	}
	return out;
}

/* ---------- tests ---------- */

describe('probeAudio on real fixtures (vs ffprobe / ffmpeg decodes)', () => {
	it.each(audioFixtures)('%s', (name) => {
		const e = expected[name];
		const p = probeAudio(load(name));
		expect(p.format).toBe(e.format);
		expect(p.truncated).toBeUndefined();
		expect(p.video).toBeUndefined();
		expect(p.durationSeconds).not.toBeNull();
		expect(Math.abs((p.durationSeconds as number) - (e.durationSeconds as number))).toBeLessThanOrEqual(tolerance(name));
	});

	it.each(imageFixtures)('%s is not audio', (name) => {
		expect(probeAudio(load(name))).toEqual({ format: 'unknown', durationSeconds: null });
	});

	it('voice.mp3 exercises the ID3v2 skip and the no-Xing (CBR) path', () => {
		const buf = load('voice.mp3');
		expect(buf.toString('latin1', 0, 3)).toBe('ID3');
		expect(buf.indexOf('Xing')).toBe(-1);
		expect(buf.indexOf('Info')).toBe(-1);
	});

	it('voice-vbr.mp3 carries a Xing header', () => {
		expect(load('voice-vbr.mp3').indexOf('Xing')).toBeGreaterThan(0);
	});

	it('finds moov after mdat (ffmpeg default) as well as before it (faststart)', () => {
		const late = load('voice.m4a');
		const early = load('voice-faststart.m4a');
		expect(late.indexOf('moov')).toBeGreaterThan(late.indexOf('mdat'));
		expect(early.indexOf('moov')).toBeLessThan(early.indexOf('mdat'));
		expect(probeAudio(late)).toEqual(probeAudio(early));
	});
});

describe('probeAudio on the real-world kinds of issue 11', () => {
	it('fragmented M4A: an empty moov (mvhd 0) and one whose mvhd covers only the first second', () => {
		for (const name of ['frag-empty-moov.m4a', 'frag-1s.m4a']) {
			const buf = load(name);
			expect(buf.indexOf('moof')).toBeGreaterThan(0);
			expect(probeAudio(buf).durationSeconds).toBeCloseTo(expected[name].durationSeconds as number, 2);
		}
		// The header alone would say 1.02 s: mvhd of frag-1s.m4a.
		const buf = load('frag-1s.m4a');
		const mvhdAt = buf.indexOf('mvhd');
		expect(buf.readUInt32BE(mvhdAt + 20) / buf.readUInt32BE(mvhdAt + 16)).toBeLessThan(1.1);
	});

	it('compressed WAVs name their codec, and their length comes from fact or the frames, not the byte rate', () => {
		expect(probeAudio(load('ima-adpcm.wav')).codec).toBe('IMA ADPCM');
		expect(probeAudio(load('ms-adpcm-500s.wav')).codec).toBe('MS ADPCM');
		expect(probeAudio(load('mp3-in-wav.wav')).codec).toBe('MPEG Layer III');
		// Byte rate 0, no fact: only the MP3 frames inside tell the length.
		const nofact = load('mp3-in-wav-nofact.wav');
		expect(nofact.indexOf('fact')).toBe(-1);
		expect(nofact.readUInt32LE(28)).toBe(0);
		// The header's byte rate would say 500 s is 126 s.
		const ms = load('ms-adpcm-500s.wav');
		expect(ms.readUInt32LE(28)).toBe(16000);
	});

	it('a LAME-tagged MP3 lasts its gapless length: 300 s is not 300.17 s, 1.97 s is not 2.09 s', () => {
		for (const name of ['lame-300s.mp3', 'lame-1.97s.mp3', 'lame-2s.mp3']) {
			const buf = load(name);
			// ffmpeg's LAME tag (encoder string 'Lavf' under -bitexact) with delay and padding.
			expect(buf.indexOf('Lavf')).toBeGreaterThan(0);
			// Frames x 576 / 8000 overshoots the truth by the encoder delay and padding.
			const info = buf.indexOf('Info');
			const headerSeconds = (buf.readUInt32BE(info + 8) * 576) / 8000;
			expect(headerSeconds - (expected[name].durationSeconds as number)).toBeGreaterThan(0.1);
			expect(probeAudio(buf).durationSeconds).toBeCloseTo(expected[name].durationSeconds as number, 3);
		}
	});

	it('finds an MP3 behind 200 KB of junk (no ID3 tag)', () => {
		const buf = load('junk-200k.mp3');
		expect(buf.toString('latin1', 0, 3)).not.toBe('ID3');
		expect(probeAudio(buf)).toEqual({ format: 'mp3', durationSeconds: probeAudio(load('voice-vbr.mp3')).durationSeconds });
	});

	it('three concatenated 120 s MP3s play 360 s, not the first Info header\'s 120 s', () => {
		const p = probeAudio(load('concat-3x120s.mp3'));
		expect(p.durationSeconds).toBeGreaterThan(359);
		expect(Math.abs((p.durationSeconds as number) - (expected['concat-3x120s.mp3'].durationSeconds as number))).toBeLessThan(0.1);
	});

	it('a cut MP3 and a cut faststart M4A: the header declares the whole, the bytes present are fewer', () => {
		for (const name of ['cut-280s.mp3', 'cut-280s-faststart.m4a']) {
			const cut = expected[name].cut as NonNullable<(typeof expected)[string]['cut']>;
			const p = probeAudio(load(name));
			expect(p.format).toBe(expected[name].format);
			// Both containers declare the stream up to the end of the uncut file (no trailing tags).
			expect(p.truncated).toEqual({ declared: cut.sourceBytes, present: cut.presentBytes, unit: 'bytes' });
		}
	});

	it('an M4A cut before its moov (moov after mdat) is cut, with no length', () => {
		const full = load('voice.m4a');
		expect(probeAudio(full.subarray(0, 4000))).toEqual({
			format: 'm4a',
			durationSeconds: null,
			truncated: { declared: full.indexOf('moov') - 4, present: 4000, unit: 'bytes' },
		});
	});

	it('a video is an mp4 with its video codec named, and its audio track measured', () => {
		expect(expected['video-only.m4a'].streams).toBe('h264');
		expect(probeAudio(load('video-only.m4a'))).toEqual({ format: 'mp4', durationSeconds: null, video: { codec: 'H.264', audioCodec: null } });
		expect(expected['video-aac.m4a'].streams).toBe('h264+aac');
		const p = probeAudio(load('video-aac.m4a'));
		expect(p.video).toEqual({ codec: 'H.264', audioCodec: 'AAC' });
		expect(p.durationSeconds).toBeCloseTo(expected['video-aac.m4a'].audioSeconds as number, 2);
	});

	it('MPEG program and transport streams named .mp3 are named as such, though they hold MPEG audio', () => {
		expect(expected['mpeg-ps.mp3'].streams).toContain('mp2');
		expect(probeAudio(load('mpeg-ps.mp3'))).toEqual({ format: 'mpeg-ps', durationSeconds: null });
		expect(probeAudio(load('mpeg-ts.mp3'))).toEqual({ format: 'mpeg-ts', durationSeconds: null });
	});

	it('MPEG Layer II named .mp3 is mp2', () => {
		expect(expected['layer2.mp3'].codec).toBe('mp2');
		expect(probeAudio(load('layer2.mp3')).format).toBe('mp2');
	});
});

/* ---------- WAV ---------- */

interface WaveOpts {
	id?: 'RIFF' | 'RIFX' | 'RF64';
	tag?: number;
	channels?: number;
	sampleRate: number;
	byteRate: number;
	blockAlign: number;
	bits?: number;
	/** bytes after the 16 of WAVEFORMAT (cbSize and the codec's extension) */
	extension?: Buffer;
	/** chunks between fmt and data (fact, LIST ...), already built with the right endianness */
	chunks?: Buffer[];
	claimedDataSize: number;
	dataBytes: number;
}

/** A WAVE file of either endianness, fields as in the RIFF spec. */
function wave(o: WaveOpts): Buffer {
	const big = o.id === 'RIFX';
	const u16 = (v: number): Buffer => {
		const b = Buffer.alloc(2);
		if (big) b.writeUInt16BE(v);
		else b.writeUInt16LE(v);
		return b;
	};
	const u32 = (v: number): Buffer => {
		const b = Buffer.alloc(4);
		if (big) b.writeUInt32BE(v >>> 0);
		else b.writeUInt32LE(v >>> 0);
		return b;
	};
	const ck = (id: string, body: Buffer, size = body.length): Buffer =>
		Buffer.concat([Buffer.from(id, 'latin1'), u32(size), body, Buffer.alloc(body.length & 1)]);
	const fmtBody = Buffer.concat([
		u16(o.tag ?? 1),
		u16(o.channels ?? 1),
		u32(o.sampleRate),
		u32(o.byteRate),
		u16(o.blockAlign),
		u16(o.bits ?? 16),
		o.extension ?? Buffer.alloc(0),
	]);
	const body = Buffer.concat([
		Buffer.from('WAVE', 'latin1'),
		ck('fmt ', fmtBody),
		...(o.chunks ?? []),
		Buffer.from('data', 'latin1'),
		u32(o.claimedDataSize),
		Buffer.alloc(o.dataBytes, 0x11),
	]);
	return Buffer.concat([Buffer.from(o.id ?? 'RIFF', 'latin1'), u32(body.length), body]);
}

const factLE = (samples: number): Buffer => {
	const b = Buffer.alloc(12);
	b.write('fact', 0, 'latin1');
	b.writeUInt32LE(4, 4);
	b.writeUInt32LE(samples >>> 0, 8);
	return b;
};

describe('probeAudio WAV', () => {
	it('reads byte rate and data size across an odd-sized chunk with its pad byte', () => {
		const b = wav({ byteRate: 8000, claimedDataSize: 16000, dataBytes: 16000, before: [chunk('LIST', Buffer.alloc(25, 0x41))] });
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: 2 });
	});

	it('reads to the end of the file when the data size is 0 or a streaming placeholder (0xFFFFFFFF, arecord\'s 0x7FFFFF00, 0x7FFFFFFF)', () => {
		for (const claimed of [0, 0xffffffff, 0x7fffff00, 0x7fffffff, 0xfffffff0]) {
			expect(probeAudio(wav({ byteRate: 8000, claimedDataSize: claimed, dataBytes: 12000 }))).toEqual({
				format: 'wav',
				durationSeconds: 1.5,
			});
		}
	});

	it('is cut when the header declares more data than the file holds', () => {
		// Header says 301 s, only 4000 bytes (0.5 s) arrived.
		const b = wav({ byteRate: 8000, claimedDataSize: 301 * 8000, dataBytes: 4000 });
		expect(probeAudio(b)).toEqual({
			format: 'wav',
			durationSeconds: 0.5,
			truncated: { declared: 44 + 301 * 8000, present: b.length, unit: 'bytes' },
		});
		// Just below the placeholders a size is still a claim.
		expect(probeAudio(wav({ byteRate: 8000, claimedDataSize: 0x7ffffeff, dataBytes: 4000 })).truncated?.declared).toBe(44 + 0x7ffffeff);
	});

	it('is not cut when at most one block (one sample frame of PCM) is missing', () => {
		const b = wave({ sampleRate: 8000, byteRate: 16000, blockAlign: 2, claimedDataSize: 16002, dataBytes: 16000 });
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: 1 });
	});

	it('reads PCM length from block align and sample rate, not from a wrong byte rate', () => {
		const b = wave({ sampleRate: 8000, byteRate: 12345, blockAlign: 2, claimedDataSize: 32000, dataBytes: 32000 });
		expect(probeAudio(b).durationSeconds).toBe(2);
	});

	it('reads RIFX (big-endian) like RIFF', () => {
		const b = wave({ id: 'RIFX', sampleRate: 16000, byteRate: 32000, blockAlign: 2, claimedDataSize: 48000, dataBytes: 48000 });
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: 1.5 });
		expect(probeAudio(load('rifx.wav')).durationSeconds).toBe(expected['rifx.wav'].durationSeconds);
	});

	it('reads RF64 sizes from ds64', () => {
		const ds64 = Buffer.alloc(36);
		ds64.write('ds64', 0, 'latin1');
		ds64.writeUInt32LE(28, 4);
		ds64.writeUInt32LE(24000, 16); // dataSize low
		const b = wave({ id: 'RF64', sampleRate: 8000, byteRate: 8000, blockAlign: 1, bits: 8, claimedDataSize: 0xffffffff, dataBytes: 24000 });
		// ds64 must come first: put it right after 'WAVE'.
		const withDs64 = Buffer.concat([b.subarray(0, 12), ds64, b.subarray(12)]);
		expect(probeAudio(withDs64)).toEqual({ format: 'wav', durationSeconds: 3 });
	});

	it('takes a compressed codec\'s length from fact, not from its byte rate', () => {
		// IMA ADPCM, 16 kHz mono: a byte rate of 16000 would make these 8100 bytes 0.5 s; fact says 1 s.
		const ext = Buffer.from([2, 0, 0xf9, 0x07]); // cbSize 2, 2041 samples per block
		const b = wave({ tag: 0x11, sampleRate: 16000, byteRate: 16000, blockAlign: 1024, bits: 4, extension: ext, chunks: [factLE(16000)], claimedDataSize: 8192, dataBytes: 8192 });
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: 1, codec: 'IMA ADPCM' });
	});

	it('without fact, counts ADPCM blocks × samples per block', () => {
		const ext = Buffer.from([2, 0, 0xf9, 0x07]); // 2041 samples per 1024-byte block
		const b = wave({ tag: 0x11, sampleRate: 16000, byteRate: 16000, blockAlign: 1024, bits: 4, extension: ext, claimedDataSize: 8 * 1024, dataBytes: 8 * 1024 });
		expect(probeAudio(b).durationSeconds).toBeCloseTo((8 * 2041) / 16000, 6);
	});

	it('without fact and with byte rate 0, hops the MPEG frames of an MP3-in-WAV', () => {
		// 50 frames of MPEG-1 Layer III 128 kbps 44.1 kHz (417 bytes, 1152 samples each).
		const frames = mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 50 });
		const b = Buffer.concat([wave({ tag: 0x55, sampleRate: 44100, byteRate: 0, blockAlign: 1, bits: 0, claimedDataSize: frames.length, dataBytes: 0 }), frames]);
		b.writeUInt32LE(b.length - 8, 4);
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: (50 * 1152) / 44100, codec: 'MPEG Layer III' });
	});

	it('reads the real subformat of WAVE_FORMAT_EXTENSIBLE', () => {
		// cbSize 22, valid bits, channel mask, then the SubFormat GUID starting with 0x0001 (PCM).
		const ext = Buffer.concat([Buffer.from([22, 0, 16, 0, 4, 0, 0, 0, 1, 0]), Buffer.alloc(14)]);
		const b = wave({ tag: 0xfffe, sampleRate: 8000, byteRate: 16000, blockAlign: 2, extension: ext, claimedDataSize: 8000, dataBytes: 8000 });
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: 0.5 });
	});

	it('gives a null duration without a fmt chunk', () => {
		const b = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'), chunk('data', Buffer.alloc(100))]);
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: null });
	});
});

/* ---------- MPEG audio ---------- */

describe('probeAudio MPEG audio', () => {
	const l3 = (count: number): Buffer => mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count });

	it('skips an ID3v2 tag with a footer and one with 0xFF bytes inside', () => {
		const frames = l3(100);
		// MPEG-1 Layer III 128 kbps 44.1 kHz: 100 frames x 1152 samples.
		const seconds = (100 * 1152) / 44100;
		for (const tag of [id3v2(300, true), id3v2(300), Buffer.concat([id3v2(50), id3v2(70, true)])]) {
			const p = probeAudio(Buffer.concat([tag, frames]));
			expect(p.format).toBe('mp3');
			expect(p.durationSeconds).toBeCloseTo(seconds, 2);
		}
	});

	it('excludes a trailing ID3v1 tag from the audio bytes', () => {
		const mp3 = load('voice.mp3');
		const tag = Buffer.alloc(128, 0x20);
		tag.write('TAG', 0, 'latin1');
		const a = probeAudio(mp3).durationSeconds as number;
		const b = probeAudio(Buffer.concat([mp3, tag])).durationSeconds as number;
		expect(Math.abs(a - b)).toBeLessThan(0.005);
	});

	it('reads MPEG-2.5 Layer III (8 kHz, 576 samples per frame)', () => {
		// 8 kbps: 72 * 8000 / 8000 = 72-byte frames
		const p = probeAudio(mpegFrames({ versionBits: 0, layerBits: 1, bitrateIndex: 1, rateIndex: 2, length: 72, count: 500 }));
		expect(p.format).toBe('mp3');
		expect(p.durationSeconds).toBeCloseTo((500 * 576) / 8000, 3);
	});

	it('names MPEG-1 Layer II and Layer I as mp2 and mp1, with their lengths', () => {
		// Layer II 192 kbps 48 kHz: 144 * 192000 / 48000 = 576 bytes, 1152 samples.
		const l2 = probeAudio(mpegFrames({ versionBits: 3, layerBits: 2, bitrateIndex: 10, rateIndex: 1, length: 576, count: 50 }));
		expect(l2.format).toBe('mp2');
		expect(l2.durationSeconds).toBeCloseTo((50 * 1152) / 48000, 3);
		// Layer I 384 kbps 48 kHz: 12 * 384000 / 48000 * 4 = 384 bytes, 384 samples.
		const l1 = probeAudio(mpegFrames({ versionBits: 3, layerBits: 3, bitrateIndex: 12, rateIndex: 1, length: 384, count: 50 }));
		expect(l1.format).toBe('mp1');
		expect(l1.durationSeconds).toBeCloseTo((50 * 384) / 48000, 3);
	});

	it('takes the length from the Xing frame count, less the LAME tag\'s delay and padding', () => {
		const frames = withXing(l3(101), { frames: 100, bytes: 101 * 417, lame: { delay: 576, padding: 1000 } });
		expect(probeAudio(frames)).toEqual({ format: 'mp3', durationSeconds: (100 * 1152 - 1576) / 44100 });
		// ffmpeg's encoder strings count too; an unknown encoder's fields are not trusted.
		expect(probeAudio(withXing(l3(101), { frames: 100, lame: { delay: 576, padding: 1000, encoder: 'Lavc59.37' } })).durationSeconds).toBeCloseTo(
			(100 * 1152 - 1576) / 44100,
			9,
		);
		expect(probeAudio(withXing(l3(101), { frames: 100, lame: { delay: 576, padding: 1000, encoder: 'GOGO' } })).durationSeconds).toBeCloseTo(
			(100 * 1152) / 44100,
			9,
		);
	});

	it('is cut when the Xing header declares more bytes and frames than are present', () => {
		// Declares 1000 frames and 1001 × 417 bytes; 10 frames arrived.
		const b = withXing(l3(10), { frames: 1000, bytes: 1001 * 417 });
		expect(probeAudio(b)).toEqual({
			format: 'mp3',
			durationSeconds: (1000 * 1152) / 44100,
			truncated: { declared: 1001 * 417, present: 10 * 417, unit: 'bytes' },
		});
		// Behind an ID3 tag, both counts are in file bytes.
		const tagged = probeAudio(Buffer.concat([id3v2(100), b]));
		expect(tagged.truncated).toEqual({ declared: 110 + 1001 * 417, present: 110 + 10 * 417, unit: 'bytes' });
	});

	it('counts frames when the Xing header has no byte count', () => {
		expect(probeAudio(withXing(l3(10), { frames: 1000 })).truncated).toEqual({ declared: 1000, present: 9, unit: 'frames' });
	});

	it('does not call a file cut when its encoder counted an ID3 tag in the Xing bytes but every frame is there', () => {
		const b = withXing(l3(11), { frames: 10, bytes: 11 * 417 + 500 });
		expect(probeAudio(b)).toEqual({ format: 'mp3', durationSeconds: (10 * 1152) / 44100 });
	});

	it('reads a VBRI header, and holds its byte count to the bytes present', () => {
		const frames = l3(10);
		frames.write('VBRI', 36, 'latin1');
		frames.writeUInt32BE(2000 * 417, 46);
		frames.writeUInt32BE(2000, 50);
		const p = probeAudio(frames);
		expect(p.durationSeconds).toBeCloseTo((2000 * 1152) / 44100, 3);
		expect(p.truncated).toEqual({ declared: 2000 * 417, present: 10 * 417, unit: 'bytes' });
	});

	it('counts every frame of concatenated files, skipping their ID3 tags and later Info frames', () => {
		const piece = Buffer.concat([id3v2(40), withXing(l3(51), { tag: 'Info', frames: 50, bytes: 51 * 417 })]);
		const p = probeAudio(Buffer.concat([piece, piece, piece]));
		expect(p.durationSeconds).toBeCloseTo((150 * 1152) / 44100, 6);
		// An ID3v1 tag after each piece is skipped too.
		const v1 = Buffer.alloc(128, 0x20);
		v1.write('TAG', 0, 'latin1');
		expect(probeAudio(Buffer.concat([piece, v1, piece, v1, piece])).durationSeconds).toBeCloseTo((150 * 1152) / 44100, 6);
	});

	it('counts no seconds for bytes without frames after the last one (zero padding), with no header', () => {
		// Once extrapolated at the frames' bitrate: 41700 zero bytes made 100 frames into 200.
		const p = probeAudio(Buffer.concat([l3(100), Buffer.alloc(417 * 100)]));
		expect(p).toEqual({ format: 'mp3', durationSeconds: (100 * 1152) / 44100 });
	});

	it('cuts APEv2 (with and without header), Lyrics3v2 and ID3v1 tags off the end, stacked in any order', () => {
		const seconds = (100 * 1152) / 44100;
		const ape = apev2Tag(Buffer.alloc(300 * 1024, 0x41));
		const apeV1 = apev2Tag(Buffer.alloc(5000, 0x42), false);
		const lyr = lyrics3v2Tag('[00:01]hello\r\n'.repeat(80));
		const v1 = id3v1Tag('t');
		for (const tail of [[ape], [apeV1], [ape, v1], [lyr, v1], [lyr, ape, v1], [ape, lyr, v1], [apeV1, v1]]) {
			expect(probeAudio(Buffer.concat([l3(100), ...tail])).durationSeconds).toBeCloseTo(seconds, 6);
		}
		// A footer whose size points before the audio, or at no header, is not a tag: the bytes stay.
		const bogus = Buffer.from(ape.subarray(ape.length - 32));
		bogus.writeUInt32LE(0x7fffffff, 12);
		expectWellFormed(probeAudio(Buffer.concat([l3(100), bogus])));
		const noDigits = Buffer.from('LYRICSBEGINxxxxxxLYRICS200', 'latin1');
		expectWellFormed(probeAudio(Buffer.concat([l3(100), noDigits])));
	});

	it('resumes counting at the next chain of frames after junk mid-file, and counts the junk as nothing', () => {
		const p = probeAudio(Buffer.concat([l3(60), noise(3000, 7), l3(60)]));
		expect(p).toEqual({ format: 'mp3', durationSeconds: (120 * 1152) / 44100 });
		// A lone chance header in the junk is not a chain: no frames counted for it.
		const junk = Buffer.concat([noise(1000, 8), l3(1), noise(1000, 9)]);
		expect(probeAudio(Buffer.concat([l3(60), junk, l3(60)])).durationSeconds).toBeCloseTo((120 * 1152) / 44100, 6);
	});

	it('has no readable length when most of the file is not frames (a binary with a few chance frame headers)', () => {
		// Like an ELF executable: six plausible frames (enough of a chain to be found), then 100 KB of non-audio bytes.
		const p = probeAudio(Buffer.concat([Buffer.from('\x7fELF', 'latin1'), noise(2000, 3), l3(6), noise(100 * 1024, 4)]));
		expect(p.format).toBe('mp3');
		expect(p.durationSeconds).toBeNull();
	});

	it('needs a chain of frames to believe a first frame found by searching: 4 of Layer II/III, 8 of Layer I or ADTS', () => {
		const head = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), noise(2000, 3)]);
		const tail = noise(20 * 1024, 4);
		const l1 = (count: number): Buffer => mpegFrames({ versionBits: 3, layerBits: 3, bitrateIndex: 1, rateIndex: 0, length: 32, count });
		const cases: Array<[Buffer, number, string]> = [
			[l3(3), 4, 'mp3'],
			[l1(7), 8, 'mp1'],
			[adtsFrames(4, 7), 8, 'aac'],
		];
		for (const [short, need, format] of cases) {
			// Once believed after 3 (MPEG) or 2 (ADTS) frames; a binary has such chains by chance.
			expect(probeAudio(Buffer.concat([head, short, tail])).format).toBe('unknown');
			const long = Buffer.concat([short, short.subarray(0, short.length / (need - 1))]);
			expect(probeAudio(Buffer.concat([head, long, tail])).format).toBe(format);
		}
		// At offset 0 (or right after an ID3v2 tag) one neighbour still does, and a short file's chain may end with the file.
		expect(probeAudio(l1(2)).format).toBe('mp1');
		expect(probeAudio(Buffer.concat([Buffer.alloc(100), l3(2)])).format).toBe('mp3');
	});

	it('finds the first frame behind junk up to 1 MB, but needs neighbours to believe it', () => {
		const frames = l3(20);
		expect(probeAudio(Buffer.concat([Buffer.alloc(333), frames])).format).toBe('mp3');
		expect(probeAudio(Buffer.concat([noise(1000 * 1024, 5), frames])).format).toBe('mp3');
		// Past the 1 MB search window there is no looking.
		expect(probeAudio(Buffer.concat([Buffer.alloc(1024 * 1024 + 10), frames])).format).toBe('unknown');
		// A lone plausible header in the middle of nowhere is a false sync.
		const lone = Buffer.concat([Buffer.alloc(100), frames.subarray(0, 4), Buffer.alloc(2000, 0x11)]);
		expect(probeAudio(lone).format).toBe('unknown');
	});

	it('rejects reserved version, layer, sample rate and bitrate indices', () => {
		const base = { versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 5 };
		expect(probeAudio(mpegFrames({ ...base, versionBits: 1 })).format).toBe('unknown');
		expect(probeAudio(mpegFrames({ ...base, rateIndex: 3 })).format).toBe('unknown');
		expect(probeAudio(mpegFrames({ ...base, bitrateIndex: 15 })).format).toBe('unknown');
		expect(probeAudio(mpegFrames({ ...base, bitrateIndex: 0 })).format).toBe('unknown');
	});
});

describe('probeAudio video containers holding MPEG audio', () => {
	const frames = mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 20 });
	it.each([
		['mpeg-ps', Buffer.from([0, 0, 1, 0xba])],
		['avi', Buffer.from('RIFF\0\0\0\0AVI LIST', 'latin1')],
		['matroska', Buffer.from([0x1a, 0x45, 0xdf, 0xa3])],
		['flv', Buffer.from('FLV\x01\x05', 'latin1')],
		['asf', Buffer.from([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])],
	])('%s', (format, magic) => {
		expect(probeAudio(Buffer.concat([magic, frames]))).toEqual({ format, durationSeconds: null });
	});

	it('mpeg-ts, and M2TS with its 4-byte timestamps', () => {
		const ts = Buffer.alloc(188 * 4);
		for (let k = 0; k < 4; k++) ts[k * 188] = 0x47;
		expect(probeAudio(ts).format).toBe('mpeg-ts');
		const m2ts = Buffer.alloc(192 * 4);
		for (let k = 0; k < 4; k++) m2ts[4 + k * 192] = 0x47;
		expect(probeAudio(m2ts).format).toBe('mpeg-ts');
	});

	it('another RIFF form is not searched for frames', () => {
		expect(probeAudio(Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), frames])).format).toBe('unknown');
	});
});

/* ---------- ADTS ---------- */

describe('probeAudio ADTS AAC', () => {
	it('counts frames x 1024 / sample rate', () => {
		expect(probeAudio(adtsFrames(3, 300))).toEqual({ format: 'aac', durationSeconds: (300 * 1024) / 48000 });
	});

	it('skips a leading ID3v2 tag', () => {
		const p = probeAudio(Buffer.concat([id3v2(200), adtsFrames(11, 80)]));
		expect(p).toEqual({ format: 'aac', durationSeconds: (80 * 1024) / 8000 });
	});

	it('stops at a broken header and ignores a frame cut off by the end', () => {
		const good = adtsFrames(4, 50);
		expect(probeAudio(Buffer.concat([good, Buffer.alloc(500, 0x42), adtsFrames(4, 50)])).durationSeconds).toBeCloseTo(
			(50 * 1024) / 44100,
			6,
		);
		expect(probeAudio(good.subarray(0, good.length - 30)).durationSeconds).toBeCloseTo((49 * 1024) / 44100, 6);
	});

	it('a truncated voice.aac is still aac, and shorter', () => {
		const full = load('voice.aac');
		const half = probeAudio(full.subarray(0, Math.floor(full.length / 2)));
		expect(half.format).toBe('aac');
		expect(half.durationSeconds as number).toBeLessThan(expected['voice.aac'].durationSeconds as number);
		expect(half.durationSeconds as number).toBeGreaterThan(1);
	});
});

/* ---------- ISO BMFF ---------- */

describe('probeAudio ISO BMFF (M4A)', () => {
	const audioTrak = (duration: number, timescale = 44100, extra: Partial<Parameters<typeof trak>[0]> = {}): Buffer =>
		trak({ timescale, duration, ...extra });

	it('reads the audio track\'s mdhd, version 0 and version 1, not mvhd', () => {
		const mdat = box('mdat', Buffer.alloc(1000));
		// mvhd says 9 s (a longer track elsewhere); the audio track is 7 s.
		expect(probeAudio(Buffer.concat([ftyp('M4A '), mdat, box('moov', mvhd(0, 1000, 9000), audioTrak(44100 * 7))]))).toEqual({
			format: 'm4a',
			durationSeconds: 7,
		});
		expect(probeAudio(Buffer.concat([ftyp('mp42'), box('moov', mvhd(1, 1000, 12345), audioTrak(12345, 1000, { mdhdVersion: 1 })), mdat]))).toEqual({
			format: 'm4a',
			durationSeconds: 12.345,
		});
	});

	it('presents the media through the edit list: priming edited out, an empty edit adds a pause', () => {
		// 44100 Hz media of 3 s + 1024 priming samples; elst: start at 1024, 3000 ms long.
		const primed = audioTrak(3 * 44100 + 1024 + 600, 44100, { edits: [[3000, 1024]] });
		expect(probeAudio(Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 3000), primed)])).durationSeconds).toBeCloseTo(3, 9);
		// An edit longer than the media is held to the media.
		const long = audioTrak(44100, 44100, { edits: [[5000, 0]] });
		expect(probeAudio(Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 5000), long)])).durationSeconds).toBeCloseTo(1, 9);
		// 0.5 s of empty edit, then 2 s of media.
		const paused = audioTrak(2 * 44100, 44100, { edits: [[500, -1], [2000, 0]] });
		expect(probeAudio(Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 2500), paused)])).durationSeconds).toBeCloseTo(2.5, 9);
	});

	it('hops a 64-bit largesize mdat to reach moov', () => {
		const b = Buffer.concat([ftyp('isom'), box('free'), largeBox('mdat', Buffer.alloc(5000)), box('moov', box('udta'), mvhd(0, 600, 1800), audioTrak(1800, 600))]);
		expect(probeAudio(b)).toEqual({ format: 'm4a', durationSeconds: 3 });
	});

	it('accepts a final box of size 0 (runs to the end)', () => {
		const mdat = box('mdat', Buffer.alloc(300));
		mdat.writeUInt32BE(0, 0);
		expect(probeAudio(Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 2500), audioTrak(2500, 1000)), mdat]))).toEqual({
			format: 'm4a',
			durationSeconds: 2.5,
		});
	});

	it('adds the movie fragments (trun durations, or tfhd / trex defaults) to the track', () => {
		// trex: track 1, default duration 1024, default size 10.
		const trex = fullBox('trex', 0, u32s(1, 1, 1024, 10, 0));
		const moov = box('moov', mvhd(0, 1000, 0), audioTrak(0, 8000), box('mvex', trex));
		// Fragment 1: tfhd with default-base-is-moof (0x020000) only; trun of 10 samples, trex defaults.
		const tfhd1 = fullBox('tfhd', 0, u32s(1));
		tfhd1.writeUInt32BE(0x00020000, 8);
		const frag1 = box('moof', box('traf', tfhd1, fullBox('trun', 0, u32s(10))));
		// Fragment 2: tfhd default duration 2048 (0x08); trun with per-sample durations (0x100) for 3 samples.
		const tfhd2 = fullBox('tfhd', 0, u32s(1, 2048));
		tfhd2.writeUInt32BE(0x00000008, 8);
		const trun2 = fullBox('trun', 0, u32s(3, 100, 200, 300));
		trun2.writeUInt32BE(0x00000100, 8);
		const frag2 = box('moof', box('traf', tfhd2, trun2));
		// Fragment 3: tfhd default 2048, trun of 4 samples without durations.
		const frag3 = box('moof', box('traf', tfhd2, fullBox('trun', 0, u32s(4))));
		const b = Buffer.concat([ftyp('iso6'), moov, frag1, box('mdat', Buffer.alloc(100)), frag2, frag3]);
		expect(probeAudio(b).durationSeconds).toBeCloseTo((10 * 1024 + 600 + 4 * 2048) / 8000, 9);
	});

	it('falls back to mvex/mehd when neither the track nor any fragment has a length', () => {
		const mehd = fullBox('mehd', 0, u32s(4200));
		const b = Buffer.concat([ftyp('iso6'), box('moov', mvhd(0, 1000, 0), audioTrak(0, 44100), box('mvex', mehd))]);
		expect(probeAudio(b)).toEqual({ format: 'm4a', durationSeconds: 4.2 });
	});

	it('is cut when a box, or the sample tables, reach past the end of the file', () => {
		const mdat = box('mdat', Buffer.alloc(2000));
		const whole = Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 2000), audioTrak(2000, 1000)), mdat]);
		expect(probeAudio(whole.subarray(0, whole.length - 500)).truncated).toEqual({ declared: whole.length, present: whole.length - 500, unit: 'bytes' });
		// Cut right after moov: no box runs past the end, but stco/stsz locate the samples beyond it.
		const stco = fullBox('stco', 0, u32s(1, 0));
		const stsc = fullBox('stsc', 0, u32s(1, 1, 4, 1));
		const stsz = fullBox('stsz', 0, u32s(0, 4, 100, 200, 300, 400));
		const moov = box('moov', mvhd(0, 1000, 2000), audioTrak(2000, 1000, { tables: [stco, stsc, stsz] }));
		const head = Buffer.concat([ftyp('M4A '), moov]);
		// The chunk starts right after moov (where mdat's body would be).
		const moovTables = head.indexOf('stco') + 12;
		head.writeUInt32BE(head.length + 8, moovTables);
		expect(probeAudio(head).truncated).toEqual({ declared: head.length + 8 + 1000, present: head.length, unit: 'bytes' });
	});

	it('is an mp4 naming its codec when the audio is not AAC', () => {
		const file = (entry: Buffer): Buffer => Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 2000), audioTrak(2000, 1000, { entry }))]);
		expect(probeAudio(file(sampleEntry('alac')))).toEqual({ format: 'mp4', durationSeconds: 2, codec: 'ALAC' });
		expect(probeAudio(file(sampleEntry('Opus'))).codec).toBe('Opus');
		expect(probeAudio(file(sampleEntry('fLaC'))).codec).toBe('FLAC');
		expect(probeAudio(file(sampleEntry('samr'))).codec).toBe('AMR-NB');
		expect(probeAudio(file(sampleEntry('enca'))).codec).toBe('encrypted audio');
		// mp4a is a family: object type 0x6B is MPEG-1 audio (an MP3 in MP4), 0x40 is AAC.
		expect(probeAudio(file(sampleEntry('mp4a', esds(0x6b))))).toEqual({ format: 'mp4', durationSeconds: 2, codec: 'MP3 (MPEG-1 audio)' });
		expect(probeAudio(file(sampleEntry('mp4a', esds(0x40))))).toEqual({ format: 'm4a', durationSeconds: 2 });
		expect(probeAudio(file(sampleEntry('mp4a', esds(0x67)))).format).toBe('m4a');
	});

	it('finds esds inside a QuickTime wave box (sound description version 1)', () => {
		const entry = box('mp4a', Buffer.concat([Buffer.alloc(8), Buffer.from([0, 1]), Buffer.alloc(18), Buffer.alloc(16)]), box('wave', esds(0x6b)));
		const b = Buffer.concat([ftyp('qt  '), box('moov', mvhd(0, 1000, 1000), audioTrak(1000, 1000, { entry }))]);
		expect(probeAudio(b).codec).toBe('MP3 (MPEG-1 audio)');
	});

	it('has no audio track: an mp4 without a codec', () => {
		expect(probeAudio(Buffer.concat([ftyp('isom'), box('moov', mvhd(0, 1000, 2000))]))).toEqual({ format: 'mp4', durationSeconds: null });
	});

	it('a video track makes it a video; a still-picture track (cover art, chapter images) does not', () => {
		const video = trak({ id: 2, handler: 'vide', entry: sampleEntry('avc1'), timescale: 1000, duration: 20000 });
		const b = Buffer.concat([ftyp('isom'), box('moov', mvhd(0, 1000, 20000), audioTrak(1500, 1000), video)]);
		expect(probeAudio(b)).toEqual({ format: 'mp4', durationSeconds: 1.5, video: { codec: 'H.264', audioCodec: 'AAC' } });
		const cover = trak({ id: 2, handler: 'vide', entry: sampleEntry('jpeg'), timescale: 1000, duration: 20000 });
		expect(probeAudio(Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 20000), audioTrak(1500, 1000), cover)]))).toEqual({
			format: 'm4a',
			durationSeconds: 1.5,
		});
	});

	it('does not take a HEIC picture for audio', () => {
		expect(probeAudio(box('ftyp', Buffer.from('heic\0\0\0\0mif1heic', 'latin1'))).format).toBe('unknown');
	});
});

describe('probeAudio OGG / FLAC', () => {
	it('detects OggS and fLaC by content', () => {
		expect(probeAudio(load('voice.ogg')).format).toBe('ogg');
		expect(probeAudio(load('voice.flac')).format).toBe('flac');
		expect(probeAudio(Buffer.from('OggS\0\x02', 'latin1')).format).toBe('ogg');
		expect(probeAudio(Buffer.from('fLaC\0\0\0\x22', 'latin1')).format).toBe('flac');
	});

	it('detects FLAC behind an ID3v2 tag', () => {
		expect(probeAudio(Buffer.concat([id3v2(40), load('voice.flac')])).format).toBe('flac');
	});
});

describe('probeAudio never throws', () => {
	it('on empty and tiny buffers', () => {
		for (let n = 0; n < 12; n++) expectWellFormed(probeAudio(Buffer.alloc(n, 0xff)));
		expect(probeAudio(Buffer.alloc(0))).toEqual({ format: 'unknown', durationSeconds: null });
	});

	it.each(allAudioFixtures)('on truncated copies of %s', (name) => {
		const buf = load(name);
		const e = expected[name];
		const whole = probeAudio(buf);
		const cuts = [...Array.from({ length: 200 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => Math.floor((buf.length * i) / 50))];
		for (const n of cuts) {
			const p = probeAudio(buf.subarray(0, n));
			expectWellFormed(p);
			// Whatever is recognised agrees with the whole file, except that an MP4 cut before its
			// tracks can only be called an MP4 of unknown content and length ('m4a', cut or no length).
			const unknownMp4 = p.format === 'm4a' && (p.truncated !== undefined || p.durationSeconds === null);
			if (p.format !== 'unknown' && !unknownMp4) expect(p.format).toBe(e.format);
			// A cut copy is called cut, or seems no longer than the whole (WAV/MP3/ADTS get shorter,
			// M4A/OGG/FLAC may repeat their header's value).
			if (p.durationSeconds !== null && !p.truncated && whole.durationSeconds !== null) {
				expect(p.durationSeconds).toBeLessThanOrEqual(whole.durationSeconds + 0.1);
			}
		}
	});

	it('on random bytes, and random bytes behind each magic number', () => {
		const magics = [
			Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'),
			Buffer.from('RIFX\0\0\0\0WAVEfmt ', 'latin1'),
			Buffer.from('RF64\xff\xff\xff\xffWAVEds64', 'latin1'),
			Buffer.from('OggS', 'latin1'),
			Buffer.from('fLaC', 'latin1'),
			Buffer.from('\0\0\0\x14ftypM4A \0\0\0\0', 'latin1'),
			Buffer.from('\0\0\0\x01ftyp', 'latin1'),
			Buffer.concat([ftyp('M4A '), Buffer.from('\0\0\x01\0moov\0\0\0\x80trak', 'latin1')]),
			Buffer.concat([ftyp('iso6'), Buffer.from('\0\0\x01\0moof\0\0\0\x80traf\0\0\0\x18tfhd', 'latin1')]),
			Buffer.from('ID3\x04\0\x10\0\0\0\x05', 'latin1'),
			Buffer.from([0xff, 0xfb, 0x90, 0x64]),
			Buffer.from([0xff, 0xf1, 0x50, 0x80]),
		];
		for (let seed = 1; seed <= 200; seed++) {
			const tail = noise(seed * 7, seed);
			expectWellFormed(probeAudio(tail));
			for (const m of magics) expectWellFormed(probeAudio(Buffer.concat([m, tail])));
		}
	});

	it('on random bytes inside each box and chunk of the real files', () => {
		for (const name of ['voice.m4a', 'frag-1s.m4a', 'video-aac.m4a', 'ima-adpcm.wav', 'lame-2s.mp3']) {
			const buf = Buffer.from(load(name));
			for (let seed = 1; seed <= 40; seed++) {
				const copy = Buffer.from(buf);
				const at = (seed * 7919) % Math.max(1, copy.length - 16);
				noise(16, seed).copy(copy, at);
				expectWellFormed(probeAudio(copy));
			}
		}
	});

	it('recognises nothing in 1 MB of random bytes, zeros or 0xFF', () => {
		expect(probeAudio(noise(1 << 20, 12345)).format).toBe('unknown');
		expect(probeAudio(Buffer.alloc(1 << 20)).format).toBe('unknown');
		expect(probeAudio(Buffer.alloc(1 << 20, 0xff)).format).toBe('unknown');
	});
});
