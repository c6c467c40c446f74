// e2e tooling: runs this package inside a REAL n8n (installed by e2e/install-n8n.sh).
//
// Library (import from other .mjs e2e scripts) and CLI (see `usage` at the bottom).
// Run with the toolchain Node 24: `source scripts/toolchain.sh && ensure_node24 && node e2e/n8n-env.mjs ...`.
//
// Steps it automates:
//   1. packPackage(): build the package and `npm pack` it — by default in a staging copy under
//      e2e/.n8n-pack/ (same tsc + gulp steps as `npm run build`), so the shared dist/ of the
//      working tree is not deleted under other people's feet; `{ fromDist: true }` packs the tree
//      as is (run `npm run build` first); E2E_PACKAGE_TARBALL=<file.tgz> uses a ready tarball.
//   2. createUserFolder(): a fresh N8N_USER_FOLDER with the tarball installed exactly as n8n's own
//      community-package installer does it (n8n 1.123 / 2.41 CommunityPackagesService.downloadPackage):
//      extract into <userFolder>/.n8n/nodes/node_modules/<name>, drop dev/peer/optional deps from its
//      package.json, `npm install --bin-links=false --install-strategy=shallow --ignore-scripts=true
//      --package-lock=false` inside it, and record it in <userFolder>/.n8n/nodes/package.json.
//      n8n loads that folder with LazyPackageDirectoryLoader, so node types are
//      `n8n-nodes-talking-avatar.<name>`. mode 'custom' installs into .n8n/custom instead
//      (CustomDirectoryLoader: types become `CUSTOM.<name>`).
//   3. importCredentials() / importWorkflows() / execute(): `n8n import:credentials`,
//      `n8n import:workflow`, `n8n execute --id <id> --rawOutput`, with JSON output parsed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(E2E_DIR, '..');
export const PACKAGE_NAME = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name;

/** Versions the e2e suite is pinned to (see e2e/README.md for why). */
export const PINNED_VERSIONS = ['1.123.81', '2.41.1'];

/** Fixed key so credentials encrypted by one command can be decrypted by the next. Test-only. */
export const E2E_ENCRYPTION_KEY = 'e2e-talking-avatar-test-encryption-key';

/**
 * Where install-n8n.sh keeps n8n@<version>: a cache folder OUTSIDE the clone (so fresh CI clones
 * reuse it), linked from the ignored e2e/.n8n-<version>. Override the cache root with
 * N8N_E2E_CACHE_DIR.
 */
export function n8nCacheDir(version) {
	const root =
		process.env.N8N_E2E_CACHE_DIR ||
		path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'n8n-nodes-talking-avatar');
	return path.join(root, `n8n-${version}`);
}

export function n8nInstallDir(version) {
	const link = path.join(E2E_DIR, `.n8n-${version}`);
	return fs.existsSync(path.join(link, '.installed')) ? link : n8nCacheDir(version);
}

export function isInstalled(version) {
	const marker = path.join(n8nInstallDir(version), '.installed');
	return fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').split('\n')[0] === version;
}

export function n8nBin(version) {
	const bin = path.join(n8nInstallDir(version), 'node_modules', 'n8n', 'bin', 'n8n');
	if (!fs.existsSync(path.join(n8nInstallDir(version), '.installed'))) {
		throw new Error(`n8n@${version} is not installed: run \`bash e2e/install-n8n.sh ${version}\``);
	}
	return bin;
}

/** Node >= 22 is required by n8n 1.12x/2.x. Prefer the current node if it qualifies, else the toolchain one. */
export function nodeExecutable() {
	if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
	const tools = path.join(ROOT, '.tools');
	const dir = fs.existsSync(tools) ? fs.readdirSync(tools).find((d) => d.startsWith('node-24')) : undefined;
	if (!dir) throw new Error('Node >= 22 needed: `source scripts/toolchain.sh && ensure_node24` first');
	return path.join(tools, dir, 'bin', 'node');
}

function run(cmd, args, opts = {}) {
	const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
	if (res.status !== 0) {
		throw new Error(
			`${cmd} ${args.join(' ')} failed (exit ${res.status}):\n${res.stdout ?? ''}\n${res.stderr ?? ''}`,
		);
	}
	return res.stdout;
}

function npmEnv() {
	const nodeDir = path.dirname(nodeExecutable());
	return { ...process.env, PATH: `${nodeDir}${path.delimiter}${process.env.PATH}`, npm_config_yes: 'true' };
}

// ---------------------------------------------------------------------------------------------
// 1. Build + pack
// ---------------------------------------------------------------------------------------------

/**
 * Builds and packs the package; returns the absolute path of the .tgz.
 * @param {{ fromDist?: boolean, outDir?: string }} [opts]
 */
export function packPackage(opts = {}) {
	if (process.env.E2E_PACKAGE_TARBALL) return path.resolve(process.env.E2E_PACKAGE_TARBALL);
	const outDir = opts.outDir ?? path.join(E2E_DIR, '.n8n-pack');
	fs.mkdirSync(outDir, { recursive: true });
	for (const f of fs.readdirSync(outDir)) if (f.endsWith('.tgz')) fs.rmSync(path.join(outDir, f));
	const env = npmEnv();
	let packDir = ROOT;
	if (!opts.fromDist) {
		// Staging copy: the same steps as scripts/run.sh build_package, without touching ./dist.
		packDir = path.join(outDir, 'src');
		fs.rmSync(packDir, { recursive: true, force: true });
		fs.mkdirSync(packDir, { recursive: true });
		for (const entry of ['package.json', 'index.js', 'tsconfig.json', 'gulpfile.js', 'README.md', 'LICENSE', 'LICENSE.md', 'nodes', 'credentials']) {
			const src = path.join(ROOT, entry);
			if (fs.existsSync(src)) fs.cpSync(src, path.join(packDir, entry), { recursive: true });
		}
		fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(packDir, 'node_modules'), 'dir');
		const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
		run(nodeExecutable(), [bin('tsc'), '-p', 'tsconfig.json'], { cwd: packDir, env });
		run(nodeExecutable(), [bin('gulp'), '-L', 'build:icons'], { cwd: packDir, env });
	} else if (!fs.existsSync(path.join(ROOT, 'dist'))) {
		throw new Error('dist/ missing: run `npm run build` first (or drop fromDist)');
	}
	const out = run('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: packDir, env });
	const info = JSON.parse(out.slice(out.indexOf('[')))[0];
	return path.join(outDir, info.filename);
}

// ---------------------------------------------------------------------------------------------
// 2. User folder
// ---------------------------------------------------------------------------------------------

/**
 * Environment for every n8n CLI call. Everything not listed is left at n8n's defaults.
 * @param {string} userFolder N8N_USER_FOLDER (n8n keeps its state in <userFolder>/.n8n)
 */
export function n8nEnv(userFolder, extra = {}) {
	const base = { ...process.env };
	// Don't leak a developer's own n8n settings into the test instance.
	for (const k of Object.keys(base)) if (k.startsWith('N8N_') || k.startsWith('DB_')) delete base[k];
	return {
		...base,
		PATH: `${path.dirname(nodeExecutable())}${path.delimiter}${process.env.PATH}`,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
		// No task-runner child process (2.x: the JS runner is internal anyway; we use no Code node).
		N8N_RUNNERS_ENABLED: 'false',
		// No outbound calls to n8n.io (telemetry, version check, templates, community-node catalogue).
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		// Silences the "permissions 0644 for n8n settings file are too wide" warning; n8n chmods it.
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		// NOT set: DB_SQLITE_POOL_SIZE. With a pool (1.123.81, DB_SQLITE_POOL_SIZE=2) `n8n execute`
		// printed its result and then segfaulted on exit in 2 of 3 runs (exit 139); without it, 0 of
		// 3. 2.x always uses a pool (default 3, minimum 1) and segfaults on exit ~1 run in 4 either way.
		N8N_LOG_LEVEL: 'info',
		NO_COLOR: '1',
		...extra,
	};
}

/**
 * Installs a package tarball like n8n's community-package installer does.
 * @param {string} n8nFolder <userFolder>/.n8n
 * @param {string} tarball
 * @param {'nodes'|'custom'} mode
 */
export function installPackageTarball(n8nFolder, tarball, mode = 'nodes') {
	const baseDir = path.join(n8nFolder, mode);
	fs.mkdirSync(path.join(baseDir, 'node_modules'), { recursive: true });
	const manifestPath = path.join(baseDir, 'package.json');
	if (!fs.existsSync(manifestPath)) {
		// What n8n's CommunityPackagesService.ensurePackageJson writes.
		fs.writeFileSync(manifestPath, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
	}
	// The package name comes from the tarball itself.
	const pj = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']));
	const pkgDir = path.join(baseDir, 'node_modules', ...pj.name.split('/'));
	fs.rmSync(pkgDir, { recursive: true, force: true });
	fs.mkdirSync(pkgDir, { recursive: true });
	run('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
	const { devDependencies, peerDependencies, optionalDependencies, ...stripped } = pj;
	fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify(stripped, null, 2));
	run(
		'npm',
		['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false', '--loglevel=error'],
		{ cwd: pkgDir, env: npmEnv() },
	);
	const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
	manifest.dependencies = { ...(manifest.dependencies ?? {}), [pj.name]: pj.version };
	fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	return { name: pj.name, version: pj.version, dir: pkgDir };
}

/** Node-type prefix n8n gives our nodes for an install mode. */
export function typePrefix(mode = 'nodes', packageName = PACKAGE_NAME) {
	return mode === 'custom' ? 'CUSTOM' : packageName;
}

/**
 * Creates a fresh user folder (temp dir unless given) with the package tarball installed.
 * @param {{ version: string, tarball?: string, userFolder?: string, mode?: 'nodes'|'custom' }} opts
 */
export function createUserFolder(opts) {
	const userFolder = opts.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${opts.version}-`));
	const n8nFolder = path.join(userFolder, '.n8n');
	fs.mkdirSync(n8nFolder, { recursive: true });
	let pkg;
	if (opts.tarball) pkg = installPackageTarball(n8nFolder, opts.tarball, opts.mode ?? 'nodes');
	return new N8nInstance(opts.version, userFolder, pkg, opts.mode ?? 'nodes');
}

// ---------------------------------------------------------------------------------------------
// 3. CLI wrappers
// ---------------------------------------------------------------------------------------------

/** Parses every top-level multi-line JSON object block ('{' ... '}' on their own lines) in text. */
export function extractJsonBlocks(text) {
	const lines = text.split(/\r?\n/);
	const blocks = [];
	for (let i = 0; i < lines.length; i++) {
		if (lines[i] !== '{') continue;
		for (let j = i + 1; j < lines.length; j++) {
			if (lines[j] !== '}') continue;
			try {
				blocks.push(JSON.parse(lines.slice(i, j + 1).join('\n')));
				i = j;
				break;
			} catch {
				/* keep extending */
			}
		}
	}
	return blocks;
}

export class N8nInstance {
	constructor(version, userFolder, pkg, mode) {
		this.version = version;
		this.userFolder = userFolder;
		this.pkg = pkg;
		this.mode = mode;
		this.prefix = typePrefix(mode, pkg?.name);
		this.extraEnv = {};
		/** Working folder of every n8n process (relative file paths in workflows resolve here). */
		this.cwd = userFolder;
	}

	/** Runs `n8n <args>`; resolves { code, stdout, stderr, ms }. Never rejects on a non-zero exit. */
	cli(args, { timeoutMs = 300_000, env = {} } = {}) {
		return new Promise((resolve, reject) => {
			const started = Date.now();
			const child = spawn(nodeExecutable(), [n8nBin(this.version), ...args], {
				cwd: this.cwd,
				env: n8nEnv(this.userFolder, { ...this.extraEnv, ...env }),
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (d) => (stdout += d));
			child.stderr.on('data', (d) => (stderr += d));
			const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
			child.on('error', reject);
			child.on('close', (code, signal) => {
				clearTimeout(timer);
				resolve({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr, ms: Date.now() - started });
			});
		});
	}

	async #importFile(kind, data) {
		// Credentials are plain text here (n8n encrypts them on import): owner-only, and deleted right
		// after the import, also when it fails, so no user folder keeps the keys in a file.
		const file = path.join(this.userFolder, `import-${kind}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
		fs.writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600 });
		let res;
		try {
			res = await this.cli([`import:${kind}`, `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
		if (res.code !== 0 || !/Successfully imported/.test(res.stdout)) {
			throw new Error(`n8n import:${kind} failed (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
		}
		return res;
	}

	/**
	 * Imports credentials. `data` may be a plain object: n8n's import:credentials encrypts object
	 * `data` with the instance key (N8N_ENCRYPTION_KEY) itself; a string is taken as already encrypted.
	 * @param {Array<{id: string, name: string, type: string, data: object|string}>} creds
	 */
	importCredentials(creds) {
		return this.#importFile('credentials', creds);
	}

	/** Imports workflows (each needs an `id`; imported workflows are inactive). */
	importWorkflows(workflows) {
		const list = workflows.map((w) => ({ active: false, settings: {}, connections: {}, ...w }));
		return this.#importFile('workflow', list);
	}

	/**
	 * `n8n execute --id <id> --rawOutput`.
	 * @returns {Promise<{ok: boolean, code: number, ms: number, run?: object, error?: object,
	 *   errorMessage?: string, resultData?: object, lastNodeExecuted?: string, stdout: string,
	 *   stderr: string}>}
	 *   `run` is the IRun n8n prints; on failure n8n logs the same IRun before the error.
	 */
	async execute(id, opts = {}) {
		const res = await this.cli(['execute', `--id=${id}`, '--rawOutput'], opts);
		const blocks = extractJsonBlocks(res.stdout);
		const run = blocks.reverse().find((b) => b && b.data && b.data.resultData);
		const resultData = run?.data?.resultData;
		// n8n prints the error message after the last "====" rule (also when there is no run,
		// e.g. "Unrecognized node type: ...").
		const lines = res.stdout.split(/\r?\n/);
		const rule = lines.lastIndexOf('====================================');
		const errorMessage = resultData?.error?.message ?? (res.code !== 0 && rule >= 0 ? lines[rule + 1] : undefined);
		// Known flake: n8n 1.123.81 (with an sqlite pool) and 2.41.1 (pool always on) sometimes
		// SIGSEGV during process teardown AFTER printing the complete run JSON (~1 run in 4-6 on
		// this machine). The printed run is authoritative; the crash is reported separately.
		const crashedOnExit = !!run && (res.signal === 'SIGSEGV' || res.code === 139);
		return {
			ok: (res.code === 0 || crashedOnExit) && !!run && !resultData?.error,
			crashedOnExit,
			signal: res.signal,
			code: res.code,
			ms: res.ms,
			run,
			resultData,
			error: resultData?.error,
			errorMessage,
			lastNodeExecuted: resultData?.lastNodeExecuted,
			stdout: res.stdout,
			stderr: res.stderr,
		};
	}

	/** Output items (json) of a node in a finished run, first run / first output. */
	static nodeOutput(result, nodeName, outputIndex = 0) {
		const runs = result.resultData?.runData?.[nodeName];
		return runs?.[0]?.data?.main?.[outputIndex]?.map((i) => i.json) ?? [];
	}

	remove() {
		fs.rmSync(this.userFolder, { recursive: true, force: true });
	}
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const usage = `usage: node e2e/n8n-env.mjs <command>
  pack [--from-dist]                          build (staging copy) + npm pack; prints the tarball path
  prepare <version> <userFolder> [--custom] [--from-dist]
                                              pack + install into <userFolder>/.n8n/nodes (or custom)
  import-credentials <version> <userFolder> <file.json>
  import-workflow <version> <userFolder> <file.json>
  execute <version> <userFolder> <workflowId> prints the run JSON (exit 1 if the run failed)
  env <userFolder>                            prints the environment as shell exports`;

async function main(argv) {
	const [cmd, ...rest] = argv;
	const flags = new Set(rest.filter((a) => a.startsWith('--')));
	const args = rest.filter((a) => !a.startsWith('--'));
	switch (cmd) {
		case 'pack':
			console.log(packPackage({ fromDist: flags.has('--from-dist') }));
			return 0;
		case 'prepare': {
			const [version, userFolder] = args;
			const tarball = packPackage({ fromDist: flags.has('--from-dist') });
			const inst = createUserFolder({ version, userFolder: path.resolve(userFolder), tarball, mode: flags.has('--custom') ? 'custom' : 'nodes' });
			console.log(JSON.stringify({ userFolder: inst.userFolder, tarball, package: inst.pkg, typePrefix: inst.prefix }, null, 2));
			return 0;
		}
		case 'import-credentials':
		case 'import-workflow': {
			const [version, userFolder, file] = args;
			const inst = new N8nInstance(version, path.resolve(userFolder));
			const data = JSON.parse(fs.readFileSync(file, 'utf8'));
			const list = Array.isArray(data) ? data : [data];
			const res = cmd === 'import-workflow' ? await inst.importWorkflows(list) : await inst.importCredentials(list);
			process.stdout.write(res.stdout);
			return 0;
		}
		case 'execute': {
			const [version, userFolder, id] = args;
			const res = await new N8nInstance(version, path.resolve(userFolder)).execute(id);
			if (res.run) console.log(JSON.stringify(res.run, null, 2));
			else process.stdout.write(res.stdout + res.stderr);
			console.error(`[n8n-env] execute ${id}: ${res.ok ? 'ok' : 'FAILED'} in ${res.ms} ms`);
			return res.ok ? 0 : 1;
		}
		case 'env': {
			const env = n8nEnv(path.resolve(args[0]));
			for (const [k, v] of Object.entries(env)) if (k.startsWith('N8N_') || k.startsWith('DB_')) console.log(`export ${k}=${JSON.stringify(v)}`);
			return 0;
		}
		default:
			console.error(usage);
			return 2;
	}
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	main(process.argv.slice(2)).then(
		(code) => process.exit(code),
		(err) => {
			console.error(err.stack ?? err);
			process.exit(1);
		},
	);
}
