// n8n in queue mode on one host, for e2e tests: Redis + a fresh Postgres (Debian packages, run as
// an unprivileged user on free ports, data in a temporary folder), `n8n start` (main) and N
// `n8n worker`s, each with its own user folder holding the packed package.
//
//   const q = await startQueueStack({ version, tarball, emulator, workers: 2 });
//   q.main   // lib/server.mjs server (REST client, webhook, log)
//   q.workers[i] = { name, userFolder, log(), kill(sig), restart() , healthPort }
//   await q.stop();   // everything, also Redis and Postgres; also on process exit / SIGINT / SIGTERM
//
// Every process gets its own process group; stop() and the exit hooks signal the groups.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUserFolder, n8nBin, n8nEnv, nodeExecutable } from '../n8n-env.mjs';
import { createStack } from './stack.mjs';
import { freePort, startServer } from './server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The unprivileged account Redis and Postgres run as when we are root (initdb/postgres refuse root). */
const SERVICE_USER = process.env.QUEUE_SERVICE_USER ?? 'nobody';
const isRoot = process.getuid?.() === 0;

/** The newest Debian Postgres server binaries folder, or undefined. */
export function postgresBinDir() {
	const base = '/usr/lib/postgresql';
	if (!fs.existsSync(base)) return undefined;
	const versions = fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(base, versions[0], 'bin') : undefined;
}

function which(cmd) {
	return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

/** apt-get installs redis-server and postgresql when missing (root, or sudo). */
export function ensureDebianPackages() {
	const missing = [];
	if (!which('redis-server') && !fs.existsSync('/usr/bin/redis-server')) missing.push('redis-server');
	if (!postgresBinDir()) missing.push('postgresql');
	if (!missing.length) return [];
	console.log(`[queue] installing ${missing.join(', ')} from the Debian packages (apt-get)`);
	const sudo = isRoot ? [] : ['sudo'];
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	execFileSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], { stdio: 'inherit', env });
	execFileSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
	return missing;
}

/** argv that runs `cmd args` as the service user when we are root. */
function asServiceUser(cmd, args) {
	return isRoot ? ['runuser', ['-u', SERVICE_USER, '--', cmd, ...args]] : [cmd, args];
}

/** Everything started, for the exit hooks: process groups and Postgres data folders. */
const live = { groups: new Set(), pgData: new Set(), dirs: new Set() };

function killGroupsSync(sig = 'SIGKILL') {
	for (const pid of live.groups) {
		try {
			process.kill(-pid, sig);
		} catch {
			/* gone */
		}
	}
	live.groups.clear();
	for (const { bin, data } of live.pgData) {
		try {
			const [cmd, args] = asServiceUser(path.join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'immediate', '-w']);
			execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
		} catch {
			/* gone */
		}
	}
	live.pgData.clear();
	// The killed processes may still be writing for a moment: retry, and never throw from an exit hook.
	for (const d of live.dirs) {
		try {
			fs.rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
		} catch (error) {
			console.error(`[queue] could not remove ${d}: ${error.message}`);
		}
	}
	live.dirs.clear();
}

let hooked = false;
function hookExit() {
	if (hooked) return;
	hooked = true;
	process.on('exit', () => killGroupsSync());
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.on(sig, () => {
			killGroupsSync();
			process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
		});
	}
}

/** A child in its own process group, output to `logFile`; `onLine` sees every output line as it comes. */
function spawnGroup(cmd, args, { env, cwd, logFile, onLine }) {
	const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	live.groups.add(child.pid);
	const log = fs.createWriteStream(logFile, { flags: 'a' });
	let buf = '';
	const feed = (d) => {
		log.write(d);
		if (!onLine) return;
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			onLine(buf.slice(0, i), Date.now());
			buf = buf.slice(i + 1);
		}
	};
	child.stdout.on('data', feed);
	child.stderr.on('data', feed);
	const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
	const signal = (sig) => {
		try {
			process.kill(-child.pid, sig);
		} catch {
			/* gone */
		}
	};
	return {
		child,
		exited,
		signal,
		async stop(graceMs = 8_000) {
			if (child.exitCode === null && child.signalCode === null) {
				signal('SIGTERM');
				const t = setTimeout(() => signal('SIGKILL'), graceMs);
				await exited;
				clearTimeout(t);
			}
			live.groups.delete(child.pid);
			await new Promise((r) => log.end(r));
		},
	};
}

async function waitFor(what, fn, timeoutMs, proc) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) throw new Error(`${what}: process exited (${proc.child.exitCode ?? proc.child.signalCode})`);
		try {
			if (await fn()) return;
		} catch {
			/* not yet */
		}
		if (Date.now() > until) throw new Error(`${what}: not ready within ${timeoutMs / 1000} s`);
		await sleep(150);
	}
}

/** A temp folder the service user owns. */
function serviceDir(prefix) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	live.dirs.add(dir);
	if (isRoot) execFileSync('chown', ['-R', SERVICE_USER, dir]);
	fs.chmodSync(dir, 0o700);
	return dir;
}

export async function startRedis() {
	const dir = serviceDir('n8n-queue-redis-');
	const port = await freePort();
	const bin = which('redis-server') ?? '/usr/bin/redis-server';
	const [cmd, args] = asServiceUser(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes']);
	const proc = spawnGroup(cmd, args, { env: process.env, cwd: '/', logFile: path.join(dir, 'redis.log') });
	const cli = which('redis-cli');
	await waitFor('redis', () => (cli ? spawnSync(cli, ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.includes('PONG') : true), 15_000, proc);
	return { host: '127.0.0.1', port, dir, stop: async () => { await proc.stop(3_000); fs.rmSync(dir, { recursive: true, force: true }); live.dirs.delete(dir); } };
}

/** A fresh Postgres cluster (trust auth on 127.0.0.1 only: no password anywhere) with a database `n8n`. */
export async function startPostgres() {
	const bin = postgresBinDir();
	if (!bin) throw new Error('no Postgres server binaries in /usr/lib/postgresql/*/bin');
	const dir = serviceDir('n8n-queue-pg-');
	const data = path.join(dir, 'data');
	const sock = path.join(dir, 'sock');
	const port = await freePort();
	const run = (tool, args) => {
		const [cmd, a] = asServiceUser(path.join(bin, tool), args);
		return execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
	};
	run('initdb', ['-D', data, '-U', 'n8n', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
	fs.mkdirSync(sock);
	if (isRoot) execFileSync('chown', [SERVICE_USER, sock]);
	const pg = { bin, data };
	live.pgData.add(pg);
	run('pg_ctl', ['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-o', `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`, 'start']);
	run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'n8n', 'n8n']);
	return {
		host: '127.0.0.1',
		port,
		database: 'n8n',
		user: 'n8n',
		dir,
		version: path.basename(path.dirname(bin)),
		psql: (sql) => run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'n8n', '-d', 'n8n', '-tAc', sql]).trim(),
		stop: async () => {
			try {
				run('pg_ctl', ['-D', data, 'stop', '-m', 'fast', '-w']);
			} catch {
				/* gone */
			}
			live.pgData.delete(pg);
			fs.rmSync(dir, { recursive: true, force: true });
			live.dirs.delete(dir);
		},
	};
}

/**
 * Redis, Postgres, main and `workers` workers for n8n@version, the packed package in every user folder.
 * @param {{version: string, tarball: string, emulator: object, workers?: number, env?: object}} opts
 *   env: extra env for every n8n process (e.g. N8N_DEFAULT_BINARY_DATA_MODE)
 */
export async function startQueueStack(opts) {
	hookExit();
	const t0 = Date.now();
	const timings = {};
	const stopped = [];
	const q = { version: opts.version, workers: [], timings };
	q.stop = async () => {
		const ts = Date.now();
		const parts = {};
		const timed = async (name, fn) => {
			const t = Date.now();
			await fn();
			parts[name] = Date.now() - t;
		};
		// Main and workers together (each: SIGTERM to its process group, SIGKILL after the grace time).
		await Promise.all([
			...q.workers.map((w) => timed(w.name, () => w.stop())),
			q.main &&
				timed('main', async () => {
					await q.main.stop(8_000);
					live.groups.delete(q.main.child.pid);
				}),
		]);
		await timed('services+folders', async () => {
			for (const s of stopped.reverse()) await s();
		});
		timings.stopParts = parts;
		timings.stopMs = Date.now() - ts;
	};
	try {
		const [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
		stopped.push(redis.stop, pg.stop);
		q.redis = redis;
		q.pg = pg;
		timings.servicesMs = Date.now() - t0;
		const queueEnv = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: redis.host,
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: pg.host,
			DB_POSTGRESDB_PORT: String(pg.port),
			DB_POSTGRESDB_DATABASE: pg.database,
			DB_POSTGRESDB_USER: pg.user,
			DB_POSTGRESDB_PASSWORD: '',
			...opts.env,
		};
		q.env = queueEnv;
		// Main's folder: package + emulator credentials imported into Postgres (migrates it too).
		const t1 = Date.now();
		const mainFolder = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `n8n-queue-main-${opts.version}-`)));
		if (!opts.keep) live.dirs.add(mainFolder); // also removed by the exit hooks
		const stack = await createStack({ version: opts.version, tarball: opts.tarball, emulator: opts.emulator, examples: false, env: queueEnv, userFolder: mainFolder });
		q.stack = stack;
		stopped.push(async () => opts.keep || stack.inst.remove());
		timings.mainFolderMs = Date.now() - t1;
		const t2 = Date.now();
		// Workers: own user folders with the package (n8n's installer way), same DB/Redis/key.
		const workerFolders = [];
		for (let i = 0; i < (opts.workers ?? 2); i++) {
			const folder = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `n8n-queue-worker${i + 1}-`)));
			if (!opts.keep) live.dirs.add(folder);
			const inst = createUserFolder({ version: opts.version, tarball: opts.tarball, userFolder: folder });
			workerFolders.push(inst);
			stopped.push(async () => opts.keep || inst.remove());
		}
		timings.workerFoldersMs = Date.now() - t2;
		const t3 = Date.now();
		// Every process gets main's address as WEBHOOK_URL: a worker builds the resume URL a waiting
		// node hands out ($execution.resumeUrl), and main serves /webhook-waiting.
		const mainPort = await freePort();
		const webhookUrl = `http://127.0.0.1:${mainPort}/`;
		const mainP = startServer(stack.inst, { port: mainPort, env: queueEnv, detached: true, onSpawn: (child) => live.groups.add(child.pid) });
		const workerP = workerFolders.map((inst, i) => startWorker(opts.version, inst, `worker${i + 1}`, { ...queueEnv, WEBHOOK_URL: webhookUrl, N8N_RESTRICT_FILE_ACCESS_TO: stack.filesDir }, stack.filesDir));
		const [main, ...workers] = await Promise.all([mainP, ...workerP]);
		q.main = main; // its process group is in live.groups (onSpawn): the exit hooks end it too
		q.workers = workers;
		timings.n8nMs = Date.now() - t3;
		timings.totalMs = Date.now() - t0;
		return q;
	} catch (error) {
		await q.stop().catch(() => {});
		throw error;
	}
}

/** `n8n worker` with a health port; resolves when /healthz/readiness answers. */
export async function startWorker(version, inst, name, env, cwd) {
	const w = { name, userFolder: inst.userFolder, logFile: path.join(inst.userFolder, `n8n-${name}.log`), listeners: new Set(), restarts: 0 };
	const launch = async () => {
		w.healthPort = await freePort();
		const fullEnv = n8nEnv(inst.userFolder, {
			...env,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(w.healthPort),
			N8N_PORT: String(await freePort()),
		});
		const t = Date.now();
		w.proc = spawnGroup(nodeExecutable(), [n8nBin(version), 'worker', '--concurrency=10'], {
			env: fullEnv,
			cwd,
			logFile: w.logFile,
			onLine: (line, at) => {
				for (const l of w.listeners) l(line, at);
			},
		});
		await waitFor(`n8n worker ${name}`, async () => (await fetch(`http://127.0.0.1:${w.healthPort}/healthz/readiness`)).ok, 120_000, w.proc);
		w.startMs = Date.now() - t;
	};
	await launch();
	w.log = () => (fs.existsSync(w.logFile) ? fs.readFileSync(w.logFile, 'utf8') : '');
	w.kill = (sig = 'SIGKILL') => w.proc.signal(sig);
	w.stop = () => w.proc.stop();
	w.restart = async () => {
		await w.proc.stop(2_000);
		w.restarts++;
		await launch();
	};
	/** Resolves with the time a log line matching `re` appears. */
	w.waitForLine = (re, timeoutMs = 30_000) =>
		new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				w.listeners.delete(l);
				reject(new Error(`${name}: no log line ${re} within ${timeoutMs / 1000} s`));
			}, timeoutMs);
			const l = (line, at) => {
				if (re.test(line)) {
					clearTimeout(timer);
					w.listeners.delete(l);
					resolve({ line, at });
				}
			};
			w.listeners.add(l);
		});
	return w;
}

/** Which worker ran an execution: the one whose log says "Worker started execution <id>". */
export function workerOf(q, executionId) {
	const re = new RegExp(`Worker started execution ${executionId} \\(`);
	return q.workers.filter((w) => re.test(w.log())).map((w) => w.name);
}
