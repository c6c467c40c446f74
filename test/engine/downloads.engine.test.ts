/**
 * Results downloaded as n8n binary data, in n8n-core's real BinaryDataService, against the emulator.
 */
import { createParams, klingCredentials, klingNode } from './kling.setup';
import { fixture, runNode, startTestBed, type TestBed } from './setup';

const item = () => ({
	json: {},
	binary: {
		data: { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' },
		audio: { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' },
	},
});

describe('downloads and n8n\'s binary-data mode', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 50, processingMs: 150, concurrencyLimit: 50 } });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	it('in-memory mode: a 420 MB result is refused from its size before the body is read, with the cause and the way out', async () => {
		const { emulator, engine } = bed;
		emulator.kling.config.resultVideoBytes = 420 * 1024 * 1024;
		const started = Date.now();
		const run = await runNode(engine, klingNode(createParams()), [item()], klingCredentials(emulator));
		expect(run.status).toBe('error');
		const error = run.nodeError('Node');
		expect(error?.message).toMatch(/^The result is 420 MB: too big for n8n's in-memory binary data \(at most about 400 MB per file\)/);
		expect(String((error as { description?: string }).description)).toMatch(/N8N_DEFAULT_BINARY_DATA_MODE=filesystem/);
		expect(emulator.kling.counters.downloads).toBe(1); // once, and abandoned after the headers
		expect(Date.now() - started).toBeLessThan(10_000);
	});
});
