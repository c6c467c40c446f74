// A real `n8n start` server for e2e tests that need what only the server has: active workflows
// (webhooks), executions saved in the database, and the Executions list's Retry.
//
//   const stack = await createStack({ version, tarball, emulator, examples: false }); // lib/stack.mjs
//   const server = await startServer(stack.inst);       // free ports, owner set up, logged in
//   const wf = await server.rest.createWorkflow({ name, nodes, connections });
//   await server.rest.activateWorkflow(wf.id, wf.versionId);
//   await server.waitForWebhook('my-path');             // 2.x registers it asynchronously
//   await server.webhook('my-path', { hello: 1 });      // POST /webhook/my-path
//   const ex = await server.rest.waitForExecution((e) => e.workflowId === wf.id);
//   const full = await server.rest.getExecution(ex.id); // .data = parsed IRunExecutionData
//   const retried = await server.rest.retryExecution(ex.id);
//   await server.stop();
//
// Verified on n8n 1.123.81 and 2.41.1 (differences handled here):
// - login body: both take `{emailOrLdapLoginId, password}` (older 1.x took `{email, password}`;
//   tried as a fallback);
// - activation: `POST /rest/workflows/:id/activate {versionId}` on both (2.x requires the
//   versionId; older 1.x only had `PATCH /rest/workflows/:id {active: true}`, the fallback);
// - activation is synchronous on 1.x; on 2.41 it goes through the publication outbox, so the
//   webhook is registered shortly AFTER the call returns (waitForWebhook);
// - every n8n process on the host needs its own N8N_PORT and, on 2.x (task runners always on),
//   its own N8N_RUNNERS_BROKER_PORT;
// - the auth cookie is bound to a `browser-id` header, so the client always sends one.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { n8nBin, n8nEnv, n8nInstallDir, nodeExecutable } from '../n8n-env.mjs';

/** The owner account every e2e server gets (same as `npm start`). */
export const E2E_OWNER = { email: 'demo@talking-avatar.local', firstName: 'Demo', lastName: 'User', password: 'TalkingAvatar1' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/** n8n's `flatted` (the format of saved execution data), from the n8n install of that version. */
export function loadFlatted(version) {
	const req = createRequire(path.join(n8nInstallDir(version), 'node_modules', 'n8n', 'package.json'));
	return req('flatted');
}

export class RestError extends Error {
	constructor(method, url, status, body) {
		const text = typeof body === 'string' ? body : JSON.stringify(body);
		super(`${method} ${url} -> HTTP ${status}: ${text.slice(0, 600)}`);
		this.status = status;
		this.body = body;
	}
}

/** A tiny client for n8n's internal REST API (/rest/...), with the auth cookie kept. */
export class RestClient {
	constructor(baseUrl, version) {
		this.baseUrl = baseUrl;
		this.version = version;
		this.cookies = new Map();
		this.browserId = `e2e-${Math.random().toString(36).slice(2)}`;
		this.flatted = loadFlatted(version);
	}

	/** Raw request: resolves { status, body } (JSON parsed when possible); never throws on HTTP errors. */
	async raw(method, urlPath, body) {
		const headers = { 'browser-id': this.browserId, Accept: 'application/json' };
		if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		const res = await fetch(`${this.baseUrl}${urlPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
		for (const c of res.headers.getSetCookie?.() ?? []) {
			const [pair] = c.split(';');
			const i = pair.indexOf('=');
			if (i > 0) this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
		}
		const text = await res.text();
		let parsed = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			/* not JSON */
		}
		return { status: res.status, body: parsed };
	}

	/** `/rest<urlPath>`; returns the response's `data` (n8n wraps every answer in it); throws RestError. */
	async request(method, urlPath, body) {
		const r = await this.raw(method, `/rest${urlPath}`, body);
		// A 2xx that is not JSON is not an answer of the REST API (e.g. "n8n is starting up. Please wait").
		if (r.status < 200 || r.status >= 300 || (r.body !== undefined && typeof r.body !== 'object')) {
			throw new RestError(method, `/rest${urlPath}`, r.status, r.body);
		}
		return r.body && typeof r.body === 'object' && 'data' in r.body ? r.body.data : r.body;
	}

	get(p) {
		return this.request('GET', p);
	}

	post(p, body = {}) {
		return this.request('POST', p, body);
	}

	/**
	 * Creates the owner account (first start of a fresh user folder). Until n8n has mounted its
	 * REST routes it answers 404, or 200 with the text "n8n is starting up. Please wait" (while
	 * migrating): both are retried for a while. Returns false when the owner is set up already.
	 */
	async setupOwner(owner = E2E_OWNER, timeoutMs = 60_000) {
		const until = Date.now() + timeoutMs;
		for (;;) {
			const r = await this.raw('POST', '/rest/owner/setup', owner);
			const json = r.body !== null && typeof r.body === 'object';
			if (r.status >= 200 && r.status < 300 && json) return true;
			if (r.status === 400 && /already/i.test(JSON.stringify(r.body))) return false;
			const notYet = r.status === 404 || r.status === 503 || !json;
			if (!notYet || Date.now() > until) throw new RestError('POST', '/rest/owner/setup', r.status, r.body);
			await sleep(300);
		}
	}

	async login(email = E2E_OWNER.email, password = E2E_OWNER.password) {
		let r = await this.raw('POST', '/rest/login', { emailOrLdapLoginId: email, password });
		if (r.status === 400 || r.status === 422) r = await this.raw('POST', '/rest/login', { email, password });
		if (r.status !== 200 || !r.body || typeof r.body !== 'object') throw new RestError('POST', '/rest/login', r.status, r.body);
		return r.body?.data ?? r.body;
	}

	/** POST /rest/workflows; returns the saved workflow (id, versionId, ...). New workflows are inactive. */
	createWorkflow(workflow) {
		return this.post('/workflows', { settings: { executionOrder: 'v1' }, connections: {}, ...workflow, active: false });
	}

	getWorkflow(id) {
		return this.get(`/workflows/${id}`);
	}

	/** Activates (publishes) a workflow so its trigger (e.g. a Webhook) listens. */
	async activateWorkflow(id, versionId) {
		const vid = versionId ?? (await this.getWorkflow(id)).versionId;
		try {
			return await this.post(`/workflows/${id}/activate`, { versionId: vid });
		} catch (error) {
			if (!(error instanceof RestError) || error.status !== 404) throw error;
			return await this.request('PATCH', `/workflows/${id}`, { active: true, versionId: vid });
		}
	}

	/** GET /rest/executions (newest first): the summaries, optionally for one workflow. */
	async listExecutions({ workflowId, limit = 100 } = {}) {
		const q = new URLSearchParams({ limit: String(limit) });
		if (workflowId) q.set('filter', JSON.stringify({ workflowId }));
		const data = await this.get(`/executions?${q}`);
		return data?.results ?? [];
	}

	/** GET /rest/executions/:id with the saved run data parsed (`data`: IRunExecutionData). */
	async getExecution(id) {
		const ex = await this.get(`/executions/${id}`);
		if (ex && typeof ex.data === 'string') ex.data = this.flatted.parse(ex.data);
		return ex;
	}

	/**
	 * Waits until an execution that matches `pred` (given the list summary) has ended; returns the
	 * summary. "Ended" = status other than new / running / waiting (or finished).
	 */
	async waitForExecution(pred, { workflowId, timeoutMs = 60_000, intervalMs = 250 } = {}) {
		const until = Date.now() + timeoutMs;
		let last;
		for (;;) {
			const list = await this.listExecutions({ workflowId });
			last = list.find(pred);
			if (last && (last.finished || !['new', 'running', 'waiting', 'unknown', undefined].includes(last.status))) return last;
			if (Date.now() > until) {
				throw new Error(`no ended execution${workflowId ? ` of workflow ${workflowId}` : ''} within ${timeoutMs / 1000} s (last seen: ${last ? `${last.id} ${last.status}` : 'none'})`);
			}
			await sleep(intervalMs);
		}
	}

	/**
	 * The Executions list's Retry: POST /rest/executions/:id/retry. n8n answers when the new
	 * execution has finished. `loadWorkflow: false` = "Retry with original workflow".
	 */
	retryExecution(id, { loadWorkflow = false } = {}) {
		return this.post(`/executions/${id}/retry`, { loadWorkflow });
	}
}

/**
 * Starts `n8n start` for an N8nInstance (n8n-env.mjs; e.g. stack.inst from lib/stack.mjs) on free
 * ports, waits until it is healthy, sets up the owner and logs in.
 * @param {import('../n8n-env.mjs').N8nInstance} inst
 * @param {{ port?: number, env?: object, owner?: object, timeoutMs?: number, logFile?: string, detached?: boolean,
 *   onSpawn?: (child: import('node:child_process').ChildProcess) => void }} [opts]  `detached`: own process group;
 *   `onSpawn`: called with the child at once (e.g. to register it for an exit hook before it is up)
 * @returns {Promise<{ version: string, url: string, port: number, child: import('node:child_process').ChildProcess,
 *   logFile: string, startMs: number, rest: RestClient, webhook: Function, log: Function, stop: Function }>}
 */
export async function startServer(inst, opts = {}) {
	const t0 = Date.now();
	const port = opts.port ?? (await freePort());
	const brokerPort = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const env = n8nEnv(inst.userFolder, {
		...inst.extraEnv,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		WEBHOOK_URL: `${url}/`,
		N8N_EDITOR_BASE_URL: `${url}/`,
		N8N_SECURE_COOKIE: 'false',
		// 2.x always starts the task-runner broker (1.x only with runners enabled): one port per process.
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		...opts.env,
	});
	const logFile = opts.logFile ?? path.join(inst.userFolder, 'n8n-start.log');
	const log = fs.createWriteStream(logFile);
	// opts.detached: its own process group, so stop() also ends what n8n started (task runners).
	const child = spawn(nodeExecutable(), [n8nBin(inst.version), 'start'], { cwd: inst.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: !!opts.detached });
	opts.onSpawn?.(child);
	const signal = (sig) => {
		try {
			if (opts.detached) process.kill(-child.pid, sig);
			else child.kill(sig);
		} catch {
			/* already gone */
		}
	};
	child.stdout.pipe(log);
	child.stderr.pipe(log);
	const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

	const server = {
		version: inst.version,
		url,
		port,
		child,
		logFile,
		rest: new RestClient(url, inst.version),
		/** The server's log so far. */
		log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
		/** POST (or `method`) to a production webhook: /webhook/<path>. Resolves { status, body }. */
		async webhook(webhookPath, body = {}, method = 'POST') {
			const res = await fetch(`${url}/webhook/${webhookPath}`, {
				method,
				headers: { 'Content-Type': 'application/json' },
				body: method === 'GET' ? undefined : JSON.stringify(body),
			});
			const text = await res.text();
			let parsed = text;
			try {
				parsed = JSON.parse(text);
			} catch {
				/* not JSON */
			}
			return { status: res.status, body: parsed };
		},
		/**
		 * Waits until a production webhook is registered, without running its workflow: a CORS
		 * preflight (OPTIONS + Origin) answers 204 for a registered path, 404 before. Needed on 2.x,
		 * where activating publishes through an outbox (N8N_USE_WORKFLOW_PUBLICATION_SERVICE, on by
		 * default in 2.41) and the webhook is registered some time AFTER the activate call returns.
		 */
		async waitForWebhook(webhookPath, method = 'POST', timeoutMs = 30_000) {
			const until = Date.now() + timeoutMs;
			for (;;) {
				const res = await fetch(`${url}/webhook/${webhookPath}`, {
					method: 'OPTIONS',
					headers: { Origin: url, 'Access-Control-Request-Method': method },
				});
				await res.arrayBuffer();
				if (res.status >= 200 && res.status < 300) return Date.now() - (until - timeoutMs);
				if (Date.now() > until) throw new Error(`webhook ${method} /webhook/${webhookPath} not registered within ${timeoutMs / 1000} s (last answer HTTP ${res.status})`);
				await sleep(100);
			}
		},
		/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
		async stop(graceMs = 10_000) {
			if (child.exitCode === null && child.signalCode === null) {
				signal('SIGTERM');
				const timer = setTimeout(() => signal('SIGKILL'), graceMs);
				await exited;
				clearTimeout(timer);
			}
			await new Promise((r) => log.end(r));
		},
	};

	try {
		const until = Date.now() + (opts.timeoutMs ?? 180_000);
		for (;;) {
			if (child.exitCode !== null || child.signalCode !== null) {
				throw new Error(`n8n ${inst.version} exited during startup (code ${child.exitCode}, signal ${child.signalCode}); log ${logFile}:\n${server.log().slice(-2000)}`);
			}
			try {
				// Not /healthz: it answers while n8n is still migrating and mounting its routes.
				// /healthz/readiness: DB migrated (1.x), and on 2.x also the server fully started.
				const r = await fetch(`${url}/healthz/readiness`);
				await r.arrayBuffer();
				if (r.ok) break;
			} catch {
				/* not up yet */
			}
			if (Date.now() > until) throw new Error(`n8n ${inst.version} not healthy within ${(opts.timeoutMs ?? 180_000) / 1000} s; log ${logFile}`);
			await sleep(250);
		}
		const owner = opts.owner ?? E2E_OWNER;
		await server.rest.setupOwner(owner);
		await server.rest.login(owner.email, owner.password);
	} catch (error) {
		await server.stop(2_000);
		throw error;
	}
	server.startMs = Date.now() - t0;
	return server;
}
