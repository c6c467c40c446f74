// The "example stack" shared by `npm start`, `npm run demo` and `npm run test:e2e`:
// provider emulator (in this process) + a real n8n user folder with this package installed as a
// community package, emulator credentials imported and the examples/ workflows imported.
//
//   const emu = await startFastEmulator();                 // 127.0.0.1:8787 if free
//   const tarball = packPackage();                          // from n8n-env.mjs
//   const stack = await createStack({ version, tarball, emulator: emu });
//   const res = await stack.inst.execute(stack.examples[0].id);
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createUserFolder, E2E_DIR, ROOT, nodeExecutable } from '../n8n-env.mjs';

export const EXAMPLES_DIR = path.join(ROOT, 'examples');
export const ASSETS_DIR = path.join(ROOT, 'emulator', 'assets');
/** The emulator address the example workflows are written for (asset URLs). */
export const EXAMPLE_EMULATOR_URL = 'http://127.0.0.1:8787';
/** The n8n address the examples use (example 06's callbackUrl: n8n on its default port). */
export const EXAMPLE_N8N_URL = 'http://127.0.0.1:5678';
/** Relative to n8n's working folder (the stack's files folder). */
export const INPUT_DIR = 'talking-avatar/input';
export const OUTPUT_DIR = 'talking-avatar/output';

const require = createRequire(import.meta.url);

/**
 * Compiles emulator/ (TypeScript) into the ignored e2e/.n8n-emulator-build/ and loads it.
 * Its own output folder: the shared .build/ of `npm run emulator` is not touched.
 */
export function loadEmulatorModule() {
	const outDir = path.join(E2E_DIR, '.n8n-emulator-build');
	const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
	try {
		execFileSync(nodeExecutable(), [tsc, '-p', path.join(E2E_DIR, 'tsconfig.emulator.json')], { cwd: ROOT, stdio: 'pipe' });
	} catch (err) {
		// tsc still emits on type errors (noEmitOnError false); only a missing output is fatal.
		if (!fs.existsSync(path.join(outDir, 'emulator', 'server.js'))) throw new Error(`emulator does not compile:\n${err.stdout ?? err}`);
		console.warn(`[stack] emulator compiled with type errors (using the output anyway):\n${String(err.stdout).split('\n').slice(0, 5).join('\n')}`);
	}
	const file = path.join(outDir, 'emulator', 'server.js');
	delete require.cache[file];
	return require(file);
}

function portFree(port, host = '127.0.0.1') {
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, host, () => srv.close(() => resolve(true)));
	});
}

/**
 * Starts the emulator with fast task timings (a Kling task takes 2 s; the nodes keep their
 * default polling). Port: `port`, else EMULATOR_PORT, else 8787 when free, else a random one —
 * the example workflows' asset URLs are then rewritten to it (see loadExamples).
 */
export async function startFastEmulator({ port } = {}) {
	const { startEmulator } = loadEmulatorModule();
	let p = port ?? (process.env.EMULATOR_PORT ? Number(process.env.EMULATOR_PORT) : 8787);
	if (port === undefined && !process.env.EMULATOR_PORT && !(await portFree(p))) p = 0;
	return await startEmulator({
		port: p,
		assetsDir: ASSETS_DIR,
		kling: { submittedMs: 500, processingMs: 1500 },
		akool: { queueMs: 500, processingMs: 1500, avatarQueueMs: 300, avatarProcessingMs: 700 },
		mingyan: { queuedMs: 500, processingMs: 1500 },
	});
}

/** The node types and credential types the packed package declares (from its package.json). */
export function packageContents(tarball) {
	const pj = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
	const base = (p) => path.basename(p).replace(/\.(node|credentials)\.js$/, '');
	return { name: pj.name, nodes: (pj.n8n?.nodes ?? []).map(base), credentials: (pj.n8n?.credentials ?? []).map(base) };
}

/** Credentials for the emulator, with the ids the example workflows reference. */
export function emulatorCredentials(emulator) {
	const k = emulator.kling.config;
	const creds = [
		{
			id: 'taKlingEmulator1',
			name: 'Kling (emulator)',
			type: 'klingApi',
			data: { authentication: 'accessKey', accessKey: k.accessKey, secretKey: k.secretKey, region: 'custom', baseUrl: emulator.url },
		},
	];
	if (emulator.akool) {
		const a = emulator.akool.config;
		creds.push({
			id: 'taAkoolEmulator1',
			name: 'Akool (emulator)',
			type: 'akoolApi',
			data: { authentication: 'apiKey', apiKey: a.apiKey, clientId: a.clientId, baseUrl: emulator.url },
		});
	}
	if (emulator.mingyan) {
		creds.push({
			id: 'taMingyanEmulat1',
			name: 'Mingyan (emulator)',
			type: 'mingyanApi',
			data: { apiKey: emulator.mingyan.config.apiKey, baseUrl: `${emulator.url}/kyyReactApiServer` },
		});
	}
	return creds;
}

/**
 * The example workflows (examples/*.json, sorted by file name). Workflows whose node types the
 * package does not declare are returned with `skip` set (not importable). Workflows that
 * `n8n execute` cannot run sensibly get `cliSkip` (still imported, e.g. for `npm start`): a trigger
 * workflow (it runs when active in `n8n start`) and one that submits tasks for it without waiting
 * (its videos arrive by callback). e2e/callbacks.mjs runs such pairs. Asset URLs are rewritten
 * when the emulator does not run at EXAMPLE_EMULATOR_URL, and n8n URLs (example 06's callbackUrl)
 * when `n8nUrl` is not EXAMPLE_N8N_URL.
 */
export function loadExamples({ emulatorUrl = EXAMPLE_EMULATOR_URL, packageName = 'n8n-nodes-talking-avatar', nodeNames, n8nUrl = EXAMPLE_N8N_URL } = {}) {
	const files = fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
	return files.map((file) => {
		let text = fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8');
		if (emulatorUrl !== EXAMPLE_EMULATOR_URL) text = text.split(EXAMPLE_EMULATOR_URL).join(emulatorUrl);
		// n8n on another port (npm start moves on when 5678 is taken): example 06's callbackUrl follows it.
		if (n8nUrl !== EXAMPLE_N8N_URL) text = text.split(`${EXAMPLE_N8N_URL}/`).join(`${n8nUrl}/`);
		const workflow = JSON.parse(text);
		const ours = workflow.nodes.filter((n) => n.type.startsWith(`${packageName}.`)).map((n) => n.type.slice(packageName.length + 1));
		const missing = nodeNames ? ours.filter((t) => !nodeNames.includes(t)) : [];
		const triggers = [...new Set(ours.filter((t) => t.endsWith('Trigger')))];
		const submitsForTrigger = workflow.nodes.some(
			(n) => n.type.startsWith(`${packageName}.`) && n.parameters?.waitForCompletion === false && (n.parameters?.options?.callbackUrl || n.parameters?.options?.webhookUrl),
		);
		const cliSkip = triggers.length
			? `trigger workflow (${triggers.join(', ')}): it runs when active in n8n start; npm run test:callbacks runs it`
			: submitsForTrigger
				? 'submits tasks for a trigger workflow (the videos arrive by callback); npm run test:callbacks runs it'
				: null;
		return { file, id: workflow.id, name: workflow.name, workflow, ourTypes: [...new Set(ours)], skip: missing.length ? `package has no node ${missing.join(', ')}` : null, cliSkip };
	});
}

/** Node type name (klingAvatar) of a built node file name (KlingAvatar). */
export const lowerFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);

/** Fills <filesDir>/talking-avatar/input with the demo inputs and creates the output folder. */
export function prepareFiles(filesDir) {
	const input = path.join(filesDir, INPUT_DIR);
	fs.mkdirSync(input, { recursive: true });
	fs.mkdirSync(path.join(filesDir, OUTPUT_DIR), { recursive: true });
	for (const f of ['portrait.jpg', 'voice.mp3']) fs.copyFileSync(path.join(ASSETS_DIR, f), path.join(input, f));
	return { input, output: path.join(filesDir, OUTPUT_DIR) };
}

/**
 * A user folder for n8n@version with the package tarball installed, the emulator credentials
 * and the examples imported. n8n runs with its working folder = <userFolder>/files, which is also
 * the only folder nodes may read/write (N8N_RESTRICT_FILE_ACCESS_TO; required on 2.x).
 * @param {{version: string, tarball: string, emulator: object, userFolder?: string, fresh?: boolean,
 *   examples?: boolean, env?: object, n8nUrl?: string}} opts  `examples: false` skips importing examples/ (the list is still returned);
 *   `n8nUrl`: where the n8n server of this stack will listen, if not EXAMPLE_N8N_URL (examples are rewritten to it);
 *   `env`: extra n8n environment for every CLI call and server of this stack
 */
export async function createStack(opts) {
	const userFolder = opts.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), `n8n-talking-avatar-${opts.version}-`));
	if (opts.fresh) fs.rmSync(userFolder, { recursive: true, force: true });
	fs.mkdirSync(userFolder, { recursive: true });
	const inst = createUserFolder({ version: opts.version, tarball: opts.tarball, userFolder: fs.realpathSync(userFolder) });
	// No symlink may be on the path of a file n8n 2.x reads or writes: use the real path.
	const filesDir = path.join(inst.userFolder, 'files');
	const dirs = prepareFiles(filesDir);
	inst.cwd = filesDir;
	// opts.env: e.g. the queue-mode database settings, which the imports below must use too.
	inst.extraEnv = { ...inst.extraEnv, N8N_RESTRICT_FILE_ACCESS_TO: filesDir, ...opts.env };
	const contents = packageContents(opts.tarball);
	const nodeNames = contents.nodes.map(lowerFirst);
	const credTypes = contents.credentials.map(lowerFirst);
	const creds = emulatorCredentials(opts.emulator).filter((c) => credTypes.includes(c.type));
	const t0 = Date.now();
	await inst.importCredentials(creds);
	const examples = loadExamples({ emulatorUrl: opts.emulator.url, packageName: contents.name, nodeNames, n8nUrl: opts.n8nUrl });
	const runnable = examples.filter((e) => !e.skip);
	if (runnable.length && opts.examples !== false) await inst.importWorkflows(runnable.map((e) => e.workflow));
	return { inst, userFolder: inst.userFolder, filesDir, ...dirs, examples, credentials: creds, importMs: Date.now() - t0 };
}

/**
 * Files under `folder` (node_modules skipped) that hold any of `secrets` in plain text, e.g. the
 * emulator's API keys after the credentials were imported (n8n stores them encrypted; an import
 * file left behind would not be). Returns their paths.
 */
export function filesWithSecrets(folder, secrets) {
	const hits = [];
	const wanted = secrets.filter((s) => typeof s === 'string' && s.length >= 8);
	const walk = (dir) => {
		for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
			const p = path.join(dir, e.name);
			if (e.isDirectory()) {
				if (e.name !== 'node_modules') walk(p);
			} else if (e.isFile() && fs.statSync(p).size < 5_000_000) {
				const text = fs.readFileSync(p, 'latin1');
				if (/^import-credentials-.*\.json$/.test(e.name) || wanted.some((s) => text.includes(s))) hits.push(p);
			}
		}
	};
	if (fs.existsSync(folder)) walk(folder);
	return hits;
}

/** The secret strings of emulatorCredentials(): every string value of their `data`, URLs excepted. */
export function credentialSecrets(creds) {
	return creds.flatMap((c) => Object.entries(c.data ?? {}).filter(([k, v]) => typeof v === 'string' && /key|secret|token/i.test(k)).map(([, v]) => v));
}
