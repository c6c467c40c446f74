// "Wait for Completion → By Provider Callback" in a REAL n8n server, on every pinned n8n version.
//
//   npm run test:callback-wait [-- versions...] [--keep]      (= bash scripts/run.sh callback-wait)
//
// Per version: a fresh user folder with the packed package (lib/stack.mjs), a real `n8n start`
// (lib/server.mjs) and the emulator in this process. n8n's WEBHOOK_URL points at a small relay in
// this process that forwards every request to n8n: the resume URL the node gives the provider goes
// through it, so the test sees each callback and n8n's answer, and can lose, repeat or delay one.
// Every execution is a production one: an ACTIVE workflow Webhook (onReceived) → Split Out → our
// node (Wait By: Provider Callback) → After (No Op), started by POST /webhook/<path>.
//
// Scenarios:
//  K1  Kling, 10 items: the execution is 'waiting' while the tasks run (no process held), no
//      status request is made while no callback comes, the first terminal callback is lost, the
//      second is delivered twice and a stale 'processing' callback is replayed after its task's
//      end; the execution resumes exactly once (one callback answered "resumed"), after the
//      last task ended, with 10 items (videos downloaded); reads per callback are counted.
//  K2  Kling, 3 items, every terminal callback lost: Max Wait wakes the execution; the node
//      outputs the 3 items marked timedOut with their task IDs and the `next` hint; a node after
//      it fails the execution, whose Executions-list Retry creates nothing.
//  K3  Kling, 3 items: a waiting execution is stopped, then retried from the Executions list;
//      nothing is created again.
//  A1  Akool, 3 items: Akool's signed, encrypted webhooks resume one batch once; forged
//      deliveries (a signed lie, a bad signature, a wrong key, an old timestamp) are read back and
//      answered 200 without resuming, a body that is no delivery 401.
// In every scenario the emulator's counters must show exactly one create per item.
// Exit code 0 = every assertion passed.
import crypto from 'node:crypto';
import http from 'node:http';
import { createStack } from './lib/stack.mjs';
import { freePort, startServer } from './lib/server.mjs';
import { acrossVersions, akoolCreateParameters, klingCreateParameters, makeChecker, PROVIDER_NODES, runSuite, webhookSplitOut } from './lib/suite.mjs';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const versions = argv.filter((a) => !a.startsWith('--'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uuid = () => crypto.randomUUID();

// ───────────────────────────── the callback relay ─────────────────────────────

/**
 * An HTTP relay in front of n8n (WEBHOOK_URL points here). Every request is forwarded to n8n
 * unless `rule(entry)` says otherwise: 'drop' (answered 200 here, never reaches n8n: a lost
 * callback), 'twice' (forwarded, then forwarded again: a duplicate), or { holdMs } (forwarded
 * later). `log` keeps every request with n8n's answer.
 */
async function startRelay(targetUrl) {
	const port = await freePort();
	const log = [];
	let rule = () => 'forward';
	const forward = async (entry, req, body) => {
		const res = await fetch(`${targetUrl}${req.url}`, { method: req.method, headers: { 'Content-Type': req.headers['content-type'] ?? 'application/json' }, body: req.method === 'GET' ? undefined : body });
		const text = await res.text();
		let parsed = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			/* text */
		}
		log.push({ ...entry, forwardedAt: Date.now(), n8nStatus: res.status, n8nBody: parsed });
		return { status: res.status, text, type: res.headers.get('content-type') ?? 'application/json' };
	};
	const server = http.createServer(async (req, res) => {
		const chunks = [];
		for await (const c of req) chunks.push(c);
		const body = Buffer.concat(chunks);
		let json;
		try {
			json = JSON.parse(body.toString('utf8'));
		} catch {
			json = undefined;
		}
		const entry = { at: Date.now(), method: req.method, url: req.url, taskId: json?.task_id, taskStatus: json?.task_status, akool: !!json?.dataEncrypt };
		const action = rule(entry, json);
		entry.action = typeof action === 'object' ? `hold ${action.holdMs} ms` : action;
		try {
			if (action === 'drop') {
				log.push({ ...entry, n8nStatus: null });
				res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"dropped":true}');
				return;
			}
			if (typeof action === 'object' && action.holdMs) {
				res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"held":true}');
				await sleep(action.holdMs);
				await forward({ ...entry, late: true }, req, body);
				return;
			}
			const answer = await forward(entry, req, body);
			res.writeHead(answer.status, { 'Content-Type': answer.type }).end(answer.text);
			if (action === 'twice') await forward({ ...entry, duplicate: true }, req, body);
		} catch (error) {
			log.push({ ...entry, n8nStatus: null, error: String(error) });
			if (!res.headersSent) res.writeHead(502).end();
		}
	});
	await new Promise((r) => server.listen(port, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		log,
		setRule(fn) {
			rule = fn;
		},
		close: () => new Promise((r) => server.close(r)),
	};
}

// ───────────────────────────── workflows ─────────────────────────────

const KLING = {
	...PROVIDER_NODES.kling,
	parameters: (emu, maxWaitMinutes) =>
		klingCreateParameters(emu, { prompt: '={{ "callback e2e item " + $json.n }}', waitBy: 'callback', maxWaitMinutes, downloadVideo: true, videoBinaryProperty: 'video' }),
};

const AKOOL = {
	...PROVIDER_NODES.akool,
	parameters: (emu, maxWaitMinutes) => akoolCreateParameters(emu, { waitBy: 'callback', maxWaitMinutes, downloadVideo: true, videoBinaryProperty: 'video' }),
};

function buildWorkflow(p, { tag, packageName, emulatorUrl, maxWaitMinutes, failAfter }) {
	const hookPath = `ta-cb-${tag}-${uuid().slice(0, 8)}`;
	const entry = webhookSplitOut(hookPath, p.nodeName);
	return {
		hookPath,
		workflow: {
			name: `e2e callback wait: ${tag}`,
			nodes: [
				...entry.nodes,
				{ id: uuid(), name: p.nodeName, type: `${packageName}.${p.type}`, typeVersion: 1, position: [440, 0], credentials: p.credentials, parameters: p.parameters(emulatorUrl, maxWaitMinutes) },
				{ id: uuid(), name: 'After', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [660, 0], parameters: {} },
				// A workflow that fails after a timeout (to be retried from the Executions list).
				...(failAfter ? [{ id: uuid(), name: 'Fail', type: 'n8n-nodes-base.stopAndError', typeVersion: 1, position: [880, 0], parameters: { errorType: 'errorMessage', errorMessage: 'timed out' } }] : []),
			],
			connections: {
				...entry.connections,
				[p.nodeName]: { main: [[{ node: 'After', type: 'main', index: 0 }]] },
				...(failAfter ? { After: { main: [[{ node: 'Fail', type: 'main', index: 0 }]] } } : {}),
			},
			settings: { executionOrder: 'v1', saveDataErrorExecution: 'all', saveDataSuccessExecution: 'all', saveManualExecutions: true },
		},
	};
}

async function deploy(server, p, opts) {
	const built = buildWorkflow(p, opts);
	const saved = await server.rest.createWorkflow(built.workflow);
	await server.rest.activateWorkflow(saved.id, saved.versionId);
	await server.waitForWebhook(built.hookPath);
	return { ...built, id: saved.id, p };
}

/** Starts the workflow; returns the new execution's id once n8n lists it, and the statuses seen meanwhile. */
async function start(server, wf, items) {
	const known = new Set((await server.rest.listExecutions({ workflowId: wf.id })).map((e) => e.id));
	const hook = await server.webhook(wf.hookPath, { items: Array.from({ length: items }, (_, i) => ({ n: i + 1 })) });
	if (hook.status !== 200) throw new Error(`webhook answered HTTP ${hook.status}: ${JSON.stringify(hook.body)}`);
	for (let i = 0; i < 200; i++) {
		const e = (await server.rest.listExecutions({ workflowId: wf.id })).find((x) => !known.has(x.id));
		if (e) return e.id;
		await sleep(100);
	}
	throw new Error('no execution started');
}

/** Polls an execution until it ended; records every status seen (with time). */
async function follow(server, id, { timeoutMs = 60_000, onStatus } = {}) {
	const seen = [];
	const until = Date.now() + timeoutMs;
	for (;;) {
		const ex = await server.rest.get(`/executions/${id}`);
		if (seen.at(-1)?.status !== ex.status) {
			seen.push({ status: ex.status, at: Date.now() });
			onStatus?.(ex.status);
		}
		if (ex.finished || !['new', 'running', 'waiting', 'unknown', undefined].includes(ex.status)) break;
		if (Date.now() > until) throw new Error(`execution ${id} still ${ex.status} after ${timeoutMs / 1000} s (statuses ${seen.map((s) => s.status).join(' → ')})`);
		await sleep(150);
	}
	return { seen, execution: await server.rest.getExecution(id) };
}

function nodeRuns(execution, name) {
	return execution?.data?.resultData?.runData?.[name] ?? [];
}

function outputOf(execution, name) {
	const runs = nodeRuns(execution, name);
	const items = runs.at(-1)?.data?.main?.[0] ?? [];
	return { runs: runs.length, items: items.map((i) => i.json), binaries: items.map((i) => i.binary ?? {}), paired: items.map((i) => i.pairedItem), startTime: runs.at(-1)?.startTime };
}

const isResumeAnswer = (l) => l.n8nBody && typeof l.n8nBody === 'object' && l.n8nBody.resumed === true;
const waitingPath = (l) => /^\/webhook-waiting\//.test(l.url ?? '');

// ───────────────────────────── scenarios ─────────────────────────────

/**
 * K1: 10 Kling tasks with the emulator's delivery controls: the first terminal callback lost, the
 * second delivered twice, one 'processing' callback late (8 s) and one out of order (after its
 * task's end), plus forged callbacks while waiting; resumes exactly once, after the last task ended.
 */
async function scenarioBatch(server, emulator, relay, packageName, figures) {
	const { results, check } = makeChecker('K1');
	const N = 10;
	emulator.reset();
	emulator.kling.clearCallbackControls();
	emulator.kling.config.concurrencyLimit = 50;
	emulator.kling.config.submittedMs = 300;
	emulator.kling.config.processingMs = 6_000;
	const wf = await deploy(server, KLING, { tag: 'k1', packageName, emulatorUrl: emulator.url, maxWaitMinutes: 5 });
	emulator.kling.controlCallbacks({ action: 'lose', status: 'succeed', times: 1 });
	emulator.kling.controlCallbacks({ action: 'duplicate', status: 'succeed', times: 1 });
	emulator.kling.controlCallbacks({ action: 'delay', status: 'processing', delayMs: 12_000, times: 1 });
	emulator.kling.controlCallbacks({ action: 'reorder', status: 'processing', times: 1 });
	relay.setRule(() => 'forward');
	const logStart = relay.log.length;
	const t0 = Date.now();
	const id = await start(server, wf, N);
	// While the execution waits: forged callbacks (Kling does not sign its callbacks).
	let forged = [];
	const forging = (async () => {
		for (let i = 0; i < 100; i++) {
			if ((await server.rest.get(`/executions/${id}`)).status === 'waiting') break;
			await sleep(100);
		}
		await sleep(500);
		const running = emulator.kling.tasks()[0];
		forged = [
			await emulator.kling.forgeCallback(running.callbackUrl, { task: running.taskId, status: 'succeed' }),
			await emulator.kling.forgeCallback(running.callbackUrl, { status: 'succeed' }),
			await emulator.kling.forgeCallback(running.callbackUrl, { body: 'not json at all' }),
		];
		forged.stillWaiting = (await server.rest.get(`/executions/${id}`)).status === 'waiting';
		forged.taskWasRunning = !['succeed', 'failed'].includes(emulator.kling.task(running.taskId)?.status);
	})();
	const { seen, execution } = await follow(server, id, { timeoutMs: 90_000 });
	await forging;
	await sleep(Math.max(0, t0 + 14_000 - Date.now())); // the late callback arrives after the resume
	const log = relay.log.slice(logStart).filter(waitingPath);
	const deliveries = emulator.kling.callbacks.filter((d) => d.control !== 'forged');
	const tasks = emulator.kling.tasks();
	const c = emulator.kling.counters;
	const out = outputOf(execution, 'After');
	const node = outputOf(execution, KLING.nodeName);
	const lastEnd = Math.max(...tasks.map((t) => t.finishedAt ?? Infinity));
	const resumedAt = out.startTime;
	const parkedAt = seen.find((s) => s.status === 'waiting')?.at;
	const firstTerminalAt = Math.min(...tasks.map((t) => t.finishedAt ?? Infinity));
	const gets = emulator.kling.requests.filter((r) => r.method === 'GET' && /\/v1\/videos\/avatar\/image2video\/./.test(r.path));
	const getsQuiet = parkedAt ? gets.filter((r) => r.at > parkedAt + 500 && r.at < firstTerminalAt - 50 && !forged.some((f) => Math.abs(f.at - r.at) < 1000)).length : -1;
	const terminalReceived = log.filter((l) => l.taskStatus === 'succeed' || l.taskStatus === 'failed');
	const afterPark = parkedAt ? gets.filter((r) => r.at > parkedAt) : gets;
	const marks = (m) => deliveries.filter((d) => d.control === m);
	console.log(`  -- execution ${id}: ${seen.map((s) => s.status).join(' → ')}; ${tasks.length} tasks; deliveries ${deliveries.length} (lost ${marks('lost').length}, duplicate ${marks('duplicate').length}, delayed ${marks('delayed').length}, reordered ${marks('reordered').length}); n8n's answers: ${log.map((l) => `${l.taskStatus ?? 'forged'}:${l.n8nStatus}`).join(' ')}`);
	check('the execution was "waiting" while the tasks ran (no process held)', !!parkedAt && parkedAt < lastEnd, `statuses ${seen.map((s) => s.status).join(' → ')}`);
	check('1 create per item (10 creates, 10 tasks)', c.createRequests === N && c.createAccepted === N && tasks.length === N, `createRequests ${c.createRequests}, createAccepted ${c.createAccepted}`);
	check('the execution succeeded', execution.status === 'success', execution.status);
	check('it resumed exactly once: After ran once, one callback answered "resumed"', out.runs === 1 && log.filter(isResumeAnswer).length === 1, `After runs ${out.runs}, resumed answers ${log.filter(isResumeAnswer).length}`);
	check('it resumed after the last task ended', resumedAt >= lastEnd, `last task end ${new Date(lastEnd).toISOString()}, resumed ${new Date(resumedAt).toISOString()}`);
	check('10 items "succeeded" with the emulator\'s tasks, videos downloaded, paired with their input item',
		out.items.length === N && out.items.every((j) => j.status === 'succeeded') && tasks.every((t) => out.items.some((j) => j.taskId === t.taskId)) && out.binaries.every((b) => b.video) && out.paired.every((p, i) => p?.item === i),
		out.items.map((j) => j.status).join(','));
	check('the node\'s own run is the resumed one (one run, 10 items)', node.runs === 1 && node.items.length === N);
	check('lost, duplicated, late and out-of-order callbacks were in the mix (emulator controls)', marks('lost').length === 1 && marks('duplicate').length >= 1 && marks('delayed').length === 1 && marks('reordered').length === 1,
		`lost ${marks('lost').length}, duplicate ${marks('duplicate').length}, delayed ${marks('delayed').length}, reordered ${marks('reordered').length}`);
	check('forged callbacks while waiting were answered without resuming: a running task "succeed" and an unknown task 200 (read back), garbage refused by n8n',
		forged.length === 3 && forged[0].statusCode === 200 && forged[1].statusCode === 200 && forged[2].statusCode !== 200 && forged.stillWaiting && forged.taskWasRunning && !out.items.some((j) => /forged/.test(String(j.videoUrl))),
		forged.map((f) => f.statusCode).join(' '));
	check('callbacks after the resume (the late one) were refused by n8n (409), not resumed again', log.some((l) => l.forwardedAt > resumedAt + 1000) && log.filter((l) => l.forwardedAt > resumedAt + 1000).every((l) => l.n8nStatus === 409), log.filter((l) => l.forwardedAt > resumedAt + 1000).map((l) => `${l.taskStatus}:${l.n8nStatus}`).join(' ') || 'none');
	check('0 status requests while no callback came (from parking to the first task end, forged ones aside)', getsQuiet === 0, `${getsQuiet} GETs`);
	const perCallback = terminalReceived.length ? afterPark.length / terminalReceived.length : Infinity;
	check('status requests after parking ≤ 2 per terminal callback received (the confirmation reads)', afterPark.length <= 2 * terminalReceived.length, `${afterPark.length} GETs for ${terminalReceived.length} terminal callbacks (${perCallback.toFixed(2)} per callback); ${gets.length} GETs in all (10 checked once before parking)`);
	const decided = log.find(isResumeAnswer);
	const terminalTimes = terminalReceived.map((l) => `${l.at - lastEnd}/${(l.forwardedAt ?? l.at) - lastEnd}`);
	console.log(`     terminal callbacks received/answered, ms after the last task end: ${terminalTimes.join(' ')}`);
	console.log(`     GETs after parking, ms after the last task end: ${afterPark.map((r) => r.at - lastEnd).join(' ')}`);
	figures.k1 = { resumeAfterLastEndMs: resumedAt - lastEnd, decidedAfterLastEndMs: decided.forwardedAt - lastEnd, resumedAfterDecisionMs: resumedAt - decided.forwardedAt, getsAfterPark: afterPark.length, terminalCallbacks: terminalReceived.length, getsTotal: gets.length, wallMs: Date.now() - t0 };
	console.log(`     resumed ${resumedAt - lastEnd} ms after the last task ended (the deciding callback answered after ${decided.forwardedAt - lastEnd} ms; videos + n8n's resume ${resumedAt - decided.forwardedAt} ms)`);
	return results;
}

/**
 * K2: every terminal callback lost: Max Wait wakes the execution with the timed-out items; a node
 * after it fails the execution, which is then retried from the Executions list (nothing created again).
 */
async function scenarioMaxWait(server, emulator, relay, packageName) {
	const { results, check } = makeChecker('K2');
	const N = 3;
	emulator.reset();
	emulator.kling.config.concurrencyLimit = 50;
	emulator.kling.config.submittedMs = 300;
	emulator.kling.config.processingMs = 2_000;
	const wf = await deploy(server, KLING, { tag: 'k2', packageName, emulatorUrl: emulator.url, maxWaitMinutes: 0.1, failAfter: true });
	emulator.kling.clearCallbackControls();
	emulator.kling.controlCallbacks({ action: 'lose', status: 'succeed' });
	relay.setRule(() => 'forward');
	const logStart = relay.log.length;
	const t0 = Date.now();
	const id = await start(server, wf, N);
	const { seen, execution } = await follow(server, id, { timeoutMs: 150_000 });
	const wokeMs = Date.now() - t0;
	const tasks = emulator.kling.tasks();
	const c = emulator.kling.counters;
	const out = outputOf(execution, 'After');
	const log = relay.log.slice(logStart).filter(waitingPath);
	console.log(`  -- execution ${id}: ${seen.map((s) => s.status).join(' → ')} in ${(wokeMs / 1000).toFixed(1)} s (Max Wait 6 s; n8n checks waiting executions every 60 s)`);
	check('the execution waited, then ended without any terminal callback', seen.some((s) => s.status === 'waiting') && !log.some((l) => ['succeed', 'failed'].includes(l.taskStatus)) && emulator.kling.callbacks.filter((d) => d.control === 'lost').length === N);
	check('Max Wait resumed it: the node and After ran once, then Fail failed the execution', execution.status === 'error' && out.runs === 1 && nodeRuns(execution, 'Fail').length === 1, `${execution.status}, After runs ${out.runs}`);
	check(`${N} items marked timedOut, with their task IDs, the last status and a "next" hint to Get`,
		out.items.length === N && out.items.every((j) => j.status === 'timedOut' && /Avatar Video → Get with Task ID/.test(String(j.next))) && tasks.every((t) => out.items.some((j) => j.taskId === t.taskId)),
		JSON.stringify(out.items[0] ?? {}).slice(0, 300));
	check('the timed-out items are paired with their input items', out.paired.every((p, i) => p?.item === i));
	check('1 create per item', c.createRequests === N && c.createAccepted === N, `createRequests ${c.createRequests}`);
	// The Executions list's Retry of the failed execution (after the timeout).
	const answer = await server.rest.retryExecution(id, { loadWorkflow: false });
	const rid = answer?.id ?? (await server.rest.listExecutions({ workflowId: wf.id })).find((e) => String(e.retryOf) === String(id))?.id;
	const retried = rid ? (await follow(server, rid, { timeoutMs: 60_000 })).execution : undefined;
	console.log(`     Retry → execution ${rid ?? '-'} ${retried?.status ?? '-'}; node runs in it ${nodeRuns(retried, KLING.nodeName).length}`);
	check('the Retry after the timeout ran and created nothing: still 1 create per item', !!retried && c.createRequests === N && c.createAccepted === N && emulator.kling.tasks().length === N, `createRequests ${c.createRequests}, tasks ${emulator.kling.tasks().length}`);
	return results;
}

/** K3: stop a waiting execution, retry it from the Executions list: nothing is created again. */
async function scenarioStopRetry(server, emulator, relay, packageName) {
	const { results, check } = makeChecker('K3');
	const N = 3;
	emulator.reset();
	emulator.kling.config.concurrencyLimit = 50;
	emulator.kling.config.submittedMs = 300;
	emulator.kling.config.processingMs = 4_000;
	emulator.kling.clearCallbackControls();
	relay.setRule(() => 'forward');
	const wf = await deploy(server, KLING, { tag: 'k3', packageName, emulatorUrl: emulator.url, maxWaitMinutes: 5 });
	const id = await start(server, wf, N);
	for (let i = 0; i < 100; i++) {
		const ex = await server.rest.get(`/executions/${id}`);
		if (ex.status === 'waiting') break;
		await sleep(100);
	}
	await server.rest.post(`/executions/${id}/stop`, {});
	const stopped = await follow(server, id, { timeoutMs: 30_000 });
	// Let the tasks end (their callbacks now meet a stopped execution), then Retry.
	await sleep(5_000);
	let retried;
	let retryError = '';
	try {
		const answer = await server.rest.retryExecution(id, { loadWorkflow: false });
		const rid = answer?.id ?? (await server.rest.listExecutions({ workflowId: wf.id })).find((e) => String(e.retryOf) === String(id))?.id;
		if (rid) retried = (await follow(server, rid, { timeoutMs: 90_000 })).execution;
	} catch (error) {
		retryError = error.message;
	}
	const c = emulator.kling.counters;
	const node = outputOf(retried, KLING.nodeName);
	console.log(`  -- execution ${id}: ${stopped.seen.map((s) => s.status).join(' → ')}; Retry → ${retried?.id ?? '-'} ${retried?.status ?? retryError}; node output ${node.items.map((j) => j.status ?? (j.error ? 'error' : '?')).join(',')}`);
	check('the stopped waiting execution is canceled', stopped.execution.status === 'canceled', stopped.execution.status);
	check('the Retry ran', !!retried, retryError);
	// n8n keeps the saved execution's waitTill: its Retry wakes the node as Max Wait would (no node
	// code runs), so the node passes on the timed-out items.
	check('the Retry passed on the timed-out items with their task IDs (no node code ran)', node.items.length === N && node.items.every((j) => j.status === 'timedOut' && j.taskId), node.items.map((j) => j.status).join(','));
	check('1 create per item after Stop + Retry', c.createRequests === N && c.createAccepted === N, `createRequests ${c.createRequests}, createAccepted ${c.createAccepted}`);
	return results;
}

/** A1: Akool's signed, encrypted webhooks resume one batch once. */
async function scenarioAkool(server, emulator, relay, packageName, figures) {
	const { results, check } = makeChecker('A1');
	const N = 3;
	emulator.reset();
	emulator.akool.config.queueMs = 300;
	emulator.akool.config.processingMs = 4_000;
	relay.setRule(() => 'forward');
	const wf = await deploy(server, AKOOL, { tag: 'a1', packageName, emulatorUrl: emulator.url, maxWaitMinutes: 5 });
	emulator.akool.clearWebhookControls();
	emulator.akool.controlWebhooks({ action: 'duplicate', status: 3, times: 1 });
	const logStart = relay.log.length;
	const id = await start(server, wf, N);
	let forged = [];
	const forging = (async () => {
		for (let i = 0; i < 100; i++) {
			if ((await server.rest.get(`/executions/${id}`)).status === 'waiting') break;
			await sleep(100);
		}
		await sleep(300);
		const video = emulator.akool.videos()[0];
		const url = video.webhookUrl;
		forged = [
			await emulator.akool.forgeWebhook(url, 'signed', { video: video._id }),
			await emulator.akool.forgeWebhook(url, 'badSignature', { video: video._id }),
			await emulator.akool.forgeWebhook(url, 'wrongKey', { video: video._id }),
			await emulator.akool.forgeWebhook(url, 'oldTimestamp', { video: video._id }),
			await emulator.akool.forgeWebhook(url, 'garbage'),
		];
		forged.stillWaiting = (await server.rest.get(`/executions/${id}`)).status === 'waiting';
	})();
	const { seen, execution } = await follow(server, id, { timeoutMs: 90_000 });
	await forging;
	const videos = emulator.akool.videos();
	const c = emulator.akool.counters;
	const out = outputOf(execution, 'After');
	const log = relay.log.slice(logStart).filter(waitingPath);
	const lastEnd = Math.max(...videos.map((v) => v.createdAt));
	console.log(`  -- execution ${id}: ${seen.map((s) => s.status).join(' → ')}; webhooks at the relay: ${log.length} (${log.map((l) => l.n8nStatus).join(' ')})`);
	check('the execution was "waiting" while the videos were made', seen.some((s) => s.status === 'waiting'));
	check('the execution succeeded, resumed exactly once', execution.status === 'success' && out.runs === 1 && log.filter(isResumeAnswer).length === 1, `status ${execution.status}, After runs ${out.runs}, resumed answers ${log.filter(isResumeAnswer).length}`);
	check(`${N} items "succeeded", videos downloaded`, out.items.length === N && out.items.every((j) => j.status === 'succeeded') && out.binaries.every((b) => b.video), out.items.map((j) => j.status).join(','));
	// The body is only a hint: a delivery that fails verification (bad signature, a secret that
	// cannot open it, outside the age window) is read back like an unsigned call and answered 200
	// (a 401 would make Akool resend it forever); only a body that is no delivery at all gets 401.
	check('forged deliveries while waiting: a signed lie, a bad signature, a wrong key and an old timestamp answered 200 (read back: still running), garbage 401; none resumed',
		forged.length === 5 && forged.slice(0, 4).every((f) => f.statusCode === 200) && forged[4].statusCode === 401 && forged.stillWaiting,
		forged.map((f) => `${f.kind ?? '?'}:${f.statusCode}`).join(' '));
	check('1 create per item', c.createRequests === N && c.createAccepted === N, `createRequests ${c.createRequests}`);
	figures.a1 = { webhooks: log.length, lastEnd };
	return results;
}

/**
 * P2 (bench P2c): a 10-minute task time-scaled ÷ 20 (30 s, 5 tasks spread ± 5 %), Download Video
 * off as in bench P2. Measures the time from the last task's end to the node resuming (not scaled
 * back: it does not grow with the task's length) and the status requests made while waiting.
 * Prints `@@P2C@@{json}` for bench/figures/P2c.ts.
 */
async function scenarioBenchP2c(server, emulator, relay, packageName, figures) {
	const { results, check } = makeChecker('P2c');
	const N = 5;
	const T = 600_000 / 20;
	emulator.reset();
	emulator.kling.clearCallbackControls();
	emulator.kling.config.concurrencyLimit = 50;
	emulator.kling.config.submittedMs = 500;
	emulator.kling.config.durationFor = (task) => {
		const m = /\[\[T=(\d+)\]\]/.exec(task.prompt);
		return m ? { processingMs: Number(m[1]) - 500 } : null;
	};
	relay.setRule(() => 'forward');
	const params = KLING.parameters(emulator.url, 5);
	const wfP = { ...KLING, parameters: () => ({ ...params, downloadVideo: false, prompt: `={{ "bench [[T=" + Math.round(${T} * (0.95 + 0.1 * ($json.n - 1) / ${N - 1})) + "]] " + $json.n }}` }) };
	const wf = await deploy(server, wfP, { tag: 'p2c', packageName, emulatorUrl: emulator.url, maxWaitMinutes: 5 });
	const logStart = relay.log.length;
	const id = await start(server, wf, N);
	const { seen, execution } = await follow(server, id, { timeoutMs: 120_000 });
	const tasks = emulator.kling.tasks();
	const out = outputOf(execution, 'After');
	const lastEnd = Math.max(...tasks.map((t) => t.finishedAt ?? Infinity));
	const parkedAt = seen.find((x) => x.status === 'waiting')?.at;
	const gets = emulator.kling.requests.filter((r) => r.method === 'GET' && /\/v1\/videos\/avatar\/image2video\/./.test(r.path));
	const log = relay.log.slice(logStart).filter(waitingPath);
	const terminal = log.filter((l) => l.taskStatus === 'succeed' || l.taskStatus === 'failed');
	const firstEnd = Math.min(...tasks.map((t) => t.finishedAt ?? Infinity));
	const whileWaiting = parkedAt ? gets.filter((r) => r.at > parkedAt && r.at < firstEnd).length : -1;
	const confirmations = parkedAt ? gets.filter((r) => r.at >= firstEnd).length : -1;
	// Per task: its end → the first read that saw it ended (a confirmation GET), as bench P2 measures polling.
	const detect = tasks.map((t) => (t.firstTerminalServedAt ?? Infinity) - (t.finishedAt ?? 0));
	const r = {
		resumeMs: out.startTime - lastEnd,
		detectMaxMs: Math.max(...detect),
		getsWhileWaiting: whileWaiting,
		confirmationGets: confirmations,
		terminalCallbacks: terminal.length,
		requestsPerTask: gets.length / N,
		taskS: T / 1000,
		ok: execution.status === 'success' && out.items.length === N && out.items.every((j) => j.status === 'succeeded'),
	};
	check('the batch ended and resumed once', r.ok && out.runs === 1, `${execution.status}, ${out.items.length} items`);
	check('resumed ≤ 1 s after the last task ended', r.resumeMs >= 0 && r.resumeMs <= 1000, `${r.resumeMs} ms`);
	check('0 status requests while waiting (before the first task end)', whileWaiting === 0, `${whileWaiting}`);
	console.log(`@@P2C@@${JSON.stringify(r)}`);
	figures.p2c = r;
	return results;
}

// ───────────────────────────── main ─────────────────────────────

async function runVersion(version, tarball, emulator) {
	const tv = Date.now();
	console.log(`\n== n8n ${version}`);
	const stack = await createStack({ version, tarball, emulator, examples: false });
	const port = await freePort();
	const relay = await startRelay(`http://127.0.0.1:${port}`);
	const server = await startServer(stack.inst, { port, env: { WEBHOOK_URL: `${relay.url}/` } });
	console.log(`  n8n on ${server.url}, WEBHOOK_URL ${relay.url}/ (relay); setup + start ${((Date.now() - tv) / 1000).toFixed(1)} s`);
	const results = [];
	const figures = {};
	let crash;
	try {
		// P2c is the benchmark's scenario (bench/figures/P2c.ts): only when asked for.
		const only = process.env.CALLBACK_SCENARIOS ? process.env.CALLBACK_SCENARIOS.split(',') : ['K1', 'A1', 'K3', 'K2'];
		for (const [title, fn] of [
			['K1: 10 Kling tasks, lost / duplicated / late callbacks', scenarioBatch],
			['A1: Akool batch', scenarioAkool],
			['K3: Stop a waiting execution, then Retry', scenarioStopRetry],
			['K2: every final callback lost → Max Wait', scenarioMaxWait],
			['P2c: a 10-minute task ÷ 20, end → resume (bench)', scenarioBenchP2c],
		]) {
			if (only && !only.includes(title.slice(0, 2))) continue;
			console.log(`  -- ${title}`);
			results.push(...(await fn(server, emulator, relay, stack.inst.pkg.name, figures)));
		}
	} catch (error) {
		crash = error;
		console.log(`    FAIL  ${error.stack ?? error}`);
		console.log(`    n8n log tail:\n${server.log().split('\n').slice(-30).join('\n')}`);
		results.push({ name: `crashed: ${error.message}`, ok: false });
	} finally {
		await server.stop();
		await relay.close();
		if (flags.has('--keep') || crash) console.log(`  kept ${stack.userFolder} (log ${server.logFile})`);
		else stack.inst.remove();
	}
	return { version, ok: results.length > 0 && results.every((r) => r.ok), results, figures, ms: Date.now() - tv };
}

async function main() {
	const { summary } = await acrossVersions(versions, runVersion);
	console.log('\n== callback-wait summary (real `n8n start`, webhook executions, emulator counters)');
	for (const s of summary) {
		console.log(`  n8n ${s.version}: ${s.ok ? 'PASSED' : 'FAILED'} (${s.results.filter((r) => r.ok).length}/${s.results.length} checks) in ${(s.ms / 1000).toFixed(1)} s; K1 ${JSON.stringify(s.figures.k1 ?? {})}`);
		for (const r of s.results.filter((x) => !x.ok)) console.log(`    FAILED: ${r.name}${r.detail ? ` — ${r.detail}` : ''}`);
	}
	return summary.every((s) => s.ok) ? 0 : 1;
}

runSuite(main);
