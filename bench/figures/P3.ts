/**
 * P3: 200 items, Create without wait, a 1 MB PNG (+ the 12 KB voice fixture) each, through the
 * n8n engine — against a bare script that makes the same 200 POSTs (same JSON bodies with the
 * Base64 media, same JWT auth, same concurrency 10) with Node's fetch. Both in this process,
 * against the emulator in its own process; the node's time is the engine's execution time.
 */
import { klingJwt } from '../../emulator/jwt';
import { createEngine, credentialsFor, emit, fixture, klingCreateNode, MiB, pngOfSize, startRemoteEmulator } from '../lib/common';

const ITEMS = 200;
const CONCURRENCY = 10;

async function bare(url: string, ak: string, sk: string, image: Buffer, audio: Buffer, n: number, tag: string): Promise<number> {
	const started = performance.now();
	let next = 0;
	const worker = async () => {
		for (;;) {
			const i = next++;
			if (i >= n) return;
			const body = JSON.stringify({
				image: image.toString('base64'),
				mode: 'std',
				external_task_id: `bare-${tag}-${i}`,
				sound_file: audio.toString('base64'),
			});
			const res = await fetch(`${url}/v1/videos/avatar/image2video`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${klingJwt(ak, sk)}` },
				body,
			});
			const json = (await res.json()) as { code: number };
			if (json.code !== 0) throw new Error(`bare create ${i} failed: ${JSON.stringify(json)}`);
		}
	};
	await Promise.all(Array.from({ length: CONCURRENCY }, worker));
	return performance.now() - started;
}

async function main(): Promise<void> {
	const emu = await startRemoteEmulator({ concurrencyLimit: 100_000, submittedMs: 50, processingMs: 50 });
	const engine = await createEngine();
	const image = pngOfSize(1 * MiB, 7);
	const audio = fixture('voice.mp3');
	const items = (n: number) =>
		Array.from({ length: n }, (_, i) => ({
			json: { i },
			binary: { data: { data: image, fileName: 'portrait.png', mimeType: 'image/png' }, audio: { data: audio, fileName: 'voice.mp3', mimeType: 'audio/mpeg' } },
		}));
	const node = klingCreateNode({ waitForCompletion: false, downloadVideo: false });
	const creds = credentialsFor(emu);

	// Warm-up of both paths (JIT, sockets), not measured.
	await engine.run({ nodes: [node], connections: {}, items: items(10), credentials: creds });
	await bare(emu.url, emu.accessKey, emu.secretKey, image, audio, 10, 'warm');
	await emu.reset();

	const order = process.argv.includes('--bare-first') ? ['bare', 'node'] : ['node', 'bare'];
	let nodeMs = 0;
	let bareMs = 0;
	let nodeOk = false;
	for (const which of order) {
		if (which === 'node') {
			const run = await engine.run({ nodes: [node], connections: {}, items: items(ITEMS), credentials: creds });
			nodeMs = run.durationMs;
			nodeOk = run.status === 'success' && run.output('Kling').every((i) => i.json.status === 'submitted' || i.json.status === 'processing');
		} else {
			bareMs = await bare(emu.url, emu.accessKey, emu.secretKey, image, audio, ITEMS, String(Date.now()));
		}
	}
	const stats = await emu.stats();
	emit([
		{
			id: 'P3',
			what: `${ITEMS} items, Create without wait, 1 MB PNG each; node ÷ bare fetch script (same ${ITEMS} POSTs, concurrency ${CONCURRENCY})`,
			value: nodeMs / bareMs,
			unit: '×',
			limit: 1.1,
			target: '≤ 1.10 × bare fetch',
			ok: nodeOk && stats.counters.createAccepted === 2 * ITEMS,
			details: { nodeS: nodeMs / 1000, bareS: bareMs / 1000, createAccepted: stats.counters.createAccepted, order: order.join(',') },
		},
	]);
	await engine.close();
	await emu.close();
}

void main().then(() => process.exit(0));
