/**
 * Binary inputs where n8n keeps files on disk (filesystem mode, n8n 2.x's default), through
 * n8n-core's real BinaryDataService.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createParams, klingCredentials, klingNode } from './kling.setup';
import { fixture, runNode, startTestBed, type TestBed } from './setup';

const item = () => ({
	json: {},
	binary: {
		data: { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' },
		audio: { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' },
	},
});

describe('binary inputs in filesystem mode', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 50, processingMs: 150 } }, { binaryDataMode: 'filesystem' });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('a binary whose stored file is gone: says so (not "no binary property"), and nothing is sent', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, klingNode(createParams()), [item()], klingCredentials(emulator), {
			// n8n pruned the files behind the item (e.g. with an old execution) before the node ran.
			beforeExecute: () => rmSync(join(engine.userFolder, 'storage'), { recursive: true, force: true }),
		});
		expect(run.status).toBe('error');
		expect(run.nodeError('Node')?.message).toMatch(/^Invalid "Image" in item 0: the stored file behind binary property "data" could not be read \(.*\): n8n may have deleted it/);
		expect(emulator.kling.counters.createRequests).toBe(0);
	});

	it('Base64 source given {{ $binary.data.data }}: points to Binary File instead of "not valid Base64"', async () => {
		const { emulator, engine } = bed;
		const node = klingNode(createParams({ imageSource: 'base64', imageBase64: '={{ $binary.data.data }}' }));
		const run = await runNode(engine, node, [item()], klingCredentials(emulator));
		expect(run.nodeError('Node')?.message).toMatch(/^Invalid "Image \(Base64\)" in item 0: expected Base64 text but got nothing \(undefined\); n8n expressions do not give a binary file's content: choose Binary File/);
		expect(emulator.kling.counters.createRequests).toBe(0);
	});
});
