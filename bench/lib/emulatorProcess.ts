/**
 * The Kling emulator in its own process, driven over IPC, so the benchmarked process measures
 * only the node's memory and CPU (the emulator parses every 20 MB request body). Dev-only code.
 *
 * A task's duration can be set per task with `[[T=<ms>]]` in the prompt (submitted for 10 %).
 * `failOnce` (plain data, see RemoteEmulatorConfig) makes the first task of each prompt carrying a
 * marker fail; later creates of that prompt follow the usual rules (`[[T=…]]`, `[[fail]]`).
 */
import type { KlingConfig, KlingTask } from '../../emulator/kling';
import { KLING_DEFAULT_CONFIG } from '../../emulator/kling';
import { startEmulator } from '../../emulator/server';

/** The plain-data configuration a remote emulator takes (functions cannot cross the process boundary). */
export type RemoteEmulatorConfig = Partial<Omit<KlingConfig, 'shouldFail' | 'durationFor'>> & {
	/**
	 * The first task created for each distinct prompt containing `marker` fails with `message`
	 * (a transient provider failure), after `durationMs` when given (else the prompt's `[[T=…]]` or
	 * the default timings). Cleared by reset.
	 */
	failOnce?: { marker: string; message: string; durationMs?: number };
};

export interface EmulatorStats {
	counters: { createRequests: number; createAccepted: number; getRequests: number; downloads: number; byPath: Record<string, number> };
	/** Accepted creates per prompt since the last reset. */
	createdByPrompt: Record<string, number>;
	tasks: Array<Omit<KlingTask, 'body' | 'timeline'>>;
}

type Msg = { cmd: 'stats' } | { cmd: 'reset' } | { cmd: 'close' };

const split = (total: number) => ({ submittedMs: Math.round(total / 10), processingMs: total - Math.round(total / 10) });

async function main(): Promise<void> {
	const { failOnce, ...config } = JSON.parse(process.argv[2] ?? '{}') as RemoteEmulatorConfig;
	/** Prompts whose one failure has been handed out. */
	const failedOnce = new Set<string>();
	const firstOfFailOnce = (task: KlingTask) => !!failOnce && task.prompt.includes(failOnce.marker) && !failedOnce.has(task.prompt);
	const emulator = await startEmulator({
		maxBodyBytes: 256 * 1024 * 1024,
		kling: {
			...config,
			shouldFail: (task: KlingTask) => {
				if (failOnce && firstOfFailOnce(task)) {
					failedOnce.add(task.prompt);
					return failOnce.message;
				}
				return KLING_DEFAULT_CONFIG.shouldFail(task);
			},
			// Called before shouldFail at creation, so firstOfFailOnce still sees the attempt that fails.
			durationFor: (task: KlingTask) => {
				if (failOnce?.durationMs !== undefined && firstOfFailOnce(task)) return split(failOnce.durationMs);
				const m = /\[\[T=(\d+)\]\]/.exec(task.prompt);
				return m ? split(Number(m[1])) : null;
			},
		},
	});
	const k = emulator.kling;
	process.on('message', (msg: Msg) => {
		if (msg.cmd === 'stats') {
			const tasks = k.tasks().map(({ body: _body, timeline: _timeline, ...rest }) => rest);
			const c = k.counters;
			const createdByPrompt: Record<string, number> = {};
			for (const t of tasks) createdByPrompt[t.prompt] = (createdByPrompt[t.prompt] ?? 0) + 1;
			const stats: EmulatorStats = {
				counters: { createRequests: c.createRequests, createAccepted: c.createAccepted, getRequests: c.getRequests, downloads: c.downloads, byPath: { ...c.byPath } },
				createdByPrompt,
				tasks,
			};
			process.send?.({ stats });
		} else if (msg.cmd === 'reset') {
			k.reset();
			failedOnce.clear();
			process.send?.({ reset: true });
		} else if (msg.cmd === 'close') {
			void emulator.close().then(() => process.exit(0));
		}
	});
	process.send?.({ ready: { url: emulator.url, accessKey: k.config.accessKey, secretKey: k.config.secretKey } });
}

void main();
