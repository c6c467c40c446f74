/**
 * FLAC and Ogg (the Xiph.org formats): length from the FLAC STREAMINFO block, or from the last Ogg
 * page's granule position (RFC 3533) with the codec's rate (Vorbis I spec §4.2.2, RFC 7845 for Opus).
 * The nodes only have to name these ("ogg is not supported"), but a length is cheap.
 */

import { ascii, has } from './bytes';
import { audioResult, type AudioProbe } from './audioTypes';

export function probeFlac(buf: Buffer, at: number): AudioProbe {
	// STREAMINFO is always the first metadata block: block header(4), then 10 bytes of
	// block/frame sizes, then 20-bit sample rate, 3+5 bits channels/depth, 36-bit sample count.
	const s = at + 8;
	if (ascii(buf, at, 4) !== 'fLaC' || (buf[at + 4] & 0x7f) !== 0 || !has(buf, s, 18)) return audioResult('flac');
	const rate = (buf[s + 10] << 12) | (buf[s + 11] << 4) | (buf[s + 12] >> 4);
	const samples = (buf[s + 13] & 0x0f) * 0x100000000 + buf.readUInt32BE(s + 14);
	// A zero sample count means "unknown" in STREAMINFO.
	return audioResult('flac', rate > 0 && samples > 0 ? samples / rate : null);
}

export function probeOgg(buf: Buffer): AudioProbe {
	// First page: 27-byte header, segment table, then the codec's identification packet.
	if (!has(buf, 27, 0)) return audioResult('ogg');
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
	if (rate <= 0) return audioResult('ogg');
	// The last page of the stream holds the final granule position; only the tail is searched.
	const floor = Math.max(0, buf.length - 65536);
	for (let i = buf.lastIndexOf('OggS', buf.length - 4, 'latin1'); i >= floor; i = buf.lastIndexOf('OggS', i - 1, 'latin1')) {
		if (has(buf, i, 27) && buf.readUInt32LE(i + 14) === serial) {
			const lo = buf.readUInt32LE(i + 6);
			const hi = buf.readUInt32LE(i + 10);
			// -1 means no packet ends on this page; keep looking further back.
			if (!(lo === 0xffffffff && hi === 0xffffffff)) {
				const granule = hi * 0x100000000 + lo - preSkip;
				return audioResult('ogg', granule > 0 ? granule / rate : null);
			}
		}
		if (i === 0) break;
	}
	return audioResult('ogg');
}
