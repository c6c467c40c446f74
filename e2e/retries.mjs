// The task ledger in a REAL n8n server: "a retry never pays twice", on every pinned n8n version.
//
//   source scripts/toolchain.sh && ensure_deps && node e2e/retries.mjs [versions...] [--keep]
//   (also run by `npm run test:e2e`, after run-examples.mjs)
//
// Per version: a fresh user folder with the packed package (lib/stack.mjs), a real `n8n start`
// (lib/server.mjs) and the emulator in this process, so faults are injected and the providers'
// counters read directly. Every execution is a normal production execution saved in n8n's
// database: an ACTIVE workflow Webhook (responseMode onReceived) → Split Out → our node, started
// by POST /webhook/<path>, found with GET /rest/executions and read with GET /rest/executions/:id.
//
// Scenarios (Kling Avatar, Akool, Mingyan Lip-Sync each; the three providers run side by side):
//  1. Retry On Fail (retryOnFail, maxTries 2, waitBetweenTries 0), 1 item, the create's
//     connection reset AFTER the provider accepted it (`reset-after-accept`):
//     - Kling looks the task up by its external_task_id: the execution succeeds, 1 task;
//     - Akool / Mingyan can't look it up: the item fails with "may or may not have been created",
//       n8n runs the node again, and that try must NOT send it again ("An earlier run of this
//       node sent this item's create ... may have been created"): 1 create request, 1 task.
//  2. Executions-list Retry after a failed batch: 3 items, tasks slower than the node's Max Wait
//     (emulator processing 6 s, Max Wait 0.05 min = 3 s): the execution fails at Max Wait with
//     an error naming all 3 tasks; once the tasks have ended, POST /rest/executions/:id/retry
//     ({loadWorkflow: false}) starts a new execution from the saved data, which must follow the
//     same 3 tasks (success, 3 items "succeeded", the videos downloaded) and create none.
// Exit code 0 = every assertion passed.
import crypto from 'node:crypto';
import { acrossVersions, akoolCreateParameters, klingCreateParameters, makeChecker, PROVIDER_NODES, runSuite, webhookSplitOut } from './lib/suite.mjs';
import { createStack, credentialSecrets, filesWithSecrets } from './lib/stack.mjs';
import { startServer } from './lib/server.mjs';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const versions = argv.filter((a) => !a.startsWith('--'));

/** Scenario 2: how long a task runs at the emulator, and the node's Max Wait (minutes). */
const SLOW_PROCESSING_MS = 6_000;
const SHORT_MAX_WAIT_MINUTES = 0.05;
const BATCH = 3;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uuid = () => crypto.randomUUID();

/** What differs per provider: node, parameters, and how to read the emulator. */
const PROVIDERS = [
	{
		...PROVIDER_NODES.kling,
		parameters: (emu, maxWaitMinutes) =>
			klingCreateParameters(emu, { prompt: '={{ "retry e2e item " + $json.n }}', maxWaitMinutes, downloadVideo: true, videoBinaryProperty: 'video' }),
		emu: (e) => e.kling,
		setSlow: (e) => (e.kling.config.processingMs = SLOW_PROCESSING_MS),
		tasks: (e) =>
			e.kling.tasks().map((t) => ({ id: t.taskId, item: itemOf(t.prompt), ended: t.status === 'succeed' || t.status === 'failed', status: t.status })),
	},
	{
		...PROVIDER_NODES.akool,
		parameters: (emu, maxWaitMinutes) => akoolCreateParameters(emu, { maxWaitMinutes, downloadVideo: true, videoBinaryProperty: 'video' }),
		emu: (e) => e.akool,
		setSlow: (e) => (e.akool.config.processingMs = SLOW_PROCESSING_MS),
		tasks: (e) => e.akool.videos().map((v) => ({ id: v._id, item: itemOf(v.audioUrl), ended: v.status >= 3, status: v.status })),
	},
	{
		...PROVIDER_NODES.mingyan,
		parameters: (emu, maxWaitMinutes) => ({
			resource: 'lipSyncVideo',
			operation: 'create',
			videoUrl: `${emu}/assets/sample.mp4`,
			audioUrl: `={{ "${emu}/assets/voice.mp3?item=" + $json.n }}`,
			modelVersion: 2,
			waitForCompletion: true,
			maxWaitMinutes,
			downloadVideo: true,
			videoBinaryProperty: 'video',
			options: {},
		}),
		emu: (e) => e.mingyan,
		setSlow: (e) => (e.mingyan.config.processingMs = SLOW_PROCESSING_MS),
		tasks: (e) =>
			e.mingyan.tasks().map((t) => ({ id: t.id, item: itemOf(t.audioUrl), ended: t.status === 'completed' || t.status === 'failed', status: t.status })),
	},
];

/** The item number (1-based `n` of the webhook body) a request carried, from "item N" / "?item=N". */
function itemOf(text) {
	const m = /item[ =](\d+)/.exec(String(text ?? ''));
	return m ? Number(m[1]) : undefined;
}

/** Webhook → Split Out (body.items) → our node. */
function buildWorkflow(p, { scenario, packageName, emulatorUrl, maxWaitMinutes, retryOnFail, executionTimeout, saveExecutionProgress }) {
	const hookPath = `ta-${scenario}-${p.key}-${uuid().slice(0, 8)}`;
	const ours = {
		id: uuid(),
		name: p.nodeName,
		type: `${packageName}.${p.type}`,
		typeVersion: 1,
		position: [440, 0],
		credentials: p.credentials,
		parameters: p.parameters(emulatorUrl, maxWaitMinutes),
		...(retryOnFail ? { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 } : {}),
	};
	const entry = webhookSplitOut(hookPath, p.nodeName);
	return {
		hookPath,
		nodeName: p.nodeName,
		workflow: {
			name: `e2e retries: ${scenario} ${p.label}`,
			nodes: [
				...entry.nodes,
				ours,
			],
			connections: entry.connections,
			settings: {
				executionOrder: 'v1',
				saveDataErrorExecution: 'all',
				saveDataSuccessExecution: 'all',
				saveManualExecutions: true,
				...(executionTimeout ? { executionTimeout } : {}),
				...(saveExecutionProgress ? { saveExecutionProgress: true } : {}),
			},
		},
	};
}

/** The node's last run in a full execution: { error, items (json), binaries }. */
function nodeRun(execution, nodeName) {
	const resultData = execution?.data?.resultData ?? {};
	const runs = resultData.runData?.[nodeName] ?? [];
	const last = runs[runs.length - 1];
	const items = last?.data?.main?.[0] ?? [];
	return {
		runs: runs.length,
		// The node's own run error; the workflow-level error when the node has no run (it failed earlier).
		error: last?.error ?? resultData.error,
		items: items.map((i) => i.json),
		binaries: items.map((i) => i.binary ?? {}),
	};
}

/** The node's entry in the execution's custom data (executionRecord.ts): "Kling 0:<id> 1:<id> …". */
function customRecord(execution, nodeName) {
	const key = `tasks_${nodeName.replace(/[^\p{L}\p{N}\p{M}_]/gu, '_')}`;
	const data = execution?.customData ?? {};
	return String(Array.isArray(data) ? (data.find((d) => d.key === key)?.value ?? '') : (data[key] ?? ''));
}

/** Which nodes ran how often, with their statuses (for failure details). */
function runSummary(execution) {
	const runData = execution?.data?.resultData?.runData ?? {};
	return Object.entries(runData)
		.map(([name, runs]) => `${name}: ${runs.map((r) => `${r.executionStatus ?? '?'}${r.error ? '(error)' : ''}/${r.data?.main?.[0]?.length ?? 0} items`).join(' ')}`)
		.join('; ') + ` | stack ${execution?.data?.executionData?.nodeExecutionStack?.map((e) => e.node.name).join(',') ?? '-'}`;
}

/** "item 0: task <id>" lines of an early-exit error's description → the task ids, in order. */
function idsNamedIn(text) {
	return [...String(text ?? '').matchAll(/item \d+: task (?!ID unknown)([^\s,]+)/g)].map((m) => m[1]);
}

/** The status at the end of each "item N: task ..." line. */
function statusesNamedIn(text) {
	return String(text ?? '')
		.split('\n')
		.filter((l) => /^item \d+: task /.test(l))
		.map((l) => l.slice(l.lastIndexOf(', ') + 2).trim());
}

/** Emulator creates grouped by item: "3 (1/1/1)". */
function perItem(tasks, items) {
	const counts = Array.from({ length: items }, (_, i) => tasks.filter((t) => t.item === i + 1).length);
	return `${tasks.length} (${counts.join('/')})`;
}

/** Creates + activates the workflows of one scenario (one per provider). */
async function deploy(server, packageName, emulatorUrl, scenario, opts) {
	const out = [];
	for (const p of PROVIDERS) {
		const built = buildWorkflow(p, { scenario, packageName, emulatorUrl, ...opts });
		const saved = await server.rest.createWorkflow(built.workflow);
		await server.rest.activateWorkflow(saved.id, saved.versionId);
		out.push({ p, ...built, id: saved.id });
	}
	for (const wf of out) await server.waitForWebhook(wf.hookPath);
	return out;
}

/** Calls the webhook and waits for the execution it started to end; returns it in full. */
async function triggerAndWait(server, wf, items) {
	const known = new Set((await server.rest.listExecutions({ workflowId: wf.id })).map((e) => e.id));
	const hook = await server.webhook(wf.hookPath, { items: Array.from({ length: items }, (_, i) => ({ n: i + 1 })) });
	if (hook.status !== 200) throw new Error(`webhook ${wf.hookPath} answered HTTP ${hook.status}: ${JSON.stringify(hook.body)}`);
	const summary = await server.rest.waitForExecution((e) => !known.has(e.id), { workflowId: wf.id, timeoutMs: 90_000 });
	return { hook, summary, execution: await server.rest.getExecution(summary.id) };
}

async function waitTasksEnded(emulator, p, timeoutMs = 30_000) {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		const tasks = p.tasks(emulator);
		if (tasks.length && tasks.every((t) => t.ended)) return tasks;
		await sleep(200);
	}
	return p.tasks(emulator);
}

/** Scenario 1: Retry On Fail after a create whose connection was reset after it was accepted. */
async function scenarioRetryOnFail(server, emulator, packageName) {
	const rows = [];
	const { results, check } = makeChecker('S1');
	const t0 = Date.now();
	emulator.reset();
	const wfs = await deploy(server, packageName, emulator.url, 'retryOnFail', { maxWaitMinutes: 2, retryOnFail: true });
	for (const { p } of wfs) p.emu(emulator).inject({ route: 'create', fault: 'reset-after-accept' });
	const runs = await Promise.all(wfs.map((wf) => triggerAndWait(server, wf, 1)));
	for (const [i, wf] of wfs.entries()) {
		const { p } = wf;
		const tag = `${p.label}`;
		const { summary, execution } = runs[i];
		const run = nodeRun(execution, wf.nodeName);
		const c = p.emu(emulator).counters;
		const tasks = p.tasks(emulator);
		const msg = run.error?.message ?? '';
		console.log(`  -- ${p.label}: execution ${summary.id} ${execution.status}${msg ? `: ${msg}` : ''}`);
		// Mingyan's emulator has no pendingFaults(): there the counters below prove the fault hit.
		const pending = typeof p.emu(emulator).pendingFaults === 'function' ? p.emu(emulator).pendingFaults().length : 0;
		check(`${tag}: the reset-after-accept fault was consumed`, pending === 0);
		check(`${tag}: exactly 1 accepted create`, c.createAccepted === 1 && tasks.length === 1, `createAccepted ${c.createAccepted}, tasks ${tasks.length}`);
		check(`${tag}: the create was sent once (never re-sent)`, c.createRequests === 1, `createRequests ${c.createRequests}`);
		if (p.key === 'kling') {
			check(`${tag}: execution succeeded`, execution.status === 'success', `status ${execution.status}${msg ? `, error: ${msg}` : ''}`);
			check(`${tag}: 1 output item "succeeded" with the emulator's task`,
				run.items.length === 1 && run.items[0].status === 'succeeded' && run.items[0].taskId === tasks[0]?.id,
				run.items.map((j) => `${j.taskId}=${j.status}`).join(', '));
			check(`${tag}: the video was downloaded`, !!run.binaries[0]?.video, run.binaries[0]?.video ? `${run.binaries[0].video.fileName}` : 'no binary');
		} else {
			check(`${tag}: execution failed`, execution.status === 'error', `status ${execution.status}`);
			check(`${tag}: error says the task may have been created`, /may have been created/.test(msg), msg);
			check(`${tag}: error comes from n8n's second try (the ledger's pending create, not sent again)`,
				/An earlier run of this node sent this item's create/.test(msg));
			check(`${tag}: error description lists item 0 as a create of unknown outcome`,
				/^item 0: task ID unknown, create sent at .*outcome unknown/m.test(run.error?.description ?? ''),
				String(run.error?.description ?? '').split('\n').find((l) => /^item 0:/.test(l)));
		}
		const named = idsNamedIn(run.error?.description);
		const unknown = /^item \d+: task ID unknown/m.test(run.error?.description ?? '');
		rows.push({
			scenario: '1 Retry On Fail, reset-after-accept',
			provider: p.label,
			creates: perItem(tasks, 1),
			status: execution.status,
			ids: named.length ? named.join(' ') : unknown ? 'item 0: task ID unknown (pending)' : '—',
			note: msg,
		});
	}
	return { rows, results, ms: Date.now() - t0 };
}

/** Scenario 2: a batch that fails at Max Wait, then the Executions list's Retry. */
async function scenarioExecutionRetry(server, emulator, packageName) {
	const rows = [];
	const { results, check } = makeChecker('S2');
	const t0 = Date.now();
	emulator.reset();
	for (const p of PROVIDERS) p.setSlow(emulator);
	const wfs = await deploy(server, packageName, emulator.url, 'execRetry', { maxWaitMinutes: SHORT_MAX_WAIT_MINUTES, retryOnFail: false });
	const firstRuns = await Promise.all(wfs.map((wf) => triggerAndWait(server, wf, BATCH)));
	// Retry each as soon as its tasks have ended, the three providers side by side.
	const outcomes = await Promise.all(
		wfs.map(async (wf, i) => {
			const { p } = wf;
			const first = firstRuns[i];
			const run = nodeRun(first.execution, wf.nodeName);
			const ended = await waitTasksEnded(emulator, p);
			const tr = Date.now();
			const answer = await server.rest.retryExecution(first.summary.id, { loadWorkflow: false });
			const retriedId = answer?.id ?? (await server.rest.listExecutions({ workflowId: wf.id })).find((e) => String(e.retryOf) === String(first.summary.id))?.id;
			const retried = retriedId ? await server.rest.getExecution(retriedId) : undefined;
			return { wf, first, run, ended, answer, retried, retryMs: Date.now() - tr };
		}),
	);
	for (const o of outcomes) {
		const { p } = o.wf;
		const tag = p.label;
		const c = p.emu(emulator).counters;
		const ids = o.ended.map((t) => t.id);
		const named = idsNamedIn(o.run.error?.description);
		const msg = o.run.error?.message ?? '';
		console.log(`  -- ${p.label}: execution ${o.first.summary.id} ${o.first.execution.status}: ${msg}`);
		for (const line of String(o.run.error?.description ?? '').split('\n').filter((l) => /^item \d+:/.test(l))) console.log(`       ${line}`);
		check(`${tag}: first execution failed at Max Wait`, o.first.execution.status === 'error' && /did not finish within Max Wait/.test(msg), `status ${o.first.execution.status}`);
		// As the node saw them when it stopped (its description), not as the emulator sees them now.
		const statuses = statusesNamedIn(o.run.error?.description);
		check(`${tag}: the error lists ${BATCH} tasks still running`,
			statuses.length === BATCH && statuses.every((st) => st === 'submitted' || st === 'processing'), statuses.join(', '));
		check(`${tag}: error message counts the ${BATCH} tasks`, new RegExp(`${BATCH} ${p.label} tasks of this batch exist`).test(msg), msg);
		check(`${tag}: error description names all ${BATCH} task ids`,
			named.length === BATCH && ids.length === BATCH && ids.every((id) => named.includes(id)), `named ${named.join(', ')}`);
		check(`${tag}: the emulator's tasks ended before the Retry`, o.ended.every((t) => t.ended), o.ended.map((t) => t.status).join(', '));
		const rRun = nodeRun(o.retried, o.wf.nodeName);
		const rMsg = rRun.error?.message ?? '';
		console.log(`     Retry → execution ${o.retried?.id} ${o.retried?.status} in ${(o.retryMs / 1000).toFixed(1)} s (retryOf ${o.retried?.retryOf ?? '?'})${rMsg ? `: ${rMsg}` : ''}`);
		check(`${tag}: Retry started a new execution (retryOf = the failed one)`,
			!!o.retried && String(o.retried.id) !== String(o.first.summary.id) && String(o.retried.retryOf) === String(o.first.summary.id),
			`new ${o.retried?.id}, retryOf ${o.retried?.retryOf}`);
		check(`${tag}: retried execution succeeded`, o.retried?.status === 'success', `status ${o.retried?.status}${rMsg ? `, error: ${rMsg}` : ''}`);
		check(`${tag}: ${BATCH} output items "succeeded", following the same tasks`,
			rRun.items.length === BATCH && rRun.items.every((j) => j.status === 'succeeded') && ids.every((id) => rRun.items.some((j) => j.taskId === id)),
			rRun.items.map((j) => `${j.taskId}=${j.status}`).join(', '));
		check(`${tag}: the ${BATCH} videos were downloaded`, rRun.binaries.filter((b) => b.video).length === BATCH);
		check(`${tag}: still ${BATCH} accepted creates (${BATCH} create requests) after the Retry`,
			c.createAccepted === BATCH && c.createRequests === BATCH && p.tasks(emulator).length === BATCH, `createAccepted ${c.createAccepted}, createRequests ${c.createRequests}`);
		rows.push({
			scenario: `2 Max Wait → Executions Retry (${BATCH} items)`,
			provider: p.label,
			creates: perItem(p.tasks(emulator), BATCH),
			status: `${o.first.execution.status} → retry ${o.retried?.status}`,
			ids: named.length ? `${named.length}: ${named.join(' ')}` : 'none',
			note: msg,
		});
	}
	return { rows, results, ms: Date.now() - t0 };
}

/**
 * Scenario 3: Stop (POST /rest/executions/:id/stop) while the batch's tasks run, then the Executions
 * list's Retry. n8n saves a stopped execution at the moment of the Stop (n8n-core runs the
 * workflowExecuteAfter hook from its cancel handler, before the node returns), so what must be in
 * it is the task ledger; whether the node's own error (which lists the tasks) made it in is reported.
 */
async function scenarioStop(server, emulator, packageName, { progress = false } = {}) {
	const rows = [];
	const { results, check } = makeChecker(progress ? 'S5' : 'S3');
	const t0 = Date.now();
	emulator.reset();
	for (const p of PROVIDERS) p.setSlow(emulator);
	const wfs = await deploy(server, packageName, emulator.url, progress ? 'stopProgress' : 'stop', { maxWaitMinutes: 2, retryOnFail: false, saveExecutionProgress: progress });
	const outcomes = await Promise.all(
		wfs.map(async (wf) => {
			const { p } = wf;
			const known = new Set((await server.rest.listExecutions({ workflowId: wf.id })).map((e) => e.id));
			await server.webhook(wf.hookPath, { items: Array.from({ length: BATCH }, (_, i) => ({ n: i + 1 })) });
			const until = Date.now() + 30_000;
			while (p.tasks(emulator).length < BATCH && Date.now() < until) await sleep(100);
			await sleep(300); // the node is polling now
			const runningExec = (await server.rest.listExecutions({ workflowId: wf.id })).find((e) => !known.has(e.id));
			const stoppedAt = Date.now();
			await server.rest.post(`/executions/${runningExec.id}/stop`, {});
			const summary = await server.rest.waitForExecution((e) => e.id === runningExec.id, { workflowId: wf.id, timeoutMs: 30_000 });
			const stopMs = Date.now() - stoppedAt;
			const execution = await server.rest.getExecution(summary.id);
			const ended = await waitTasksEnded(emulator, p);
			const answer = await server.rest.retryExecution(summary.id, { loadWorkflow: false });
			const retriedId = answer?.id ?? (await server.rest.listExecutions({ workflowId: wf.id })).find((e) => String(e.retryOf) === String(summary.id))?.id;
			const retried = retriedId ? await server.rest.getExecution(retriedId) : undefined;
			return { wf, execution, stopMs, ended, retried };
		}),
	);
	for (const o of outcomes) {
		const { p } = o.wf;
		const tag = p.label;
		const ids = o.ended.map((t) => t.id);
		const ledger = o.execution?.data?.executionData?.contextData?.[`node:${o.wf.nodeName}`]?.taskLedger;
		const inLedger = Object.values(ledger?.items ?? {}).flatMap((i) => i.attempts.map((a) => a.taskId));
		const run = nodeRun(o.execution, o.wf.nodeName);
		const listed = idsNamedIn(run.error?.description);
		console.log(`  -- ${p.label}: execution ${o.execution?.id} ${o.execution?.status} ${(o.stopMs / 1000).toFixed(1)} s after Stop; node error saved: ${run.error ? `"${run.error.message}"` : 'no'}; ledger saved: ${inLedger.length} tasks`);
		check(`${tag}: the stopped execution is canceled`, o.execution?.status === 'canceled', `status ${o.execution?.status}`);
		check(`${tag}: it ended within 3 s of Stop`, o.stopMs < 3_000, `${o.stopMs} ms`);
		// Best effort: n8n's Stop re-saves the execution it loaded before the Stop, racing the
		// engine's save of the custom data (2.41.1 lost it for 1 of the 6 stops of one full run here): reported, not asserted.
		const record = customRecord(o.execution, o.wf.nodeName);
		console.log(`     custom data: ${ids.every((id) => record.includes(id)) ? `names all ${BATCH} tasks` : 'not kept'} (${record || 'none'})`);
		// Where the task IDs are after a Stop: the n8n log always (each accepted create is logged).
		const log = server.log();
		check(`${tag}: the n8n log names all ${BATCH} tasks`, ids.every((id) => log.includes(`submitted as task ${id}`)));
		// What n8n keeps of a stopped execution decides what its Retry does (README, "Never paying
		// twice"): 2.41.1 re-saves it without the node's data and its Retry runs the whole workflow
		// again; the node sees it is such a Retry and sends nothing. 1.123.81 sometimes keeps the
		// ledger, and then its Retry does not run the interrupted node at all.
		const kept = inLedger.length === BATCH;
		const ran = (o.retried?.data?.resultData?.runData?.[o.wf.nodeName] ?? []).length > 0;
		const c = p.emu(emulator).counters;
		const rMsg = nodeRun(o.retried, o.wf.nodeName).error?.message ?? '';
		console.log(`     Retry → execution ${o.retried?.id} ${o.retried?.status}; n8n ${kept ? 'kept' : 'dropped'} the ledger; the Retry ${ran ? 'ran' : 'did not run'} the node${rMsg ? `: ${rMsg}` : ''}`);
		if (ran) check(`${tag}: the node refused to send the stopped run's requests again`, /^This Retry repeats an execution that was stopped/.test(rMsg), rMsg);
		else check(`${tag}: n8n kept the ledger and its Retry did not run the interrupted node`, kept, `ledger ${inLedger.length} tasks`);
		check(`${tag}: still ${BATCH} accepted creates after Stop + Retry`, c.createAccepted === BATCH && c.createRequests === BATCH, `createAccepted ${c.createAccepted}, createRequests ${c.createRequests}`);
		rows.push({
			scenario: `${progress ? '5 Stop, progress saved' : '3 Stop'} → Executions Retry (${BATCH} items)`,
			provider: p.label,
			creates: perItem(p.tasks(emulator), BATCH),
			status: `${o.execution?.status} → retry ${o.retried?.status}`,
			ids: `${listed.length ? `${listed.length} in the saved error` : 'node error not saved'}; ${BATCH} in the n8n log; ledger ${kept ? 'kept' : 'dropped by n8n'}`,
			note: run.error?.message ?? '',
		});
	}
	return { rows, results, ms: Date.now() - t0 };
}

/**
 * Scenario 4: the workflow's execution timeout (Settings → Timeout Workflow) ends the execution
 * while the tasks run; then the Executions list's Retry. n8n saves a timed-out execution from the
 * engine (no Stop request overwrites it), so the ledger comes along.
 */
async function scenarioTimeout(server, emulator, packageName) {
	const rows = [];
	const { results, check } = makeChecker('S4');
	const t0 = Date.now();
	emulator.reset();
	for (const p of PROVIDERS) p.setSlow(emulator);
	const wfs = await deploy(server, packageName, emulator.url, 'timeout', { maxWaitMinutes: 2, retryOnFail: false, executionTimeout: 3 });
	const outcomes = await Promise.all(
		wfs.map(async (wf) => {
			const first = await triggerAndWait(server, wf, BATCH);
			const ended = await waitTasksEnded(emulator, wf.p);
			const answer = await server.rest.retryExecution(first.summary.id, { loadWorkflow: false });
			const retriedId = answer?.id ?? (await server.rest.listExecutions({ workflowId: wf.id })).find((e) => String(e.retryOf) === String(first.summary.id))?.id;
			const retried = retriedId ? await server.rest.getExecution(retriedId) : undefined;
			return { wf, first, ended, retried };
		}),
	);
	for (const o of outcomes) {
		const { p } = o.wf;
		const tag = p.label;
		const ids = o.ended.map((t) => t.id);
		const ledger = o.first.execution?.data?.executionData?.contextData?.[`node:${o.wf.nodeName}`]?.taskLedger;
		const inLedger = Object.values(ledger?.items ?? {}).flatMap((i) => i.attempts.map((a) => a.taskId));
		const run = nodeRun(o.first.execution, o.wf.nodeName);
		const rRun = nodeRun(o.retried, o.wf.nodeName);
		console.log(`  -- ${p.label}: execution ${o.first.summary.id} ${o.first.execution?.status}; ledger saved: ${inLedger.length} tasks; Retry → ${o.retried?.id} ${o.retried?.status}`);
		check(`${tag}: the execution timed out (canceled)`, o.first.execution?.status === 'canceled', `status ${o.first.execution?.status}`);
		const record = customRecord(o.first.execution, o.wf.nodeName);
		check(`${tag}: its custom data names all ${BATCH} tasks`, ids.every((id) => record.includes(id)), record || 'none');
		check(`${tag}: its saved data holds the ledger with all ${BATCH} tasks`, inLedger.length === BATCH && ids.every((id) => inLedger.includes(id)), inLedger.join(', ') || 'missing');
		// n8n saves a timed-out execution as the engine had it when it cancelled: the interrupted node is
		// usually neither on the stack nor failed, so a Retry does not run it again (1.123.81 and 2.41.1).
		// Seen once under load: n8n ran it again; the node then followed the saved tasks. Either way
		// nothing may be created.
		const ran = (o.retried?.data?.resultData?.runData?.[o.wf.nodeName] ?? []).length > 0;
		const c = p.emu(emulator).counters;
		check(
			`${tag}: the Retry created nothing (${ran ? 'n8n ran the interrupted node again: it followed the saved tasks' : 'n8n did not run the interrupted node again'})`,
			!ran || c.createAccepted === BATCH,
			runSummary(o.retried),
		);
		check(`${tag}: still ${BATCH} accepted creates after the timeout + Retry`, c.createAccepted === BATCH && c.createRequests === BATCH, `createAccepted ${c.createAccepted}`);
		rows.push({
			scenario: `4 Timeout → Executions Retry (${BATCH} items)`,
			provider: p.label,
			creates: perItem(p.tasks(emulator), BATCH),
			status: `${o.first.execution?.status} → retry ${o.retried?.status}`,
			ids: `${idsNamedIn(run.error?.description).length ? 'listed in the saved error' : 'node error not saved'}; ledger ${inLedger.length === BATCH ? 'kept' : 'not kept'}`,
			note: run.error?.message ?? o.first.execution?.data?.resultData?.error?.message ?? '',
		});
	}
	return { rows, results, ms: Date.now() - t0 };
}

function truncate(s, n) {
	s = String(s ?? '');
	return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function printTable(rows) {
	const cols = [
		['scenario', 'scenario'],
		['provider', 'provider'],
		['creates', 'accepted creates (per item)'],
		['status', 'execution status'],
		['ids', 'task ids named in the error'],
		['note', 'error message (start)'],
	];
	rows = rows.map((r) => ({ ...r, note: truncate(r.note || '—', 60) }));
	const width = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
	const line = (vals) => `  | ${vals.map((v, i) => String(v).padEnd(width[i])).join(' | ')} |`;
	console.log(line(cols.map(([, h]) => h)));
	console.log(`  |${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
	for (const r of rows) console.log(line(cols.map(([k]) => r[k])));
}

async function runVersion(version, tarball, emulator) {
	const tv = Date.now();
	console.log(`\n== n8n ${version}`);
	const stack = await createStack({ version, tarball, emulator, examples: false });
	const setupMs = Date.now() - tv;
	const server = await startServer(stack.inst);
	console.log(`  user folder ${stack.userFolder}; setup ${(setupMs / 1000).toFixed(1)} s; n8n start ${(server.startMs / 1000).toFixed(1)} s on ${server.url} (log ${server.logFile})`);
	const timings = { setupMs, startMs: server.startMs };
	const results = [];
	const rows = [];
	let crash;
	// n8n encrypts imported credentials; the import file (plain keys) must be gone (n8n-env.mjs).
	const leaks = filesWithSecrets(stack.userFolder, credentialSecrets(stack.credentials));
	console.log(`    ${leaks.length ? 'FAIL' : 'PASS'}  no file in the user folder holds a credential key in plain text${leaks.length ? `  — ${leaks.join(', ')}` : ''}`);
	results.push({ name: 'no credential key in a plain-text file of the user folder', ok: leaks.length === 0, detail: leaks.join(', ') });
	try {
		console.log('  -- scenario 1: Retry On Fail after reset-after-accept (1 item)');
		const s1 = await scenarioRetryOnFail(server, emulator, stack.inst.pkg.name);
		console.log('  -- scenario 2: Max Wait, then the Executions list Retry (3 items)');
		const s2 = await scenarioExecutionRetry(server, emulator, stack.inst.pkg.name);
		console.log('  -- scenario 3: Stop while the tasks run, then the Executions list Retry (3 items)');
		const s3 = await scenarioStop(server, emulator, stack.inst.pkg.name);
		console.log('  -- scenario 4: the workflow timeout while the tasks run, then the Executions list Retry (3 items)');
		const s4 = await scenarioTimeout(server, emulator, stack.inst.pkg.name);
		timings.s4Ms = s4.ms;
		console.log('  -- scenario 5: "Save execution progress" on, Stop while the tasks run, then the Executions list Retry (3 items)');
		const s5 = await scenarioStop(server, emulator, stack.inst.pkg.name, { progress: true });
		timings.s5Ms = s5.ms;
		timings.s1Ms = s1.ms;
		timings.s2Ms = s2.ms;
		timings.s3Ms = s3.ms;
		results.push(...s1.results, ...s2.results, ...s3.results, ...s4.results, ...s5.results);
		rows.push(...s1.rows, ...s2.rows, ...s3.rows, ...s4.rows, ...s5.rows);
	} catch (error) {
		crash = error;
		console.log(`    FAIL  ${error.stack ?? error}`);
		console.log(`    n8n log tail:\n${server.log().split('\n').slice(-25).join('\n')}`);
		results.push({ name: `crashed: ${error.message}`, ok: false });
	} finally {
		const ts = Date.now();
		await server.stop();
		timings.stopMs = Date.now() - ts;
		if (flags.has('--keep') || crash) console.log(`  kept ${stack.userFolder}`);
		else stack.inst.remove();
	}
	timings.totalMs = Date.now() - tv;
	return { version, ok: results.length > 0 && results.every((r) => r.ok), results, rows, timings };
}

async function main() {
	const { summary, t0, packMs } = await acrossVersions(versions, runVersion);
	console.log('\n== retries summary (real `n8n start`, webhook executions, emulator counters)');
	for (const s of summary) {
		const t = s.timings;
		const sec = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
		console.log(`\n  n8n ${s.version}: ${s.ok ? 'PASSED' : 'FAILED'} (${s.results.filter((r) => r.ok).length}/${s.results.length} checks) in ${sec(t.totalMs)}` +
			` = setup ${sec(t.setupMs)} + n8n start ${sec(t.startMs)} + scenario 1 ${sec(t.s1Ms)} + scenario 2 ${sec(t.s2Ms)} + scenario 3 ${sec(t.s3Ms)} + scenario 4 ${sec(t.s4Ms)} + scenario 5 ${sec(t.s5Ms)} + stop ${sec(t.stopMs)}`);
		if (s.rows.length) printTable(s.rows);
		for (const r of s.results.filter((x) => !x.ok)) console.log(`    FAILED: ${r.name}${r.detail ? ` — ${r.detail}` : ''}`);
	}
	console.log(`\n  total ${((Date.now() - t0) / 1000).toFixed(1)} s (pack ${(packMs / 1000).toFixed(1)} s)`);
	return summary.every((s) => s.ok) ? 0 : 1;
}

runSuite(main);
