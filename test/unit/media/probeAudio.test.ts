import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeAudio, type AudioProbe } from '../../../nodes/shared/media/probeAudio';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
// Expected values were measured by ffprobe when the fixtures were made (make-fixtures.sh).
const expected: Record<string, { format: string; width?: number; height?: number; durationSeconds?: number }> =
	JSON.parse(readFileSync(join(FIXTURES, 'fixtures.json'), 'utf8'));
const load = (name: string): Buffer => readFileSync(join(FIXTURES, name));

const imageFixtures = Object.keys(expected).filter((n) => expected[n].width !== undefined);
const audioFixtures = Object.keys(expected).filter((n) => expected[n].durationSeconds !== undefined);

// Containers that state the exact length must match ffprobe to 10 ms; frame-based estimates to 0.1 s.
const tolerance = (format: string): number => (format === 'wav' || format === 'm4a' ? 0.01 : 0.1);

function noise(length: number, seed: number): Buffer {
	const out = Buffer.alloc(length);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < length; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

function expectWellFormed(p: AudioProbe): void {
	expect(['mp3', 'wav', 'm4a', 'aac', 'ogg', 'flac', 'unknown']).toContain(p.format);
	if (p.durationSeconds !== null) expect(Number.isFinite(p.durationSeconds) && p.durationSeconds >= 0).toBe(true);
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

function mvhd(version: 0 | 1, timescale: number, duration: number): Buffer {
	const body = Buffer.alloc(version === 1 ? 112 : 100);
	body[0] = version;
	if (version === 1) {
		body.writeUInt32BE(timescale, 20);
		body.writeUInt32BE(Math.floor(duration / 0x100000000), 24);
		body.writeUInt32BE(duration >>> 0, 28);
	} else {
		body.writeUInt32BE(timescale, 12);
		body.writeUInt32BE(duration, 16);
	}
	return box('mvhd', body);
}

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

/* ---------- tests ---------- */

describe('probeAudio on real fixtures (vs ffprobe)', () => {
	it.each(audioFixtures)('%s', (name) => {
		const e = expected[name];
		const p = probeAudio(load(name));
		expect(p.format).toBe(e.format);
		expect(p.durationSeconds).not.toBeNull();
		expect(Math.abs((p.durationSeconds as number) - (e.durationSeconds as number))).toBeLessThanOrEqual(tolerance(e.format));
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

describe('probeAudio WAV', () => {
	it('reads byte rate and data size across an odd-sized chunk with its pad byte', () => {
		const b = wav({ byteRate: 8000, claimedDataSize: 16000, dataBytes: 16000, before: [chunk('LIST', Buffer.alloc(25, 0x41))] });
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: 2 });
	});

	it('uses the bytes present when the data size is the 0xFFFFFFFF streaming placeholder', () => {
		expect(probeAudio(wav({ byteRate: 8000, claimedDataSize: 0xffffffff, dataBytes: 12000 }))).toEqual({
			format: 'wav',
			durationSeconds: 1.5,
		});
	});

	it('uses the bytes present when the header claims more data than the upload holds', () => {
		// Header says 301 s, but only 4000 bytes (0.5 s) arrived: the provider gets 0.5 s.
		expect(probeAudio(wav({ byteRate: 8000, claimedDataSize: 301 * 8000, dataBytes: 4000 }))).toEqual({
			format: 'wav',
			durationSeconds: 0.5,
		});
	});

	it('gives a null duration without a fmt chunk', () => {
		const b = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'), chunk('data', Buffer.alloc(100))]);
		expect(probeAudio(b)).toEqual({ format: 'wav', durationSeconds: null });
	});
});

describe('probeAudio MPEG audio', () => {
	it('skips an ID3v2 tag with a footer and one with 0xFF bytes inside', () => {
		const frames = mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 100 });
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

	it('reads MPEG-1 Layer II and Layer I', () => {
		// Layer II 192 kbps 48 kHz: 144 * 192000 / 48000 = 576 bytes, 1152 samples.
		const l2 = probeAudio(mpegFrames({ versionBits: 3, layerBits: 2, bitrateIndex: 10, rateIndex: 1, length: 576, count: 50 }));
		expect(l2.durationSeconds).toBeCloseTo((50 * 1152) / 48000, 3);
		// Layer I 384 kbps 48 kHz: 12 * 384000 / 48000 * 4 = 384 bytes, 384 samples.
		const l1 = probeAudio(mpegFrames({ versionBits: 3, layerBits: 3, bitrateIndex: 12, rateIndex: 1, length: 384, count: 50 }));
		expect(l1.durationSeconds).toBeCloseTo((50 * 384) / 48000, 3);
	});

	it('prefers the Xing frame count over the byte estimate', () => {
		const frames = mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 10 });
		// Mono MPEG-1: Xing sits at 4 + 17 bytes; claim 1000 frames.
		frames.write('Xing', 21, 'latin1');
		frames.writeUInt32BE(1, 25);
		frames.writeUInt32BE(1000, 29);
		expect(probeAudio(frames).durationSeconds).toBeCloseTo((1000 * 1152) / 44100, 3);
	});

	it('reads a VBRI header', () => {
		const frames = mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 10 });
		frames.write('VBRI', 36, 'latin1');
		frames.writeUInt32BE(2000, 50);
		expect(probeAudio(frames).durationSeconds).toBeCloseTo((2000 * 1152) / 44100, 3);
	});

	it('estimates the rest at the average bitrate when frames stop early (junk mid-file)', () => {
		const frames = mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 100 });
		const junk = Buffer.alloc(417 * 100, 0x00);
		const p = probeAudio(Buffer.concat([frames, junk]));
		expect(p.durationSeconds).toBeCloseTo((200 * 1152) / 44100, 1);
	});

	it('finds the first frame behind a little junk, but needs neighbours to believe it', () => {
		const frames = mpegFrames({ versionBits: 3, layerBits: 1, bitrateIndex: 9, rateIndex: 0, length: 417, count: 20 });
		expect(probeAudio(Buffer.concat([Buffer.alloc(333), frames])).format).toBe('mp3');
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

describe('probeAudio ISO BMFF (M4A)', () => {
	it('reads mvhd version 0 and version 1', () => {
		const mdat = box('mdat', Buffer.alloc(1000));
		expect(probeAudio(Buffer.concat([ftyp('M4A '), mdat, box('moov', mvhd(0, 44100, 44100 * 7))]))).toEqual({
			format: 'm4a',
			durationSeconds: 7,
		});
		expect(probeAudio(Buffer.concat([ftyp('mp42'), box('moov', mvhd(1, 1000, 12345)), mdat]))).toEqual({
			format: 'm4a',
			durationSeconds: 12.345,
		});
	});

	it('hops a 64-bit largesize mdat to reach moov', () => {
		const b = Buffer.concat([ftyp('isom'), box('free'), largeBox('mdat', Buffer.alloc(5000)), box('moov', box('udta'), mvhd(0, 600, 1800))]);
		expect(probeAudio(b)).toEqual({ format: 'm4a', durationSeconds: 3 });
	});

	it('accepts a final box of size 0 (runs to the end)', () => {
		const mdat = box('mdat', Buffer.alloc(300));
		mdat.writeUInt32BE(0, 0);
		expect(probeAudio(Buffer.concat([ftyp('M4A '), box('moov', mvhd(0, 1000, 2500)), mdat]))).toEqual({
			format: 'm4a',
			durationSeconds: 2.5,
		});
	});

	it('falls back to mvex/mehd for fragmented files', () => {
		const mehd = Buffer.alloc(8);
		mehd.writeUInt32BE(4200, 4);
		const b = Buffer.concat([ftyp('iso6'), box('moov', mvhd(0, 1000, 0), box('mvex', box('mehd', mehd)))]);
		expect(probeAudio(b)).toEqual({ format: 'm4a', durationSeconds: 4.2 });
	});

	it('is m4a with an unknown length when moov has not arrived (truncated upload)', () => {
		expect(probeAudio(load('voice.m4a').subarray(0, 4000))).toEqual({ format: 'm4a', durationSeconds: null });
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

	it.each(audioFixtures)('on truncated copies of %s', (name) => {
		const buf = load(name);
		const e = expected[name];
		const cuts = [...Array.from({ length: 200 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => Math.floor((buf.length * i) / 50))];
		for (const n of cuts) {
			const p = probeAudio(buf.subarray(0, n));
			expectWellFormed(p);
			if (p.format !== 'unknown') expect(p.format).toBe(e.format);
			// A cut file can only seem shorter (WAV/MP3/ADTS) or report the header's value (M4A/OGG/FLAC).
			if (p.durationSeconds !== null) expect(p.durationSeconds).toBeLessThanOrEqual((e.durationSeconds as number) + 0.1);
		}
	});

	it('on random bytes, and random bytes behind each magic number', () => {
		const magics = [
			Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'),
			Buffer.from('RF64\xff\xff\xff\xffWAVEds64', 'latin1'),
			Buffer.from('OggS', 'latin1'),
			Buffer.from('fLaC', 'latin1'),
			Buffer.from('\0\0\0\x14ftypM4A \0\0\0\0', 'latin1'),
			Buffer.from('\0\0\0\x01ftyp', 'latin1'),
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

	it('recognises nothing in 1 MB of random bytes, zeros or 0xFF', () => {
		expect(probeAudio(noise(1 << 20, 12345)).format).toBe('unknown');
		expect(probeAudio(Buffer.alloc(1 << 20)).format).toBe('unknown');
		expect(probeAudio(Buffer.alloc(1 << 20, 0xff)).format).toBe('unknown');
	});
});
