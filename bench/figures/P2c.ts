/**
 * P2c: Create with Wait By → Provider Callback, beside P2's adaptive poll. A 10-minute task
 * time-scaled ÷ 20 (30 s; 5 tasks spread ± 5 %, Download Video off as in P2) in a real n8n 2.41.1
 * `n8n start` (e2e/callback-wait.mjs scenario P2, own stack per run). Value: time from the last
 * task's end to the node resuming. It is NOT scaled back: a callback's delay does not grow with
 * the task's length (P2's lag does, it is ~10 % of the time waited). Also: status requests while
 * waiting (target 0) and the confirmation reads per task.
 *
 * Why a real n8n and not the engine harness: what is measured is n8n parking the execution
 * (putExecutionToWait, saved as 'waiting'), its /webhook-waiting route calling the node's
 * webhook() for every callback, and WorkflowRunner resuming the execution. The harness runs
 * WorkflowExecute alone: it has no webhook server, no database and cannot resume a waiting
 * execution. Needs n8n 2.41.1 installed (e2e/install-n8n.sh).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emit, REPO_DIR } from '../lib/common';

interface P2cResult {
	resumeMs: number;
	detectMaxMs: number;
	getsWhileWaiting: number;
	confirmationGets: number;
	terminalCallbacks: number;
	requestsPerTask: number;
	taskS: number;
	ok: boolean;
}

/** P2's adaptive figure for T = 600 s from the last bench results, to print beside this one. */
function adaptiveP2(): Record<string, unknown> | null {
	try {
		const results = JSON.parse(readFileSync(join(REPO_DIR, 'bench/results.json'), 'utf8')) as {
			figures?: Array<{ id: string; median?: number; runs?: Array<{ details?: { requestsPerTask?: number } }> }>;
		};
		const p2 = results.figures?.find((f) => f.id === 'P2 T=600s');
		return p2 ? { lagS: p2.median ?? null, requestsPerTask: p2.runs?.[0]?.details?.requestsPerTask ?? null } : null;
	} catch {
		return null;
	}
}

function main(): Promise<void> {
	return new Promise((done) => {
		const child = spawn(process.execPath, [join(REPO_DIR, 'e2e/callback-wait.mjs'), '2.41.1'], {
			cwd: REPO_DIR,
			env: { ...process.env, CALLBACK_SCENARIOS: 'P2' },
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.on('exit', (code) => {
			const line = out.split('\n').find((l) => l.startsWith('@@P2C@@'));
			const r = line ? (JSON.parse(line.slice('@@P2C@@'.length)) as P2cResult) : undefined;
			emit([
				{
					id: 'P2c',
					what: 'Wait By → Provider Callback (real n8n 2.41.1): last task end → node resumed, 10-min task ÷ 20 (not scaled back); status requests while waiting',
					value: r ? r.resumeMs / 1000 : Number.NaN,
					unit: 's',
					limit: 1,
					target: '≤ 1 s, 0 requests while waiting',
					ok: !!r && r.ok && r.getsWhileWaiting === 0 && code === 0,
					details: r
						? {
								getsWhileWaiting: r.getsWhileWaiting,
								confirmationGetsPerTask: r.confirmationGets / 5,
								requestsPerTask: r.requestsPerTask,
								detectMaxS: r.detectMaxMs / 1000,
								terminalCallbacks: r.terminalCallbacks,
								taskS: r.taskS,
								adaptivePollT600: adaptiveP2(),
							}
						: { exit: code, tail: out.slice(-800) },
				},
			]);
			done();
		});
	});
}

void main().then(() => process.exit(0));
