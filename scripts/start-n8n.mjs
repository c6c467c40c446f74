// `npm start`: a real n8n editor with this package loaded, for trying the nodes by hand.
//   - installs the pinned n8n on first run (cached by version outside the clone, linked from the
//     ignored e2e/.n8n-<version>),
//   - builds + packs the package (staging copy; dist/ untouched) and installs it into the
//     ignored .n8n-home/n8n-<version>/ user folder as a community package,
//   - starts the provider emulator (127.0.0.1:8787 when free), imports credentials for it and the
//     example workflows, creates the owner account and prints the editor URL and the login.
// Ctrl+C stops n8n and the emulator. The user folder (and what you build in it) is kept.
//
// Usage: bash scripts/run.sh start [--version 1.123.81] [--port 5678]   (N8N_VERSION / N8N_PORT too)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isInstalled, n8nBin, n8nEnv, nodeExecutable, packPackage, PINNED_VERSIONS, ROOT } from '../e2e/n8n-env.mjs';
import { createStack, startFastEmulator } from '../e2e/lib/stack.mjs';

const argv = process.argv.slice(2);
const opt = (name) => {
	const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
	if (i < 0) return undefined;
	return argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
};
const VERSION = opt('version') ?? process.env.N8N_VERSION ?? PINNED_VERSIONS[PINNED_VERSIONS.length - 1];
const OWNER = { email: 'demo@talking-avatar.local', firstName: 'Demo', lastName: 'User', password: 'TalkingAvatar1' };

function portFree(port) {
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});
}

async function waitHealthy(url, child, timeoutMs = 180_000) {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if (child.exitCode !== null) throw new Error(`n8n exited with code ${child.exitCode}`);
		try {
			const r = await fetch(`${url}/healthz`);
			if (r.ok) return;
		} catch {
			/* not up yet */
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(`n8n did not become healthy within ${timeoutMs / 1000} s`);
}

async function main() {
	if (!isInstalled(VERSION)) {
		console.log(`n8n@${VERSION} is not installed yet: installing it once (about 5 minutes; cached afterwards) ...`);
		const r = spawnSync('bash', [path.join(ROOT, 'e2e', 'install-n8n.sh'), VERSION], { stdio: 'inherit' });
		if (r.status !== 0) throw new Error(`installing n8n@${VERSION} failed`);
	}
	console.log('[start] packing n8n-nodes-talking-avatar ...');
	const tarball = packPackage();
	const emulator = await startFastEmulator();
	const userFolder = path.join(ROOT, '.n8n-home', `n8n-${VERSION}`);
	console.log(`[start] installing the package into ${path.relative(ROOT, userFolder)}/.n8n/nodes and importing credentials + examples ...`);
	let port = Number(opt('port') ?? process.env.N8N_PORT ?? 5678);
	while (!(await portFree(port))) port++;
	// Example 06's callbackUrl names n8n at 127.0.0.1:5678: on another port it is rewritten at import.
	const stack = await createStack({ version: VERSION, tarball, emulator, userFolder, n8nUrl: `http://127.0.0.1:${port}` });
	const url = `http://localhost:${port}`;
	const env = n8nEnv(stack.userFolder, {
		...stack.inst.extraEnv,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: 'localhost',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `${url}/`,
		// Plain http on localhost: no Secure cookie, or a browser on another host name can't log in.
		N8N_SECURE_COOKIE: 'false',
	});
	const child = spawn(nodeExecutable(), [n8nBin(VERSION), 'start'], { cwd: stack.filesDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
	const logFile = path.join(stack.userFolder, 'n8n-start.log');
	const log = fs.createWriteStream(logFile);
	child.stdout.pipe(log);
	child.stderr.pipe(log);
	let stopping = false;
	const stop = (code = 0) => {
		if (stopping) return;
		stopping = true;
		console.log('\n[start] stopping n8n and the emulator ...');
		child.kill('SIGTERM');
		const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
		child.once('exit', () => {
			clearTimeout(force);
			void emulator.close().then(() => process.exit(code));
		});
	};
	process.on('SIGINT', () => stop(0));
	process.on('SIGTERM', () => stop(0));
	child.once('exit', (code) => {
		if (!stopping) {
			console.error(`[start] n8n exited (code ${code}); see ${logFile}`);
			void emulator.close().then(() => process.exit(1));
		}
	});

	console.log(`[start] starting n8n ${VERSION} (log: ${path.relative(ROOT, logFile)}) ...`);
	await waitHealthy(`http://127.0.0.1:${port}`, child);
	// First start: create the owner account so the login below works (later starts: already set up).
	// /healthz answers before the REST routes are mounted: retry while they 404.
	let setup;
	for (let i = 0; i < 120; i++) {
		setup = await fetch(`http://127.0.0.1:${port}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (setup.status !== 404) break;
		await new Promise((r) => setTimeout(r, 500));
	}
	const ownerNote = setup.ok ? 'owner account created' : `owner already set up (HTTP ${setup.status})`;
	const runnable = stack.examples.filter((e) => !e.skip);
	const nameOf = (id, fallback) => stack.examples.find((e) => e.id === id)?.name ?? `example ${fallback}`;
	console.log(
		[
			'',
			`n8n ${VERSION} is running with n8n-nodes-talking-avatar loaded.`,
			'',
			`  Editor:     ${url}`,
			`  Log in:     ${OWNER.email} / ${OWNER.password}   (${ownerNote}; if you changed it, use yours)`,
			`  Workflows:  ${runnable.map((e) => `"${e.name}"`).join('\n              ')}`,
			`  Credentials: ${stack.credentials.map((c) => c.name).join(', ')} → emulator ${emulator.url}`,
			`  Files:      ${stack.filesDir}  (n8n's working folder and N8N_RESTRICT_FILE_ACCESS_TO;`,
			'              inputs in talking-avatar/input, videos are written to talking-avatar/output)',
			`  State:      ${stack.userFolder}  (delete it to start over)`,
			'',
			'Open a workflow and click "Execute workflow". Press Ctrl+C to stop.',
			`Callbacks: first activate (n8n 1.x) / publish (n8n 2.x) "${nameOf('taKlingCbCollec1', '07')}"`,
			`  (Kling Avatar Trigger), then run "${nameOf('taKlingCbSubmit1', '06')}" (its Settings → callbackUrl is`,
			`  the trigger's Production URL on port ${port}).`,
		].join('\n'),
	);
}

main().catch((err) => {
	console.error(err.stack ?? err);
	process.exit(1);
});
