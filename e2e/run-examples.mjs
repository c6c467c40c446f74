// `npm run test:e2e`: every workflow in examples/ executed by the REAL n8n CLI
// (`n8n import:workflow` + `n8n execute --id --rawOutput`) against the local emulator, on every
// pinned n8n version (1.x and 2.x), with assertions on the run, the node outputs, the files the
// workflow wrote and the tasks the emulator saw.
//
//   source scripts/toolchain.sh && ensure_deps && node e2e/run-examples.mjs [versions...] [--keep]
//   (or: bash scripts/run.sh e2e [versions...])
//
// The package is packed from a staging copy (the shared dist/ is not touched) and installed into
// a fresh user folder per version exactly like n8n's community-package installer does, so node
// types are the npm ones: n8n-nodes-talking-avatar.<node>. Exit code 0 = all passed.
import fs from 'node:fs';
import path from 'node:path';
import { N8nInstance, packPackage } from './n8n-env.mjs';
import { installedVersions, runSuite } from './lib/suite.mjs';
import { ASSETS_DIR, createStack, startFastEmulator } from './lib/stack.mjs';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const versions = argv.filter((a) => !a.startsWith('--'));
const SAMPLE = fs.readFileSync(path.join(ASSETS_DIR, 'sample.mp4'));

/** Per-example expectations (by workflow id); examples not listed get the generic checks only. */
const EXPECT = {
	taKlingFiles0001: { videos: 1, kling: { tasks: 1, audioSource: 'sound_file' } },
	taKlingSpeech001: { videos: 1, kling: { tasks: 1, audioSource: 'audio_id' }, tts: 1 },
	taKlingBatch0001: { videos: 5, kling: { tasks: 5, audioSource: 'audio_id', together: true }, tts: 5 },
	taAkoolAvatar001: { videos: 1, akool: { videos: 1 } },
	taMingyanLips001: { videos: 1, mingyan: { tasks: 1 } },
};

function makeChecker(prefix) {
	const results = [];
	const check = (name, cond, detail) => {
		results.push({ name, ok: !!cond, detail });
		console.log(`    ${cond ? 'PASS' : 'FAIL'}  ${name}${detail !== undefined && detail !== '' ? `  — ${detail}` : ''}`);
		return !!cond;
	};
	return { results, check, prefix };
}

/** Every node of our package in the run: name -> output items (json). */
function ourNodeOutputs(run, workflow, packageName) {
	const out = {};
	for (const node of workflow.nodes) {
		if (!node.type.startsWith(`${packageName}.`)) continue;
		out[node.name] = { type: node.type, parameters: node.parameters, items: N8nInstance.nodeOutput({ resultData: run?.data?.resultData }, node.name) };
	}
	return out;
}

function listVideos(dir) {
	return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort() : [];
}

async function runExample(stack, example, emulator, packageName) {
	const { check, results } = makeChecker();
	const expect = EXPECT[example.id] ?? {};
	console.log(`  -- ${example.file}  (${example.name})`);
	fs.rmSync(stack.output, { recursive: true, force: true });
	fs.mkdirSync(stack.output, { recursive: true });
	emulator.reset();
	const res = await stack.inst.execute(example.id, { timeoutMs: 5 * 60_000 });
	const status = res.run?.status ?? (res.run?.finished ? 'success' : undefined);
	check('n8n execute: run finished with status success', res.ok && status === 'success',
		`${res.ms} ms, exit ${res.code}${res.crashedOnExit ? ' (n8n segfaulted on exit AFTER printing the run — known 2.x flake)' : ''}${res.ok ? '' : `, error: ${res.errorMessage ?? res.stderr.slice(-400)}`}`);
	if (!res.run) return { results, ms: res.ms };

	// Node outputs of our nodes.
	const outputs = ourNodeOutputs(res.run, example.workflow, packageName);
	let createItems = [];
	for (const [name, o] of Object.entries(outputs)) {
		const op = `${o.parameters.resource ?? ''}:${o.parameters.operation ?? ''}`;
		if (o.parameters.operation === 'create' && o.parameters.resource !== 'speech' && o.parameters.resource !== 'avatar') {
			createItems = createItems.concat(o.items);
			check(`${name} (${op}): every item status "succeeded" with a task ID`,
				o.items.length > 0 && o.items.every((j) => j.status === 'succeeded' && j.taskId),
				`${o.items.length} item(s): ${o.items.map((j) => `${j.taskId}=${j.status}`).join(', ')}`);
		} else if (o.parameters.resource === 'speech') {
			check(`${name} (speech:create): ${expect.tts ?? 'n'} audio ID(s)`,
				o.items.length === (expect.tts ?? o.items.length) && o.items.every((j) => j.audioId),
				o.items.map((j) => j.audioId).join(', '));
		} else {
			check(`${name} (${op}): produced output`, o.items.length > 0, `${o.items.length} item(s)`);
		}
	}
	if (expect.videos !== undefined) check(`${expect.videos} video task(s) in the node output`, createItems.length === expect.videos, `${createItems.length}`);

	// The files the workflow wrote.
	const videos = listVideos(stack.output);
	const same = videos.filter((f) => fs.readFileSync(path.join(stack.output, f)).equals(SAMPLE));
	check(`${expect.videos ?? createItems.length} video file(s) written to ${path.relative(stack.filesDir, stack.output)}/, bytes = emulator/assets/sample.mp4 (${SAMPLE.length} B)`,
		videos.length === (expect.videos ?? createItems.length) && same.length === videos.length,
		videos.map((f) => `${f} (${fs.statSync(path.join(stack.output, f)).size} B)`).join(', '));
	check('each video file is named after its task', createItems.every((j) => videos.some((f) => f.includes(String(j.taskId)))));

	// What the emulator saw.
	if (expect.kling) {
		const tasks = emulator.kling.tasks();
		const ext = new Set(tasks.map((t) => t.externalTaskId));
		check(`Kling emulator: ${expect.kling.tasks} task(s), distinct task and external IDs`,
			tasks.length === expect.kling.tasks && new Set(tasks.map((t) => t.taskId)).size === tasks.length && ext.size === tasks.length && !ext.has(null),
			tasks.map((t) => `${t.taskId}/${t.externalTaskId}`).join(', '));
		check(`Kling emulator: audio sent as ${expect.kling.audioSource}`, tasks.every((t) => t.audioSource === expect.kling.audioSource));
		check('Kling emulator: every task succeeded and its video was downloaded',
			tasks.every((t) => t.status === 'succeed') && emulator.kling.counters.downloads >= tasks.length,
			`downloads ${emulator.kling.counters.downloads}`);
		if (expect.kling.together) {
			const lastCreated = Math.max(...tasks.map((t) => t.createdAt));
			const firstFinished = Math.min(...tasks.map((t) => t.finishedAt ?? Infinity));
			check('batch waited on together: all tasks created before the first one finished',
				lastCreated < firstFinished, `created within ${lastCreated - Math.min(...tasks.map((t) => t.createdAt))} ms; first finished ${firstFinished - lastCreated} ms after the last create`);
		}
	}
	if (expect.akool && typeof emulator.akool?.videos === 'function') {
		const vids = emulator.akool.videos();
		check(`Akool emulator: ${expect.akool.videos} video task(s)`, vids.length === expect.akool.videos, `${vids.length}`);
	}
	if (expect.mingyan && typeof emulator.mingyan?.tasks === 'function') {
		const tasks = emulator.mingyan.tasks();
		check(`Mingyan emulator: ${expect.mingyan.tasks} task(s)`, tasks.length === expect.mingyan.tasks, `${tasks.length}`);
	}
	return { results, ms: res.ms, crashedOnExit: res.crashedOnExit, videos };
}

async function main() {
	const list = installedVersions(versions);
	const t0 = Date.now();
	const tarball = packPackage();
	const emulator = await startFastEmulator();
	console.log(`packed ${path.basename(tarball)} in ${Date.now() - t0} ms; emulator on ${emulator.url}`);
	const summary = [];
	try {
		for (const version of list) {
			const tv = Date.now();
			console.log(`\n== n8n ${version}`);
			const stack = await createStack({ version, tarball, emulator });
			const packageName = stack.inst.pkg.name;
			console.log(`  user folder ${stack.userFolder}; credentials ${stack.credentials.map((c) => c.type).join(', ')}; setup ${Date.now() - tv} ms (install package + import ${stack.importMs} ms)`);
			const perExample = [];
			for (const ex of stack.examples) {
				if (ex.skip || ex.cliSkip) {
					console.log(`  -- ${ex.file}: SKIPPED (${ex.skip ?? ex.cliSkip})`);
					perExample.push({ file: ex.file, skipped: ex.skip ?? ex.cliSkip });
					continue;
				}
				const r = await runExample(stack, ex, emulator, packageName);
				perExample.push({ file: ex.file, ok: r.results.every((x) => x.ok), ms: r.ms, crashedOnExit: r.crashedOnExit, checks: r.results.length });
			}
			if (!flags.has('--keep')) stack.inst.remove();
			else console.log(`  kept ${stack.userFolder}`);
			summary.push({ version, ok: perExample.every((e) => e.ok !== false), ms: Date.now() - tv, perExample });
		}
	} finally {
		await emulator.close();
	}
	console.log('\n== e2e summary (n8n CLI, examples/ against the emulator)');
	for (const s of summary) {
		console.log(`  n8n ${s.version}: ${s.ok ? 'PASSED' : 'FAILED'} in ${(s.ms / 1000).toFixed(1)} s`);
		for (const e of s.perExample) {
			console.log(`    ${e.skipped ? 'SKIP' : e.ok ? 'ok  ' : 'FAIL'}  ${e.file}${e.skipped ? `  (${e.skipped})` : `  ${(e.ms / 1000).toFixed(1)} s, ${e.checks} checks${e.crashedOnExit ? ', segfault on exit after the result' : ''}`}`);
		}
	}
	console.log(`  total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	return summary.every((s) => s.ok) ? 0 : 1;
}

runSuite(main);
