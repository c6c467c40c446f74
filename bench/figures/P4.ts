/**
 * P4: two figures, 20 and 60 items × (10 MB PNG + 5 MB WAV), each measured in a fresh child process
 * (this file with `--items N`), Create with wait and download, filesystem binary-data
 * mode (the inputs live on disk as in a production n8n, so what grows is what the node holds).
 * Baseline: RSS after a full GC at the moment n8n starts executing: the engine, a warm-up run and
 * the 20 input items already stored by the harness (in real n8n the previous node stored them).
 * Peak: the highest RSS seen during the run (20 ms samples and, on Linux, the kernel's VmHWM).
 * Target (issue 13): memory must not grow with the batch: 60 items ≤ 1.25 × the 20-item growth.
 * The 20-item growth is the reference, printed without a target of its own: it is a floor of
 * ~100 MB that neither the batch size nor the creates in flight move (README "Performance").
 */
import { spawn } from 'node:child_process';
import type { FigureRow } from '../lib/common';
import { createEngine, credentialsFor, emit, fixture, klingCreateNode, mb, measureRss, MiB, pngOfSize, startRemoteEmulator, wavOfSize } from '../lib/common';

const SIZES = [20, 60];
const itemsArg = process.argv.indexOf('--items');
const ITEMS = itemsArg > 0 ? Number(process.argv[itemsArg + 1]) : 0;

/** One size in a fresh process (same flags, e.g. --expose-gc); resolves its row. */
function measureIn(items: number): Promise<FigureRow> {
	return new Promise((done, fail) => {
		const child = spawn(process.execPath, [...process.execArgv, __filename, '--items', String(items)], { stdio: ['ignore', 'pipe', 'inherit'] });
		let out = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.on('exit', (code) => {
			const line = out.split('\n').find((l) => l.startsWith('@@RESULT@@'));
			if (!line) return fail(new Error(`P4 ${items} items: no result (exit ${code})\n${out.slice(-1000)}`));
			done((JSON.parse(line.slice('@@RESULT@@'.length)) as FigureRow[])[0]);
		});
	});
}

async function both(): Promise<void> {
	const [r20, r60] = [await measureIn(SIZES[0]), await measureIn(SIZES[1])];
	const ratio = r60.value / r20.value;
	emit([
		{ ...r20, id: 'P4 (20)', limit: null, target: 'reference for P4 (60)' },
		{
			...r60,
			id: 'P4 (60)',
			// Compared with the 20-item growth of the same run (the same machine state), in every run.
			limit: null,
			target: '≤ 1.25 × the 20-item growth of the same run, in every run',
			ok: r60.ok !== false && ratio <= 1.25,
			details: { ...r60.details, ratioTo20: Math.round(ratio * 100) / 100 },
		},
	]);
}

async function main(): Promise<void> {
	const emu = await startRemoteEmulator({ concurrencyLimit: 100, submittedMs: 500, processingMs: 1_500 });
	const engine = await createEngine({ binaryDataMode: 'filesystem' });
	const image = pngOfSize(10 * MiB - 4096, 11);
	const audio = wavOfSize(5 * MiB - 4096, 12);
	const payload = image.length + audio.length;
	const node = klingCreateNode({ downloadVideo: true, options: { pollMinIntervalSeconds: 0.5, pollMaxIntervalSeconds: 1 } });
	const creds = credentialsFor(emu);
	const items = (n: number, big: boolean) =>
		Array.from({ length: n }, (_, i) => ({
			json: { i },
			binary: big
				? { data: { data: image, fileName: 'big.png', mimeType: 'image/png' }, audio: { data: audio, fileName: 'long.wav', mimeType: 'audio/wav' } }
				: { data: { data: fixture('portrait.png'), fileName: 'p.png', mimeType: 'image/png' }, audio: { data: fixture('voice.mp3'), fileName: 'v.mp3', mimeType: 'audio/mpeg' } },
		}));
	await engine.run({ nodes: [node], connections: {}, items: items(2, false), credentials: creds });
	await emu.reset();
	const input = items(ITEMS, true);
	const m = await measureRss((markStart) => engine.run({ nodes: [node], connections: {}, items: input, credentials: creds, beforeExecute: markStart }));
	const run = m.result;
	const ok = run.status === 'success' && run.output('Kling').filter((i) => i.json.status === 'succeeded').length === ITEMS;
	const growth = m.peak - m.baseline;
	emit([
		{
			id: 'P4',
			what: `${ITEMS} items × (10 MB PNG + 5 MB WAV), with wait + download, filesystem mode: peak RSS growth`,
			value: mb(growth),
			unit: 'MB',
			limit: null,
			target: 'set by the caller',
			ok,
			details: {
				status: run.status,
				error: run.error?.message,
				baselineMB: mb(m.baseline),
				peakSampledMB: mb(m.peakSampled),
				peakKernelMB: m.peakKernel === undefined ? null : mb(m.peakKernel),
				payloadMB: mb(payload),
				wallS: run.durationMs / 1000,
			},
		},
	]);
	await engine.close();
	await emu.close();
}

void (ITEMS ? main() : both()).then(() => process.exit(0));
