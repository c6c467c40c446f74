import {
	checkAudio,
	checkImage,
	formatBytes,
	type AudioLimits,
	type ImageLimits,
	type MediaViolation,
} from '../../../nodes/shared/media/validateMedia';
import { load, noise, truths, type FixtureTruth } from './fixtures';

const MB = 1024 * 1024;

// Test-local limits shaped like a provider's (the real ones live in each provider folder).
const IMAGE: ImageLimits = { formats: ['jpeg', 'png'], maxBytes: 10 * MB, minSidePx: 300, minAspect: 0.4, maxAspect: 2.5 };
const AUDIO: AudioLimits = { formats: ['mp3', 'wav', 'm4a', 'aac'], maxBytes: 5 * MB, minSeconds: 2, maxSeconds: 300 };

/**
 * A structurally complete PNG: signature, IHDR, one IDAT (zero-filled to reach `totalBytes`), IEND.
 * CRCs are left zero: nothing here decodes the picture.
 */
function png(width: number, height: number, totalBytes = 57): Buffer {
	const b = Buffer.alloc(Math.max(57, totalBytes));
	Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
	b.writeUInt32BE(13, 8);
	b.write('IHDR', 12, 'latin1');
	b.writeUInt32BE(width, 16);
	b.writeUInt32BE(height, 20);
	b[24] = 8;
	b[25] = 2;
	b.writeUInt32BE(b.length - 57, 33);
	b.write('IDAT', 37, 'latin1');
	b.write('IEND', b.length - 8, 'latin1');
	return b;
}

/**
 * 8 kHz mono 8-bit PCM (byte rate 8000). The data chunk size in the header is the length
 * probeAudio reports, but never more than the bytes actually present: see probeAudio's WAV notes.
 */
function wav(seconds: number, presentSeconds = seconds): Buffer {
	const head = Buffer.alloc(44);
	head.write('RIFF', 0, 'latin1');
	head.writeUInt32LE(36 + Math.round(seconds * 8000), 4);
	head.write('WAVEfmt ', 8, 'latin1');
	head.writeUInt32LE(16, 16);
	head.writeUInt16LE(1, 20);
	head.writeUInt16LE(1, 22);
	head.writeUInt32LE(8000, 24);
	head.writeUInt32LE(8000, 28);
	head.writeUInt16LE(1, 32);
	head.writeUInt16LE(8, 34);
	head.write('data', 36, 'latin1');
	head.writeUInt32LE(Math.round(seconds * 8000), 40);
	return Buffer.concat([head, Buffer.alloc(Math.round(presentSeconds * 8000), 0x80)]);
}

describe('formatBytes', () => {
	it.each([
		[10 * MB, '10.0 MB'],
		[11 * MB, '11.0 MB'],
		[512 * 1024, '512 KB'],
		[1536, '2 KB'],
		[900, '900 bytes'],
		[1024 * 1024 - 100, '1.0 MB'],
		[5.5 * MB, '5.5 MB'],
		[3 * 1024 * MB, '3.0 GB'],
	])('%d bytes → %s', (n, text) => {
		expect(formatBytes(n)).toBe(text);
	});
});

describe('checkImage', () => {
	it.each(['portrait.png', 'portrait.jpg', 'portrait-progressive.jpg'])('accepts %s', (name) => {
		expect(checkImage(load(name), IMAGE)).toBeNull();
	});

	it('rejects an 11 MB PNG for size even though its header is fine', () => {
		const v = checkImage(png(512, 640, 11 * MB), IMAGE);
		expect(v).toEqual({
			problem: 'tooLarge',
			measured: '11.0 MB',
			limit: '10.0 MB',
			message: 'image is 11.0 MB; the limit is 10.0 MB',
		});
	});

	it('checks size before format (an oversized GIF is called oversized)', () => {
		const gif = Buffer.concat([load('anim.gif'), Buffer.alloc(11 * MB)]);
		expect(checkImage(gif, IMAGE)?.problem).toBe('tooLarge');
	});

	it('shows exact bytes when the file is only just over the limit', () => {
		expect(checkImage(png(512, 640, 10 * MB + 1), IMAGE)?.message).toBe(
			'image is 10485761 bytes; the limit is 10485760 bytes (10.0 MB)',
		);
		expect(checkImage(png(512, 640, 10 * MB), IMAGE)).toBeNull();
	});

	it('rejects a GIF for format, naming jpeg as jpg and jpeg', () => {
		expect(checkImage(load('anim.gif'), IMAGE)).toEqual({
			problem: 'unsupportedFormat',
			measured: 'gif',
			limit: 'jpg, jpeg, png',
			message: 'image format is gif; allowed: jpg, jpeg, png',
		});
	});

	it('takes the allowed list from the limits', () => {
		expect(checkImage(load('portrait.png'), { ...IMAGE, formats: ['jpeg'] })?.message).toBe(
			'image format is png; allowed: jpg, jpeg',
		);
	});

	it('rejects content it cannot recognise, whatever the file was called', () => {
		expect(checkImage(load('voice.mp3'), IMAGE)?.message).toBe(
			'image format could not be recognised from its content; allowed: jpg, jpeg, png',
		);
	});

	it('rejects an image whose size cannot be read from the header', () => {
		// The baseline fixture cut before its SOF0 segment.
		const jpeg = load('portrait.jpg');
		const cut = jpeg.subarray(0, jpeg.indexOf(Buffer.from([0xff, 0xc0])));
		expect(checkImage(cut, IMAGE)).toMatchObject({
			problem: 'unreadableDimensions',
			message: 'image dimensions could not be read from the file header',
		});
	});

	it('rejects a too-small image with both sides in the message', () => {
		expect(checkImage(png(200, 150), IMAGE)).toEqual({
			problem: 'tooSmall',
			measured: '200×150 px',
			limit: 'at least 300 px per side',
			message: 'image is 200×150 px; each side must be at least 300 px',
		});
		expect(checkImage(load('tiny.png'), IMAGE)?.message).toBe('image is 100×100 px; each side must be at least 300 px');
	});

	it('accepts 300×300 and rejects 299×300 and 300×299', () => {
		expect(checkImage(png(300, 300), IMAGE)).toBeNull();
		expect(checkImage(png(299, 300), IMAGE)?.problem).toBe('tooSmall');
		expect(checkImage(png(300, 299), IMAGE)?.problem).toBe('tooSmall');
	});

	it('rejects the 3:1 fixture with the ratio, the size and the window', () => {
		expect(checkImage(load('wide.png'), IMAGE)).toEqual({
			problem: 'aspectRatio',
			measured: '3.00:1',
			limit: 'between 1:2.5 and 2.5:1',
			message: 'image aspect ratio is 3.00:1 (1200×400 px); it must be between 1:2.5 and 2.5:1',
		});
	});

	it('accepts exactly 2.5:1 and 1:2.5, rejects 2.51:1 and 1:2.51', () => {
		expect(checkImage(png(1000, 400), IMAGE)).toBeNull();
		expect(checkImage(png(400, 1000), IMAGE)).toBeNull();
		expect(checkImage(png(1004, 400), IMAGE)?.message).toBe(
			'image aspect ratio is 2.51:1 (1004×400 px); it must be between 1:2.5 and 2.5:1',
		);
		expect(checkImage(png(400, 1004), IMAGE)?.message).toBe(
			'image aspect ratio is 1:2.51 (400×1004 px); it must be between 1:2.5 and 2.5:1',
		);
	});

	it('adds decimals rather than print a rejected ratio that looks allowed', () => {
		// 2501/1000 = 2.501 would print as "2.50:1"
		expect(checkImage(png(2501, 1000), IMAGE)?.measured).toBe('2.501:1');
	});
});

describe('checkAudio', () => {
	it.each(['voice.mp3', 'voice-vbr.mp3', 'voice.wav', 'voice.m4a', 'voice-faststart.m4a', 'voice.aac'])('accepts %s', (name) => {
		expect(checkAudio(load(name), AUDIO)).toBeNull();
	});

	it('rejects 6 MB of audio for size, before reading anything else', () => {
		// A valid WAV header over 6 MB of samples: still a size problem first.
		const big = wav(6 * MB / 8000);
		expect(big.length).toBeGreaterThan(6 * MB);
		expect(checkAudio(big, AUDIO)).toMatchObject({ problem: 'tooLarge', message: 'audio is 6.0 MB; the limit is 5.0 MB' });
		expect(checkAudio(Buffer.alloc(6 * MB), AUDIO)?.message).toBe('audio is 6.0 MB; the limit is 5.0 MB');
	});

	it('rejects a WAV whose header says 301 s', () => {
		// 301 s at 8000 bytes/s = 2.4 MB of data, all present, so it is under the 5 MB limit.
		const b = wav(301);
		expect(b.length).toBeLessThan(5 * MB);
		expect(checkAudio(b, AUDIO)).toEqual({
			problem: 'tooLong',
			measured: '301.0 s',
			limit: 'between 2 and 300 s',
			message: 'audio is 301.0 s long; it must be between 2 and 300 s',
		});
		expect(checkAudio(wav(300), AUDIO)).toBeNull();
	});

	it('refuses a WAV cut short: its header declares more data than arrived', () => {
		// Header says 301 s, 1 s arrived: the provider would get a cut file.
		expect(checkAudio(wav(301, 1), AUDIO)).toEqual({
			problem: 'truncated',
			measured: '8044 bytes (8 KB)',
			limit: '2408044 bytes (2.3 MB), as the header declares',
			message: 'audio file is cut short: its header says 2408044 bytes (2.3 MB), 8044 bytes are present',
		});
	});

	it('rejects the 1.0 s fixture as too short', () => {
		expect(checkAudio(load('short.wav'), AUDIO)).toEqual({
			problem: 'tooShort',
			measured: '1.0 s',
			limit: 'between 2 and 300 s',
			message: 'audio is 1.0 s long; it must be between 2 and 300 s',
		});
	});

	it('accepts exactly 2 s and adds decimals rather than print "2.0 s" for 1.96 s', () => {
		expect(checkAudio(wav(2), AUDIO)).toBeNull();
		expect(checkAudio(wav(1.96), AUDIO)?.measured).toBe('1.96 s');
	});

	it('names an unsupported format and the allowed ones', () => {
		expect(checkAudio(load('voice.ogg'), AUDIO)).toEqual({
			problem: 'unsupportedFormat',
			measured: 'ogg',
			limit: 'mp3, wav, m4a, aac',
			message: 'audio format is ogg; allowed: mp3, wav, m4a, aac',
		});
		expect(checkAudio(load('voice.flac'), AUDIO)?.message).toBe('audio format is flac; allowed: mp3, wav, m4a, aac');
	});

	it('rejects content it cannot recognise', () => {
		expect(checkAudio(load('portrait.png'), AUDIO)?.message).toBe(
			'audio format could not be recognised from its content; allowed: mp3, wav, m4a, aac',
		);
		expect(checkAudio(Buffer.from('hello, this is not audio at all'), AUDIO)?.problem).toBe('unknownFormat');
	});

	it('rejects an M4A cut before its moov box as cut short', () => {
		const m4a = load('voice.m4a');
		const mdatEnd = m4a.indexOf('moov') - 4;
		expect(checkAudio(m4a.subarray(0, 4000), AUDIO)?.message).toBe(
			`audio file is cut short: its header says ${mdatEnd} bytes (${formatBytes(mdatEnd)}), 4000 bytes are present`,
		);
	});

	it('rejects audio whose length cannot be read (an M4A whose moov never came, cut at a box boundary)', () => {
		const m4a = load('voice.m4a');
		expect(checkAudio(m4a.subarray(0, m4a.indexOf('moov') - 4), AUDIO)).toEqual({
			problem: 'unreadableDuration',
			measured: 'unknown',
			limit: 'between 2 and 300 s',
			message: 'audio length could not be read from the file header',
		});
	});

	it('rejects a binary that holds a few chance MP3 frame headers as unknown, or as unreadable, rather than extrapolating them', () => {
		// MPEG-1 Layer III 128 kb/s frame headers (417 bytes apart) in 100 KB of a program's bytes:
		// three were once taken for 6.5 s of MP3 at their bitrate; now too short a chain to be MP3 at all.
		const frame = Buffer.alloc(417);
		frame.set([0xff, 0xfb, 0x90, 0xc0]);
		const binary = (frames: number): Buffer =>
			Buffer.concat([Buffer.from('\x7fELF', 'latin1'), noise(2000, 3), ...Array.from({ length: frames }, () => frame), noise(100 * 1024, 4)]);
		expect(checkAudio(binary(3), AUDIO)?.problem).toBe('unknownFormat');
		// Six make a chain, but 2.5 KB of frames in 100 KB of other bytes is no length to trust.
		expect(checkAudio(binary(6), AUDIO)?.problem).toBe('unreadableDuration');
	});
});

/**
 * Every kind of real-world file the probes once got wrong (issue 11), as a fixture made by
 * make-fixtures.sh, with the verdict the node must give before any paid request. Measured values in
 * the messages are compared with the truths in fixtures.json (ffprobe, ffmpeg decodes, libjpeg).
 */
describe('real-world kinds (issue 11): verdict and message', () => {
	type Expectation = null | { problem: string; message: (v: MediaViolation, t: FixtureTruth) => string; seconds?: boolean };
	const allowed = 'mp3, wav, m4a, aac';
	const lengthMessage = (v: MediaViolation): string => `audio is ${v.measured} long; it must be between 2 and 300 s`;
	const cutAudio = (_v: MediaViolation, t: FixtureTruth): string => {
		const { sourceBytes, presentBytes } = t.cut as NonNullable<FixtureTruth['cut']>;
		return `audio file is cut short: its header says ${sourceBytes} bytes (${formatBytes(sourceBytes)}), ${presentBytes} bytes are present`;
	};
	const coding = (what: string) => (): string =>
		`image is ${what}, which browsers and many decoders cannot display; re-encode it as a baseline or progressive JPEG, or as PNG`;

	const rows: Array<[string, string, Expectation]> = [
		// Valid files the probes used to refuse.
		['frag-empty-moov.m4a', 'fragmented MP4, empty moov', null],
		['frag-1s.m4a', 'fragmented MP4, first second in moov', null],
		['ima-adpcm.wav', 'IMA ADPCM WAV (byte rate 2x too high)', null],
		['mp3-in-wav.wav', 'MP3 in WAV, byte rate 0, fact chunk', null],
		['mp3-in-wav-nofact.wav', 'MP3 in WAV, byte rate 0, no fact chunk', null],
		['wav-size0.wav', 'WAV data size never filled in (0)', null],
		['rifx.wav', 'big-endian WAV (RIFX)', null],
		['junk-200k.mp3', '200 KB of junk before the first frame', null],
		['lame-300s.mp3', 'LAME-tagged MP3 of exactly 300 s (frames: 300.17 s)', null],
		['lame-2s.mp3', 'LAME-tagged MP3 of exactly 2 s (frames: 2.16 s)', null],
		['lame-120s.mp3', 'LAME-tagged MP3 of 120 s (the concatenation\'s piece)', null],
		['jpeg-stray-bytes.jpg', 'JPEG with stray bytes before SOF', null],
		// Review 2 (B1): bytes after the last frame of a header-less MP3 were counted as audio.
		['tail-zeros.mp3', '3.06 s MP3 + 200 KB of zero padding (was 53 s)', null],
		['apev2-3mb.mp3', '3.06 s MP3 + a 3 MB APEv2 tag (was 789.5 s: too long)', null],
		// Bad files the probes used to accept.
		['lame-1.97s.mp3', 'LAME-tagged MP3 of 1.97 s (frames: 2.16 s)', { problem: 'tooShort', message: lengthMessage, seconds: true }],
		['noxing-1.9s.mp3', 'MP3 of 1.96 s, no Xing/Info header', { problem: 'tooShort', message: lengthMessage, seconds: true }],
		['lyrics3-1.9s.mp3', 'the same + Lyrics3v2 + ID3v1 (was 2.23 s: accepted)', { problem: 'tooShort', message: lengthMessage, seconds: true }],
		['cut-280s.mp3', '280 s MP3 cut to 5000 bytes', { problem: 'truncated', message: cutAudio }],
		['cut-280s-faststart.m4a', '280 s faststart M4A cut to 50000 bytes', { problem: 'truncated', message: cutAudio }],
		['cut-head.jpg', 'JPEG cut to 400 bytes', { problem: 'truncated', message: () => 'image file is cut short: its 400 bytes end inside the picture data, before the JPEG end-of-image marker' }],
		['cut-mid.jpg', 'JPEG cut mid-scan', { problem: 'truncated', message: () => 'image file is cut short: its 12000 bytes end inside the picture data, before the JPEG end-of-image marker' }],
		['cut.png', 'PNG cut short', { problem: 'truncated', message: () => 'image file is cut short: its 3000 bytes end inside the picture data, before the PNG IEND chunk' }],
		['video-only.m4a', 'H.264 video, no audio, named .m4a', { problem: 'video', message: () => `audio is a video (MP4: H.264 video, no audio track); give its audio track alone (allowed: ${allowed})` }],
		[
			'video-aac.m4a',
			'20 s H.264 video with 1.5 s of AAC',
			{ problem: 'video', message: (_v, t) => `audio is a video (MP4: H.264 video, ${(t.audioSeconds as number).toFixed(1)} s of AAC audio); give its audio track alone (allowed: ${allowed})` },
		],
		['mpeg-ps.mp3', 'MPEG program stream named .mp3', { problem: 'unsupportedFormat', message: () => `audio format is mpeg-ps (an MPEG program stream: a video container, as in .mpg or .vob); allowed: ${allowed}` }],
		['mpeg-ts.mp3', 'MPEG transport stream named .mp3', { problem: 'unsupportedFormat', message: () => `audio format is mpeg-ts (an MPEG transport stream: a video container, as in .ts); allowed: ${allowed}` }],
		['layer2.mp3', 'MPEG Layer II named .mp3', { problem: 'unsupportedFormat', message: () => `audio format is mp2 (MPEG audio Layer II; mp3 is Layer III); allowed: ${allowed}` }],
		['concat-3x120s.mp3', 'three 120 s MP3s concatenated', { problem: 'tooLong', message: lengthMessage, seconds: true }],
		['ms-adpcm-500s.wav', '500 s MS ADPCM WAV (byte rate 4x too high)', { problem: 'tooLong', message: lengthMessage, seconds: true }],
		['jpeg-arithmetic.jpg', 'arithmetic-coded JPEG', { problem: 'unsupportedCoding', message: coding('an arithmetic-coded sequential JPEG (SOF9)') }],
		['jpeg-arithmetic-progressive.jpg', 'arithmetic-coded progressive JPEG', { problem: 'unsupportedCoding', message: coding('an arithmetic-coded progressive JPEG (SOF10)') }],
		['jpeg-lossless.jpg', 'lossless JPEG', { problem: 'unsupportedCoding', message: coding('a lossless JPEG (SOF3)') }],
		['jpeg-ls.jpg', 'JPEG-LS', { problem: 'unsupportedCoding', message: coding('a JPEG-LS image (SOF55)') }],
	];

	it('covers every fixture made for issue 11', () => {
		const issue11 = Object.keys(truths).filter((n) => !/^(portrait|tiny|wide|anim|voice|short)[.-]/.test(n));
		expect(rows.map(([name]) => name).sort()).toEqual(issue11.sort());
	});

	it.each(rows)('%s (%s)', (name, _kind, expectation) => {
		const truth = truths[name];
		const isImage = truth.width !== undefined;
		const v = isImage ? checkImage(load(name), IMAGE) : checkAudio(load(name), AUDIO);
		if (expectation === null) {
			expect(v).toBeNull();
			return;
		}
		expect(v).not.toBeNull();
		const violation = v as MediaViolation;
		expect(violation.problem).toBe(expectation.problem);
		expect(violation.message).toBe(expectation.message(violation, truth));
		// A length in the message is the true one: within the rounding of the digits shown (0.05 s) plus
		// the frame-hopping estimate's own error for concatenated MP3s (0.03 s here).
		if (expectation.seconds) expect(Math.abs(parseFloat(violation.measured) - (truth.durationSeconds as number))).toBeLessThanOrEqual(0.1);
	});

	it('shows 1.97 s, not a rounded "2.0 s" that would look allowed', () => {
		expect(checkAudio(load('lame-1.97s.mp3'), AUDIO)?.measured).toBe('1.97 s');
	});

	it('claims nothing about the end of an image read from its head only', () => {
		const jpeg = load('portrait.jpg');
		// The node reads a binary image's first 256 KB and the stored size: a cut in the rest is not seen.
		expect(checkImage(jpeg.subarray(0, 400), IMAGE, jpeg.length)).toBeNull();
		expect(checkImage(jpeg.subarray(0, 400), IMAGE)?.problem).toBe('truncated');
		// Coding and dimensions are in the head, so those are still checked.
		const arithmetic = load('jpeg-arithmetic.jpg');
		expect(checkImage(arithmetic.subarray(0, 300), IMAGE, arithmetic.length)?.problem).toBe('unsupportedCoding');
	});

	it('a cut image is refused before its size is judged, once its dimensions are read', () => {
		const cut = Buffer.concat([png(200, 100, 1000).subarray(0, 500)]);
		expect(checkImage(cut, IMAGE)?.problem).toBe('truncated');
	});
});
