/**
 * Audio container/codec and duration from headers only: no decoding, no I/O.
 * The content decides the format, never a file name. Never throws: garbage gives
 * format 'unknown', a recognised file whose length cannot be read gives durationSeconds null.
 *
 * Cost: WAV, M4A, FLAC, OGG and MP3-with-Xing/VBRI read a handful of headers. Raw ADTS and
 * MP3 without a Xing/VBRI frame hop from frame header to frame header (up to ~70k
 * allocation-free reads for a 5 MB file, under a millisecond), as that is their only exact length.
 */

export type AudioFormat = 'mp3' | 'wav' | 'm4a' | 'aac' | 'ogg' | 'flac' | 'unknown';

export interface AudioProbe {
	format: AudioFormat;
	durationSeconds: number | null;
}

const has = (buf: Buffer, i: number, n: number): boolean => i >= 0 && n >= 0 && i + n <= buf.length;
const ascii = (buf: Buffer, i: number, n: number): string =>
	has(buf, i, n) ? buf.toString('latin1', i, i + n) : '';
// Unsigned 64-bit as a double; exact up to 2^53, far beyond any real file.
const u64be = (buf: Buffer, i: number): number => buf.readUInt32BE(i) * 0x100000000 + buf.readUInt32BE(i + 4);
const u64le = (buf: Buffer, i: number): number => buf.readUInt32LE(i + 4) * 0x100000000 + buf.readUInt32LE(i);

const result = (format: AudioFormat, seconds: number | null = null): AudioProbe => ({
	format,
	durationSeconds: seconds !== null && Number.isFinite(seconds) && seconds >= 0 ? seconds : null,
});

/* ------------------------------------------------------------------ WAV */

/**
 * Walks RIFF chunks for fmt (byte rate) and data (size). When the data size is the
 * streaming placeholder 0xFFFFFFFF or larger than what was uploaded, the bytes present
 * count: the provider can only play what it receives. RF64 carries the real size in ds64.
 */
function probeWav(buf: Buffer): AudioProbe {
	let byteRate = 0;
	let dataSize: number | null = null;
	let ds64Data: number | null = null;
	let i = 12;
	while (has(buf, i, 8)) {
		const id = ascii(buf, i, 4);
		const size = buf.readUInt32LE(i + 4);
		const body = i + 8;
		if (id === 'ds64' && has(buf, body, 16)) ds64Data = u64le(buf, body + 8);
		if (id === 'fmt ' && has(buf, body, 12)) byteRate = buf.readUInt32LE(body + 8);
		if (id === 'data') {
			const remaining = buf.length - body;
			let claimed = size === 0xffffffff && ds64Data !== null ? ds64Data : size;
			if (size === 0xffffffff && ds64Data === null) claimed = remaining;
			dataSize = Math.min(claimed, remaining);
			// fmt normally comes first; if not, keep walking (only possible with an honest size).
			if (byteRate > 0 || claimed > remaining) break;
		}
		// Chunks are word-aligned: an odd size is followed by a pad byte.
		i = body + size + (size & 1);
	}
	if (dataSize === null || byteRate <= 0) return result('wav');
	return result('wav', dataSize / byteRate);
}

/* ------------------------------------------------------------------ ISO BMFF (M4A / MP4) */

interface Box {
	type: string;
	start: number;
	/** first byte after the header */
	body: number;
	/** one past the last byte, clamped to the buffer */
	end: number;
}

/** Reads the box header at i; size 1 means a 64-bit largesize follows, size 0 means "to the end". */
function readBox(buf: Buffer, i: number, limit: number): Box | null {
	if (!has(buf, i, 8) || i + 8 > limit) return null;
	let size = buf.readUInt32BE(i);
	const type = ascii(buf, i + 4, 4);
	let body = i + 8;
	if (size === 1) {
		if (!has(buf, i + 8, 8)) return null;
		size = u64be(buf, i + 8);
		body = i + 16;
	} else if (size === 0) {
		size = limit - i;
	}
	if (size < body - i) return null;
	// A box that runs past the buffer is still located; only its readable part is used.
	return { type, start: i, body, end: Math.min(i + size, limit) };
}

function findChild(buf: Buffer, from: number, limit: number, type: string): Box | null {
	let i = from;
	for (let box = readBox(buf, i, limit); box; box = readBox(buf, i, limit)) {
		if (box.type === type) return box;
		if (box.end <= i) return null;
		i = box.end;
	}
	return null;
}

function mp4Duration(buf: Buffer): number | null {
	// moov may sit after mdat (ffmpeg's default): hop top-level boxes by their sizes.
	const moov = findChild(buf, 0, buf.length, 'moov');
	if (!moov) return null;
	const mvhd = findChild(buf, moov.body, moov.end, 'mvhd');
	if (!mvhd || !has(buf, mvhd.body, 4)) return null;
	const version = buf[mvhd.body];
	let timescale: number;
	let duration: number;
	if (version === 1) {
		// version+flags(4) creation(8) modification(8) timescale(4) duration(8)
		if (!has(buf, mvhd.body + 20, 12)) return null;
		timescale = buf.readUInt32BE(mvhd.body + 20);
		const hi = buf.readUInt32BE(mvhd.body + 24);
		const lo = buf.readUInt32BE(mvhd.body + 28);
		duration = hi === 0xffffffff && lo === 0xffffffff ? -1 : hi * 0x100000000 + lo;
	} else {
		// version+flags(4) creation(4) modification(4) timescale(4) duration(4)
		if (!has(buf, mvhd.body + 12, 8)) return null;
		timescale = buf.readUInt32BE(mvhd.body + 12);
		const d = buf.readUInt32BE(mvhd.body + 16);
		duration = d === 0xffffffff ? -1 : d;
	}
	if (timescale <= 0 || duration < 0) return null;
	if (duration === 0) {
		// Fragmented files leave mvhd empty and may state the total in mvex/mehd.
		const mvex = findChild(buf, moov.body, moov.end, 'mvex');
		const mehd = mvex && findChild(buf, mvex.body, mvex.end, 'mehd');
		if (!mehd || !has(buf, mehd.body, 8)) return null;
		let frag = buf.readUInt32BE(mehd.body + 4);
		if (buf[mehd.body] === 1) frag = has(buf, mehd.body + 4, 8) ? u64be(buf, mehd.body + 4) : 0;
		return frag > 0 ? frag / timescale : null;
	}
	return duration / timescale;
}

const IMAGE_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis'];

function probeMp4(buf: Buffer): AudioProbe {
	// An ftyp that only names still-image brands is a HEIC/AVIF picture, not a sound.
	const major = ascii(buf, 8, 4);
	if (IMAGE_BRANDS.includes(major)) return result('unknown');
	return result('m4a', mp4Duration(buf));
}

/* ------------------------------------------------------------------ FLAC / OGG */

function probeFlac(buf: Buffer, at: number): AudioProbe {
	// STREAMINFO is always the first metadata block: block header(4), then 10 bytes of
	// block/frame sizes, then 20-bit sample rate, 3+5 bits channels/depth, 36-bit sample count.
	const s = at + 8;
	if (ascii(buf, at, 4) !== 'fLaC' || (buf[at + 4] & 0x7f) !== 0 || !has(buf, s, 18)) return result('flac');
	const rate = (buf[s + 10] << 12) | (buf[s + 11] << 4) | (buf[s + 12] >> 4);
	const samples = (buf[s + 13] & 0x0f) * 0x100000000 + buf.readUInt32BE(s + 14);
	// A zero sample count means "unknown" in STREAMINFO.
	return result('flac', rate > 0 && samples > 0 ? samples / rate : null);
}

function probeOgg(buf: Buffer): AudioProbe {
	// First page: 27-byte header, segment table, then the codec's identification packet.
	if (!has(buf, 27, 0)) return result('ogg');
	const serial = buf.readUInt32LE(14);
	const packet = 27 + buf[26];
	let rate = 0;
	let preSkip = 0;
	if (ascii(buf, packet, 7) === '\x01vorbis' && has(buf, packet + 12, 4)) {
		rate = buf.readUInt32LE(packet + 12);
	} else if (ascii(buf, packet, 8) === 'OpusHead' && has(buf, packet + 10, 2)) {
		// Opus granules always count 48 kHz samples, after pre-skip.
		rate = 48000;
		preSkip = buf.readUInt16LE(packet + 10);
	}
	if (rate <= 0) return result('ogg');
	// The last page of the stream holds the final granule position; only the tail is searched.
	const floor = Math.max(0, buf.length - 65536);
	for (let i = buf.lastIndexOf('OggS', buf.length - 4, 'latin1'); i >= floor; i = buf.lastIndexOf('OggS', i - 1, 'latin1')) {
		if (has(buf, i, 27) && buf.readUInt32LE(i + 14) === serial) {
			const lo = buf.readUInt32LE(i + 6);
			const hi = buf.readUInt32LE(i + 10);
			// -1 means no packet ends on this page; keep looking further back.
			if (!(lo === 0xffffffff && hi === 0xffffffff)) {
				const granule = hi * 0x100000000 + lo - preSkip;
				return result('ogg', granule > 0 ? granule / rate : null);
			}
		}
		if (i === 0) break;
	}
	return result('ogg');
}

/* ------------------------------------------------------------------ MPEG audio / ADTS */

/** Total size of the ID3v2 tag(s) at i: 10-byte header + syncsafe size (+ 10-byte footer). */
function skipId3v2(buf: Buffer, i: number): number {
	while (ascii(buf, i, 3) === 'ID3' && has(buf, i, 10)) {
		const b = [buf[i + 6], buf[i + 7], buf[i + 8], buf[i + 9]];
		if (b.some((x) => x & 0x80)) break;
		const size = (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3];
		const footer = buf[i + 5] & 0x10 ? 10 : 0;
		i += 10 + size + footer;
	}
	return i;
}

// kbps by [MPEG-1 ? 0 : 1][layer I, II, III][index 1..14]
const BITRATES: number[][][] = [
	[
		[32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
		[32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
		[32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
	],
	[
		[32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
		[8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
		[8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
	],
];
// Hz by version bits (00 = MPEG-2.5, 10 = MPEG-2, 11 = MPEG-1) and index 0..2.
const MPEG_RATES: Record<number, number[]> = {
	0: [11025, 12000, 8000],
	2: [22050, 24000, 16000],
	3: [44100, 48000, 32000],
};

interface MpegFrame {
	/** 0 = 2.5, 2 = MPEG-2, 3 = MPEG-1 (the raw version bits) */
	version: number;
	/** 1 = Layer I, 2 = II, 3 = III */
	layer: number;
	kbps: number;
	sampleRate: number;
	samples: number;
	length: number;
	mono: boolean;
	crc: boolean;
}

function mpegFrame(buf: Buffer, i: number): MpegFrame | null {
	if (!has(buf, i, 4) || buf[i] !== 0xff || (buf[i + 1] & 0xe0) !== 0xe0) return null;
	const version = (buf[i + 1] >> 3) & 3;
	const layerBits = (buf[i + 1] >> 1) & 3;
	const bitrateIndex = buf[i + 2] >> 4;
	const rateIndex = (buf[i + 2] >> 2) & 3;
	// Reserved version/layer/sample rate, free-format or "bad" bitrate, reserved emphasis.
	if (version === 1 || layerBits === 0 || rateIndex === 3) return null;
	if (bitrateIndex === 0 || bitrateIndex === 15 || (buf[i + 3] & 3) === 2) return null;
	const layer = 4 - layerBits;
	const kbps = BITRATES[version === 3 ? 0 : 1][layer - 1][bitrateIndex - 1];
	const sampleRate = MPEG_RATES[version][rateIndex];
	const padding = (buf[i + 2] >> 1) & 1;
	let samples: number;
	let length: number;
	if (layer === 1) {
		samples = 384;
		length = (Math.floor((12000 * kbps) / sampleRate) + padding) * 4;
	} else {
		samples = layer === 3 && version !== 3 ? 576 : 1152;
		// samples / 8 * 1000 = samples * 125: bytes per kbps, kept integer until the division.
		length = Math.floor((samples * 125 * kbps) / sampleRate) + padding;
	}
	return {
		version,
		layer,
		kbps,
		sampleRate,
		samples,
		length,
		mono: buf[i + 3] >> 6 === 3,
		crc: (buf[i + 1] & 1) === 0,
	};
}

const sameStream = (a: MpegFrame, b: MpegFrame): boolean =>
	a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate;

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

interface AdtsFrame {
	sampleRate: number;
	length: number;
}

function adtsFrame(buf: Buffer, i: number): AdtsFrame | null {
	// 12-bit sync, then ID, layer (always 00) and protection_absent.
	if (!has(buf, i, 7) || buf[i] !== 0xff || (buf[i + 1] & 0xf6) !== 0xf0) return null;
	const rateIndex = (buf[i + 2] >> 2) & 0x0f;
	if (rateIndex >= ADTS_RATES.length) return null;
	const length = ((buf[i + 3] & 0x03) << 11) | (buf[i + 4] << 3) | (buf[i + 5] >> 5);
	const headerLength = buf[i + 1] & 1 ? 7 : 9;
	if (length <= headerLength) return null;
	return { sampleRate: ADTS_RATES[rateIndex], length };
}

/** Frame count from a Xing/Info or VBRI header inside the first frame, if there is one. */
function vbrFrames(buf: Buffer, i: number, f: MpegFrame): number | null {
	// Xing sits right after the side information, whose size depends on version and channels.
	const side = f.version === 3 ? (f.mono ? 17 : 32) : f.mono ? 9 : 17;
	for (const at of [i + 4 + side, i + 6 + side]) {
		const tag = ascii(buf, at, 4);
		if ((tag === 'Xing' || tag === 'Info') && has(buf, at + 4, 8)) {
			const flags = buf.readUInt32BE(at + 4);
			return flags & 1 ? buf.readUInt32BE(at + 8) : null;
		}
		if (!f.crc) break;
	}
	// VBRI (Fraunhofer) is always 32 bytes after the header: tag, version, delay, quality, bytes, frames.
	if (ascii(buf, i + 36, 4) === 'VBRI' && has(buf, i + 36, 18)) return buf.readUInt32BE(i + 50);
	return null;
}

/** How far past the tags we look for a first frame (junk or padding before the audio). */
const SYNC_SEARCH = 128 * 1024;

function probeMpeg(buf: Buffer, start: number): AudioProbe {
	// A trailing ID3v1 tag is 128 bytes of text, not audio.
	const end = buf.length >= 128 && ascii(buf, buf.length - 128, 3) === 'TAG' ? buf.length - 128 : buf.length;
	const stop = Math.min(end - 4, start + SYNC_SEARCH);
	for (let i = start; i <= stop; i++) {
		if (buf[i] !== 0xff) continue;
		// A frame right where the tags end needs one confirming neighbour where the file has
		// one; a frame found by searching must be followed by two, since random data syncs often.
		const searched = i !== start;
		const adts = adtsFrame(buf, i);
		if (adts) {
			const next = i + adts.length;
			const n1 = adtsFrame(buf, next);
			const confirmed = n1 ? n1.sampleRate === adts.sampleRate : !searched && next >= end - 7;
			if (confirmed) return adtsDuration(buf, i, end, adts.sampleRate);
			continue;
		}
		const f = mpegFrame(buf, i);
		if (!f) continue;
		const next = i + f.length;
		const n1 = mpegFrame(buf, next);
		let confirmed: boolean;
		if (n1) {
			const n2 = mpegFrame(buf, next + n1.length);
			confirmed = sameStream(f, n1) && (!searched || (n2 !== null ? sameStream(f, n2) : next + n1.length >= end - 4));
		} else {
			confirmed = !searched && next >= end - 4;
		}
		if (confirmed) return mp3Duration(buf, i, f, end);
	}
	return result('unknown');
}

function adtsDuration(buf: Buffer, first: number, end: number, rate: number): AudioProbe {
	const rateBits = buf[first + 2] & 0x3c;
	let blocks = 0;
	let i = first;
	// Count whole frames; stop at the first broken header or a frame cut off by the end.
	// Allocation-free, like the MP3 hop: this is the hot loop for raw AAC.
	while (i + 7 <= end && buf[i] === 0xff && (buf[i + 1] & 0xf6) === 0xf0 && (buf[i + 2] & 0x3c) === rateBits) {
		const length = ((buf[i + 3] & 0x03) << 11) | (buf[i + 4] << 3) | (buf[i + 5] >> 5);
		if (length <= (buf[i + 1] & 1 ? 7 : 9) || i + length > end) break;
		// Each raw data block is 1024 samples; most encoders put one block in a frame.
		blocks += (buf[i + 6] & 3) + 1;
		i += length;
	}
	return result('aac', blocks > 0 ? (blocks * 1024) / rate : null);
}

function mp3Duration(buf: Buffer, first: number, f: MpegFrame, end: number): AudioProbe {
	const frames = vbrFrames(buf, first, f);
	if (frames !== null && frames > 0) return result('mp3', (frames * f.samples) / f.sampleRate);
	// No VBR header: hop the frames. Where the hops stop early (junk mid-file), the rest of the
	// bytes are estimated at the average bitrate seen so far (the CBR estimate, bytes x 8 / bitrate).
	// Allocation-free loop: a 5 MB file is tens of thousands of frames.
	const row = BITRATES[f.version === 3 ? 0 : 1][f.layer - 1];
	const b1 = buf[first + 1] & 0xfe;
	const rateBits = buf[first + 2] & 0x0c;
	// Same integer arithmetic as mpegFrame, so both agree on every length.
	const scale = f.layer === 1 ? 12000 : f.samples * 125;
	let i = first;
	let count = 0;
	while (i + 4 <= end && buf[i] === 0xff && (buf[i + 1] & 0xfe) === b1 && (buf[i + 2] & 0x0c) === rateBits) {
		const index = buf[i + 2] >> 4;
		if (index === 0 || index === 15) break;
		const padding = (buf[i + 2] >> 1) & 1;
		const slots = Math.floor((scale * row[index - 1]) / f.sampleRate) + padding;
		const length = f.layer === 1 ? slots * 4 : slots;
		if (i + length > end) break;
		count++;
		i += length;
	}
	if (count === 0) return result('mp3', ((end - first) * 8) / (f.kbps * 1000));
	const seconds = (count * f.samples) / f.sampleRate;
	const bytesPerSecond = (i - first) / seconds;
	return result('mp3', seconds + (end - i) / bytesPerSecond);
}

/* ------------------------------------------------------------------ entry point */

export function probeAudio(buf: Buffer): AudioProbe {
	try {
		if (!buf || buf.length < 4) return result('unknown');
		const riff = ascii(buf, 0, 4);
		if ((riff === 'RIFF' || riff === 'RF64') && ascii(buf, 8, 4) === 'WAVE') return probeWav(buf);
		if (riff === 'OggS') return probeOgg(buf);
		if (ascii(buf, 4, 4) === 'ftyp') return probeMp4(buf);
		// MP3, ADTS and FLAC files may all start with ID3v2 tags.
		const start = skipId3v2(buf, 0);
		if (ascii(buf, start, 4) === 'fLaC') return probeFlac(buf, start);
		return probeMpeg(buf, start);
	} catch {
		// Unreachable if the bounds checks are right; an upload must never crash the node.
		return result('unknown');
	}
}
