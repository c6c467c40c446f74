/**
 * WAVE files: RIFF (little-endian), RIFX (the same layout big-endian), and RF64 / BW64 (EBU Tech
 * 3306: 64-bit sizes in a ds64 chunk). Chunks per the Microsoft RIFF spec (Multimedia Programming
 * Interface and Data Specifications 1.0): `fmt ` (WAVEFORMAT / WAVEFORMATEX / EXTENSIBLE),
 * `fact` (sample frames per channel, required for every non-PCM codec), `data`.
 *
 * Length:
 * - PCM, float, A-law, µ-law: data bytes / block align / sample rate. Exact.
 * - Any other codec: the fact chunk's sample count. The header's byte rate is not used where
 *   anything better exists: encoders fill it in loosely for ADPCM (ffmpeg's IMA ADPCM says
 *   16000 B/s for ~8100 real ones) and MP3-in-WAV files may carry 0. Without fact: ADPCM from
 *   whole blocks × samples per block, MPEG audio by hopping its frames, else the byte rate.
 *
 * A data size of 0, 0xFFFFFFFF or anything from 0x7FFFFF00 up is a writer that never came back to
 * fill it in (a stream or a crash): the data runs to the end of the file. arecord writes 0x7FFFFF00
 * when the length is not known in advance (alsa-utils aplay/aplay.c, begin_wave(): "WAVE cannot
 * handle greater than 32bit (signed?) int", `if (cnt == (size_t)-2) cnt = 0x7fffff00;`); end_wave()
 * puts the real sizes in only by seeking back, which a pipe cannot. Other streaming writers use
 * 0x7FFFFFFF. Any other data size larger than the bytes present, by more than one block, is a cut
 * file.
 */

import { ascii, has, u64le, type Truncation } from './bytes';
import { audioResult, type AudioProbe } from './audioTypes';
import { probeMpeg } from './mpegAudio';

/** wFormatTag values (RFC 2361, mmreg.h) whose data size gives an exact length. */
const PCM_LIKE = new Set([0x0001, 0x0003, 0x0006, 0x0007]);
const CODEC_NAMES: Record<number, string> = {
	0x0002: 'MS ADPCM',
	0x0011: 'IMA ADPCM',
	0x0031: 'GSM 6.10',
	0x0050: 'MPEG Layer I/II',
	0x0055: 'MPEG Layer III',
};
const ADPCM = new Set([0x0002, 0x0011]);
const MPEG = new Set([0x0050, 0x0055]);
const EXTENSIBLE = 0xfffe;
/** Data sizes from here up are placeholders of writers that could not seek back (arecord: 0x7FFFFF00). */
const STREAMING_PLACEHOLDER = 0x7fffff00;

interface Fmt {
	tag: number;
	channels: number;
	sampleRate: number;
	byteRate: number;
	blockAlign: number;
	bitsPerSample: number;
	/** ADPCM: samples per channel in one block (wSamplesPerBlock after cbSize), else 0 */
	samplesPerBlock: number;
}

/** Whether the buffer is a WAVE file this module reads: RIFF/RIFX/RF64/BW64 with form type WAVE. */
export function isWave(buf: Buffer): boolean {
	const id = ascii(buf, 0, 4);
	return (id === 'RIFF' || id === 'RIFX' || id === 'RF64' || id === 'BW64') && ascii(buf, 8, 4) === 'WAVE';
}

export function probeWav(buf: Buffer): AudioProbe {
	const big = ascii(buf, 0, 4) === 'RIFX';
	const u16 = (i: number): number => (big ? buf.readUInt16BE(i) : buf.readUInt16LE(i));
	const u32 = (i: number): number => (big ? buf.readUInt32BE(i) : buf.readUInt32LE(i));

	let fmt: Fmt | null = null;
	let factSamples: number | null = null;
	let ds64Data: number | null = null;
	let ds64Samples: number | null = null;
	let data: { start: number; size: number; claimed: number } | null = null;
	let i = 12;
	while (has(buf, i, 8)) {
		const id = ascii(buf, i, 4);
		const size = u32(i + 4);
		const body = i + 8;
		if (id === 'ds64' && has(buf, body, 24)) {
			// riffSize(8) dataSize(8) sampleCount(8), always little-endian (RF64 has no RIFX twin).
			ds64Data = u64le(buf, body + 8);
			ds64Samples = u64le(buf, body + 16);
		}
		if (id === 'fmt ' && has(buf, body, 16)) {
			let tag = u16(body);
			// WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4), then the SubFormat GUID
			// whose first two bytes are the real format tag.
			if (tag === EXTENSIBLE && has(buf, body + 24, 2)) tag = u16(body + 24);
			fmt = {
				tag,
				channels: u16(body + 2),
				sampleRate: u32(body + 4),
				byteRate: u32(body + 8),
				blockAlign: u16(body + 12),
				bitsPerSample: u16(body + 14),
				samplesPerBlock: ADPCM.has(tag) && size >= 20 && has(buf, body + 18, 2) ? u16(body + 18) : 0,
			};
		}
		if (id === 'fact' && has(buf, body, 4)) factSamples = u32(body);
		if (id === 'data') {
			const remaining = buf.length - body;
			let claimed: number | null = size;
			if (size === 0xffffffff) claimed = ds64Data;
			if (size === 0) claimed = null;
			// Streaming placeholders (see the module comment): to the end of the file, not 2 GB.
			if (size >= STREAMING_PLACEHOLDER && size !== 0xffffffff) claimed = null;
			data = { start: body, size: claimed === null ? remaining : Math.min(claimed, remaining), claimed: claimed ?? remaining };
			// fmt normally comes first; if not, keep walking (only possible with an honest size).
			if (fmt || claimed === null || claimed >= remaining) break;
		}
		// Chunks are word-aligned: an odd size is followed by a pad byte.
		i = body + size + (size & 1);
	}
	if (!data) return audioResult('wav');

	const block = fmt && fmt.blockAlign > 0 ? fmt.blockAlign : 1;
	let truncated: Truncation | undefined;
	if (data.claimed - data.size > block) {
		truncated = { declared: data.start + data.claimed, present: buf.length, unit: 'bytes' };
	}
	const extra = { ...(truncated ? { truncated } : {}), ...(fmt && CODEC_NAMES[fmt.tag] ? { codec: CODEC_NAMES[fmt.tag] } : {}) };
	if (!fmt) return audioResult('wav', null, extra);
	return audioResult('wav', wavSeconds(buf, fmt, data.start, data.size, factSamples, ds64Samples), extra);
}

function wavSeconds(buf: Buffer, fmt: Fmt, start: number, size: number, fact: number | null, ds64Samples: number | null): number | null {
	const { sampleRate } = fmt;
	if (PCM_LIKE.has(fmt.tag)) {
		const frameBytes = fmt.blockAlign > 0 ? fmt.blockAlign : (fmt.channels * fmt.bitsPerSample) / 8;
		if (frameBytes > 0 && sampleRate > 0) return size / frameBytes / sampleRate;
		return fmt.byteRate > 0 ? size / fmt.byteRate : null;
	}
	// fact 0xFFFFFFFF in RF64 means "see ds64"; 0 is a writer that never filled it in.
	const samples = fact === 0xffffffff ? ds64Samples : fact;
	if (samples !== null && samples > 0 && sampleRate > 0) return samples / sampleRate;
	if (fmt.samplesPerBlock > 0 && fmt.blockAlign > 0 && sampleRate > 0) {
		return ((size / fmt.blockAlign) * fmt.samplesPerBlock) / sampleRate;
	}
	if (MPEG.has(fmt.tag)) {
		const inner = probeMpeg(buf, start, start + size);
		if (inner.durationSeconds !== null) return inner.durationSeconds;
	}
	return fmt.byteRate > 0 ? size / fmt.byteRate : null;
}
