/**
 * The README's main job (headless): starts the Kling emulator on 127.0.0.1, loads the built
 * package into n8n's engine (n8n-core WorkflowExecute) and runs a Kling Avatar workflow:
 * portrait + voice as binary input → Create (validate, submit, wait, download) → the video is
 * written to demo-output/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmulator } from '../emulator/server';
import { Engine } from '../test/harness/engine';

const ROOT = resolve(__dirname, '../..');
const OUT = join(ROOT, 'demo-output');

async function main(): Promise<void> {
	const emulator = await startEmulator({ kling: { submittedMs: 1000, processingMs: 3000 } });
	const engine = await Engine.create({ packageDir: ROOT, binaryDataMode: 'filesystem' });
	try {
		console.log(`Kling emulator: ${emulator.url}`);
		const portrait = readFileSync(join(ROOT, 'emulator/assets/portrait.jpg'));
		const voice = readFileSync(join(ROOT, 'emulator/assets/voice.mp3'));
		const run = await engine.run({
			nodes: [
				{
					id: 'kling-avatar-demo',
					name: 'Kling Avatar',
					type: 'n8n-nodes-talking-avatar.klingAvatar',
					typeVersion: 1,
					position: [0, 0],
					credentials: { klingApi: { id: 'demo', name: 'Kling (emulator)' } },
					parameters: {
						resource: 'avatarVideo',
						operation: 'create',
						imageSource: 'binary',
						imageBinaryProperty: 'data',
						audioSource: 'binary',
						audioBinaryProperty: 'audio',
						prompt: 'A friendly presenter, looking into the camera',
						mode: 'std',
						waitForCompletion: true,
						maxWaitMinutes: 2,
						downloadVideo: true,
						videoBinaryProperty: 'video',
						options: { pollMinIntervalSeconds: 0.5 },
					},
				},
			],
			connections: {},
			items: [
				{
					json: { script: 'demo' },
					binary: {
						data: { data: portrait, fileName: 'portrait.jpg', mimeType: 'image/jpeg' },
						audio: { data: voice, fileName: 'voice.mp3', mimeType: 'audio/mpeg' },
					},
				},
			],
			credentials: {
				klingApi: {
					authentication: 'accessKey',
					accessKey: emulator.kling.config.accessKey,
					secretKey: emulator.kling.config.secretKey,
					region: 'custom',
					baseUrl: emulator.url,
				},
			},
		});
		if (run.status !== 'success') throw run.error ?? new Error(`workflow ended as ${run.status}`);
		mkdirSync(OUT, { recursive: true });
		for (const item of run.output('Kling Avatar')) {
			const video = await run.binaryBuffer(item, 'video');
			const file = join(OUT, item.binary?.video.fileName ?? `kling-avatar-${item.json.taskId}.mp4`);
			writeFileSync(file, video);
			console.log(`task ${item.json.taskId}: ${item.json.status} in ${(run.durationMs / 1000).toFixed(1)} s`);
			console.log(`video written: ${file} (${video.length} bytes, ${item.binary?.video.mimeType})`);
		}
	} finally {
		await engine.close();
		await emulator.close();
	}
}

main().catch((error: Error) => {
	console.error(`demo failed: ${error.message}`);
	process.exit(1);
});
