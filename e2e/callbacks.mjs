// The trigger nodes (Kling Avatar Trigger, Akool Trigger) in a REAL n8n server, on every pinned version.
//
//   source scripts/toolchain.sh && ensure_deps && node e2e/callbacks.mjs [versions...] [--keep]
//   (or: npm run test:callbacks [-- versions...])
//
// Per version: a fresh user folder with the packed package (lib/stack.mjs), a real `n8n start`
// (lib/server.mjs) and the emulator in this process. Two ACTIVE workflows, "Kling Avatar Trigger →
// Collected" and "Akool Trigger → Collected" (Status Filter: Any Ended, Download Video on). Tasks are
// created at the emulator with the triggers' PRODUCTION URLs as callback_url / webhookUrl, so the
// emulator POSTs its real deliveries to n8n. Asserted:
//  K1. Kling: 2 tasks (one succeeds, one fails), every terminal callback duplicated twice and every
//      'processing' delivered after the end (reordered) → exactly one execution per task, with the
//      status Kling confirms, the emulator's own video URL and the video as binary data; the
//      'submitted' / 'processing' callbacks started nothing.
//  K2. Kling forgeries: a 'succeed' with a foreign video URL for a task still running (HTTP 503: a
//      real early one is sent again), one for an unknown task (HTTP 200 {received: true}, the
//      answer any task gets), and a body without a task ID (400) → no execution.
//  A1. Akool: 2 videos (one completes, one fails), terminal webhooks duplicated → exactly one
//      execution per video, confirmed, with the video; the verbatim replay of a real delivery
//      (inside the age window) starts nothing.
//  A2. Akool forgeries: bad signature, wrong key, old timestamp (replay), future timestamp, garbage
//      (JSON and not JSON) → HTTP 401 (n8n itself may refuse a body it cannot parse) and no execution;
//      a correctly signed lie (completed, foreign URL) for a running video → HTTP 503, no execution.
//  A3. An Akool Trigger whose credential is in Client ID + Client Secret mode (made over REST): n8n
//      runs the credential's preAuthentication (getToken) inside the webhook call; one execution.
//  E.  The example pair examples/06 + 07: the collect workflow (Kling Avatar Trigger → Write Video) is
//      activated, the submit workflow runs once (`n8n execute`, beside the server) with its
//      Settings → callbackUrl pointed at the trigger → one execution and one video file per task.
// Also measured: task end → execution start latency. Exit code 0 = every assertion passed.
import crypto from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import { createStack, loadExamples } from './lib/stack.mjs';
import { acrossVersions, klingJwt, makeChecker, runSuite } from './lib/suite.mjs';
import { freePort, startServer } from './lib/server.mjs';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const versions = argv.filter((a) => !a.startsWith('--'));
const uuid = () => crypto.randomUUID();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Long enough for a delivery that would start an execution to show up in the list. */
const QUIET_MS = 2500;

function triggerWorkflow(label, type, credentials) {
	const webhookId = uuid();
	const name = `${label} Trigger`;
	return {
		webhookId,
		nodeName: name,
		workflow: {
			name: `e2e callbacks: ${label}`,
			nodes: [
				{
					id: uuid(),
					name,
					type,
					typeVersion: 1,
					position: [0, 0],
					webhookId,
					credentials,
					parameters: { statusFilter: 'ended', downloadVideo: true, videoBinaryProperty: 'video', options: {} },
				},
				{ id: uuid(), name: 'Collected', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [220, 0], parameters: {} },
			],
			connections: { [name]: { main: [[{ node: 'Collected', type: 'main', index: 0 }]] } },
			settings: { executionOrder: 'v1', saveDataErrorExecution: 'all', saveDataSuccessExecution: 'all' },
		},
	};
}

async function until(cond, timeoutMs, what) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await cond();
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(100);
	}
}

/** Ended executions of a workflow, oldest first (waits until none is running). */
async function endedExecutions(rest, workflowId) {
	const list = await until(async () => {
		const l = await rest.listExecutions({ workflowId });
		return l.every((e) => e.finished || !['new', 'running', 'unknown', undefined].includes(e.status)) ? l : null;
	}, 30_000, 'executions to end');
	return [...list].sort((a, b) => Number(a.id) - Number(b.id));
}

function triggerOutput(execution, nodeName) {
	return execution?.data?.resultData?.runData?.[nodeName]?.[0]?.data?.main?.[0] ?? [];
}

async function klingScenario(server, emulator, wf, url) {
	const { results, check } = makeChecker('Kling');
	const k = emulator.kling;
	const rest = server.rest;
	// As the account of the imported credential (access key + secret key: a JWT), which the trigger fetches with.
	const authed = async (prompt) => {
		const res = await fetch(`${emulator.url}/v1/videos/avatar/image2video`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${klingJwt(k.config.accessKey, k.config.secretKey)}` },
			body: JSON.stringify({ image: `${emulator.url}/assets/portrait.jpg`, sound_file: `${emulator.url}/assets/voice.mp3`, prompt, callback_url: url }),
		});
		return (await res.json()).data.task_id;
	};

	// K1: real callbacks, duplicated and reordered.
	k.controlCallbacks({ action: 'duplicate', status: 'succeed', copies: 2 });
	k.controlCallbacks({ action: 'duplicate', status: 'failed', copies: 2 });
	k.controlCallbacks({ action: 'reorder', status: 'processing' });
	const ok = await authed('e2e callbacks: ok');
	const bad = await authed('e2e callbacks: bad [[fail]]');
	await until(() => k.callbacks.filter((c) => c.statusCode !== null).length >= 10, 30_000, 'Kling callbacks');
	const executions = await until(async () => {
		const l = await endedExecutions(rest, wf.id);
		return l.length >= 2 ? l : null;
	}, 30_000, 'two Kling executions');
	await sleep(QUIET_MS);
	const all = await endedExecutions(rest, wf.id);
	const t0 = Math.min(...k.callbacks.map((c) => c.at));
	const answers = k.callbacks.map((c) => `${c.taskId.slice(-3)} ${c.taskStatus}${c.control ? `(${c.control})` : ''}:${c.statusCode}@${c.at - t0}ms`);
	const endOf = (id) => k.callbacks.find((c) => c.taskId === id && (c.taskStatus === 'succeed' || c.taskStatus === 'failed') && !c.control);
	check('10 real callbacks delivered (3 per task, terminal ones ×3, processing after the end), all answered 200', k.callbacks.length === 10 && k.callbacks.every((c) => c.statusCode === 200), answers.join(' '));
	const late = k.callbacks.filter((c) => c.control === 'reordered');
	check('the reordered processing callbacks were answered after their task\'s end', late.length === 2 && late.every((c) => c.at >= endOf(c.taskId)?.at), late.map((c) => `${c.at - t0} ms vs end ${endOf(c.taskId)?.at - t0} ms`).join(', '));
	check('exactly one execution per ended task', all.length === 2, `${all.length} executions`);
	const outputs = [];
	const endToStart = [];
	for (const e of executions) {
		const items = triggerOutput(await rest.getExecution(e.id), wf.nodeName);
		outputs.push(...items);
		const t = k.task(String(items[0]?.json.taskId));
		if (t?.finishedAt) endToStart.push(new Date(e.startedAt).getTime() - t.finishedAt);
	}
	const byTask = Object.fromEntries(outputs.map((i) => [i.json.taskId, i]));
	check('one emitted item per task, with the status Kling confirms', byTask[ok]?.json.status === 'succeeded' && byTask[bad]?.json.status === 'failed' && outputs.length === 2, outputs.map((i) => `${i.json.taskId}=${i.json.status}`).join(', '));
	check('the succeeded task carries the emulator\'s own video URL and the video as binary', byTask[ok]?.json.videoUrl === `${emulator.url}/files/kling/${ok}.mp4` && !!byTask[ok]?.binary?.video && byTask[ok].binary.video.fileName === `kling-avatar-${ok}.mp4`, JSON.stringify(byTask[ok]?.binary?.video ? { ...byTask[ok].binary.video, data: undefined } : null));
	check('the failed task carries Kling\'s reason and no binary', byTask[bad]?.json.statusMessage === 'Failure to pass the risk control system' && !byTask[bad]?.binary, byTask[bad]?.json.statusMessage);

	// K2: forgeries.
	k.clearCallbackControls();
	k.config.durationFor = (t) => (t.prompt.includes('[[slow]]') ? { processingMs: 120_000 } : null);
	const running = await authed('e2e callbacks: running [[slow]]');
	await until(() => k.task(running)?.status === 'processing', 10_000, 'a running task');
	const before = (await endedExecutions(rest, wf.id)).length;
	const forged = await k.forgeCallback(url, { task: running });
	const unknown = await k.forgeCallback(url, { task: '867000000000000042' });
	const noId = await k.forgeCallback(url, { body: { hello: 'world' } });
	await sleep(QUIET_MS);
	const after = (await endedExecutions(rest, wf.id)).length;
	check('a forged succeed (foreign video URL) for a running task starts no execution (HTTP 503: Kling\'s API shows it running)', forged.statusCode === 503 && after === before, `HTTP ${forged.statusCode}, executions ${before} → ${after}`);
	check('a forged succeed for an unknown task starts no execution (HTTP 200 {received: true}, as for any task)', unknown.statusCode === 200 && after === before, `HTTP ${unknown.statusCode}`);
	check('a body without a task ID starts no execution (HTTP 400)', noId.statusCode === 400 && after === before, `HTTP ${noId.statusCode}`);
	k.config.durationFor = undefined;
	return { results, latencyMs: endToStart };
}

async function akoolScenario(server, emulator, wf, url) {
	const { results, check } = makeChecker('Akool');
	const a = emulator.akool;
	const rest = server.rest;
	const create = async (audio, webhookUrl = url) => {
		const res = await fetch(`${emulator.url}/api/open/v3/talkingavatar/create`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'x-api-key': a.config.apiKey },
			body: JSON.stringify({
				width: 3840,
				height: 2160,
				avatar_from: 2,
				webhookUrl,
				elements: [
					{ type: 'avatar', avatar_id: 'dvp_Tristan_cloth2_1080P', scale_x: 1, scale_y: 1, offset_x: 1920, offset_y: 1080, width: 3840, height: 2160 },
					{ type: 'audio', url: audio },
				],
			}),
		});
		return (await res.json()).data._id;
	};

	// A1: real webhooks, terminal ones duplicated.
	a.controlWebhooks({ action: 'duplicate', status: 3, copies: 2 });
	a.controlWebhooks({ action: 'duplicate', status: 4, copies: 2 });
	const ok = await create(`${emulator.url}/assets/voice.mp3`);
	const bad = await create(`${emulator.url}/assets/voice.mp3?fail=1`);
	await until(() => a.webhooks.length >= 10, 30_000, 'Akool webhooks');
	const executions = await until(async () => {
		const l = await endedExecutions(rest, wf.id);
		return l.length >= 2 ? l : null;
	}, 30_000, 'two Akool executions');
	await sleep(QUIET_MS);
	const replay = await a.forgeWebhook(url, 'replay', { of: a.webhooks.find((w) => w.videoId === ok && w.status === 3) });
	await sleep(QUIET_MS);
	const all = await endedExecutions(rest, wf.id);
	check('10 real webhooks delivered (3 per video, terminal ones ×3), all answered 200', a.webhooks.length === 10 && a.webhooks.every((w) => w.statusCode === 200), a.webhooks.map((w) => `${w.status}${w.control ? `(${w.control})` : ''}:${w.statusCode}`).join(' '));
	check('exactly one execution per ended video (duplicates and a verbatim replay start nothing)', all.length === 2 && replay.statusCode === 200, `${all.length} executions; replay HTTP ${replay.statusCode}`);
	const outputs = [];
	const endToStart = [];
	for (const e of executions) {
		const items = triggerOutput(await rest.getExecution(e.id), wf.nodeName);
		outputs.push(...items);
		const v = a.video(String(items[0]?.json.taskId));
		if (v) endToStart.push(new Date(e.startedAt).getTime() - (v.createdAt + v.queueMs + v.processingMs));
	}
	const byTask = Object.fromEntries(outputs.map((i) => [i.json.taskId, i]));
	check('one emitted item per video, with the status Akool confirms', byTask[ok]?.json.status === 'succeeded' && byTask[bad]?.json.status === 'failed' && outputs.length === 2, outputs.map((i) => `${i.json.taskId}=${i.json.status}`).join(', '));
	check('the completed video carries Akool\'s own result URL and the video as binary', byTask[ok]?.json.videoUrl === `${emulator.url}/api/open/v3/emulator/files/${ok}.mp4` && !!byTask[ok]?.binary?.video, byTask[ok]?.json.videoUrl);

	// A2: forgeries.
	a.clearWebhookControls();
	a.config.processingMs = 120_000;
	const running = await create(`${emulator.url}/assets/voice.mp3?running=1`);
	await sleep(800);
	const before = (await endedExecutions(rest, wf.id)).length;
	const statuses = {};
	for (const kind of ['badSignature', 'wrongKey', 'oldTimestamp', 'futureTimestamp', 'garbage']) {
		statuses[kind] = (await a.forgeWebhook(url, kind, { video: ok, payload: { _id: ok, status: 3, type: 'avatar', url: 'https://forged.invalid/x.mp4' } })).statusCode;
	}
	statuses.garbageArray = (await a.forgeWebhook(url, 'garbage', { body: [1, 2, 3] })).statusCode;
	statuses.notJson = (await a.forgeWebhook(url, 'garbage', { body: '{"broken json' })).statusCode;
	const lie = await a.forgeWebhook(url, 'signed', { video: running });
	await sleep(QUIET_MS);
	const after = (await endedExecutions(rest, wf.id)).length;
	const json401 = ['badSignature', 'wrongKey', 'oldTimestamp', 'futureTimestamp', 'garbage', 'garbageArray'];
	check('bad signature, wrong key, old / future timestamp and JSON garbage get HTTP 401', json401.every((k) => statuses[k] === 401), JSON.stringify(statuses));
	check('a body that is not JSON is refused (4xx)', statuses.notJson >= 400 && statuses.notJson < 500, `HTTP ${statuses.notJson}`);
	check('a correctly signed lie (completed, foreign URL) for a running video is answered 503 (Akool\'s API shows it running)', lie.statusCode === 503, `HTTP ${lie.statusCode}`);
	check('none of the forgeries started an execution', after === before, `executions ${before} → ${after}`);
	a.config.processingMs = 1500;

	// A3: a trigger whose credential is in Client ID + Client Secret mode: the token comes from the
	// credential's preAuthentication, called by n8n inside the webhook call.
	if (wf.tokenWorkflow) {
		const tokensBefore = a.counters.tokensIssued;
		const video = await create(`${emulator.url}/assets/voice.mp3?mode=token`, wf.tokenUrl);
		const ended = await until(async () => {
			const l = await endedExecutions(rest, wf.tokenWorkflow.id);
			return l.length >= 1 ? l : null;
		}, 30_000, 'an execution of the token-mode trigger');
		const items = triggerOutput(await rest.getExecution(ended[0].id), wf.tokenWorkflow.nodeName);
		check('Client ID + Client Secret credential: the trigger gets a token (getToken) and emits the video once', ended.length === 1 && items[0]?.json.taskId === video && items[0]?.json.status === 'succeeded' && a.counters.tokensIssued > tokensBefore, `${ended.length} execution(s), ${items.map((i) => `${i.json.taskId}=${i.json.status}`).join(', ')}, tokens issued ${a.counters.tokensIssued - tokensBefore}`);
	}
	return { results, latencyMs: endToStart };
}

async function examplePair(server, emulator, stack) {
	const { results, check } = makeChecker('Examples 06 + 07');
	const rest = server.rest;
	const pkg = stack.inst.pkg.name;
	const examples = loadExamples({ emulatorUrl: emulator.url, packageName: pkg });
	const collect = examples.find((e) => e.id === 'taKlingCbCollec1');
	const submit = examples.find((e) => e.id === 'taKlingCbSubmit1');
	if (!collect || !submit) throw new Error('examples 06 / 07 not found');
	check('the runners skip both for `n8n execute`', !!collect.cliSkip && !!submit.cliSkip && !collect.skip && !submit.skip, `${collect.cliSkip} | ${submit.cliSkip}`);
	const trigger = collect.workflow.nodes.find((n) => n.type === `${pkg}.klingAvatarTrigger`);
	const savedCollect = await rest.createWorkflow({ name: collect.name, nodes: collect.workflow.nodes, connections: collect.workflow.connections, settings: { executionOrder: 'v1' } });
	await rest.activateWorkflow(savedCollect.id, savedCollect.versionId);
	await server.waitForWebhook(`${trigger.webhookId}/callback`);
	const url = `${server.url}/webhook/${trigger.webhookId}/callback`;
	// Settings → callbackUrl: the example's n8n address (127.0.0.1:5678) → this server's.
	const nodes = JSON.parse(JSON.stringify(submit.workflow.nodes));
	const settings = nodes.find((n) => n.name === 'Settings').parameters.assignments.assignments.find((a) => a.name === 'callbackUrl');
	check('the submit example\'s callbackUrl is the trigger example\'s production URL (on port 5678)', settings.value === `http://127.0.0.1:5678/webhook/${trigger.webhookId}/callback`, settings.value);
	settings.value = url;
	const savedSubmit = await rest.createWorkflow({ name: submit.name, nodes, connections: submit.workflow.connections, settings: { executionOrder: 'v1' } });
	const out = path.join(stack.filesDir, 'talking-avatar', 'output');
	fs.rmSync(out, { recursive: true, force: true });
	fs.mkdirSync(out, { recursive: true });
	emulator.reset();
	const run = await stack.inst.execute(savedSubmit.id, { timeoutMs: 120_000, env: { N8N_RUNNERS_BROKER_PORT: String(await freePort()) } });
	const submitted = run.run?.data?.resultData?.runData?.['Submit Avatar Video']?.[0]?.data?.main?.[0]?.map((i) => i.json) ?? [];
	check('the submit run ends at once with 3 submitted tasks', run.ok && submitted.length === 3 && submitted.every((t) => t.status === 'submitted'), `${run.ms} ms; ${submitted.map((t) => `${t.taskId}=${t.status}`).join(', ')}${run.ok ? '' : ` ${run.errorMessage}`}`);
	const tasks = emulator.kling.tasks();
	check('each Kling task carries the trigger\'s URL as callback_url', tasks.length === 3 && tasks.every((t) => t.callbackUrl === url), tasks.map((t) => t.callbackUrl).join(', '));
	await until(async () => (await endedExecutions(rest, savedCollect.id)).length >= 3, 30_000, 'three executions of the collect example');
	await sleep(QUIET_MS);
	const all = await endedExecutions(rest, savedCollect.id);
	const sample = fs.readFileSync(path.resolve(import.meta.dirname, '..', 'emulator', 'assets', 'sample.mp4'));
	const files = fs.readdirSync(out).filter((f) => f.endsWith('.mp4')).sort();
	const expected = tasks.map((t) => `callback-${t.taskId}.mp4`).sort();
	check('exactly one execution per task, all successful', all.length === 3 && all.every((e) => e.status === 'success'), all.map((e) => `${e.id}:${e.status}`).join(', '));
	check('one video file per task (callback-<taskId>.mp4), bytes = the emulator\'s sample', JSON.stringify(files) === JSON.stringify(expected) && files.every((f) => fs.readFileSync(path.join(out, f)).equals(sample)), files.join(', '));
	return { results };
}

async function runVersion(version, tarball, emulator) {
	const tv = Date.now();
	console.log(`\n== n8n ${version}`);
	const stack = await createStack({ version, tarball, emulator, examples: false });
	const server = await startServer(stack.inst);
	console.log(`  user folder ${stack.userFolder}; n8n start ${(server.startMs / 1000).toFixed(1)} s on ${server.url} (log ${server.logFile})`);
	const pkg = stack.inst.pkg.name;
	const results = [];
	const latency = {};
	let crash;
	try {
		const kling = triggerWorkflow('Kling Avatar', `${pkg}.klingAvatarTrigger`, { klingApi: { id: 'taKlingEmulator1', name: 'Kling (emulator)' } });
		const akool = triggerWorkflow('Akool', `${pkg}.akoolTrigger`, { akoolApi: { id: 'taAkoolEmulator1', name: 'Akool (emulator)' } });
		// A second Akool credential in Client ID + Client Secret (token) mode, made through the REST API.
		const ac = emulator.akool.config;
		const tokenCred = await server.rest.post('/credentials', {
			name: 'Akool (emulator, token)',
			type: 'akoolApi',
			data: { authentication: 'clientCredentials', clientId: ac.clientId, clientSecret: ac.clientSecret, baseUrl: emulator.url },
		});
		const akoolToken = triggerWorkflow('Akool token', `${pkg}.akoolTrigger`, { akoolApi: { id: tokenCred.id, name: tokenCred.name } });
		for (const wf of [kling, akool, akoolToken]) {
			const saved = await server.rest.createWorkflow(wf.workflow);
			await server.rest.activateWorkflow(saved.id, saved.versionId);
			wf.id = saved.id;
		}
		for (const wf of [kling, akool, akoolToken]) wf.ms = await server.waitForWebhook(`${wf.webhookId}/callback`);
		const urlOf = (wf) => `${server.url}/webhook/${wf.webhookId}/callback`;
		akool.tokenWorkflow = akoolToken;
		akool.tokenUrl = urlOf(akoolToken);
		console.log(`  production URLs: ${urlOf(kling)}, ${urlOf(akool)}`);
		emulator.reset();
		console.log('  -- Kling Avatar Trigger');
		const k = await klingScenario(server, emulator, kling, urlOf(kling));
		emulator.reset();
		console.log('  -- Akool Trigger');
		const a = await akoolScenario(server, emulator, akool, urlOf(akool));
		console.log('  -- examples 06 + 07 (batch by callback)');
		const e = await examplePair(server, emulator, stack);
		results.push(...k.results, ...a.results, ...e.results);
		latency.kling = k.latencyMs;
		latency.akool = a.latencyMs;
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
	return { version, ok: results.length > 0 && results.every((r) => r.ok), results, latency, ms: Date.now() - tv, startMs: server.startMs };
}

async function main() {
	const { summary, t0 } = await acrossVersions(versions, runVersion);
	console.log('\n== callbacks summary (real `n8n start`, trigger nodes, production webhooks)');
	for (const s of summary) {
		const lat = (xs) => (xs ?? []).filter((x) => x !== null).map((x) => `${x} ms`).join(', ');
		console.log(`  n8n ${s.version}: ${s.ok ? 'PASSED' : 'FAILED'} (${s.results.filter((r) => r.ok).length}/${s.results.length} checks) in ${(s.ms / 1000).toFixed(1)} s (n8n start ${(s.startMs / 1000).toFixed(1)} s)`);
		console.log(`    task end → execution start: Kling ${lat(s.latency.kling)}; Akool ${lat(s.latency.akool)}`);
		for (const r of s.results.filter((x) => !x.ok)) console.log(`    FAILED: ${r.name}${r.detail ? ` — ${r.detail}` : ''}`);
	}
	console.log(`\n  total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	return summary.every((s) => s.ok) ? 0 : 1;
}

runSuite(main);
