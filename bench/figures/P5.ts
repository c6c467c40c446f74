/**
 * P5: the node's pre-flight probe + check of a 10 MB PNG and a 5 MB audio file (the pure functions
 * of the built package, with Kling's limits), median of 20 runs after 3 warm-ups. Measured for a
 * WAV (header only) and a CBR MP3 (frames walked); the headline is the slower pair.
 */
import { join } from 'node:path';
import { emit, median, MiB, mp3OfSize, PACKAGE_DIR, pngOfSize, wavOfSize } from '../lib/common';

type Check = (buffer: Buffer, limits: unknown) => { message: string } | null;

function main(): void {
	const validate = require(join(PACKAGE_DIR, 'dist/nodes/shared/media/validateMedia.js')) as { checkImage: Check; checkAudio: Check };
	const limits = require(join(PACKAGE_DIR, 'dist/nodes/KlingAvatar/limits.js')) as { KLING_IMAGE_LIMITS: unknown; KLING_AUDIO_LIMITS: unknown };
	const image = pngOfSize(10 * MiB - 4096, 21);
	const audios = { wav: wavOfSize(5 * MiB - 4096, 22), mp3: mp3OfSize(5 * MiB - 4096) };
	const results: Record<string, { medianMs: number; minMs: number; maxMs: number; imageViolation: string | null; audioViolation: string | null }> = {};
	for (const [name, audio] of Object.entries(audios)) {
		const times: number[] = [];
		let iv: { message: string } | null = null;
		let av: { message: string } | null = null;
		for (let r = 0; r < 23; r++) {
			const t0 = performance.now();
			iv = validate.checkImage(image, limits.KLING_IMAGE_LIMITS);
			av = validate.checkAudio(audio, limits.KLING_AUDIO_LIMITS);
			const dt = performance.now() - t0;
			if (r >= 3) times.push(dt);
		}
		results[name] = {
			medianMs: Math.round(median(times) * 1000) / 1000,
			minMs: Math.round(Math.min(...times) * 1000) / 1000,
			maxMs: Math.round(Math.max(...times) * 1000) / 1000,
			imageViolation: iv?.message ?? null,
			audioViolation: av?.message ?? null,
		};
	}
	const worst = Math.max(...Object.values(results).map((r) => r.medianMs));
	emit([
		{
			id: 'P5',
			what: 'probe + validate a 10 MB PNG + 5 MB audio (WAV and CBR MP3; slower pair), median of 20',
			value: worst,
			unit: 'ms',
			limit: 20,
			target: '≤ 20 ms',
			ok: Object.values(results).every((r) => r.imageViolation === null && r.audioViolation === null),
			details: results,
		},
	]);
}

main();
