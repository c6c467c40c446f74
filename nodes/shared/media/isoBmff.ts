/**
 * ISO base media files (MP4, M4A, 3GP, MOV): tracks, codecs and length from the box structure of
 * ISO/IEC 14496-12 (box names as there), codec details from ISO/IEC 14496-1 (esds descriptors).
 *
 * An 'm4a' is a movie with an audio track (hdlr 'soun') coded in AAC (sample entry 'mp4a' with an
 * AAC object type) and no video. Its length is the audio track's: mdhd duration (media timescale)
 * plus the samples of every movie fragment (moof/traf/trun, durations defaulting to tfhd, then
 * trex), presented through the track's edit list (elst: the encoder's priming samples are edited
 * out there). mvhd is never used: it is the longest track, often a video's.
 *
 * Decision: a file with a video track is refused as audio even when it has an AAC track; the probe
 * reports it as 'mp4' with `video` set and the audio track's length. The providers take audio
 * files, and what one does with a video sent as audio (its audio? the video's length? an error
 * after charging?) is not documented; "give the audio track" costs the user one ffmpeg command.
 * Still-picture tracks ('jpeg' / 'png ' sample entries: cover art, chapter images) are not video.
 *
 * A top-level box whose declared size runs past the end of the buffer is a cut file (a faststart
 * file cut inside mdat, a moov-at-the-end file cut before its moov).
 */

import { ascii, has, u64be, type Truncation } from './bytes';
import { audioResult, type AudioProbe } from './audioTypes';

interface Box {
	type: string;
	start: number;
	/** first byte after the header */
	body: number;
	/** one past the last byte, clamped to the limit */
	end: number;
	/** one past the last byte as the header declares it */
	declaredEnd: number;
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
	return { type, start: i, body, end: Math.min(i + size, limit), declaredEnd: i + size };
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

function children(buf: Buffer, from: number, limit: number): Box[] {
	const out: Box[] = [];
	let i = from;
	for (let box = readBox(buf, i, limit); box; box = readBox(buf, i, limit)) {
		out.push(box);
		if (box.end <= i) break;
		i = box.end;
	}
	return out;
}

/** Child at a path of box types, e.g. ['mdia', 'minf', 'stbl', 'stsd']. */
function findPath(buf: Buffer, parent: Box, path: string[]): Box | null {
	let box: Box | null = parent;
	for (const type of path) {
		box = box && findChild(buf, box.body, box.end, type);
	}
	return box;
}

/** mvhd / mdhd: version(1) flags(3), then creation and modification times (4 or 8 each), timescale, duration. */
function timescaleAndDuration(buf: Buffer, box: Box): { timescale: number; duration: number | null } | null {
	if (!has(buf, box.body, 4)) return null;
	if (buf[box.body] === 1) {
		if (!has(buf, box.body + 20, 12) || box.body + 32 > box.end) return null;
		const hi = buf.readUInt32BE(box.body + 24);
		const lo = buf.readUInt32BE(box.body + 28);
		return { timescale: buf.readUInt32BE(box.body + 20), duration: hi === 0xffffffff && lo === 0xffffffff ? null : u64be(buf, box.body + 24) };
	}
	if (!has(buf, box.body + 12, 8) || box.body + 20 > box.end) return null;
	const d = buf.readUInt32BE(box.body + 16);
	return { timescale: buf.readUInt32BE(box.body + 12), duration: d === 0xffffffff ? null : d };
}

interface Edit {
	/** movie timescale */
	segmentDuration: number;
	/** media timescale; -1 is an empty edit (a pause before the media) */
	mediaTime: number;
}

function readEdits(buf: Buffer, elst: Box): Edit[] {
	if (!has(buf, elst.body, 8)) return [];
	const v1 = buf[elst.body] === 1;
	const size = v1 ? 20 : 12;
	const count = buf.readUInt32BE(elst.body + 4);
	const edits: Edit[] = [];
	for (let k = 0, o = elst.body + 8; k < count && o + size <= elst.end; k++, o += size) {
		edits.push(
			v1
				? { segmentDuration: u64be(buf, o), mediaTime: buf.readInt32BE(o + 8) * 0x100000000 + buf.readUInt32BE(o + 12) }
				: { segmentDuration: buf.readUInt32BE(o), mediaTime: buf.readInt32BE(o + 4) },
		);
	}
	return edits;
}

/** ES_Descriptor → DecoderConfigDescriptor.objectTypeIndication in an esds box (ISO/IEC 14496-1 §7.2.6). */
function objectType(buf: Buffer, esds: Box): number | null {
	let i = esds.body + 4;
	// Descriptor: tag(1), then a size in up to four 7-bit groups (high bit = more follow).
	const header = (): { tag: number; body: number } | null => {
		if (!has(buf, i, 2)) return null;
		const tag = buf[i++];
		for (let n = 0; n < 4 && has(buf, i, 1); n++) if (!(buf[i++] & 0x80)) break;
		return { tag, body: i };
	};
	const es = header();
	if (!es || es.tag !== 0x03 || !has(buf, i, 3)) return null;
	const flags = buf[i + 2];
	i += 3;
	if (flags & 0x80) i += 2; // dependsOn_ES_ID
	if (flags & 0x40 && has(buf, i, 1)) i += 1 + buf[i]; // URL
	if (flags & 0x20) i += 2; // OCR_ES_Id
	const dc = header();
	if (!dc || dc.tag !== 0x04 || !has(buf, i, 1) || i >= esds.end) return null;
	return buf[i];
}

/** MPEG-4 object types that are AAC (14496-3 audio, 13818-7 Main/LC/SSR): the registration authority's table. */
const AAC_OBJECT_TYPES = new Set([0x40, 0x66, 0x67, 0x68]);
const OBJECT_TYPE_NAMES: Record<number, string> = {
	0x69: 'MP3 (MPEG-2 audio)',
	0x6b: 'MP3 (MPEG-1 audio)',
	0xa5: 'AC-3',
	0xa6: 'E-AC-3',
	0xa9: 'DTS',
	0xad: 'Opus',
	0xdd: 'Vorbis',
};
const CODEC_NAMES: Record<string, string> = {
	alac: 'ALAC',
	Opus: 'Opus',
	fLaC: 'FLAC',
	samr: 'AMR-NB',
	sawb: 'AMR-WB',
	'ac-3': 'AC-3',
	'ec-3': 'E-AC-3',
	'.mp3': 'MP3',
	enca: 'encrypted audio',
	lpcm: 'PCM',
	sowt: 'PCM',
	twos: 'PCM',
	avc1: 'H.264',
	avc3: 'H.264',
	hvc1: 'H.265',
	hev1: 'H.265',
	av01: 'AV1',
	vp08: 'VP8',
	vp09: 'VP9',
	mp4v: 'MPEG-4 Visual',
	s263: 'H.263',
	encv: 'encrypted video',
};
/** Sample entries of still pictures in a 'vide' track: cover art and chapter images, not a video. */
const STILL_PICTURES = new Set(['jpeg', 'png ']);

interface Track {
	id: number;
	handler: string;
	/** first sample entry's type (codec FourCC) */
	codec: string;
	/** esds objectTypeIndication for 'mp4a', null when absent */
	objectType: number | null;
	timescale: number;
	/** mdhd duration, media timescale (0 when unknown or fragmented) */
	duration: number;
	edits: Edit[];
	/** one past the last byte of the track's samples in moov's sample tables, null when not known */
	dataEnd: number | null;
}

/**
 * Where a track's samples end (ISO/IEC 14496-12 §8.7): the last chunk's offset (stco / co64) plus
 * the sizes (stsz) of the samples in it (stsc's last entry gives samples per chunk). A faststart
 * file cut exactly after moov, or inside mdat's header, declares no box past the end; this does.
 */
function sampleDataEnd(buf: Buffer, stbl: Box): number | null {
	const stco = findChild(buf, stbl.body, stbl.end, 'stco');
	const co64 = stco ? null : findChild(buf, stbl.body, stbl.end, 'co64');
	const stsc = findChild(buf, stbl.body, stbl.end, 'stsc');
	const stsz = findChild(buf, stbl.body, stbl.end, 'stsz');
	const offsets = stco ?? co64;
	if (!offsets || !stsc || !stsz || !has(buf, offsets.body, 8) || !has(buf, stsc.body, 8) || !has(buf, stsz.body, 12)) return null;
	const chunks = buf.readUInt32BE(offsets.body + 4);
	const scEntries = buf.readUInt32BE(stsc.body + 4);
	const samples = buf.readUInt32BE(stsz.body + 8);
	if (chunks === 0 || scEntries === 0 || samples === 0) return null;
	const lastOffsetAt = offsets.body + 8 + (chunks - 1) * (co64 ? 8 : 4);
	const lastScAt = stsc.body + 8 + (scEntries - 1) * 12;
	if (lastOffsetAt + (co64 ? 8 : 4) > offsets.end || lastScAt + 12 > stsc.end) return null;
	const lastOffset = co64 ? u64be(buf, lastOffsetAt) : buf.readUInt32BE(lastOffsetAt);
	const perChunk = Math.min(buf.readUInt32BE(lastScAt + 4), samples);
	const fixed = buf.readUInt32BE(stsz.body + 4);
	if (fixed > 0) return lastOffset + perChunk * fixed;
	const tableEnd = stsz.body + 12 + samples * 4;
	if (tableEnd > stsz.end) return null;
	let bytes = 0;
	for (let k = 0, o = tableEnd - 4; k < perChunk; k++, o -= 4) bytes += buf.readUInt32BE(o);
	return lastOffset + bytes;
}

function readTrack(buf: Buffer, trak: Box): Track | null {
	const tkhd = findChild(buf, trak.body, trak.end, 'tkhd');
	const mdhd = findPath(buf, trak, ['mdia', 'mdhd']);
	const hdlr = findPath(buf, trak, ['mdia', 'hdlr']);
	const stbl = findPath(buf, trak, ['mdia', 'minf', 'stbl']);
	const stsd = stbl && findChild(buf, stbl.body, stbl.end, 'stsd');
	const elst = findPath(buf, trak, ['edts', 'elst']);
	if (!tkhd || !mdhd || !hdlr || !has(buf, hdlr.body + 8, 4) || !has(buf, tkhd.body, 4)) return null;
	const idAt = tkhd.body + (buf[tkhd.body] === 1 ? 20 : 12);
	const time = timescaleAndDuration(buf, mdhd);
	if (!has(buf, idAt, 4) || !time) return null;
	// stsd: version/flags(4) entry_count(4), then sample entries (boxes named by codec).
	const entry = stsd ? readBox(buf, stsd.body + 8, stsd.end) : null;
	let codec = entry?.type ?? '';
	let type: number | null = null;
	if (entry && (codec === 'mp4a' || codec === 'enca')) {
		// AudioSampleEntry: 28 bytes of fields before its child boxes; QuickTime sound description
		// versions 1 and 2 (version at +8) add 16 and 36 bytes.
		const qtVersion = has(buf, entry.body + 8, 2) ? buf.readUInt16BE(entry.body + 8) : 0;
		const from = entry.body + 28 + (qtVersion === 1 ? 16 : qtVersion === 2 ? 36 : 0);
		if (codec === 'enca') {
			// Protected: sinf/frma holds the original format; the codec name stays "encrypted".
			codec = 'enca';
		} else {
			const wave = findChild(buf, from, entry.end, 'wave');
			const esds = findChild(buf, from, entry.end, 'esds') ?? (wave && findChild(buf, wave.body, wave.end, 'esds'));
			type = esds ? objectType(buf, esds) : null;
		}
	}
	return {
		id: buf.readUInt32BE(idAt),
		handler: ascii(buf, hdlr.body + 8, 4),
		codec,
		objectType: type,
		timescale: time.timescale,
		duration: time.duration ?? 0,
		edits: elst ? readEdits(buf, elst) : [],
		dataEnd: stbl ? sampleDataEnd(buf, stbl) : null,
	};
}

function codecName(track: Track): string {
	if (track.codec === 'mp4a') {
		if (track.objectType === null || AAC_OBJECT_TYPES.has(track.objectType)) return 'AAC';
		return OBJECT_TYPE_NAMES[track.objectType] ?? `mp4a object type 0x${track.objectType.toString(16)}`;
	}
	return CODEC_NAMES[track.codec] ?? (track.codec.trim() || 'unknown codec');
}

interface TrackDefaults {
	duration: number;
	size: number;
}

interface Fragments {
	/** sample durations of every movie fragment, summed per track_ID (media timescale) */
	durations: Map<number, number>;
	/** one past the last byte of fragment sample data, as the trun boxes locate it */
	dataEnd: number;
}

/** The movie fragments' samples (ISO/IEC 14496-12 §8.8): their summed durations and where their data ends. */
function readFragments(buf: Buffer, moofs: Box[], trex: Map<number, TrackDefaults>): Fragments {
	const durations = new Map<number, number>();
	let dataEnd = 0;
	for (const moof of moofs) {
		for (const traf of children(buf, moof.body, moof.end)) {
			if (traf.type !== 'traf') continue;
			const tfhd = findChild(buf, traf.body, traf.end, 'tfhd');
			if (!tfhd || !has(buf, tfhd.body, 8)) continue;
			// tfhd: flags then track_ID, then optional base_data_offset (8, flag 0x01),
			// sample_description_index (4, 0x02), default_sample_duration (4, 0x08), default_sample_size (4, 0x10).
			const tfFlags = buf.readUInt32BE(tfhd.body) & 0xffffff;
			const id = buf.readUInt32BE(tfhd.body + 4);
			let o = tfhd.body + 8;
			// Without base_data_offset, data offsets count from the moof (default-base-is-moof, or the
			// first traf's implicit base, which is the same for the single-track files probed here).
			let base = moof.start;
			if (tfFlags & 0x01 && has(buf, o, 8)) base = u64be(buf, o);
			o += (tfFlags & 0x01 ? 8 : 0) + (tfFlags & 0x02 ? 4 : 0);
			const defaults = { ...(trex.get(id) ?? { duration: 0, size: 0 }) };
			if (tfFlags & 0x08) {
				if (has(buf, o, 4)) defaults.duration = buf.readUInt32BE(o);
				o += 4;
			}
			if (tfFlags & 0x10 && has(buf, o, 4)) defaults.size = buf.readUInt32BE(o);
			let sum = durations.get(id) ?? 0;
			for (const trun of children(buf, traf.body, traf.end)) {
				if (trun.type !== 'trun' || !has(buf, trun.body, 8)) continue;
				// trun: flags, sample_count, data_offset (signed, 0x001), first_sample_flags (0x004), then
				// per sample: duration (0x100), size (0x200), flags (0x400), composition offset (0x800).
				const flags = buf.readUInt32BE(trun.body) & 0xffffff;
				const count = buf.readUInt32BE(trun.body + 4);
				o = trun.body + 8;
				let start = base;
				if (flags & 0x001 && has(buf, o, 4)) start = base + buf.readInt32BE(o);
				o += (flags & 0x001 ? 4 : 0) + (flags & 0x004 ? 4 : 0);
				const perSample = (flags & 0x100 ? 1 : 0) + (flags & 0x200 ? 1 : 0) + (flags & 0x400 ? 1 : 0) + (flags & 0x800 ? 1 : 0);
				if (perSample === 0 || !(flags & 0x300)) {
					sum += count * defaults.duration;
					if (flags & 0x001) dataEnd = Math.max(dataEnd, start + count * defaults.size);
					continue;
				}
				let bytes = 0;
				let k = 0;
				for (; k < count && o + 4 * perSample <= trun.end; k++, o += 4 * perSample) {
					sum += flags & 0x100 ? buf.readUInt32BE(o) : defaults.duration;
					bytes += flags & 0x200 ? buf.readUInt32BE(o + (flags & 0x100 ? 4 : 0)) : defaults.size;
				}
				if (flags & 0x001 && k === count) dataEnd = Math.max(dataEnd, start + bytes);
			}
			durations.set(id, sum);
		}
	}
	return { durations, dataEnd };
}

/** Seconds the track presents: its media through the edit list, when it has a usable one. */
function presentedSeconds(track: Track, media: number, movieTimescale: number, fragmented: boolean): number | null {
	if (track.timescale <= 0) return null;
	const whole = media / track.timescale;
	if (movieTimescale <= 0 || !track.edits.some((e) => e.mediaTime >= 0)) return whole;
	let seconds = 0;
	for (const e of track.edits) {
		const segment = e.segmentDuration / movieTimescale;
		if (e.mediaTime < 0) {
			seconds += segment;
			continue;
		}
		const available = Math.max(0, (media - e.mediaTime) / track.timescale);
		// In a fragmented file the edit was written before the fragments: it cannot know their length.
		seconds += e.segmentDuration === 0 || fragmented ? available : Math.min(segment, available);
	}
	return seconds;
}

const IMAGE_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis'];

export function probeIsoBmff(buf: Buffer): AudioProbe {
	// An ftyp that only names still-image brands is a HEIC/AVIF picture, not a sound.
	if (IMAGE_BRANDS.includes(ascii(buf, 8, 4))) return audioResult('unknown');

	// Top level: moov may sit before or after mdat (faststart or not); fragments follow moov.
	let moov: Box | null = null;
	const moofs: Box[] = [];
	let truncated: Truncation | undefined;
	let i = 0;
	for (let box = readBox(buf, i, buf.length); box; box = readBox(buf, i, buf.length)) {
		if (box.declaredEnd > buf.length) truncated = { declared: box.declaredEnd, present: buf.length, unit: 'bytes' };
		if (box.type === 'moov' && !moov) moov = box;
		if (box.type === 'moof') moofs.push(box);
		if (box.end <= i) break;
		i = box.end;
	}
	// No moov (not arrived, or the file is cut before or inside it): an MP4 of unknown content and length.
	if (!moov || moov.declaredEnd > buf.length) return audioResult('m4a', null, truncated ? { truncated } : {});

	const mvhd = findChild(buf, moov.body, moov.end, 'mvhd');
	const movie = mvhd ? timescaleAndDuration(buf, mvhd) : null;
	const movieTimescale = movie?.timescale ?? 0;
	const mvex = findChild(buf, moov.body, moov.end, 'mvex');
	const trex = new Map<number, TrackDefaults>();
	let mehd = 0;
	if (mvex) {
		for (const box of children(buf, mvex.body, mvex.end)) {
			// trex: flags(4) track_ID(4) default_sample_description_index(4) default_sample_duration(4) default_sample_size(4)
			if (box.type === 'trex' && has(buf, box.body, 20)) {
				trex.set(buf.readUInt32BE(box.body + 4), { duration: buf.readUInt32BE(box.body + 12), size: buf.readUInt32BE(box.body + 16) });
			}
			// mehd: the whole fragmented movie's length, movie timescale.
			if (box.type === 'mehd' && has(buf, box.body, 8)) {
				mehd = buf[box.body] === 1 ? (has(buf, box.body + 4, 8) ? u64be(buf, box.body + 4) : 0) : buf.readUInt32BE(box.body + 4);
			}
		}
	}
	const tracks = children(buf, moov.body, moov.end)
		.filter((b) => b.type === 'trak')
		.map((trak) => readTrack(buf, trak))
		.filter((t): t is Track => t !== null);
	const fragments = readFragments(buf, moofs, trex);

	const audio = tracks.find((t) => t.handler === 'soun');
	const dataEnd = Math.max(fragments.dataEnd, ...tracks.map((t) => t.dataEnd ?? 0));
	if (dataEnd > buf.length && dataEnd > (truncated?.declared ?? 0)) truncated = { declared: dataEnd, present: buf.length, unit: 'bytes' };
	const cut = truncated ? { truncated } : {};
	let seconds: number | null = null;
	if (audio) {
		const fragmentSum = fragments.durations.get(audio.id) ?? 0;
		const media = audio.duration + fragmentSum;
		if (media > 0) seconds = presentedSeconds(audio, media, movieTimescale, fragmentSum > 0);
		else if (mehd > 0 && movieTimescale > 0) seconds = mehd / movieTimescale;
	}
	const video = tracks.find((t) => t.handler === 'vide' && !STILL_PICTURES.has(t.codec));
	if (video) {
		return audioResult('mp4', seconds, { video: { codec: codecName(video), audioCodec: audio ? codecName(audio) : null }, ...cut });
	}
	if (!audio) return audioResult('mp4', null, cut);
	const codec = codecName(audio);
	if (codec !== 'AAC') return audioResult('mp4', seconds, { codec, ...cut });
	return audioResult('m4a', seconds, cut);
}
