/**
 * P4b: one task whose result video is 200 MB, downloaded with the filesystem binary-data mode.
 * Baseline: RSS after a full GC just before the run (engine and a warm-up run in place).
 */
import { createEngine, credentialsFor, emit, fixture, klingCreateNode, mb, measureRss, MiB, startRemoteEmulator } from '../lib/common';

async function main(): Promise<void> {
	const VIDEO = 200 * MiB;
	const emu = await startRemoteEmulator({ concurrencyLimit: 10, submittedMs: 200, processingMs: 800, resultVideoBytes: VIDEO });
	const engine = await createEngine({ binaryDataMode: 'filesystem' });
	const node = klingCreateNode({ downloadVideo: true, options: { pollMinIntervalSeconds: 0.5, pollMaxIntervalSeconds: 1 } });
	const creds = credentialsFor(emu);
	const item = () => [{ json: {}, binary: { data: { data: fixture('portrait.png'), fileName: 'p.png', mimeType: 'image/png' }, audio: { data: fixture('voice.mp3'), fileName: 'v.mp3', mimeType: 'audio/mpeg' } } }];
	await engine.run({ nodes: [node], connections: {}, items: item(), credentials: creds });
	const m = await measureRss(() => engine.run({ nodes: [node], connections: {}, items: item(), credentials: creds }));
	const run = m.result;
	const [out] = run.output('Kling');
	const size = Number(out?.binary?.video?.fileSize ?? 0) || (out?.binary?.video ? (await run.binaryBuffer(out, 'video')).length : 0);
	emit([
		{
			id: 'P4b',
			what: 'a 200 MB result video downloaded, filesystem mode: RSS growth',
			value: mb(m.peak - m.baseline),
			unit: 'MB',
			limit: 64,
			target: '≤ 64 MB',
			ok: run.status === 'success' && out?.json.status === 'succeeded' && !!out.binary?.video,
			details: { baselineMB: mb(m.baseline), peakSampledMB: mb(m.peakSampled), peakKernelMB: m.peakKernel === undefined ? null : mb(m.peakKernel), fileSize: out?.binary?.video?.fileSize, sizeChecked: size, wallS: run.durationMs / 1000 },
		},
	]);
	await engine.close();
	await emu.close();
}

void main().then(() => process.exit(0));
