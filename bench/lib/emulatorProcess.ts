/**
 * The Kling emulator in its own process, driven over IPC, so the benchmarked process measures
 * only the node's memory and CPU (the emulator parses every 20 MB request body). Dev-only code.
 *
 * A task's duration can be set per task with `[[T=<ms>]]` in the prompt (submitted for 10 %).
 */
import type { KlingConfig, KlingTask } from '../../emulator/kling';
import { startEmulator } from '../../emulator/server';

export interface EmulatorStats {
	counters: { createRequests: number; createAccepted: number; getRequests: number; downloads: number; byPath: Record<string, number> };
	tasks: Array<Omit<KlingTask, 'body' | 'timeline'>>;
}

type Msg = { cmd: 'stats' } | { cmd: 'reset' } | { cmd: 'close' };

async function main(): Promise<void> {
	const config = JSON.parse(process.argv[2] ?? '{}') as Partial<KlingConfig>;
	const emulator = await startEmulator({
		maxBodyBytes: 256 * 1024 * 1024,
		kling: {
			...config,
			durationFor: (task: KlingTask) => {
				const m = /\[\[T=(\d+)\]\]/.exec(task.prompt);
				if (!m) return null;
				const total = Number(m[1]);
				return { submittedMs: Math.round(total / 10), processingMs: total - Math.round(total / 10) };
			},
		},
	});
	const k = emulator.kling;
	process.on('message', (msg: Msg) => {
		if (msg.cmd === 'stats') {
			const tasks = k.tasks().map(({ body: _body, timeline: _timeline, ...rest }) => rest);
			const c = k.counters;
			const stats: EmulatorStats = {
				counters: { createRequests: c.createRequests, createAccepted: c.createAccepted, getRequests: c.getRequests, downloads: c.downloads, byPath: { ...c.byPath } },
				tasks,
			};
			process.send?.({ stats });
		} else if (msg.cmd === 'reset') {
			k.reset();
			process.send?.({ reset: true });
		} else if (msg.cmd === 'close') {
			void emulator.close().then(() => process.exit(0));
		}
	});
	process.send?.({ ready: { url: emulator.url, accessKey: k.config.accessKey, secretKey: k.config.secretKey } });
}

void main();
