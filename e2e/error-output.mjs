// n8n's error output in a REAL n8n server, on every pinned version.
//
//   source scripts/toolchain.sh && ensure_deps && node e2e/error-output.mjs [versions...] [--keep]
//   (also run by `npm run test:e2e`, after retries.mjs)
//
// Per version: a fresh user folder with the packed package (lib/stack.mjs), a real `n8n start`
// (lib/server.mjs) and the emulator in this process. For each provider an ACTIVE workflow
//   Webhook → Split Out (body.items) → our Create node (Settings → On Error)
//        main  → "Succeeded" (Set: taskId, status, n via pairedItem)
//        error → "Failed"    (Set: failedTaskId = {{ $json.error.taskId }}, status, externalTaskId, reason, n, n via pairedItem)
// runs 3 items: item n=1 succeeds, n=2 fails at the provider (a task exists), n=3 is refused by the
// node before sending (a wrong-typed expression value: an object / an array of two). Asserted:
//  A. "Continue (using error output)": "Failed" receives exactly n=2 and n=3 and reads the failed
//     task's ID (the emulator's task), its status and the external task ID by expression; n=3 has
//     no task; "Succeeded" receives exactly n=1; the node's error output pairs with the right inputs.
//  B. "Continue (using regular output)": all 3 items stay on the main output, the failed ones as
//     `{ error: {…} }` with their task facts and pairedItem.
// Exit code 0 = every assertion passed.
import crypto from 'node:crypto';
import { acrossVersions, klingCreateParameters, makeChecker, PROVIDER_NODES, runSuite, webhookSplitOut } from './lib/suite.mjs';
import { createStack } from './lib/stack.mjs';
import { startServer } from './lib/server.mjs';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const versions = argv.filter((a) => !a.startsWith('--'));
const uuid = () => crypto.randomUUID();

/** Per provider: the node, its parameters, the 3 webhook items, and how to find the failed task. */
const PROVIDERS = [
	{
		...PROVIDER_NODES.kling,
		parameters: (emu) => klingCreateParameters(emu, { prompt: '={{ $json.prompt }}', maxWaitMinutes: 2, downloadVideo: false }),
		items: () => [
			{ n: 1, prompt: 'error-output e2e item 1' },
			{ n: 2, prompt: 'error-output e2e item 2 [[fail]]' },
			{ n: 3, prompt: { text: 'an object, not text' } },
		],
		refusal: /^Invalid "Prompt" in item 2: expected text but got an object \(keys: text\); use \{\{ \$json\.prompt\.text \}\}/,
		failedTask: (e) => {
			const t = e.kling.tasks().find((x) => String(x.prompt).includes('[[fail]]'));
			return t && { id: t.taskId, externalTaskId: t.externalTaskId };
		},
		okTask: (e) => e.kling.tasks().find((x) => String(x.prompt).endsWith('item 1'))?.taskId,
		creates: (e) => e.kling.counters.createRequests,
	},
	{
		...PROVIDER_NODES.akool,
		parameters: () => ({
			resource: 'talkingAvatarVideo',
			operation: 'create',
			avatarSource: 'akool',
			avatarId: 'dvp_Tristan_cloth2_1080P',
			audioUrl: '={{ $json.audio }}',
			waitForCompletion: true,
			maxWaitMinutes: 2,
			downloadVideo: false,
			layout: {},
			options: {},
		}),
		items: (emu) => [
			{ n: 1, audio: `${emu}/assets/voice.mp3?item=1` },
			{ n: 2, audio: `${emu}/assets/fail.mp3?item=2` },
			{ n: 3, audio: [`${emu}/assets/voice.mp3?item=3a`, `${emu}/assets/voice.mp3?item=3b`] },
		],
		refusal: /^Invalid "Audio URL" in item 2: expected a URL \(text\) but got an array of 2 elements; pick one element \(e\.g\. \{\{ \$json\.audio\[0\] \}\}\)/,
		failedTask: (e) => {
			const v = e.akool.videos().find((x) => x.audioUrl.includes('fail.mp3'));
			return v && { id: v._id, externalTaskId: null };
		},
		okTask: (e) => e.akool.videos().find((x) => x.audioUrl.endsWith('item=1'))?._id,
		creates: (e) => e.akool.counters.createRequests,
	},
	{
		...PROVIDER_NODES.mingyan,
		parameters: (emu) => ({
			resource: 'lipSyncVideo',
			operation: 'create',
			videoUrl: '={{ $json.video }}',
			audioUrl: `${emu}/assets/voice.mp3`,
			modelVersion: 2,
			waitForCompletion: true,
			maxWaitMinutes: 2,
			downloadVideo: false,
			options: {},
		}),
		items: (emu) => [
			{ n: 1, video: `${emu}/assets/sample.mp4?item=1` },
			{ n: 2, video: `${emu}/assets/mingyan-fail.mp4?item=2` },
			{ n: 3, video: { videoUrl: `${emu}/assets/sample.mp4?item=3` } },
		],
		refusal: /^Invalid "Video URL" in item 2: expected a URL \(text\) but got an object \(keys: videoUrl\); use \{\{ \$json\.video\.videoUrl \}\}/,
		failedTask: (e) => {
			const t = e.mingyan.tasks().find((x) => x.videoUrl.includes('mingyan-fail'));
			return t && { id: t.id, externalTaskId: null };
		},
		okTask: (e) => e.mingyan.tasks().find((x) => x.videoUrl.endsWith('item=1'))?.id,
		creates: (e) => e.mingyan.counters.createRequests,
	},
];

/** A Set node (v3.4, on both pinned versions) that keeps only the given fields. */
function setNode(name, x, fields) {
	return {
		id: uuid(),
		name,
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position: [x, 0],
		parameters: {
			assignments: { assignments: fields.map(([field, value, type = 'string']) => ({ id: uuid(), name: field, value, type })) },
			options: {},
		},
	};
}

function buildWorkflow(p, { mode, packageName, emulatorUrl }) {
	const hookPath = `ta-errout-${mode}-${p.key}-${uuid().slice(0, 8)}`;
	const errorOutput = mode === 'errorOutput';
	const ours = {
		id: uuid(),
		name: p.nodeName,
		type: `${packageName}.${p.type}`,
		typeVersion: 1,
		position: [440, 0],
		credentials: p.credentials,
		parameters: p.parameters(emulatorUrl),
		onError: errorOutput ? 'continueErrorOutput' : 'continueRegularOutput',
	};
	const succeeded = setNode('Succeeded', 660, [
		['taskId', '={{ $json.taskId }}'],
		['status', '={{ $json.status }}'],
		// Our output items are tasks: the input's n comes through pairedItem.
		['n', "={{ $('Split Out').item.json.n }}", 'number'],
	]);
	const failed = setNode('Failed', 660, [
		// What a node on the error branch typically reads. `?? 'none'`: a refused item has no task.
		['failedTaskId', "={{ $json.error.taskId ?? 'none' }}"],
		['failedStatus', "={{ $json.error.status ?? 'none' }}"],
		['externalTaskId', "={{ $json.error.externalTaskId ?? 'none' }}"],
		['reason', '={{ $json.error.message }}'],
		// n8n merges the input item's fields into error-output items: the webhook item's n.
		['n', '={{ $json.n }}', 'number'],
		// …and pairedItem leads back to the same input item.
		['pairedN', "={{ $('Split Out').item.json.n }}", 'number'],
	]);
	const entry = webhookSplitOut(hookPath, p.nodeName);
	return {
		hookPath,
		nodeName: p.nodeName,
		workflow: {
			name: `e2e error output: ${mode} ${p.label}`,
			nodes: [
				...entry.nodes,
				ours,
				succeeded,
				...(errorOutput ? [failed] : []),
			],
			connections: {
				...entry.connections,
				[p.nodeName]: {
					main: [[{ node: 'Succeeded', type: 'main', index: 0 }], ...(errorOutput ? [[{ node: 'Failed', type: 'main', index: 0 }]] : [])],
				},
			},
			settings: { executionOrder: 'v1', saveDataErrorExecution: 'all', saveDataSuccessExecution: 'all', saveManualExecutions: true },
		},
	};
}

/** Items (json + pairedItem) of a node's last run on one output. */
function outputOf(execution, nodeName, outputIndex = 0) {
	const runs = execution?.data?.resultData?.runData?.[nodeName] ?? [];
	return runs[runs.length - 1]?.data?.main?.[outputIndex] ?? [];
}
const pairedOf = (item) => (Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem)?.item;
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Creates, activates and runs one workflow per provider (side by side); returns the executions. */
async function runAll(server, emulator, packageName, mode) {
	const deployed = [];
	for (const p of PROVIDERS) {
		const built = buildWorkflow(p, { mode, packageName, emulatorUrl: emulator.url });
		const saved = await server.rest.createWorkflow(built.workflow);
		await server.rest.activateWorkflow(saved.id, saved.versionId);
		deployed.push({ p, ...built, id: saved.id });
	}
	for (const wf of deployed) await server.waitForWebhook(wf.hookPath);
	return await Promise.all(
		deployed.map(async (wf) => {
			const known = new Set((await server.rest.listExecutions({ workflowId: wf.id })).map((e) => e.id));
			const hook = await server.webhook(wf.hookPath, { items: wf.p.items(emulator.url) });
			if (hook.status !== 200) throw new Error(`webhook ${wf.hookPath} answered HTTP ${hook.status}: ${JSON.stringify(hook.body)}`);
			const summary = await server.rest.waitForExecution((e) => !known.has(e.id), { workflowId: wf.id, timeoutMs: 90_000 });
			return { wf, execution: await server.rest.getExecution(summary.id) };
		}),
	);
}

/** A. Continue (using error output). */
async function scenarioErrorOutput(server, emulator, packageName) {
	const { results, check } = makeChecker('A error output');
	const rows = [];
	emulator.reset();
	const runs = await runAll(server, emulator, packageName, 'errorOutput');
	for (const { wf, execution } of runs) {
		const { p } = wf;
		const tag = p.label;
		const failedTask = p.failedTask(emulator);
		const okTask = p.okTask(emulator);
		const main = outputOf(execution, wf.nodeName, 0);
		const errorOut = outputOf(execution, wf.nodeName, 1);
		const failed = outputOf(execution, 'Failed').map((i) => i.json);
		const succeeded = outputOf(execution, 'Succeeded').map((i) => i.json);
		console.log(`  -- ${p.label}: execution ${execution.id} ${execution.status}; main ${main.length}, error output ${errorOut.length}; Failed ${JSON.stringify(failed)}`);
		check(`${tag}: execution succeeded`, execution.status === 'success', `status ${execution.status}`);
		check(`${tag}: the error output holds exactly input items 1 and 2 (n=2, n=3), paired`, same(sorted(errorOut.map(pairedOf)), [1, 2]), `paired ${errorOut.map(pairedOf).join(',')}`);
		check(`${tag}: the main output holds exactly input item 0 (n=1), without an error`, same(main.map(pairedOf), [0]) && main.every((i) => i.json.error === undefined), `paired ${main.map(pairedOf).join(',')}`);
		check(`${tag}: "Failed" received exactly n=2 and n=3`, same(sorted(failed.map((j) => j.n)), [2, 3]), failed.map((j) => j.n).join(','));
		check(`${tag}: their pairedItem leads back to the same input items ({{ $('Split Out').item }})`, failed.every((j) => j.pairedN === j.n), failed.map((j) => `${j.n}→${j.pairedN}`).join(', '));
		const f2 = failed.find((j) => j.n === 2) ?? {};
		const f3 = failed.find((j) => j.n === 3) ?? {};
		check(`${tag}: "Failed" reads the failed task's ID by expression ({{ $json.error.taskId }})`, !!failedTask && f2.failedTaskId === failedTask.id, `${f2.failedTaskId} vs emulator ${failedTask?.id}`);
		check(`${tag}: … its status "failed" and its external task ID`, f2.failedStatus === 'failed' && f2.externalTaskId === (failedTask?.externalTaskId ?? 'none'), `${f2.failedStatus}, ${f2.externalTaskId}`);
		check(`${tag}: … and the provider's reason`, /fail|Failure|could not|not detected/i.test(String(f2.reason)), f2.reason);
		check(`${tag}: the refused item has no task and says why (type received + hint)`, f3.failedTaskId === 'none' && p.refusal.test(String(f3.reason)), f3.reason);
		check(`${tag}: "Succeeded" received exactly n=1 with its task`, succeeded.length === 1 && succeeded[0].n === 1 && succeeded[0].taskId === okTask && succeeded[0].status === 'succeeded', JSON.stringify(succeeded));
		check(`${tag}: 2 creates sent (the refused item was not)`, p.creates(emulator) === 2, `creates ${p.creates(emulator)}`);
		rows.push({ provider: p.label, mode: 'error output', main: main.map(pairedOf).join(','), errors: errorOut.map(pairedOf).join(','), read: `n=2 → ${f2.failedTaskId} (${f2.failedStatus}); n=3 → ${f3.failedTaskId}` });
	}
	return { results, rows };
}

/** B. Continue (using regular output). */
async function scenarioRegularOutput(server, emulator, packageName) {
	const { results, check } = makeChecker('B regular output');
	const rows = [];
	emulator.reset();
	const runs = await runAll(server, emulator, packageName, 'regularOutput');
	for (const { wf, execution } of runs) {
		const { p } = wf;
		const tag = p.label;
		const failedTask = p.failedTask(emulator);
		const main = outputOf(execution, wf.nodeName, 0);
		const errors = main.filter((i) => i.json.error !== undefined);
		console.log(`  -- ${p.label}: execution ${execution.id} ${execution.status}; main ${main.length} (${errors.length} errors)`);
		check(`${tag}: execution succeeded`, execution.status === 'success', `status ${execution.status}`);
		check(`${tag}: all 3 items stay on the main output, in input order`, same(main.map(pairedOf), [0, 1, 2]), main.map(pairedOf).join(','));
		check(`${tag}: items 1 and 2 are error items with nothing but { error }`, same(errors.map(pairedOf), [1, 2]) && errors.every((i) => same(Object.keys(i.json), ['error'])));
		const e1 = errors.find((i) => pairedOf(i) === 1)?.json.error ?? {};
		check(`${tag}: the failed item's error carries its task ID and status`, !!failedTask && e1.taskId === failedTask.id && e1.status === 'failed' && e1.itemIndex === 1, JSON.stringify(e1).slice(0, 200));
		check(`${tag}: "Succeeded" received all 3`, outputOf(execution, 'Succeeded').length === 3);
		rows.push({ provider: p.label, mode: 'regular output', main: main.map(pairedOf).join(','), errors: '—', read: `item 1 → ${e1.taskId} (${e1.status})` });
	}
	return { results, rows };
}

async function runVersion(version, tarball, emulator) {
	const tv = Date.now();
	console.log(`\n== n8n ${version}`);
	const stack = await createStack({ version, tarball, emulator, examples: false });
	const server = await startServer(stack.inst);
	console.log(`  user folder ${stack.userFolder}; n8n start ${(server.startMs / 1000).toFixed(1)} s on ${server.url} (log ${server.logFile})`);
	const results = [];
	const rows = [];
	let crash;
	try {
		console.log('  -- A: On Error → Continue (using error output)');
		const a = await scenarioErrorOutput(server, emulator, stack.inst.pkg.name);
		console.log('  -- B: On Error → Continue (using regular output)');
		const b = await scenarioRegularOutput(server, emulator, stack.inst.pkg.name);
		results.push(...a.results, ...b.results);
		rows.push(...a.rows, ...b.rows);
	} catch (error) {
		crash = error;
		console.log(`    FAIL  ${error.stack ?? error}`);
		console.log(`    n8n log tail:\n${server.log().split('\n').slice(-25).join('\n')}`);
		results.push({ name: `crashed: ${error.message}`, ok: false });
	} finally {
		await server.stop();
		if (flags.has('--keep') || crash) console.log(`  kept ${stack.userFolder}`);
		else stack.inst.remove();
	}
	return { version, ok: results.length > 0 && results.every((r) => r.ok), results, rows, ms: Date.now() - tv };
}

async function main() {
	const { summary, t0 } = await acrossVersions(versions, runVersion);
	console.log('\n== error-output summary (real `n8n start`, webhook executions)');
	for (const s of summary) {
		console.log(`\n  n8n ${s.version}: ${s.ok ? 'PASSED' : 'FAILED'} (${s.results.filter((r) => r.ok).length}/${s.results.length} checks) in ${(s.ms / 1000).toFixed(1)} s`);
		for (const r of s.rows) console.log(`    ${r.provider.padEnd(8)} ${r.mode.padEnd(15)} main: items ${r.main.padEnd(6)} error output: items ${r.errors.padEnd(4)} read downstream: ${r.read}`);
		for (const r of s.results.filter((x) => !x.ok)) console.log(`    FAILED: ${r.name}${r.detail ? ` — ${r.detail}` : ''}`);
	}
	console.log(`\n  total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	return summary.every((s) => s.ok) ? 0 : 1;
}

runSuite(main);
