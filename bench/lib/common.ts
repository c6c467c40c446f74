/**
 * Shared helpers of the benchmark figures: the emulator child process, the n8n engine on the
 * built package, synthetic media, RSS sampling and the result protocol. Dev-only code.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INode, INodeParameters } from 'n8n-workflow';
import type { KlingConfig } from '../../emulator/kling';
import { Engine, type EngineOptions } from '../../test/harness/engine';
import type { EmulatorStats } from './emulatorProcess';

export const REPO_DIR = resolve(__dirname, '../../..');
/** The built package under test: this repo (after `npm run build`) or a private build-to copy. */
export const PACKAGE_DIR = process.env.BENCH_PACKAGE_DIR ? resolve(process.env.BENCH_PACKAGE_DIR) : REPO_DIR;
export const fixture = (name: string): Buffer => readFileSync(join(REPO_DIR, 'test/fixtures', name));

/** What a figure process prints (one JSON line on stdout). `rows` become table lines. */
export interface FigureRow {
	id: string;
	what: string;
	/** The headline value compared with the target (unit in `unit`). */
	value: number;
	unit: string;
	/** Upper bound for `value`. */
	limit: number;
	/** Shown as the target, e.g. "≤ 1.15 × T = 23.0 s". */
	target: string;
	/** Extra facts worth keeping (baselines, counts). */
	details?: Record<string, unknown>;
	/** Hard conditions besides the value (e.g. zero failed items). */
	ok?: boolean;
}

export function emit(rows: FigureRow[]): void {
	process.stdout.write(`\n@@RESULT@@${JSON.stringify(rows)}\n`);
}

export interface RemoteEmulator {
	url: string;
	accessKey: string;
	secretKey: string;
	stats(): Promise<EmulatorStats>;
	reset(): Promise<void>;
	close(): Promise<void>;
}

/** Starts the emulator in a child process (plain-data config only). */
export function startRemoteEmulator(config: Partial<KlingConfig>): Promise<RemoteEmulator> {
	const child: ChildProcess = fork(join(__dirname, 'emulatorProcess.js'), [JSON.stringify(config)], {
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		execArgv: ['--max-old-space-size=8192'],
	});
	const ask = <T>(cmd: string, key: string): Promise<T> =>
		new Promise((res) => {
			const on = (msg: Record<string, unknown>) => {
				if (key in msg) {
					child.off('message', on);
					res(msg[key] as T);
				}
			};
			child.on('message', on);
			child.send({ cmd });
		});
	return new Promise((res, rej) => {
		child.once('error', rej);
		child.once('message', (msg: { ready: { url: string; accessKey: string; secretKey: string } }) => {
			res({
				...msg.ready,
				stats: () => ask<EmulatorStats>('stats', 'stats'),
				reset: async () => void (await ask('reset', 'reset')),
				close: () =>
					new Promise<void>((done) => {
						child.once('exit', () => done());
						child.send({ cmd: 'close' });
					}),
			});
		});
	});
}

export const credentialsFor = (emu: RemoteEmulator) => ({
	klingApi: { authentication: 'accessKey', accessKey: emu.accessKey, secretKey: emu.secretKey, region: 'custom', baseUrl: emu.url },
});

export function createEngine(options: Partial<EngineOptions> = {}): Promise<Engine> {
	return Engine.create({ packageDir: PACKAGE_DIR, ...options });
}

export function klingCreateNode(parameters: INodeParameters): INode {
	return {
		id: 'kling-bench',
		name: 'Kling',
		type: 'n8n-nodes-talking-avatar.klingAvatar',
		typeVersion: 1,
		position: [0, 0],
		credentials: { klingApi: { id: '1', name: 'Kling (emulator)' } },
		parameters: {
			resource: 'avatarVideo',
			operation: 'create',
			imageSource: 'binary',
			imageBinaryProperty: 'data',
			audioSource: 'binary',
			audioBinaryProperty: 'audio',
			mode: 'std',
			waitForCompletion: true,
			maxWaitMinutes: 15,
			downloadVideo: false,
			videoBinaryProperty: 'video',
			options: {},
			...parameters,
		},
	};
}

// ─────────────────────────────── synthetic media ───────────────────────────────

const CRC_TABLE = (() => {
	const t = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		t[n] = c >>> 0;
	}
	return t;
})();
function crc32(buf: Buffer): number {
	let c = 0xffffffff;
	for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(data.length, 0);
	head.write(type, 4, 'latin1');
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
	return Buffer.concat([head, data, crc]);
}
/** Deterministic noise (incompressible, like real image data). */
export function noise(bytes: number, seed = 1): Buffer {
	const out = Buffer.allocUnsafe(bytes);
	let x = seed >>> 0 || 1;
	for (let i = 0; i + 4 <= bytes; i += 4) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out.writeUInt32LE(x >>> 0, i);
	}
	for (let i = bytes - (bytes % 4); i < bytes; i++) out[i] = i & 0xff;
	return out;
}

/** A PNG of exactly `bytes` bytes: the 16 KB portrait fixture plus a private ancillary chunk of noise. */
export function pngOfSize(bytes: number, seed = 1): Buffer {
	const base = fixture('portrait.png');
	const iendAt = base.length - 12;
	const fill = bytes - base.length - 12;
	return Buffer.concat([base.subarray(0, iendAt), pngChunk('ruNd', noise(fill, seed)), base.subarray(iendAt)]);
}

/** A PCM WAV (16 kHz mono 16-bit) of exactly `bytes` bytes. */
export function wavOfSize(bytes: number, seed = 2): Buffer {
	const dataBytes = bytes - 44;
	const h = Buffer.alloc(44);
	h.write('RIFF', 0, 'latin1');
	h.writeUInt32LE(bytes - 8, 4);
	h.write('WAVEfmt ', 8, 'latin1');
	h.writeUInt32LE(16, 16);
	h.writeUInt16LE(1, 20);
	h.writeUInt16LE(1, 22);
	h.writeUInt32LE(16000, 24);
	h.writeUInt32LE(32000, 28);
	h.writeUInt16LE(2, 32);
	h.writeUInt16LE(16, 34);
	h.write('data', 36, 'latin1');
	h.writeUInt32LE(dataBytes, 40);
	return Buffer.concat([h, noise(dataBytes, seed)]);
}

/** A CBR MP3 (MPEG-1 Layer III, 160 kb/s, 44.1 kHz) of about `bytes` bytes: every frame must be walked. */
export function mp3OfSize(bytes: number): Buffer {
	const frameLen = Math.floor((144 * 160_000) / 44_100); // 522
	const frames = Math.floor(bytes / frameLen);
	const frame = Buffer.alloc(frameLen);
	frame[0] = 0xff;
	frame[1] = 0xfb; // MPEG-1, Layer III, no CRC
	frame[2] = 0xa0; // 160 kb/s, 44.1 kHz, no padding
	frame[3] = 0xc4; // mono
	noise(frameLen - 4, 3).copy(frame, 4);
	return Buffer.concat(Array.from({ length: frames }, () => frame));
}

export const MiB = 1024 * 1024;

// ─────────────────────────────── measurement ───────────────────────────────

export const median = (xs: number[]): number => {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const rss = (): number => process.memoryUsage.rss();

export function gcNow(): void {
	const g = (globalThis as { gc?: () => void }).gc;
	if (g) {
		g();
		g();
	}
}

/** Resets the kernel's peak-RSS counter (VmHWM) of this process; false when not allowed. */
function resetPeak(): boolean {
	try {
		writeFileSync('/proc/self/clear_refs', '5');
		return true;
	} catch {
		return false;
	}
}
function kernelPeak(): number | undefined {
	try {
		const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		return m ? Number(m[1]) * 1024 : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Runs `fn` and reports RSS growth over the baseline taken just before it (after a full GC):
 * the peak of 20 ms samples and, where Linux allows, the kernel's exact peak (VmHWM).
 */
/**
 * Peak RSS growth while `fn` runs. `fn` may call `markStart` (e.g. as the harness's
 * beforeExecute) to take the baseline later: after the harness stored the input items, so what
 * is measured is what the node holds, not the test's own setup.
 */
export async function measureRss<T>(
	fn: (markStart: () => void) => Promise<T>,
): Promise<{ result: T; baseline: number; peakSampled: number; peakKernel?: number; peak: number }> {
	gcNow();
	let baseline = rss();
	let kernel = resetPeak();
	let peakSampled = baseline;
	const markStart = () => {
		gcNow();
		baseline = rss();
		kernel = resetPeak();
		peakSampled = baseline;
	};
	const timer = setInterval(() => {
		const r = rss();
		if (r > peakSampled) peakSampled = r;
	}, 20);
	let result: T;
	try {
		result = await fn(markStart);
	} finally {
		clearInterval(timer);
	}
	peakSampled = Math.max(peakSampled, rss());
	const peakKernel = kernel ? kernelPeak() : undefined;
	return { result, baseline, peakSampled, peakKernel, peak: Math.max(peakSampled, peakKernel ?? 0) };
}

export const mb = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10;
