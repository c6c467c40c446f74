/**
 * Process-level n8n-core bootstrap for the engine harness.
 *
 * n8n-core resolves its services from the process-global `@n8n/di` Container at call time
 * (`Container.get(BinaryDataService)` inside prepareBinaryData/getBinaryDataBuffer, `Container.get(Logger)`
 * for `this.logger`, `Container.get(InstanceSettings)` in every node context). Several Engines (different
 * binary modes, different temp folders) may live in one process, and jest runs tests of one file in one
 * process, so instead of pointing those singletons at one Engine we register ROUTERS once:
 *
 *  - Logger / LoggerProxy     → the `logs` array of the Engine whose execution is running
 *  - BinaryDataService        → that Engine's own BinaryDataService (own mode, own storage dir)
 *  - BinaryDataConfig         → that Engine's mode (read by convertBinaryData)
 *
 * "The Engine whose execution is running" is tracked with AsyncLocalStorage: Engine.run() enters a
 * context before calling processRunExecutionData, and every continuation of the execution (node code,
 * timers, HTTP callbacks) inherits it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { BinaryDataConfig, BinaryDataService, InstanceSettings } from 'n8n-core';
import { LoggerProxy } from 'n8n-workflow';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LogEntry {
	level: LogLevel;
	message: string;
	meta?: Record<string, unknown>;
	time: number;
}

/** What an Engine exposes to the routers. */
export interface EngineScope {
	readonly id: string;
	readonly binaryDataService: BinaryDataService;
	readonly binaryDataMode: 'default' | 'filesystem';
	log(entry: LogEntry): void;
}

export const engineContext = new AsyncLocalStorage<EngineScope>();

const liveScopes = new Set<EngineScope>();

/** Log lines emitted outside any Engine context (module load, late timers after close). */
export const orphanLogs: LogEntry[] = [];

export function registerScope(scope: EngineScope): void {
	liveScopes.add(scope);
}

export function unregisterScope(scope: EngineScope): void {
	liveScopes.delete(scope);
}

function currentScope(): EngineScope | undefined {
	const scope = engineContext.getStore();
	if (scope) return scope;
	// Outside an execution context: unambiguous only when a single Engine is alive.
	if (liveScopes.size === 1) return liveScopes.values().next().value;
	return undefined;
}

function emit(level: LogLevel, message: string, meta?: Record<string, unknown>): void {
	const entry: LogEntry = { level, message: String(message), meta, time: Date.now() };
	const scope = currentScope();
	if (scope) scope.log(entry);
	else {
		orphanLogs.push(entry);
		if (orphanLogs.length > 1000) orphanLogs.shift();
	}
}

/** Stand-in for @n8n/backend-common's Logger (winston) — silent, captured per Engine. */
export const routingLogger = {
	error: (message: string, meta?: Record<string, unknown>) => emit('error', message, meta),
	warn: (message: string, meta?: Record<string, unknown>) => emit('warn', message, meta),
	info: (message: string, meta?: Record<string, unknown>) => emit('info', message, meta),
	debug: (message: string, meta?: Record<string, unknown>) => emit('debug', message, meta),
	scoped() {
		return routingLogger;
	},
	getInternalLogger() {
		return undefined;
	},
};

function scopeForBinary(): EngineScope {
	const scope = currentScope();
	if (!scope) {
		throw new Error(
			'Engine harness: binary data accessed outside an Engine execution while several Engines are alive; use engine.binaryBuffer()',
		);
	}
	return scope;
}

/** BinaryDataService stand-in that forwards every call to the current Engine's service. */
const routingBinaryDataService = new Proxy({} as BinaryDataService, {
	get(_target, property) {
		const service = scopeForBinary().binaryDataService as unknown as Record<string | symbol, unknown>;
		const value = service[property];
		return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(service) : value;
	},
});

const routingBinaryDataConfig = new Proxy({} as BinaryDataConfig, {
	get(_target, property) {
		if (property === 'mode') return currentScope()?.binaryDataMode ?? 'default';
		if (property === 'availableModes') return ['default', 'filesystem'];
		return undefined;
	},
});

const CORE_FOLDER_PREFIX = 'n8n-harness-core-';

function sweepStaleCoreFolders(): void {
	try {
		for (const name of readdirSync(tmpdir())) {
			if (!name.startsWith(CORE_FOLDER_PREFIX)) continue;
			const pid = Number(name.slice(CORE_FOLDER_PREFIX.length));
			if (!Number.isInteger(pid) || pid === process.pid) continue;
			try {
				process.kill(pid, 0); // still alive (or not ours to judge): keep
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
					rmSync(join(tmpdir(), name), { recursive: true, force: true });
				}
			}
		}
	} catch {
		// best effort
	}
}

let coreUserFolder: string | undefined;
let initialised = false;

/**
 * One-time process setup. `preferredUserFolder` (an explicit EngineOptions.userFolder) becomes
 * N8N_USER_FOLDER when nothing set it yet; otherwise a process-wide temp folder is used (removed at exit),
 * because InstanceSettings is a process singleton that must outlive any single Engine.
 */
export function ensureCoreInitialised(preferredUserFolder?: string): { userFolder: string } {
	if (initialised) return { userFolder: coreUserFolder! };

	if (!process.env.N8N_USER_FOLDER) {
		if (preferredUserFolder) {
			process.env.N8N_USER_FOLDER = preferredUserFolder;
		} else {
			// One folder per process (jest test files in one worker share it). Exit handlers do not run
			// when jest kills its workers, so folders of dead processes are swept here instead.
			sweepStaleCoreFolders();
			const dir = join(tmpdir(), `${CORE_FOLDER_PREFIX}${process.pid}`);
			mkdirSync(dir, { recursive: true });
			process.env.N8N_USER_FOLDER = dir;
			process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
		}
	}
	coreUserFolder = process.env.N8N_USER_FOLDER;
	// Keep the engine quiet and deterministic (these are read lazily by @n8n/config classes).
	process.env.N8N_DIAGNOSTICS_ENABLED ??= 'false';
	process.env.N8N_RUNNERS_ENABLED ??= 'false';

	Container.set(Logger, routingLogger as unknown as Logger);
	LoggerProxy.init(routingLogger);
	Container.set(BinaryDataService, routingBinaryDataService);
	Container.set(BinaryDataConfig, routingBinaryDataConfig);
	// Creates <N8N_USER_FOLDER>/.n8n/config with an encryption key (needed by node contexts).
	Container.get(InstanceSettings);

	initialised = true;
	return { userFolder: coreUserFolder! };
}
