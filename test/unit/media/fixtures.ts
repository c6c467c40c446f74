/**
 * The media fixtures and their truths (test/fixtures/fixtures.json, written by make-fixtures.sh from
 * ffprobe, ffmpeg decodes and libjpeg traces at generation time; `measuredBy` says which).
 *
 * Some fixtures are derived here from committed files instead of being committed (a 200 KB junk
 * prefix, three 120 s MP3s back to back, a gzipped 2 MB WAV, MP3s followed by zero padding or by
 * APEv2 / Lyrics3v2 tags): the script built the same bytes and
 * recorded their SHA-256, checked before any truth about them is used.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures');

export interface FixtureTruth {
	/** what the probe must call it */
	format: string;
	width?: number;
	height?: number;
	durationSeconds?: number;
	measuredBy: string;
	/** codec name(s) as ffprobe reports them */
	codec?: string;
	streams?: string;
	/** ffprobe's length of the first audio stream (files with video) */
	audioSeconds?: number;
	/** a cut file: the uncut file's size and the bytes kept */
	cut?: { sourceBytes: number; presentBytes: number; sourceSeconds?: number; presentSeconds?: number };
	/** what libjpeg says while decoding it (djpeg) */
	libjpeg?: string;
	/** JPEG SOF marker, from libjpeg's trace */
	sof?: string;
	derived?: { recipe: string; sha256: string };
}

export const truths: Record<string, FixtureTruth> = JSON.parse(readFileSync(join(FIXTURES, 'fixtures.json'), 'utf8'));

/** Deterministic pseudo-random bytes (xorshift32, one byte per step), so a failure can be replayed. */
export function noise(length: number, seed: number): Buffer {
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

const file = (name: string): Buffer => readFileSync(join(FIXTURES, name));

/** The recipes of make-fixtures.sh's DERIVED section. */
const DERIVED: Record<string, () => Buffer> = {
	'junk-200k.mp3': () => Buffer.concat([noise(200 * 1024, 11), file('voice-vbr.mp3')]),
	'concat-3x120s.mp3': () => {
		const piece = file('lame-120s.mp3');
		return Buffer.concat([piece, piece, piece]);
	},
	'ms-adpcm-500s.wav': () => gunzipSync(file('ms-adpcm-500s.wav.gz')),
	'tail-zeros.mp3': () => Buffer.concat([file('voice.mp3'), Buffer.alloc(200000)]),
	'apev2-3mb.mp3': () => Buffer.concat([file('voice.mp3'), apev2Tag(Buffer.alloc(3 * 1024 * 1024, 0x41))]),
	'lyrics3-1.9s.mp3': () => {
		const text = Array.from({ length: 40 }, (_, k) => `[00:${String(k).padStart(2, '0')}]la la la la la la\r\n`).join('');
		return Buffer.concat([file('noxing-1.9s.mp3'), lyrics3v2Tag(text), id3v1Tag('lyrics fixture')]);
	},
};

/**
 * An APEv2 tag holding one binary item "Cover Art (Front)" (APEv2 specification,
 * wiki.hydrogenaud.io): 32-byte header and footer "APETAGEX", version 2000, size = items + footer,
 * item count, flags (bit 31 has a header, bit 29 this is the header). `header: false` gives the
 * footer-only layout of APEv1 / header-less APEv2.
 */
export function apev2Tag(value: Buffer, header = true): Buffer {
	const block = (size: number, isHeader: boolean): Buffer => {
		const h = Buffer.alloc(32);
		h.write('APETAGEX', 0, 'latin1');
		h.writeUInt32LE(header ? 2000 : 1000, 8);
		h.writeUInt32LE(size, 12);
		h.writeUInt32LE(1, 16);
		h.writeUInt32LE(((header ? 0x80000000 : 0) | (isHeader ? 0x20000000 : 0)) >>> 0, 20);
		return h;
	};
	const itemHead = Buffer.alloc(8);
	itemHead.writeUInt32LE(value.length, 0);
	itemHead.writeUInt32LE(2 << 1, 4);
	const item = Buffer.concat([itemHead, Buffer.from('Cover Art (Front)\0', 'latin1'), value]);
	const size = item.length + 32;
	return Buffer.concat([...(header ? [block(size, true)] : []), item, block(size, false)]);
}

/** A Lyrics3v2 tag (id3.org "Lyrics3v2"): LYRICSBEGIN, IND and LYR fields, 6-digit size, LYRICS200. */
export function lyrics3v2Tag(text: string): Buffer {
	const body = 'LYRICSBEGIN' + 'IND00002' + '10' + 'LYR' + String(text.length).padStart(5, '0') + text;
	return Buffer.from(body + String(body.length).padStart(6, '0') + 'LYRICS200', 'latin1');
}

/** A 128-byte ID3v1 tag (id3.org "ID3v1"): "TAG" then title, zero-filled. */
export function id3v1Tag(title: string): Buffer {
	const v1 = Buffer.alloc(128);
	v1.write('TAG' + title, 0, 'latin1');
	return v1;
}

const cache = new Map<string, Buffer>();

/** A fixture's bytes; derived ones are built once and checked against the recorded SHA-256. */
export function load(name: string): Buffer {
	const cached = cache.get(name);
	if (cached) return cached;
	const derive = DERIVED[name];
	let buf: Buffer;
	if (derive) {
		buf = derive();
		const sha = createHash('sha256').update(buf).digest('hex');
		if (sha !== truths[name]?.derived?.sha256) throw new Error(`${name}: derived bytes differ from make-fixtures.sh's (sha256 ${sha})`);
	} else {
		buf = file(name);
	}
	cache.set(name, buf);
	return buf;
}

export const imageFixtures = Object.keys(truths).filter((n) => truths[n].width !== undefined);
/** Audio fixtures with a length to match: every audio kind but the cut files, videos and video containers. */
export const audioFixtures = Object.keys(truths).filter((n) => truths[n].durationSeconds !== undefined);
/** Every audio fixture, including those without a length to match. */
export const allAudioFixtures = Object.keys(truths).filter((n) => truths[n].width === undefined);
