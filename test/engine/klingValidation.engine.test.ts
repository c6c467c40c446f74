import type { INodeParameters } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { InputBinary } from '../harness/engine';
import { fixture, runNode, startTestBed, type TestBed } from './setup';
import { createParams, klingCredentials, klingNode } from './kling.setup';

/** A PNG whose header says 512×640, padded to `bytes` (size is checked before anything else). */
function paddedPng(bytes: number): Buffer {
	const png = fixture('portrait.png');
	return Buffer.concat([png, Buffer.alloc(bytes - png.length)]);
}

/** A real PCM WAV (8 kHz, 8-bit mono) of the given length. */
function wav(seconds: number, sampleRate = 8000): Buffer {
	const dataBytes = Math.round(seconds * sampleRate);
	const header = Buffer.alloc(44);
	header.write('RIFF', 0);
	header.writeUInt32LE(36 + dataBytes, 4);
	header.write('WAVEfmt ', 8);
	header.writeUInt32LE(16, 16);
	header.writeUInt16LE(1, 20); // PCM
	header.writeUInt16LE(1, 22); // mono
	header.writeUInt32LE(sampleRate, 24);
	header.writeUInt32LE(sampleRate, 28); // byte rate
	header.writeUInt16LE(1, 32);
	header.writeUInt16LE(8, 34);
	header.write('data', 36);
	header.writeUInt32LE(dataBytes, 40);
	return Buffer.concat([header, Buffer.alloc(dataBytes, 0x80)]);
}

const bin = (data: Buffer, fileName: string, mimeType: string): InputBinary => ({ data, fileName, mimeType });
const portrait = bin(fixture('portrait.png'), 'portrait.png', 'image/png');
const voice = bin(fixture('voice.mp3'), 'voice.mp3', 'audio/mpeg');

interface BadCase {
	name: string;
	params?: INodeParameters;
	image?: InputBinary;
	audio?: InputBinary | null;
	message: RegExp;
}

const cases: BadCase[] = [
	{ name: 'tiny image (100×100)', image: bin(fixture('tiny.png'), 'tiny.png', 'image/png'), message: /"Image" in item 0: image is 100×100 px; each side must be at least 300 px/ },
	{ name: 'extreme aspect ratio (3:1)', image: bin(fixture('wide.png'), 'wide.png', 'image/png'), message: /image aspect ratio is 3(\.00)?:1 \(1200×400 px\); it must be between 1:2\.5 and 2\.5:1/ },
	{ name: '11 MB image', image: bin(paddedPng(11 * 1024 * 1024), 'big.png', 'image/png'), message: /image is 11\.0 MB; the limit is 10\.0 MB/ },
	{ name: 'GIF image', image: bin(fixture('anim.gif'), 'anim.gif', 'image/gif'), message: /image format is gif; allowed: jpg, jpeg, png/ },
	{ name: 'PNG content with a .jpg name (content decides)', image: bin(fixture('tiny.png'), 'looks-fine.jpg', 'image/jpeg'), message: /100×100 px/ },
	{ name: 'an audio file given as the image', image: bin(fixture('voice.mp3'), 'voice.mp3', 'audio/mpeg'), message: /image format could not be recognised from its content/ },
	{ name: '1 s audio', audio: bin(fixture('short.wav'), 'short.wav', 'audio/wav'), message: /"Audio" in item 0: audio is 1(\.0)? s long; it must be between 2 and 300 s/ },
	{ name: '301 s audio', audio: bin(wav(301), 'long.wav', 'audio/wav'), message: /audio is 301(\.0)? s long; it must be between 2 and 300 s/ },
	{ name: '6 MB audio', audio: bin(wav(6 * 1024 * 1024 / 8000), 'big.wav', 'audio/wav'), message: /audio is 6\.0 MB; the limit is 5\.0 MB/ },
	{ name: 'unsupported audio format (ogg)', audio: bin(fixture('voice.ogg'), 'voice.ogg', 'audio/ogg'), message: /audio format is ogg; allowed: mp3, wav, m4a, aac/ },
	{ name: 'unknown audio bytes named .mp3', audio: bin(Buffer.alloc(40_000, 7), 'noise.mp3', 'audio/mpeg'), message: /audio format could not be recognised from its content/ },
	// "Both audio sources" cannot be expressed: the UI offers exactly one Audio Source. These are the "neither" shapes.
	{ name: 'no audio: the binary property is missing', audio: null, message: /"Audio" in item 0: no binary property "audio"/ },
	{ name: 'no audio: empty audio ID', params: { audioSource: 'audioId', audioId: '  ' }, message: /"Audio ID" in item 0: the audio ID is empty/ },
	{ name: 'no audio: empty audio URL', params: { audioSource: 'url', audioUrl: '={{ $json.missing ?? "" }}' }, message: /"Audio" in item 0: the URL is empty/ },
	{ name: 'prompt of 2501 characters', params: { prompt: 'x'.repeat(2501) }, message: /"Prompt" in item 0: the prompt has 2501 characters; the limit is 2500/ },
	{ name: 'malformed image URL', params: { imageSource: 'url', imageUrl: 'htp//portrait' }, message: /"Image" in item 0: "htp\/\/portrait" is not a valid URL/ },
	{ name: 'local path as image URL', params: { imageSource: 'url', imageUrl: '/home/me/portrait.png' }, message: /is a local file path/ },
	{ name: 'file: URL as audio URL', params: { audioSource: 'url', audioUrl: 'file:///tmp/voice.mp3' }, message: /is a local file path/ },
	{ name: 'ftp URL', params: { imageSource: 'url', imageUrl: 'ftp://example.com/p.png' }, message: /uses ftp; only http and https URLs are accepted/ },
	{ name: 'invalid Base64 image', params: { imageSource: 'base64', imageBase64: 'this is *not* base64!' }, message: /not valid Base64/ },
	{ name: 'Base64 that is not an image', params: { imageSource: 'base64', imageBase64: Buffer.from('just some text, not a picture').toString('base64') }, message: /image format could not be recognised/ },
	{ name: 'a data: URL that is not Base64', params: { audioSource: 'base64', audioBase64: 'data:audio/mpeg,abc' }, message: /the data: URL is not Base64-encoded/ },
	{ name: 'malformed callback URL', params: { options: { callbackUrl: 'not a url' } }, message: /"Callback URL" in item 0/ },
];

describe('Kling Avatar: bad input is refused before any paid request', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed();
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('has at least 15 cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));

	it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
		const { emulator, engine } = bed;
		const binary: Record<string, InputBinary> = { data: c.image ?? portrait };
		if (c.audio !== null) binary.audio = c.audio ?? voice;
		const run = await runNode(engine, klingNode(createParams(c.params)), [{ json: {}, binary }], klingCredentials(emulator));
		expect(run.status).toBe('error');
		const error = run.nodeError('Node');
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toMatch(c.message);
		expect((error as NodeOperationError).description).toMatch(/nothing was sent to Kling/);
		expect(emulator.kling.counters.createRequests).toBe(0);
		expect(emulator.kling.requests).toHaveLength(0);
	});
});

/** portrait.jpg (600×800) with 320 KB of APP segments before its frame header. */
function jpegWithLargeHeader(): Buffer {
	const jpeg = fixture('portrait.jpg');
	const app = Buffer.alloc(65_535 + 2, 0x20);
	app[0] = 0xff;
	app[1] = 0xe2; // APP2
	app.writeUInt16BE(65_535, 2);
	return Buffer.concat([jpeg.subarray(0, 2), app, app, app, app, app, jpeg.subarray(2)]);
}

describe.each(['default', 'filesystem'] as const)('Kling Avatar image checks read only the header (%s binary mode)', (mode) => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 50, processingMs: 100 } }, { binaryDataMode: mode });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('still refuses an 11 MB image by its stored size', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(createParams()), [{ json: {}, binary: { data: bin(paddedPng(11 * 1024 * 1024), 'big.png', 'image/png'), audio: voice } }], klingCredentials(emulator));
		expect(run.nodeError('Node')?.message).toMatch(/image is 11\.0 MB; the limit is 10\.0 MB/);
		expect(emulator.kling.counters.createRequests).toBe(0);
	});

	it('measures a JPEG whose frame header lies beyond the first 256 KB by reading it all', async () => {
		const { emulator, engine } = bed;
		const image = jpegWithLargeHeader();
		expect(image.length).toBeGreaterThan(256 * 1024);
		const run = await runNode(engine, klingNode(createParams({ downloadVideo: false })), [{ json: {}, binary: { data: bin(image, 'exif.jpg', 'image/jpeg'), audio: voice } }], klingCredentials(emulator));
		expect(run.status).toBe('success');
		expect(emulator.kling.tasks()[0].body.image).toBe(image.toString('base64'));
	});
});
