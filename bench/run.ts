/**
 * `npm run bench [-- --only P1,P5] [-- --repeat N]`: runs each figure N times, every time in a fresh
 * child process (`node .build/bench/figures/<id>.js`, JSON result on stdout), and prints one line
 * per figure with the median over the repetitions, its spread and the verdict. Writes
 * bench/results.json. A missed target is printed as MISSED and makes the exit code 1.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import type { FigureRow } from './lib/common';
import { median, PACKAGE_DIR, REPO_DIR } from './lib/common';

interface Figure {
	id: string;
	/** Default repetitions (fresh process each); chosen so the suite stays under ~15 minutes. */
	repeat: number;
	/** Per-process time limit. */
	timeoutS: number;
	node?: string[];
}

const FIGURES: Figure[] = [
	{ id: 'P1', repeat: 3, timeoutS: 120 },
	{ id: 'P1b', repeat: 2, timeoutS: 300 },
	{ id: 'P2', repeat: 2, timeoutS: 240 },
	{ id: 'P2c', repeat: 2, timeoutS: 300 },
	{ id: 'P3', repeat: 5, timeoutS: 180 },
	{ id: 'P4', repeat: 3, timeoutS: 600, node: ['--expose-gc'] },
	{ id: 'P4b', repeat: 3, timeoutS: 240, node: ['--expose-gc'] },
	{ id: 'P5', repeat: 3, timeoutS: 60 },
	{ id: 'P6', repeat: 5, timeoutS: 90 },
	{ id: 'P7', repeat: 3, timeoutS: 240 },
];

function arg(name: string): string | undefined {
	const argv = process.argv.slice(2);
	const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
	if (i < 0) return undefined;
	return argv[i].includes('=') ? argv[i].slice(name.length + 1) : argv[i + 1];
}

function runFigure(f: Figure, rep: number): Promise<FigureRow[]> {
	return new Promise((done, fail) => {
		const args = [...(f.node ?? []), join(__dirname, 'figures', `${f.id}.js`), ...(rep % 2 ? ['--bare-first'] : [])];
		const child = spawn(process.execPath, args, { cwd: REPO_DIR, env: { ...process.env, BENCH_PACKAGE_DIR: PACKAGE_DIR }, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.stderr.on('data', (d: Buffer) => (err += d.toString()));
		const timer = setTimeout(() => child.kill('SIGKILL'), f.timeoutS * 1000);
		child.on('exit', (code) => {
			clearTimeout(timer);
			const line = out.split('\n').find((l) => l.startsWith('@@RESULT@@'));
			if (!line) return fail(new Error(`${f.id} (run ${rep + 1}) produced no result (exit ${code})\n${err.slice(-2000)}${out.slice(-2000)}`));
			done(JSON.parse(line.slice('@@RESULT@@'.length)) as FigureRow[]);
		});
	});
}

const fmt = (v: number, unit: string) => (unit === '×' ? `${v.toFixed(2)} ×` : unit === 'ms' ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ${unit}`);

async function main(): Promise<void> {
	const only = arg('--only')?.split(',').map((s) => s.trim().toLowerCase());
	const repeatOverride = arg('--repeat') ? Math.max(1, Number(arg('--repeat'))) : undefined;
	const figures = FIGURES.filter((f) => !only || only.includes(f.id.toLowerCase()));
	const header = [
		`n8n-nodes-talking-avatar benchmarks — ${new Date().toISOString()}`,
		`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.version}; ${process.platform}/${process.arch}`,
		`package: ${PACKAGE_DIR}; every run in a fresh process; value = median over the runs [min … max]`,
	];
	process.stdout.write(`${header.join('\n')}\n\n`);
	process.stdout.write('id | what | measured (median [min … max], runs) | target | verdict\n');
	const results: Array<Record<string, unknown>> = [];
	let missed = 0;
	for (const f of figures) {
		const repeat = repeatOverride ?? f.repeat;
		const runs: FigureRow[][] = [];
		for (let r = 0; r < repeat; r++) {
			try {
				runs.push(await runFigure(f, r));
			} catch (error) {
				process.stdout.write(`${f.id} | run ${r + 1} failed: ${(error as Error).message}\n`);
			}
		}
		if (!runs.length) {
			missed++;
			results.push({ id: f.id, error: 'no run completed' });
			process.stdout.write(`${f.id} | (no run completed) | – | – | MISSED\n`);
			continue;
		}
		for (let k = 0; k < runs[0].length; k++) {
			const rows = runs.map((rs) => rs[k]);
			const values = rows.map((r) => r.value);
			const med = median(values);
			const { id, what, unit, limit, target } = rows[0];
			const pass = (limit === null || med <= limit) && rows.every((r) => r.ok !== false);
			if (!pass) missed++;
			const extra = rows[0].details && 'requestsPerTask' in rows[0].details ? `, ${median(rows.map((r) => Number(r.details?.requestsPerTask)))} requests/task` : '';
			process.stdout.write(
				`${id} | ${what} | ${fmt(med, unit)} [${fmt(Math.min(...values), unit)} … ${fmt(Math.max(...values), unit)}], ${rows.length} runs${extra} | ${target} | ${pass ? 'OK' : 'MISSED'}\n`,
			);
			for (const r of rows) process.stdout.write(`    ${JSON.stringify(r.details ?? {})}\n`);
			results.push({ id, what, unit, median: med, min: Math.min(...values), max: Math.max(...values), values, limit, target, pass, runs: rows.map((r) => ({ value: r.value, ok: r.ok ?? true, details: r.details })) });
		}
	}
	const file = resolve(REPO_DIR, 'bench/results.json');
	const previous = only ? safeRead(file) : undefined;
	// A row belongs to figure f when its id is f.id or starts with "f.id " (P4 (20), P2 T=10s): rows of
	// figures run now are replaced, rows of figures that no longer exist are dropped.
	const ofFigure = (rowId: string, f: Figure) => rowId === f.id || rowId.startsWith(`${f.id} `);
	const kept = (p: { id: string }) => FIGURES.some((f) => ofFigure(p.id, f)) && !figures.some((f) => ofFigure(p.id, f));
	const merged = previous ? [...previous.figures.filter(kept), ...results] : results;
	writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, figures: merged }, null, 2)}\n`);
	process.stdout.write(`\n${missed ? `${missed} target(s) MISSED` : 'all targets met'}; details in bench/results.json\n`);
	process.exitCode = missed ? 1 : 0;
}

function safeRead(file: string): { figures: Array<{ id: string }> } | undefined {
	try {
		return JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}
}

void main();
