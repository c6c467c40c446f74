/**
 * Shared helpers of the benchmark figures: the emulator child process, the n8n engine on the
 * built package, synthetic media, RSS sampling and the result protocol. Dev-only code.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INode, INodeParameters } from 'n8n-workflow';
import { Engine, type EngineOptions } from '../../test/harness/engine';
import type { EmulatorStats, RemoteEmulatorConfig } from './emulatorProcess';
import { MiB, pngOfSize as pngOfSizeFrom } from '../../test/fixtures/sizedMedia';

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
	/** Upper bound for `value`; null: a reference figure without a target of its own. */
	limit: number | null;
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

/** Starts the emulator in a child process (plain-data config only; see RemoteEmulatorConfig). */
export function startRemoteEmulator(config: RemoteEmulatorConfig): Promise<RemoteEmulator> {
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

/** Wait, Max Wait, Download and Options, as Create and Get share them. */
const WAIT_PARAMETERS: INodeParameters = { waitForCompletion: true, maxWaitMinutes: 15, downloadVideo: false, videoBinaryProperty: 'video', options: {} };

function klingNode(parameters: INodeParameters): INode {
	return {
		id: 'kling-bench',
		name: 'Kling',
		type: 'n8n-nodes-talking-avatar.klingAvatar',
		typeVersion: 1,
		position: [0, 0],
		credentials: { klingApi: { id: '1', name: 'Kling (emulator)' } },
		parameters,
	};
}

export function klingCreateNode(parameters: INodeParameters): INode {
	return klingNode({
		resource: 'avatarVideo',
		operation: 'create',
		imageSource: 'binary',
		imageBinaryProperty: 'data',
		audioSource: 'binary',
		audioBinaryProperty: 'audio',
		mode: 'std',
		...WAIT_PARAMETERS,
		...parameters,
	});
}

/** A Kling Avatar Video Get node (same name as klingCreateNode's), e.g. to collect tasks by ID. */
export function klingGetNode(parameters: INodeParameters): INode {
	return klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId: '={{ $json.taskId }}', ...WAIT_PARAMETERS, ...parameters });
}

// ─────────────────────────────── synthetic media ───────────────────────────────

export { MiB, mp3OfSize, noise, wavOfSize } from '../../test/fixtures/sizedMedia';
/** A PNG of exactly `bytes` bytes built on the portrait fixture. */
export const pngOfSize = (bytes: number, seed = 1): Buffer => pngOfSizeFrom(fixture('portrait.png'), bytes, seed);


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
