// The nodes in n8n QUEUE MODE: Redis + Postgres + `n8n start` (main) + two `n8n worker`s, all on
// this host (lib/queue-stack.mjs), the packed package in every user folder, the emulator in this
// process (faults injected, counters read directly).
//
//   npm run test:queue                     (= bash scripts/run.sh queue; also a step of .ci/run)
//   node e2e/queue.mjs [version] [--keep] [--binary=filesystem]  (default 2.41.1; QUEUE_SCENARIOS=A,B,…
//   runs some scenarios; QUEUE_SHORT_LOCKS=1 shortens n8n's job locks, see main())
//
// Scenarios (Kling Avatar; every execution is a production one, started by a webhook on main):
//  A. Webhook (respond with the last node's binary) → Kling Avatar Create, wait + download: runs
//     on a worker, succeeds, and main serves the video byte-identical over REST and as the
//     webhook's answer (binary data in n8n's default queue-mode store).
//  B. 10 items in one execution: one worker, done in ≈ one task time T.
//  C. 4 concurrent executions × 10 items: spread over both workers; wall time vs T (bench P7).
//  D. Stop from main: the worker's wait ends within 1 s; the stopped execution names the tasks.
//  E. Retry On Fail (create answer lost after Kling accepted it) and an Executions-list Retry
//     after Max Wait: no second paid task (emulator counters), across processes.
//  F. A worker SIGKILLed mid-wait, then the Executions-list Retry: what n8n does with the
//     execution, and that no task is paid twice.
//  G. Wait By → Provider Callback: a worker parks the execution, Kling's callbacks reach main,
//     which resumes it once (on a worker) with the 10 videos it downloaded.
//  H. Kling Avatar Trigger: Kling's callbacks (each end delivered 3 times) reach main's production
//     URL; each ended task starts exactly one execution, on a worker, with the confirmed video.
// Also: no file in any user folder holds a credential key in plain text.
// Exit code 0 = every assertion passed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isInstalled, packPackage } from './n8n-env.mjs';
import { credentialSecrets, emulatorCredentials, filesWithSecrets, startFastEmulator } from './lib/stack.mjs';
import { startQueueStack, workerOf, ensureDebianPackages } from './lib/queue-stack.mjs';
import { klingCreateParameters, klingJwt, PROVIDER_NODES, runSuite, webhookSplitOut } from './lib/suite.mjs';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const version = argv.find((a) => !a.startsWith('--')) ?? '2.41.1';
/** --binary=filesystem: every process stores binary data in ONE shared folder (else n8n's queue-mode default). */
const binaryMode = argv.find((a) => a.startsWith('--binary='))?.slice('--binary='.length);

/** Emulator task time for B/C (submitted 0.5 s + processing 5 s). */
const SUBMITTED_MS = 500;
const PROCESSING_MS = 5_000;
const T = SUBMITTED_MS + PROCESSING_MS;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uuid = () => crypto.randomUUID();
const sha = (buf) => crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16);
const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;

const results = [];
const figures = [];
/** Known limits observed (reported, not failed). */
const known = [];
function check(name, cond, detail) {
	results.push({ name, ok: !!cond, detail });
	console.log(`    ${cond ? 'PASS' : 'FAIL'}  ${name}${detail !== undefined && detail !== '' ? `  — ${detail}` : ''}`);
	return !!cond;
}
const figure = (name, value) => {
	figures.push([name, value]);
	console.log(`    ~~~~  ${name}: ${value}`);
};

function klingNode(packageName, emu, { maxWaitMinutes = 2, retryOnFail = false, waitBy } = {}) {
	return {
		id: uuid(),
		name: 'Kling Avatar',
		type: `${packageName}.klingAvatar`,
		typeVersion: 1,
		position: [440, 0],
		credentials: { klingApi: { id: 'taKlingEmulator1', name: 'Kling (emulator)' } },
		parameters: klingCreateParameters(emu, {
			prompt: '={{ "queue e2e item " + $json.n }}',
			...(waitBy ? { waitBy } : {}),
			maxWaitMinutes,
			downloadVideo: true,
			videoBinaryProperty: 'video',
			options: { pollMinIntervalSeconds: 0.5, pollMaxIntervalSeconds: 1 },
		}),
		...(retryOnFail ? { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 } : {}),
	};
}

/** Webhook → Split Out (body.items) → Kling Avatar; `binaryAnswer`: the webhook answers with the video. */
async function deploy(q, emu, tag, { binaryAnswer = false, progress = false, ...nodeOpts } = {}) {
	const hookPath = `q-${tag}-${uuid().slice(0, 8)}`;
	const packageName = q.stack.inst.pkg.name;
	const entry = webhookSplitOut(
		hookPath,
		'Kling Avatar',
		binaryAnswer ? { httpMethod: 'POST', path: hookPath, responseMode: 'lastNode', responseData: 'firstEntryBinary', responseBinaryPropertyName: 'video', options: {} } : undefined,
	);
	const wf = await q.main.rest.createWorkflow({
		name: `e2e queue: ${tag}`,
		nodes: [...entry.nodes, klingNode(packageName, emu.url, nodeOpts)],
		connections: entry.connections,
		settings: { executionOrder: 'v1', saveDataErrorExecution: 'all', saveDataSuccessExecution: 'all', ...(progress ? { saveExecutionProgress: true } : {}) },
	});
	await q.main.rest.activateWorkflow(wf.id, wf.versionId);
	await q.main.waitForWebhook(hookPath);
	return { id: wf.id, hookPath };
}

const items = (n) => ({ items: Array.from({ length: n }, (_, i) => ({ n: i + 1 })) });

/** POSTs the webhook and finds the execution it started (queue mode: it may not be saved yet). */
async function trigger(q, wf, n) {
	const known = new Set((await q.main.rest.listExecutions({ workflowId: wf.id })).map((e) => e.id));
	const at = Date.now();
	const hook = await q.main.webhook(wf.hookPath, items(n));
	if (hook.status !== 200) throw new Error(`webhook answered HTTP ${hook.status}: ${JSON.stringify(hook.body).slice(0, 300)}`);
	let ex;
	for (let i = 0; i < 200 && !ex; i++) {
		ex = (await q.main.rest.listExecutions({ workflowId: wf.id })).find((e) => !known.has(e.id));
		if (!ex) await sleep(100);
	}
	if (!ex) throw new Error(`no execution of workflow ${wf.id} after its webhook`);
	return { id: ex.id, at };
}

async function ended(q, wf, id, timeoutMs = 60_000) {
	await q.main.rest.waitForExecution((e) => e.id === id, { workflowId: wf.id, timeoutMs, intervalMs: 100 });
	return await q.main.rest.getExecution(id);
}

function nodeRun(execution) {
	const runs = execution?.data?.resultData?.runData?.['Kling Avatar'] ?? [];
	const last = runs[runs.length - 1];
	const out = last?.data?.main?.[0] ?? [];
	return { runs: runs.length, error: last?.error ?? execution?.data?.resultData?.error, items: out.map((i) => i.json), binaries: out.map((i) => i.binary ?? {}) };
}

const durationMs = (ex) => new Date(ex.stoppedAt).getTime() - new Date(ex.startedAt).getTime();
const taskIds = (emu) => emu.kling.tasks().map((t) => t.taskId);

async function waitTasks(emu, n, timeoutMs = 30_000) {
	const until = Date.now() + timeoutMs;
	while (emu.kling.tasks().length < n && Date.now() < until) await sleep(50);
	return emu.kling.tasks().length >= n;
}

async function waitTasksEnded(emu, timeoutMs = 40_000) {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		const t = emu.kling.tasks();
		if (t.length && t.every((x) => x.status === 'succeed' || x.status === 'failed')) return true;
		await sleep(200);
	}
	return false;
}

/**
 * G: Wait By → Provider Callback in queue mode: a worker submits 10 tasks and parks the execution
 * (status waiting, no worker slot held); Kling's callbacks reach main (/webhook-waiting), whose
 * webhook() reads the tasks back and, at the last end, resumes the execution once, on a worker,
 * with the 10 videos main downloaded (binary data written by main, read by the worker).
 */
async function scenarioG(q, emu) {
	console.log('  -- G: Wait By → Provider Callback, 10 items: parked on a worker, resumed by main from Kling\'s callbacks');
	emu.reset();
	emu.kling.config.submittedMs = SUBMITTED_MS;
	emu.kling.config.processingMs = PROCESSING_MS;
	emu.kling.config.concurrencyLimit = 1000;
	const wf = await deploy(q, emu, 'callback', { waitBy: 'callback' });
	const { id } = await trigger(q, wf, 10);
	const statuses = [];
	const until = Date.now() + 60_000;
	let ex;
	for (;;) {
		ex = await q.main.rest.get(`/executions/${id}`);
		if (statuses.at(-1) !== ex.status) statuses.push(ex.status);
		if (ex.finished || !['new', 'running', 'waiting', 'unknown', undefined].includes(ex.status) || Date.now() > until) break;
		await sleep(150);
	}
	ex = await q.main.rest.getExecution(id);
	const run = nodeRun(ex);
	const tasks = emu.kling.tasks();
	const lastEnd = Math.max(...tasks.map((t) => t.finishedAt ?? Infinity));
	const deliveries = emu.kling.callbacks;
	const who = workerOf(q, id);
	check('G: the execution parked (waiting) and then succeeded', statuses.includes('waiting') && ex.status === 'success', statuses.join(' → '));
	check('G: callbacks went to main\'s /webhook-waiting URL', tasks.every((t) => String(t.callbackUrl).startsWith(`${q.main.url}/webhook-waiting/${id}/`)), tasks[0]?.callbackUrl ?? 'none');
	check('G: resumed once: the node has one run with 10 "succeeded" items and their videos', run.runs === 1 && run.items.length === 10 && run.items.every((j) => j.status === 'succeeded') && run.binaries.filter((b) => b.video).length === 10, `runs ${run.runs}, ${run.items.map((j) => j.status).join(',')}`);
	check('G: 10 creates, 10 tasks', emu.kling.counters.createAccepted === 10 && emu.kling.counters.createRequests === 10, `createAccepted ${emu.kling.counters.createAccepted}`);
	check('G: status reads: 10 before parking + ≤ 2 per terminal callback', emu.kling.counters.getRequests <= 10 + 2 * deliveries.filter((d) => d.taskStatus === 'succeed').length, `${emu.kling.counters.getRequests} GETs, ${deliveries.length} deliveries (${deliveries.map((d) => d.statusCode).join(' ')})`);
	const stopped = new Date(ex.stoppedAt).getTime();
	figure('G callback wait: last task end → execution stopped (resume on a worker + 10 downloads on main)', `${sec(stopped - lastEnd)}; workers ${who.join(',') || '?'}`);
}

/**
 * H: the Kling Avatar Trigger in queue mode: Kling's callbacks (each end delivered 3 times) reach
 * main's production webhook URL; every ended task starts exactly one execution, on a worker, with
 * the video Kling's API confirms.
 */
async function scenarioH(q, emu) {
	console.log('  -- H: Kling Avatar Trigger: callbacks to main\'s production URL, executions on the workers');
	emu.reset();
	emu.kling.config.submittedMs = 200;
	emu.kling.config.processingMs = 800;
	const packageName = q.stack.inst.pkg.name;
	const webhookId = uuid();
	const wf = await q.main.rest.createWorkflow({
		name: 'e2e queue: Kling Avatar Trigger',
		nodes: [
			{
				id: uuid(),
				name: 'Kling Avatar Trigger',
				type: `${packageName}.klingAvatarTrigger`,
				typeVersion: 1,
				position: [0, 0],
				webhookId,
				credentials: PROVIDER_NODES.kling.credentials,
				parameters: { statusFilter: 'ended', downloadVideo: true, videoBinaryProperty: 'video', options: {} },
			},
		],
		connections: {},
		settings: { executionOrder: 'v1', saveDataErrorExecution: 'all', saveDataSuccessExecution: 'all' },
	});
	await q.main.rest.activateWorkflow(wf.id, wf.versionId);
	await q.main.waitForWebhook(`${webhookId}/callback`);
	const url = `${q.main.url}/webhook/${webhookId}/callback`;
	emu.kling.controlCallbacks({ action: 'duplicate', status: 'succeed', copies: 2 });
	const k = emu.kling.config;
	const ids = [];
	for (let n = 1; n <= 3; n++) {
		const res = await fetch(`${emu.url}/v1/videos/avatar/image2video`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${klingJwt(k.accessKey, k.secretKey)}` },
			body: JSON.stringify({ image: `${emu.url}/assets/portrait.jpg`, sound_file: `${emu.url}/assets/voice.mp3`, prompt: `queue trigger ${n}`, callback_url: url }),
		});
		ids.push((await res.json()).data.task_id);
	}
	const until = Date.now() + 60_000;
	let list = [];
	while (Date.now() < until) {
		const delivered = emu.kling.callbacks.filter((c) => c.taskStatus === 'succeed' && c.statusCode !== null).length >= 9;
		list = await q.main.rest.listExecutions({ workflowId: wf.id });
		if (delivered && list.length >= 3 && list.every((e) => e.finished || !['new', 'running', 'unknown', undefined].includes(e.status))) break;
		await sleep(200);
	}
	await sleep(2_000); // a duplicate that would start an execution shows up by now
	list = await q.main.rest.listExecutions({ workflowId: wf.id });
	const exs = await Promise.all(list.map((e) => q.main.rest.getExecution(e.id)));
	const outs = exs.map((e) => e?.data?.resultData?.runData?.['Kling Avatar Trigger']?.[0]?.data?.main?.[0]?.[0]);
	const who = exs.map((e) => workerOf(q, e.id).join('+') || '?');
	check('H: 3 ended tasks, each end delivered 3 times → exactly 3 executions, all succeeded', exs.length === 3 && exs.every((e) => e.status === 'success'), `${exs.length} executions: ${exs.map((e) => e.status).join(', ')}`);
	check('H: one execution per task, with the video Kling confirms', JSON.stringify(outs.map((o) => o?.json?.taskId).sort()) === JSON.stringify([...ids].sort()) && outs.every((o) => o?.json?.status === 'succeeded' && o?.binary?.video), outs.map((o) => `${o?.json?.taskId}:${o?.json?.status}`).join(' '));
	check('H: the executions ran on the workers', who.every((w) => q.workers.some((x) => x.name === w)), who.join(', '));
	emu.kling.clearCallbackControls();
}

async function scenarioA(q, emu) {
	console.log('  -- A: webhook → Kling Avatar (wait + download) on a worker; main serves the video');
	emu.reset();
	const wf = await deploy(q, emu, 'binary', { binaryAnswer: true });
	const t0 = Date.now();
	const res = await fetch(`${q.main.url}/webhook/${wf.hookPath}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(items(1)) });
	const answer = Buffer.from(await res.arrayBuffer());
	const hookMs = Date.now() - t0;
	const ex = (await q.main.rest.listExecutions({ workflowId: wf.id }))[0];
	const full = await ended(q, wf, ex.id);
	const run = nodeRun(full);
	const item = run.items[0] ?? {};
	const bin = run.binaries[0]?.video;
	const original = Buffer.from(await (await fetch(item.videoUrl)).arrayBuffer());
	const who = workerOf(q, ex.id);
	check('A: execution succeeded', full.status === 'success', `status ${full.status} ${run.error?.message ?? ''}`);
	check('A: it ran on a worker (exactly one)', who.length === 1, who.join(', ') || 'no worker log names it');
	check('A: 1 task, 1 create', emu.kling.counters.createAccepted === 1 && emu.kling.counters.createRequests === 1, `createAccepted ${emu.kling.counters.createAccepted}`);
	// 1.x 'default' mode keeps the bytes inline (base64 in the run data); other modes store an id.
	check('A: the video binary is in the run data', !!bin?.id || !!bin?.data, bin ? `${bin.id ? `${bin.id.split(':')[0]} mode` : 'inline (default mode)'}, ${bin.fileSize ?? '?'}` : 'none');
	const mode = bin?.id ? bin.id.split(':')[0] : 'default (inline base64)';
	figure(`A binary-data mode (${binaryMode ? `--binary=${binaryMode}` : 'n8n default in queue mode'})`, mode);
	let rest = Buffer.alloc(0);
	if (!bin?.id && bin?.data) {
		rest = Buffer.from(bin.data, 'base64');
		check('A: main serves it over REST (inline in GET /rest/executions/:id) byte-identical', rest.equals(original), `${rest.length} vs ${original.length} bytes`);
	}
	if (bin?.id) {
		const q2 = new URLSearchParams({ id: bin.id, action: 'download', fileName: bin.fileName ?? 'video.mp4', mimeType: bin.mimeType ?? 'video/mp4' });
		const r = await fetch(`${q.main.url}/rest/binary-data?${q2}`, { headers: { Cookie: [...q.main.rest.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'browser-id': q.main.rest.browserId } });
		rest = Buffer.from(await r.arrayBuffer());
		check('A: main serves it over REST (GET /rest/binary-data) byte-identical', r.status === 200 && rest.equals(original), `HTTP ${r.status}, ${rest.length} vs ${original.length} bytes, sha ${sha(rest)} vs ${sha(original)}`);
	}
	const same = res.status === 200 && answer.equals(original);
	const hookDetail = `HTTP ${res.status} ${res.headers.get('content-type')}, ${answer.length} bytes, sha ${sha(answer)}`;
	if (!same && !bin?.id && bin?.data) {
		// KNOWN (README "Scaling with queue mode"): n8n 1.x 'default' mode in queue mode sends a
		// corrupted body for a binary webhook answer; `--binary=filesystem` (one shared folder) works.
		console.log(`    XFAIL A: the webhook's binary answer is not the video in 1.x default mode (${hookDetail})`);
		known.push(`A: binary webhook answer corrupted in n8n ${version}'s default binary-data mode (${answer.length} bytes for ${original.length}); use --binary=filesystem`);
	} else check('A: the webhook answered with the video byte-identical', same, hookDetail);
	figure('A webhook round trip (1 task of 2 s at the emulator)', `${sec(hookMs)} on ${who.join(',')}`);
}

async function scenarioB(q, emu) {
	console.log(`  -- B: 10 items in one execution (task time T = ${sec(T)})`);
	emu.reset();
	emu.kling.config.submittedMs = SUBMITTED_MS;
	emu.kling.config.processingMs = PROCESSING_MS;
	emu.kling.config.concurrencyLimit = 1000; // the emulator's account allows 5 running tasks by default
	const wf = await deploy(q, emu, 'batch10');
	const { id } = await trigger(q, wf, 10);
	const ex = await ended(q, wf, id);
	const run = nodeRun(ex);
	const ms = durationMs(ex);
	const who = workerOf(q, id);
	check('B: execution succeeded with 10 videos', ex.status === 'success' && run.binaries.filter((b) => b.video).length === 10, `status ${ex.status}, ${run.items.length} items`);
	check('B: one worker ran it', who.length === 1, who.join(', '));
	check('B: 10 tasks, 10 creates', emu.kling.counters.createAccepted === 10 && emu.kling.counters.createRequests === 10, `createAccepted ${emu.kling.counters.createAccepted}`);
	check(`B: the batch took ≈ one task time (≤ T + 3 s = ${sec(T + 3000)})`, ms <= T + 3000, `${sec(ms)} = ${(ms / T).toFixed(2)} × T`);
	figure('B 10 items in one execution', `${sec(ms)} (${(ms / T).toFixed(2)} × T) on ${who.join(',')}`);
}

async function scenarioC(q, emu) {
	console.log('  -- C: 4 concurrent executions × 10 items');
	emu.reset();
	emu.kling.config.submittedMs = SUBMITTED_MS;
	emu.kling.config.processingMs = PROCESSING_MS;
	emu.kling.config.concurrencyLimit = 1000; // the emulator's account allows 5 running tasks by default
	const wfs = await Promise.all([1, 2, 3, 4].map((i) => deploy(q, emu, `conc${i}`)));
	// Warm-up, not measured: each workflow runs once with short tasks, so the figure is a worker's
	// steady state (a production worker has run the nodes before), not its first execution's
	// module loading and JIT, nor Postgres' first inserts into fresh tables.
	emu.kling.config.submittedMs = 50;
	emu.kling.config.processingMs = 100;
	const warm = await Promise.all(wfs.map((wf) => trigger(q, wf, 2)));
	await Promise.all(wfs.map((wf, i) => ended(q, wf, warm[i].id)));
	emu.reset();
	emu.kling.config.submittedMs = SUBMITTED_MS;
	emu.kling.config.processingMs = PROCESSING_MS;
	emu.kling.config.concurrencyLimit = 1000;
	const t0 = Date.now();
	const started = await Promise.all(wfs.map((wf) => trigger(q, wf, 10)));
	const exs = await Promise.all(wfs.map((wf, i) => ended(q, wf, started[i].id)));
	const wall = Math.max(...exs.map((e) => new Date(e.stoppedAt).getTime())) - Math.min(...exs.map((e) => new Date(e.startedAt).getTime()));
	const sinceHook = Date.now() - t0;
	const who = started.map((s) => workerOf(q, s.id).join('+') || '?');
	const per = Object.fromEntries(q.workers.map((w) => [w.name, who.filter((x) => x === w.name).length]));
	check('C: 4 executions succeeded, 40 videos', exs.every((e) => e.status === 'success' && nodeRun(e).binaries.filter((b) => b.video).length === 10), exs.map((e) => e.status).join(', '));
	check('C: spread over both workers', q.workers.every((w) => per[w.name] > 0), JSON.stringify(per));
	check('C: 40 tasks, 40 creates', emu.kling.counters.createAccepted === 40 && emu.kling.counters.createRequests === 40, `createAccepted ${emu.kling.counters.createAccepted}`);
	check('C: wall ≤ 2 × T (the executions ran side by side)', wall <= 2 * T, `${sec(wall)} = ${(wall / T).toFixed(2)} × T`);
	// Where the time goes, per execution (ms after its startedAt): from the emulator's request log.
	const breakdown = exs.map((e) => timeline(e, emu));
	figure('C timeline per execution (ms after its start: first create, last create, last task end, last end seen, last download, stopped)', breakdown.map((b) => `#${b.id} ${b.firstCreate}/${b.lastCreate}/${b.lastEnd}/${b.lastSeen}/${b.lastDownload}/${b.stopped}`).join('  '));
	if (process.env.QUEUE_TRACE) {
		const t = Math.min(...exs.map((e) => new Date(e.startedAt).getTime()));
		for (const e of exs) console.log(`      trace: execution ${e.id} ${new Date(e.startedAt).getTime() - t}…${new Date(e.stoppedAt).getTime() - t}`);
		for (const r of emu.requests) console.log(`      trace: ${r.at - t}…${(r.endedAt ?? Number.NaN) - t} ${r.method} ${r.path}`);
	}
	// For bench/figures/P7.ts, which runs this scenario alone.
	console.log(`@@P7@@${JSON.stringify({ wallMs: wall, taskMs: T, ratio: wall / T, split: per, breakdown, ok: exs.every((e) => e.status === 'success') && emu.kling.counters.createAccepted === 40 })}`);
	figure('C (P7) 4 × 10 items on 2 workers', `wall ${sec(wall)} = ${(wall / T).toFixed(2)} × T (first start → last end; ${sec(sinceHook)} from the first webhook call to the last execution read), split ${JSON.stringify(per)}`);
}

/**
 * One execution's timeline from the emulator's request log, in ms after its startedAt: creates
 * accepted, the tasks' ends, when a status read first saw each end, video downloads finished, and
 * when n8n marked it stopped. Its tasks are the ones its output names (the prompt must not carry the
 * execution id: it is part of the task ledger's fingerprint, and a Retry runs under a new id).
 */
function timeline(execution, emu) {
	const start = new Date(execution.startedAt).getTime();
	const ids = new Set(nodeRun(execution).items.map((j) => j.taskId));
	const mine = emu.kling.tasks().filter((t) => ids.has(t.taskId));
	const rel = (ms) => (Number.isFinite(ms) ? Math.round(ms - start) : null);
	const ends = mine.map((t) => t.createdAt + t.submittedMs + t.processingMs);
	const seen = mine.map((t, i) => Math.min(...emu.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/image2video/${t.taskId}`) && r.at >= ends[i]).map((r) => r.at)));
	const downloads = mine.map((t) => Math.max(...emu.requests.filter((r) => r.path.includes(t.taskId) && r.path.endsWith('.mp4')).map((r) => r.endedAt ?? Number.NaN)));
	return {
		id: execution.id,
		tasks: mine.length,
		firstCreate: rel(Math.min(...mine.map((t) => t.createdAt))),
		lastCreate: rel(Math.max(...mine.map((t) => t.createdAt))),
		lastEnd: rel(Math.max(...ends)),
		lastSeen: rel(Math.max(...seen)),
		lastDownload: rel(Math.max(...downloads)),
		stopped: rel(new Date(execution.stoppedAt).getTime()),
	};
}

async function scenarioD(q, emu) {
	const rounds = [];
	for (let i = 0; i < D_ROUNDS; i++) rounds.push(await stopRound(q, emu, i + 1));
	const fast = rounds.filter((r) => r.lineMs !== undefined && r.lineMs <= 1000);
	check(`D: every Stop ended the worker's wait within 1 s ("batch stopped" in its log)`, fast.length === rounds.length, rounds.map((r) => `${r.lineMs ?? '?'} ms`).join(', '));
	check('D: every stopped execution is canceled', rounds.every((r) => r.status === 'canceled'), rounds.map((r) => r.status).join(', '));
	check('D: the worker log names the 3 submitted task ids of every stopped execution', rounds.every((r) => r.inLog === 3), rounds.map((r) => r.inLog).join(', '));
	const shown = rounds.filter((r) => r.shown === 3).length;
	// n8n's Stop in queue mode: main publishes stop-execution and at once saves the execution as it
	// loaded it (canceled); the worker's own save of the cancelled run is skipped when main's came first
	// (requireNotCanceled). So the ids are in the saved execution only when the worker won the race.
	check('D: the stopped executions name the task ids (custom data or run data) at least once', shown >= 1, `${shown} of ${rounds.length}: ${rounds.map((r) => r.detail).join(' | ')}`);
	figure('D Stop → worker wait ended', `${rounds.map((r) => `${r.lineMs ?? '?'} ms`).join(', ')} (REST answers ${rounds.map((r) => r.answerMs).join(', ')} ms); task ids in the saved execution ${shown}/${rounds.length}`);
	check('D: 3 creates per round only', rounds.every((r) => r.creates === 3), rounds.map((r) => r.creates).join(', '));
}

const D_ROUNDS = 3;

async function stopRound(q, emu, round) {
	console.log(`  -- D${round}: Stop from main while the worker waits (3 items)`);
	emu.reset();
	emu.kling.config.processingMs = 10_000;
	const wf = await deploy(q, emu, 'stop');
	const { id } = await trigger(q, wf, 3);
	await waitTasks(emu, 3);
	await sleep(800); // the node is polling now
	const stoppedLine = Promise.any(q.workers.map((w) => w.waitForLine(/batch stopped/, 20_000)));
	const pollsBefore = emu.kling.counters.byPath ? JSON.stringify(emu.kling.counters.byPath) : '';
	const at = Date.now();
	await q.main.rest.post(`/executions/${id}/stop`, {});
	const answerMs = Date.now() - at;
	let lineMs;
	try {
		lineMs = (await stoppedLine).at - at;
	} catch {
		lineMs = undefined;
	}
	const ex = await ended(q, wf, id, 30_000);
	const endMs = Date.now() - at;
	const ids = taskIds(emu);
	const key = 'tasks_Kling_Avatar';
	const custom = Array.isArray(ex.customData) ? (ex.customData.find((d) => d.key === key)?.value ?? '') : (ex.customData?.[key] ?? '');
	const ledger = ex.data?.executionData?.contextData?.['node:Kling Avatar']?.taskLedger;
	const inLedger = Object.values(ledger?.items ?? {}).flatMap((i) => i.attempts.map((a) => a.taskId));
	const err = nodeRun(ex).error;
	const inData = JSON.stringify(ex.data ?? {});
	const shown = ids.filter((t) => custom.includes(t) || inLedger.includes(t) || inData.includes(t));
	const who = workerOf(q, id);
	const log = q.workers.map((w) => w.log()).join('\n');
	void pollsBefore;
	let meta = '';
	try {
		meta = q.pg.psql(`select key || '=' || value from execution_metadata where "executionId" = ${Number(id)}`);
	} catch (error) {
		meta = `(psql: ${error.message.split('\n')[0]})`;
	}
	const detail = `custom data ${custom ? `"${custom}"` : 'none'} (Postgres execution_metadata: ${meta || 'no row'}), ledger ${inLedger.length}, in run data ${ids.filter((t) => inData.includes(t)).length}`;
	console.log(`     ${id} on ${who.join(',')}: wait ended ${lineMs ?? '?'} ms after Stop, ${ex.status} seen after ${endMs} ms; ${detail}`);
	return { lineMs, answerMs, status: ex.status, shown: ids.length === 3 ? shown.length : 0, inLog: ids.filter((t) => log.includes(`submitted as task ${t}`)).length, creates: emu.kling.counters.createAccepted, detail };
}

async function scenarioE(q, emu) {
	console.log('  -- E1: Retry On Fail after the create\'s answer was lost (reset-after-accept), 1 item');
	emu.reset();
	emu.kling.config.processingMs = 1_500;
	const wf1 = await deploy(q, emu, 'retryonfail', { retryOnFail: true });
	emu.kling.inject({ route: 'create', fault: 'reset-after-accept' });
	const s1 = await trigger(q, wf1, 1);
	const ex1 = await ended(q, wf1, s1.id);
	const r1 = nodeRun(ex1);
	check('E1: execution succeeded, following the one task', ex1.status === 'success' && r1.items[0]?.taskId === taskIds(emu)[0], `status ${ex1.status}, ${r1.error?.message ?? ''}`);
	check('E1: 1 accepted create, sent once', emu.kling.counters.createAccepted === 1 && emu.kling.counters.createRequests === 1,
		`createAccepted ${emu.kling.counters.createAccepted}, createRequests ${emu.kling.counters.createRequests} (on ${workerOf(q, s1.id).join(',')})`);

	console.log('  -- E2: Max Wait fails a 3-item batch, then the Executions list\'s Retry');
	emu.reset();
	emu.kling.config.processingMs = 6_000;
	const wf2 = await deploy(q, emu, 'listretry', { maxWaitMinutes: 0.05 });
	const s2 = await trigger(q, wf2, 3);
	const ex2 = await ended(q, wf2, s2.id);
	const ids = taskIds(emu);
	check('E2: first execution failed at Max Wait with 3 tasks', ex2.status === 'error' && /Max Wait/.test(nodeRun(ex2).error?.message ?? '') && ids.length === 3, `status ${ex2.status}: ${nodeRun(ex2).error?.message ?? ''}`);
	await waitTasksEnded(emu);
	const t = Date.now();
	const answer = await q.main.rest.retryExecution(s2.id, { loadWorkflow: false });
	let retriedId = answer?.id;
	for (let i = 0; i < 100 && !retriedId; i++) {
		retriedId = (await q.main.rest.listExecutions({ workflowId: wf2.id })).find((e) => String(e.retryOf) === String(s2.id))?.id;
		if (!retriedId) await sleep(200);
	}
	const rex = retriedId ? await ended(q, wf2, retriedId) : undefined;
	const rr = nodeRun(rex);
	check('E2: the Retry succeeded, following the same 3 tasks with their videos',
		rex?.status === 'success' && rr.items.length === 3 && ids.every((id) => rr.items.some((j) => j.taskId === id)) && rr.binaries.every((b) => b.video),
		`retry ${retriedId} ${rex?.status} in ${sec(Date.now() - t)} on ${workerOf(q, retriedId).join(',') || 'main?'}: ${rr.error?.message ?? ''}`);
	check('E2: still 3 accepted creates (3 requests) after the Retry', emu.kling.counters.createAccepted === 3 && emu.kling.counters.createRequests === 3, `createAccepted ${emu.kling.counters.createAccepted}`);
	figure('E2 ran on', `first ${workerOf(q, s2.id).join(',')}, Retry ${workerOf(q, retriedId).join(',') || '(no worker log: main)'}`);
}

async function scenarioF(q, emu, { progress }) {
	const tag = progress ? 'F2' : 'F1';
	console.log(`  -- ${tag}: a worker SIGKILLed mid-wait (2 items${progress ? ', "Save execution progress" on' : ''}), then the Executions list's Retry`);
	emu.reset();
	emu.kling.config.processingMs = 8_000;
	const wf = await deploy(q, emu, `crash${progress ? 'p' : ''}`, { progress });
	const { id } = await trigger(q, wf, 2);
	await waitTasks(emu, 2);
	await sleep(500);
	const victim = q.workers.find((w) => workerOf(q, id).includes(w.name));
	const killedAt = Date.now();
	victim?.kill('SIGKILL');
	// Restarted at once, as a supervisor (systemd, Kubernetes) does. Left dead instead, n8n 2.41.1 kept
	// the execution "running" for over 90 s (default job lock 60 s + stalled check 30 s) and then failed
	// the job as stalled; its Retry then ended at once with that error, without running the node.
	const restart = victim?.restart();
	let ex;
	let endMs;
	try {
		ex = await ended(q, wf, id, 90_000);
		endMs = Date.now() - killedAt;
	} catch (error) {
		ex = await q.main.rest.getExecution(id);
		console.log(`    (${error.message})`);
	}
	await restart;
	const ids = taskIds(emu);
	const crashErr = ex?.data?.resultData?.error;
	const errMsg = crashErr?.message ?? '';
	const ranNodes = Object.keys(ex?.data?.resultData?.runData ?? {});
	figure(`${tag} killed ${victim?.name ?? '?'} mid-wait → execution`, `${ex?.status} after ${endMs === undefined ? '?' : sec(endMs)}${errMsg ? `: ${crashErr?.name ?? ''} "${errMsg.slice(0, 120)}"` : ''}; run data of ${ranNodes.join(', ') || 'no node'}; ${ids.length} tasks at the emulator`);
	check(`${tag}: the execution ended (not left running)`, !!ex && !['running', 'new'].includes(ex.status), `status ${ex?.status}`);
	check(`${tag}: it was not re-run elsewhere (still 2 creates)`, emu.kling.counters.createAccepted === 2, `createAccepted ${emu.kling.counters.createAccepted}`);
	await waitTasksEnded(emu);
	const answer = await q.main.rest.retryExecution(id, { loadWorkflow: false }).catch((e) => ({ error: e.message }));
	let retriedId = answer?.id;
	for (let i = 0; i < 100 && !retriedId; i++) {
		retriedId = (await q.main.rest.listExecutions({ workflowId: wf.id })).find((e) => String(e.retryOf) === String(id))?.id;
		if (!retriedId) await sleep(200);
	}
	const rex = retriedId ? await ended(q, wf, retriedId) : undefined;
	const rr = nodeRun(rex);
	const followed = rex?.status === 'success' && ids.every((t) => rr.items.some((j) => j.taskId === t));
	const refused = /This Retry repeats an execution/.test(rr.error?.message ?? '');
	const notRun = !!rex && rr.runs === 0;
	const what = followed ? 'followed the tasks' : refused ? 'the node refused to send (a Retry of an interrupted run)' : notRun ? 'n8n did not run the node at all' : `the node ran ${rr.runs} time(s)`;
	const crashLedger = Object.values(ex?.data?.executionData?.contextData?.['node:Kling Avatar']?.taskLedger?.items ?? {}).flatMap((i) => i.attempts.map((a) => a.taskId));
	figure(`${tag} Retry of the crashed execution`, `${retriedId ?? answer?.error} ${rex?.status}: ${what}${rex?.data?.resultData?.error ? ` ("${String(rex.data.resultData.error.message).slice(0, 90)}…")` : ''}; creates now ${emu.kling.counters.createAccepted}; the crashed execution holds ${crashLedger.length} of the task ids`);
	const once = emu.kling.counters.createAccepted === 2 && emu.kling.counters.createRequests === 2;
	// With "Save execution progress" on, the crashed execution holds the Webhook's and Split Out's
	// runs; without it, it holds only n8n's crash error. Either way its Retry is seen as a Retry of an
	// interrupted run (executionHistory.ts) and sends nothing it cannot look up first.
	check(`${tag}: the Retry paid no second task`, once, `createAccepted ${emu.kling.counters.createAccepted}`);
	check(`${tag}: the Retry followed the tasks, refused to send, or did not run the node`, followed || refused || notRun, `${what}: ${rr.error?.message ?? rex?.status}`);
	figure(`${tag} outcome`, what);
	check(`${tag}: the killed worker's log named both tasks`, ids.every((t) => victim?.log().includes(t)));
}

async function main() {
	if (!isInstalled(version)) throw new Error(`n8n@${version} is not installed: run \`bash e2e/install-n8n.sh ${version}\``);
	const t0 = Date.now();
	ensureDebianPackages();
	const tarball = process.env.E2E_PACKAGE_TARBALL || packPackage();
	const packMs = Date.now() - t0;
	const emu = await startFastEmulator();
	console.log(`== n8n ${version} in queue mode; package ${path.basename(tarball)} (${sec(packMs)}); emulator ${emu.url}`);
	let q;
	let crash;
	let sharedBinaryDir;
	try {
		q = await startQueueStack({
			version,
			tarball,
			emulator: emu,
			workers: 2,
			keep: flags.has('--keep'),
			// A dead worker's job is noticed in seconds, not after the default 60 s lock (scenario F).
			// n8n's own job-lock settings (lock 60 s, stalled check 30 s): shorter ones make Bull fail a
			// dead worker's job as "stalled", and the Retry then behaves differently from what users see.
			// QUEUE_SHORT_LOCKS=1 sets them short (lock 5 s, renew 1 s, stalled check 3 s) to compare.
			env: {
				...(process.env.QUEUE_SHORT_LOCKS ? { QUEUE_WORKER_LOCK_DURATION: '5000', QUEUE_WORKER_LOCK_RENEW_TIME: '1000', QUEUE_WORKER_STALLED_INTERVAL: '3000' } : {}),
				...(binaryMode ? { N8N_DEFAULT_BINARY_DATA_MODE: binaryMode } : {}),
				...(binaryMode === 'filesystem' ? { N8N_BINARY_DATA_STORAGE_PATH: (sharedBinaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-queue-binary-'))) } : {}),
			},
		});
		const tm = q.timings;
		console.log(`  Redis ${q.redis.port}, Postgres ${q.pg.version} ${q.pg.port}, main ${q.main.url} (${q.stack.userFolder}), workers ${q.workers.map((w) => `${w.name} ${w.userFolder}`).join(', ')}`);
		figure('stack start', `${sec(tm.totalMs)} = Redis+Postgres ${sec(tm.servicesMs)} + main folder (package, credentials → Postgres, migrations) ${sec(tm.mainFolderMs)} + worker folders ${sec(tm.workerFoldersMs)} + main and workers ready ${sec(tm.n8nMs)}`);
		const scen = [['A', () => scenarioA(q, emu)], ['B', () => scenarioB(q, emu)], ['C', () => scenarioC(q, emu)], ['D', () => scenarioD(q, emu)], ['E', () => scenarioE(q, emu)], ['F1', () => scenarioF(q, emu, { progress: false })], ['F2', () => scenarioF(q, emu, { progress: true })], ['G', () => scenarioG(q, emu)], ['H', () => scenarioH(q, emu)]];
		const only = process.env.QUEUE_SCENARIOS?.split(',');
		for (const [name, fn] of scen) {
			if (only && !only.includes(name)) continue;
			const ts = Date.now();
			try {
				await fn();
			} catch (error) {
				check(`${name}: crashed: ${error.message}`, false);
				console.log(error.stack);
			}
			figure(`scenario ${name} time`, sec(Date.now() - ts));
		}
		const secrets = credentialSecrets(emulatorCredentials(emu));
		const leaks = [q.stack.userFolder, ...q.workers.map((w) => w.userFolder)].flatMap((f) => filesWithSecrets(f, secrets));
		check('no file in any user folder holds a credential key in plain text (no import-credentials-*.json left)', secrets.length > 0 && leaks.length === 0, leaks.join(', ') || `${secrets.length} keys looked for`);
	} catch (error) {
		crash = error;
		check(`stack crashed: ${error.message}`, false);
		console.log(error.stack);
		if (q?.main) console.log(`  main log tail:\n${q.main.log().split('\n').slice(-25).join('\n')}`);
	} finally {
		if (q) await q.stop();
		await emu.close();
		if (sharedBinaryDir) fs.rmSync(sharedBinaryDir, { recursive: true, force: true });
	}
	if (q) figure('stop (workers, main, Postgres, Redis)', `${sec(q.timings.stopMs)} (${Object.entries(q.timings.stopParts ?? {}).map(([k, v]) => `${k} ${sec(v)}`).join(', ')})`);
	figure('suite wall time', sec(Date.now() - t0));
	console.log(`\n== queue summary (n8n ${version}): ${results.every((r) => r.ok) && !crash ? 'PASSED' : 'FAILED'} (${results.filter((r) => r.ok).length}/${results.length} checks)`);
	for (const [k, v] of figures) console.log(`  ${k}: ${v}`);
	for (const k of known) console.log(`  KNOWN: ${k}`);
	for (const r of results.filter((x) => !x.ok)) console.log(`  FAILED: ${r.name}${r.detail ? ` — ${r.detail}` : ''}`);
	return results.length && results.every((r) => r.ok) ? 0 : 1;
}

runSuite(main);
