/** P1 / P1b: wall time of one batch of 50 items waited on together. */
import { createEngine, credentialsFor, emit, fixture, klingCreateNode, startRemoteEmulator } from './common';

export async function batchWall(id: 'P1' | 'P1b', concurrencyLimit: number): Promise<void> {
	const T = 20_000;
	const items = 50;
	const emu = await startRemoteEmulator({ concurrencyLimit, submittedMs: 2_000, processingMs: T - 2_000 });
	const engine = await createEngine();
	const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
	const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
	const input = Array.from({ length: items }, (_, n) => ({ json: { n }, binary: { data: portrait, audio: voice } }));
	// Download Video on: the sample result (≈ 60 KB) is fetched for every item inside the measured time.
	const run = await engine.run({ nodes: [klingCreateNode({ downloadVideo: true })], connections: {}, items: input, credentials: credentialsFor(emu) });
	const out = run.output('Kling');
	const failed = out.filter((i) => i.json.error !== undefined || i.json.status !== 'succeeded').length + (items - out.length);
	const stats = await emu.stats();
	const ext = stats.tasks.map((t) => t.externalTaskId);
	const duplicates = stats.counters.createAccepted - new Set(ext).size + (stats.counters.createAccepted - items);
	const waves = Math.ceil(items / concurrencyLimit);
	const limit = 1.15 * waves * T;
	const lastFinished = Math.max(...stats.tasks.map((t) => t.finishedAt ?? 0));
	const firstCreated = Math.min(...stats.tasks.map((t) => t.createdAt));
	emit([
		{
			id,
			what: `${items} items, T = ${T / 1000} s, concurrency limit ${concurrencyLimit}${concurrencyLimit < items ? ' (1303 beyond)' : ''}, Download Video on`,
			value: run.durationMs / 1000,
			unit: 's',
			limit: limit / 1000,
			target: `≤ 1.15 × ${waves > 1 ? `${waves} × ` : ''}T = ${(limit / 1000).toFixed(1)} s${waves > 1 ? ', 0 failed, 0 duplicates' : ''} (item after item: ${(items * T) / 1000} s)`,
			ok: run.status === 'success' && failed === 0 && duplicates === 0,
			details: {
				status: run.status,
				failed,
				duplicates,
				createRequests: stats.counters.createRequests,
				createAccepted: stats.counters.createAccepted,
				statusRequests: stats.counters.getRequests,
				downloads: stats.counters.downloads,
				emulatorSpanS: (lastFinished - firstCreated) / 1000,
				sequentialBaselineS: (items * T) / 1000,
			},
		},
	]);
	await engine.close();
	await emu.close();
}
