/**
 * P7: n8n queue mode, 4 concurrent executions × 10 Kling items on 2 workers (main + 2 workers,
 * Redis, Postgres: e2e/queue.mjs scenario C, run alone in a child process with its own stack).
 * Value: wall time from the first execution's start to the last one's end, as a multiple of the
 * emulator's task time T (0.5 s submitted + 5 s processing). Needs n8n 2.41.1 installed
 * (e2e/install-n8n.sh), redis-server and postgresql (apt-installed by queue.mjs when missing).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { emit, REPO_DIR } from '../lib/common';

function main(): Promise<void> {
	return new Promise((done) => {
		const child = spawn(process.execPath, [join(REPO_DIR, 'e2e/queue.mjs'), '2.41.1'], {
			cwd: REPO_DIR,
			env: { ...process.env, QUEUE_SCENARIOS: 'C' },
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.on('exit', (code) => {
			const line = out.split('\n').find((l) => l.startsWith('@@P7@@'));
			const r = line
				? (JSON.parse(line.slice('@@P7@@'.length)) as {
						wallMs: number;
						taskMs: number;
						ratio: number;
						split: Record<string, number>;
						ok: boolean;
						breakdown: Array<{ firstCreate: number; lastCreate: number; lastEnd: number; lastSeen: number; lastDownload: number; stopped: number }>;
					})
				: undefined;
			// Where the time over T goes (ms, worst execution): start → last create, task end → seen, seen → stopped.
			const worst = (f: (b: NonNullable<typeof r>['breakdown'][number]) => number) => (r ? Math.max(...r.breakdown.map(f)) : null);
			const start = /stack start: ([\d.]+) s/.exec(out)?.[1];
			emit([
				{
					id: 'P7',
					what: 'queue mode: 4 executions × 10 items on 2 workers (main + Redis + Postgres): wall time ÷ task time T',
					value: r ? r.ratio : Number.NaN, // unrounded: the verdict compares the true median
					unit: '×',
					limit: 1.15,
					target: '≤ 1.15 × T',
					ok: !!r?.ok && code === 0,
					details: r
						? {
								wallS: r.wallMs / 1000,
								taskS: r.taskMs / 1000,
								split: r.split,
								startToLastCreateMs: worst((b) => b.lastCreate),
								endToSeenMs: worst((b) => b.lastSeen - b.lastEnd),
								seenToStoppedMs: worst((b) => b.stopped - b.lastSeen),
								stackStartS: start ? Number(start) : null,
							} : { exit: code, tail: out.slice(-800) },
				},
			]);
			done();
		});
	});
}

void main().then(() => process.exit(0));
