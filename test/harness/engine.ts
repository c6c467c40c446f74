/**
 * Engine harness: runs workflow JSON through the REAL n8n engine (n8n-core WorkflowExecute) with a
 * built community package loaded exactly the way n8n loads it (PackageDirectoryLoader + loadAll()).
 *
 *   const engine = await Engine.create({ packageDir: '/work/main', binaryDataMode: 'filesystem' });
 *   const run = await engine.run({ nodes, connections, credentials: { klingApi: {...} }, items: [...] });
 *   run.status; run.output('Kling Avatar'); await run.binaryBuffer(run.output('Kling Avatar')[0], 'data');
 *   await engine.close();
 *
 * See core.ts for how the process-global n8n-core services are routed to the right Engine.
 */
import { rmSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes, randomUUID } from 'node:crypto';

import { Container } from '@n8n/di';
import {
	BinaryDataService,
	ErrorReporter,
	ExecutionLifecycleHooks,
	PackageDirectoryLoader,
	WorkflowExecute,
	prepareBinaryData,
} from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IConnections,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeType,
	INodeTypes,
	IPinData,
	IRun,
	IRunData,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	IWorkflowSettings,
} from 'n8n-workflow';
import {
	ExecutionCancelledError,
	ManualExecutionCancelledError,
	NodeApiError,
	NodeConnectionTypes,
	NodeHelpers,
	NodeOperationError,
	TimeoutExecutionCancelledError,
	Workflow,
	createRunExecutionData,
} from 'n8n-workflow';

import {
	type EngineScope,
	type LogEntry,
	engineContext,
	ensureCoreInitialised,
	registerScope,
	unregisterScope,
} from './core';
import { HarnessCredentialsHelper, type CredentialRequest } from './credentials';

export type { LogEntry } from './core';
export type { CredentialRequest } from './credentials';
export { HarnessCredentialsHelper } from './credentials';

// ------------------------------------------------------------------------------------------ types

export interface EngineOptions {
	/** A built package: package.json with "n8n": {nodes, credentials} pointing at compiled JS. */
	packageDir: string;
	/** 'default' keeps binary data in memory (base64); 'filesystem' streams it to a temp dir. Default 'default'. */
	binaryDataMode?: 'default' | 'filesystem';
	/**
	 * Per-Engine temp folder (binary storage lives in `<userFolder>/storage`). Temp dir by default and
	 * removed by close(). When given explicitly it is also used as N8N_USER_FOLDER for n8n-core if no
	 * other Engine initialised n8n-core in this process yet (InstanceSettings is a process singleton);
	 * an explicit folder is never deleted.
	 */
	userFolder?: string;
	/** Echo captured logs to the console (default false: silent, only captured in engine.logs). */
	printLogs?: boolean;
	/** Minimum level captured in engine.logs (default 'debug' = everything). */
	logLevel?: LogEntry['level'];
	/** Extra node types (keyed by full type name) available to workflows, e.g. stand-ins. */
	extraNodeTypes?: Record<string, INodeType | IVersionedNodeType>;
}

export interface InputBinary {
	data: Buffer;
	fileName?: string;
	mimeType?: string;
}

export interface InputItem {
	json?: IDataObject;
	binary?: Record<string, InputBinary>;
}

export interface WorkflowJson {
	id?: string;
	name?: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IWorkflowSettings;
	staticData?: IDataObject;
	pinData?: IPinData;
}

export interface RunWorkflowOptions {
	/** Either nodes + connections, or `workflow` (e.g. a parsed workflow JSON export). */
	nodes?: INode[];
	connections?: IConnections;
	workflow?: WorkflowJson;
	/** Credential data by credential TYPE name (e.g. `klingApi`). Merged into the Engine's store. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Items fed into the start node via the execution stack (default: one empty item). */
	items?: InputItem[];
	/** Default: the first enabled node without an incoming connection. */
	startNode?: string;
	/** Default: a fresh id per run. */
	executionId?: string;
	/** Cancels the execution (status 'canceled', TimeoutExecutionCancelledError) after this many ms. */
	timeoutMs?: number;
	/** After cancel(), how long to wait for nodes to notice the abort before resolving anyway. Default 30000. */
	cancelGraceMs?: number;
	/** Workflow settings (default { executionOrder: 'v1' }). */
	settings?: IWorkflowSettings;
	/** Called after the input items are stored, right before n8n starts executing (benchmarks take baselines here). */
	beforeExecute?: () => void | Promise<void>;
	/**
	 * Runs a Retry of this earlier (failed or canceled) run, the way the Executions list's Retry
	 * does (n8n `ExecutionService.retry` → `WorkflowRunner`): a new execution id, mode 'retry', and
	 * the earlier run's saved data (through a JSON round trip, like the database) with the
	 * execution error removed and the failed node's last run popped; `items` and `startNode`
	 * are ignored. The workflow (nodes, connections) must still be given.
	 */
	retryOf?: WorkflowRun;
	/**
	 * What of `retryOf` n8n kept: 'saved' (default) the data as the execution ended (a failed
	 * execution; an execution timeout); 'lostNodeState' only what n8n had stored when the execution
	 * started, as after a Stop (n8n `ExecutionService.stopDuringRun` re-saves the execution as it was
	 * stored before the Stop, and the engine's own save skips canceled executions) or a queue-mode
	 * worker that died. The node's execution context (its task ledger) is gone then.
	 */
	retryKept?: 'saved' | 'lostNodeState';
}

export interface WorkflowRun {
	status: 'success' | 'error' | 'canceled';
	/** The execution-level error (resultData.error), prototype restored (instanceof works for n8n errors). */
	error?: Error;
	runData: IRunData;
	/** Items of the LAST run of that node on output `outputIndex` (default 0); [] if none. */
	output(nodeName: string, outputIndex?: number): INodeExecutionData[];
	/** Error of the last run of that node, prototype restored (NodeApiError / NodeOperationError / ...). */
	nodeError(nodeName: string): Error | undefined;
	/** Buffer of a binary property, for every binary mode. */
	binaryBuffer(item: INodeExecutionData, property: string): Promise<Buffer>;
	durationMs: number;
	executionId: string;
	/** Raw IRun from WorkflowExecute (status may also be e.g. 'waiting'). */
	raw: IRun;
	/** Node names in execution order (nodeExecuteAfter hook). */
	nodeExecutionOrder: string[];
	/** The run data as it was when the execution started (JSON), what n8n stores first. */
	startData: string;
}

export interface RunningWorkflow {
	promise: Promise<WorkflowRun>;
	cancel(): void;
	executionId: string;
}

// ------------------------------------------------------------------------------------------ helpers

const LEVELS: Record<LogEntry['level'], number> = { error: 0, warn: 1, info: 2, debug: 3 };

const ERROR_CLASSES: Record<string, { prototype: object }> = {
	NodeApiError,
	NodeOperationError,
	ManualExecutionCancelledError,
	TimeoutExecutionCancelledError,
	ExecutionCancelledError,
};

/**
 * WorkflowExecute stores errors as `{ ...error, message, stack }` (plain objects). Restore a usable
 * Error: the class is recognised by the `name`/`constructor` info left in the stack/own props.
 */
function reviveError(raw: unknown): Error | undefined {
	if (raw === undefined || raw === null) return undefined;
	if (raw instanceof Error) return raw;
	const plain = raw as Record<string, unknown>;
	const stack = typeof plain.stack === 'string' ? plain.stack : '';
	const nameFromStack = /^(\w+):/.exec(stack)?.[1];
	const name = (typeof plain.name === 'string' && plain.name) || nameFromStack || 'Error';
	let proto: object = Error.prototype;
	if (ERROR_CLASSES[name]) proto = ERROR_CLASSES[name].prototype;
	else if ('httpCode' in plain && 'node' in plain) proto = NodeApiError.prototype;
	else if ('node' in plain && 'context' in plain) proto = NodeOperationError.prototype;
	const error = Object.create(proto) as Error & Record<string, unknown>;
	for (const [key, value] of Object.entries(plain)) {
		Object.defineProperty(error, key, { value, enumerable: key !== 'stack', writable: true, configurable: true });
	}
	if (!Object.prototype.hasOwnProperty.call(error, 'message')) error.message = String(plain.message ?? '');
	return error;
}

function defer<T>() {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

let executionCounter = 0;

/**
 * Pass-through stand-ins so workflows exported from n8n (starting with a Manual Trigger, using No Op)
 * run without n8n-nodes-base. They are NOT the real nodes: they just return their input items.
 */
function passThrough(name: string, displayName: string, isTrigger: boolean): INodeType {
	return {
		description: {
			displayName,
			name,
			group: [isTrigger ? 'trigger' : 'transform'],
			version: 1,
			description: `Engine harness stand-in for ${name}`,
			defaults: { name: displayName },
			inputs: isTrigger ? [] : [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			properties: [],
		},
		async execute() {
			return [this.getInputData()];
		},
	};
}

/**
 * A stand-in for an AI agent: it takes the tools connected to its `ai_tool` input through n8n-core's
 * real `getInputConnectionData` (which wraps each connected node with `createNodeAsTool` and runs
 * it with the node's Retry On Fail settings, `makeHandleToolInvocation`), calls every tool once
 * with the JSON in its `toolArgs` parameter and outputs `{ tool, response }` per tool. What a
 * tool call returns to the model is the response text (an error text when the tool failed).
 */
const toolCaller: INodeType = {
	description: {
		displayName: 'Tool Caller (harness)',
		name: 'toolCaller',
		group: ['transform'],
		version: 1,
		description: 'Engine harness stand-in for an AI agent that calls its tools once',
		defaults: { name: 'Tool Caller' },
		inputs: [NodeConnectionTypes.Main, { type: NodeConnectionTypes.AiTool, displayName: 'Tools' }],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Tool Args', name: 'toolArgs', type: 'json', default: '{}' }],
	},
	async execute() {
		const tools = (await this.getInputConnectionData(NodeConnectionTypes.AiTool, 0)) as Array<{
			name: string;
			invoke(args: unknown): Promise<unknown>;
		}>;
		const args = JSON.parse(String(this.getNodeParameter('toolArgs', 0, '{}'))) as IDataObject;
		const out: INodeExecutionData[] = [];
		for (const tool of tools ?? []) {
			let response: unknown;
			try {
				response = await tool.invoke(args);
			} catch (error) {
				response = `Tool error: ${(error as Error).message}`;
			}
			out.push({ json: { tool: tool.name, response: typeof response === 'string' ? response : JSON.stringify(response) } });
		}
		return [out];
	},
};

export const STAND_IN_NODE_TYPES: Record<string, INodeType> = {
	'n8n-nodes-base.manualTrigger': passThrough('manualTrigger', 'When clicking ‘Execute workflow’', true),
	'n8n-nodes-base.noOp': passThrough('noOp', 'No Operation, do nothing', false),
	'harness.toolCaller': toolCaller,
};

/**
 * The tool variant n8n makes of a node with `usableAsTool` (type name + 'Tool'): the same node
 * with no main input and an `ai_tool` output (n8n `NodeTypes.getByNameAndVersion` →
 * `LoadNodesAndCredentials.convertNodeToAiTool`, 1.123.81 and 2.41.1).
 */
function asTool(type: INodeType | IVersionedNodeType, nodeType: string): INodeType {
	const node = NodeHelpers.getVersionedNodeType(type) as INodeType;
	if (!node.description.usableAsTool) throw new Error(`Engine harness: ${nodeType} is not usable as a tool`);
	const description = Object.create(node.description, {
		name: { value: `${node.description.name}Tool` },
		inputs: { value: [] },
		outputs: { value: [NodeConnectionTypes.AiTool] },
		displayName: { value: `${node.description.displayName} Tool` },
	}) as INodeType['description'];
	return Object.create(node, { description: { value: description } }) as INodeType;
}

/** INodeTypes adapter over a PackageDirectoryLoader (keys: '<package>.<name>' and bare '<name>'). */
export class PackageNodeTypes implements INodeTypes {
	constructor(
		private readonly loader: PackageDirectoryLoader,
		private readonly extra: Record<string, INodeType | IVersionedNodeType> = {},
	) {}

	get packageName(): string {
		return this.loader.packageName;
	}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		if (this.extra[nodeType]) return this.extra[nodeType];
		const prefix = `${this.loader.packageName}.`;
		const shortName = nodeType.startsWith(prefix) ? nodeType.slice(prefix.length) : nodeType;
		const loaded = this.loader.nodeTypes[shortName];
		if (!loaded && shortName.endsWith('Tool') && this.loader.nodeTypes[shortName.slice(0, -4)]) {
			return asTool(this.loader.nodeTypes[shortName.slice(0, -4)].type, nodeType);
		}
		if (!loaded) {
			throw new Error(
				`Engine harness: unknown node type "${nodeType}" (package ${this.loader.packageName} provides: ${Object.keys(
					this.loader.nodeTypes,
				)
					.map((n) => prefix + n)
					.join(', ')})`,
			);
		}
		return loaded.type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes(): IDataObject {
		const known: IDataObject = {};
		for (const [name, info] of Object.entries(this.loader.known.nodes)) {
			known[`${this.loader.packageName}.${name}`] = { ...info };
		}
		for (const name of Object.keys(this.extra)) known[name] = { className: name, sourcePath: '' };
		return known;
	}
}

// ------------------------------------------------------------------------------------------ Engine

export class Engine {
	/** Loaded package node types (plus stand-ins), keyed like n8n: '<package name>.<description name>'. */
	readonly nodeTypes: PackageNodeTypes;

	/** The in-memory ICredentialsHelper used for every run of this Engine. */
	readonly credentials: HarnessCredentialsHelper;

	/** Captured logs (node `this.logger`, n8n-core LoggerProxy, ErrorReporter). Silent by default. */
	readonly logs: LogEntry[] = [];

	readonly packageName: string;

	readonly packageDir: string;

	readonly binaryDataMode: 'default' | 'filesystem';

	/** Per-Engine temp folder (binary storage under `<userFolder>/storage` in filesystem mode). */
	readonly userFolder: string;

	/** Problems found while checking the package (missing icon files etc.); empty when fine. */
	readonly packageIssues: string[];

	private readonly scope: EngineScope;

	private readonly ownsUserFolder: boolean;

	private closed = false;

	private constructor(init: {
		loader: PackageDirectoryLoader;
		nodeTypes: PackageNodeTypes;
		credentials: HarnessCredentialsHelper;
		scope: EngineScope;
		options: EngineOptions;
		userFolder: string;
		ownsUserFolder: boolean;
		logs: LogEntry[];
		packageIssues: string[];
	}) {
		this.loader = init.loader;
		this.nodeTypes = init.nodeTypes;
		this.credentials = init.credentials;
		this.scope = init.scope;
		this.logs = init.logs;
		this.packageName = init.loader.packageName;
		this.packageDir = init.loader.directory;
		this.binaryDataMode = init.options.binaryDataMode ?? 'default';
		this.userFolder = init.userFolder;
		this.ownsUserFolder = init.ownsUserFolder;
		this.packageIssues = init.packageIssues;
	}

	/** The n8n-core loader (loader.known, loader.types, loader.credentialTypes ...). */
	readonly loader: PackageDirectoryLoader;

	static async create(options: EngineOptions): Promise<Engine> {
		const packageDir = resolvePath(options.packageDir);
		ensureCoreInitialised(options.userFolder);

		const ownsUserFolder = !options.userFolder;
		const userFolder = options.userFolder ?? (await mkdtemp(join(tmpdir(), 'n8n-harness-engine-')));
		const binaryDataMode = options.binaryDataMode ?? 'default';
		const logs: LogEntry[] = [];
		const minLevel = LEVELS[options.logLevel ?? 'debug'];

		const binaryDataConfig = {
			mode: binaryDataMode,
			availableModes: ['default', 'filesystem'],
			localStoragePath: join(userFolder, 'storage'),
			signingSecret: randomBytes(32).toString('base64'),
			dbMaxFileSize: 512,
		};
		let scope!: EngineScope;
		const binaryDataService = new BinaryDataService(
			binaryDataConfig as never,
			Container.get(ErrorReporter),
			{
				// BinaryDataService only logs on deleteManyByBinaryDataId
				info: (message: string) => scope.log({ level: 'info', message, time: Date.now() }),
			} as never,
		);

		scope = {
			id: randomUUID(),
			binaryDataService,
			binaryDataMode,
			log(entry) {
				if (LEVELS[entry.level] > minLevel) return;
				logs.push(entry);
				if (options.printLogs) {
					// eslint-disable-next-line no-console
					console.log(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
				}
			},
		};
		registerScope(scope);

		try {
			const { loader, packageIssues } = await engineContext.run(scope, async () => {
				await binaryDataService.init();
				const loader = new PackageDirectoryLoader(packageDir);
				await loader.loadAll();
				return { loader, packageIssues: checkPackage(loader) };
			});

			const nodeTypes = new PackageNodeTypes(loader, { ...STAND_IN_NODE_TYPES, ...(options.extraNodeTypes ?? {}) });
			const credentialTypes = {
				getByName(typeName: string): ICredentialType {
					const loaded = loader.credentialTypes[typeName];
					if (!loaded) throw new Error(`Engine harness: unknown credential type "${typeName}"`);
					return loaded.type;
				},
				names: () => Object.keys(loader.credentialTypes),
			};
			const credentials = new HarnessCredentialsHelper(credentialTypes);

			return new Engine({
				loader,
				nodeTypes,
				credentials,
				scope,
				options,
				userFolder,
				ownsUserFolder,
				logs,
				packageIssues,
			});
		} catch (error) {
			unregisterScope(scope);
			if (ownsUserFolder) rmSync(userFolder, { recursive: true, force: true });
			throw error;
		}
	}

	/** Every credential access (getDecrypted / authenticate / preAuthentication) with type and node. */
	get credentialRequests(): CredentialRequest[] {
		return this.credentials.requests;
	}

	/** How many times the credential type's preAuthentication ran (token fetches) in this Engine. */
	preAuthCount(typeName: string): number {
		return this.credentials.preAuthCount(typeName);
	}

	/** Logs whose message matches (substring or RegExp), optionally of one level. */
	findLogs(match: string | RegExp, level?: LogEntry['level']): LogEntry[] {
		return this.logs.filter(
			(l) =>
				(level === undefined || l.level === level) &&
				(typeof match === 'string' ? l.message.includes(match) : match.test(l.message)),
		);
	}

	clearLogs(): void {
		this.logs.length = 0;
	}

	async run(options: RunWorkflowOptions): Promise<WorkflowRun> {
		return await this.start(options).promise;
	}

	start(options: RunWorkflowOptions): RunningWorkflow {
		if (this.closed) throw new Error('Engine harness: engine is closed');
		const executionId = options.executionId ?? `${Date.now()}${++executionCounter}`;
		let cancelRequested = false;
		let cancelExecution: (() => void) | undefined;

		const promise = engineContext.run(this.scope, async () => {
			const wf = this.normaliseWorkflow(options);
			this.credentials.setCredentials(options.credentials);

			const workflowId = wf.id ?? 'harness-workflow';
			const workflow = new Workflow({
				id: workflowId,
				name: wf.name ?? 'Engine harness workflow',
				nodes: wf.nodes,
				connections: wf.connections,
				active: false,
				nodeTypes: this.nodeTypes,
				staticData: wf.staticData,
				settings: { executionOrder: 'v1', ...(wf.settings ?? {}), ...(options.settings ?? {}) },
				pinData: wf.pinData,
			});

			const runExecutionData = options.retryOf
				? retryExecutionData(options.retryOf, options.retryKept ?? 'saved')
				: createRunExecutionData({
						resultData: { runData: {}, pinData: wf.pinData },
						executionData: {
							nodeExecutionStack: [
								{
									node: this.findStartNode(workflow, wf.nodes, options.startNode),
									data: { main: [await this.prepareItems(options.items, executionId, workflowId)] },
									source: null,
								},
							],
						},
					});

			const workflowData: IWorkflowBase = {
				id: workflowId,
				name: workflow.name ?? '',
				active: false,
				activeVersionId: null,
				isArchived: false,
				createdAt: new Date(),
				updatedAt: new Date(),
				nodes: wf.nodes,
				connections: wf.connections,
				settings: workflow.settings,
			} as unknown as IWorkflowBase;

			const hooks = new ExecutionLifecycleHooks('manual', executionId, workflowData);
			const nodeExecutionOrder: string[] = [];
			hooks.addHandler('nodeExecuteAfter', (nodeName: string) => {
				nodeExecutionOrder.push(nodeName);
			});
			const hookRun = defer<IRun>();
			hooks.addHandler('workflowExecuteAfter', (fullRunData: IRun) => {
				hookRun.resolve(fullRunData);
			});

			const additionalData = this.buildAdditionalData(hooks, executionId, workflowId, options.timeoutMs);

			const startData = JSON.stringify(runExecutionData);
			const workflowExecute = new WorkflowExecute(additionalData, options.retryOf ? 'retry' : 'manual', runExecutionData);
			await options.beforeExecute?.();
			const started = performance.now();
			const execution = workflowExecute.processRunExecutionData(workflow);

			let graceTimer: NodeJS.Timeout | undefined;
			const canceled = defer<IRun>();
			cancelExecution = () => {
				execution.cancel();
				// A node that never checks the abort signal would keep `execution` pending forever.
				graceTimer = setTimeout(() => {
					void hookRun.promise.then(canceled.resolve);
				}, options.cancelGraceMs ?? 30_000);
				graceTimer.unref?.();
			};
			if (cancelRequested) cancelExecution();

			let timeoutTimer: NodeJS.Timeout | undefined;
			if (options.timeoutMs !== undefined) {
				timeoutTimer = setTimeout(() => {
					workflowExecute.timedOut = true;
					cancelExecution?.();
				}, options.timeoutMs);
			}

			let raw: IRun;
			try {
				raw = await Promise.race([execution, canceled.promise]);
			} finally {
				if (timeoutTimer) clearTimeout(timeoutTimer);
				if (graceTimer) clearTimeout(graceTimer);
			}
			const durationMs = performance.now() - started;
			return this.toWorkflowRun(raw, executionId, durationMs, nodeExecutionOrder, startData);
		});

		return {
			promise,
			executionId,
			cancel: () => {
				if (cancelExecution) cancelExecution();
				else cancelRequested = true;
			},
		};
	}

	/** Buffer of a binary property (works for inline base64 and filesystem ids of this Engine). */
	async binaryBuffer(item: INodeExecutionData, property: string): Promise<Buffer> {
		const binary = item.binary?.[property];
		if (!binary) {
			throw new Error(
				`Engine harness: item has no binary property "${property}" (has: ${Object.keys(item.binary ?? {}).join(', ') || 'none'})`,
			);
		}
		return await engineContext.run(this.scope, async () => await this.scope.binaryDataService.getAsBuffer(binary));
	}

	/** Filesystem mode: absolute path of the stored file behind a binary property; undefined when inline. */
	binaryPath(item: INodeExecutionData, property: string): string | undefined {
		const id = item.binary?.[property]?.id;
		if (!id) return undefined;
		return engineContext.run(this.scope, () => this.scope.binaryDataService.getPath(id));
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		unregisterScope(this.scope);
		if (this.ownsUserFolder) await rm(this.userFolder, { recursive: true, force: true });
	}

	// ---------------------------------------------------------------------------------- internals

	private normaliseWorkflow(options: RunWorkflowOptions): WorkflowJson {
		const base: Partial<WorkflowJson> = options.workflow ?? {};
		const nodes = options.nodes ?? base.nodes;
		const connections = options.connections ?? base.connections ?? {};
		if (!nodes || nodes.length === 0) throw new Error('Engine harness: run() needs nodes (or workflow.nodes)');
		// Defensive copies: WorkflowExecute mutates nodes/parameters (defaults get filled in).
		return {
			...base,
			nodes: JSON.parse(JSON.stringify(nodes)) as INode[],
			connections: JSON.parse(JSON.stringify(connections)) as IConnections,
		};
	}

	private findStartNode(workflow: Workflow, nodes: INode[], startNode?: string): INode {
		if (startNode) {
			const node = workflow.getNode(startNode);
			if (!node) throw new Error(`Engine harness: start node "${startNode}" not found`);
			return node;
		}
		for (const node of nodes) {
			if (node.disabled) continue;
			const incoming = workflow.connectionsByDestinationNode[node.name];
			const hasIncoming = Object.values(incoming ?? {}).some((byIndex) =>
				(byIndex ?? []).some((list) => (list ?? []).length > 0),
			);
			if (!hasIncoming) return workflow.getNode(node.name)!;
		}
		throw new Error('Engine harness: no start node (every node has an incoming connection); pass startNode');
	}

	private async prepareItems(
		items: InputItem[] | undefined,
		executionId: string,
		workflowId: string,
	): Promise<INodeExecutionData[]> {
		const source = items && items.length > 0 ? items : [{ json: {} }];
		const prepared: INodeExecutionData[] = [];
		for (const item of source) {
			const out: INodeExecutionData = { json: { ...(item.json ?? {}) } };
			if (item.binary) {
				out.binary = {};
				for (const [key, bin] of Object.entries(item.binary)) {
					// Same path as this.helpers.prepareBinaryData → BinaryDataService.store. A mime type is
					// always passed: without one n8n-core does `await import('file-type')`, which jest's CJS
					// runtime cannot do.
					const binaryData = await prepareBinaryData(
						bin.data,
						executionId,
						workflowId,
						bin.fileName,
						bin.mimeType ?? (bin.fileName ? undefined : 'application/octet-stream'),
					);
					out.binary[key] = binaryData;
				}
			}
			prepared.push(out);
		}
		return prepared;
	}

	private buildAdditionalData(
		hooks: ExecutionLifecycleHooks,
		executionId: string,
		workflowId: string,
		timeoutMs?: number,
	): IWorkflowExecuteAdditionalData {
		const base = 'http://localhost:5678';
		const notSupported = (what: string) => async () => {
			throw new Error(`Engine harness: ${what} is not supported`);
		};
		return {
			credentialsHelper: this.credentials,
			hooks,
			executionId,
			workflowId,
			userId: 'harness-user',
			projectId: 'harness-project',
			executeWorkflow: notSupported('executeWorkflow (sub-workflows)'),
			getRunExecutionData: async () => undefined,
			getRuntimeCredential: async () => undefined,
			startRunnerTask: notSupported('startRunnerTask (task runners / Code node)'),
			logAiEvent: () => {},
			currentNodeExecutionIndex: 0,
			currentNodeParameters: undefined,
			variables: {},
			restApiUrl: `${base}/rest`,
			instanceBaseUrl: `${base}/`,
			formBaseUrl: `${base}/form`,
			formWaitingBaseUrl: `${base}/form-waiting`,
			formTestBaseUrl: `${base}/form-test`,
			webhookBaseUrl: `${base}/webhook`,
			webhookWaitingBaseUrl: `${base}/webhook-waiting`,
			webhookTestBaseUrl: `${base}/webhook-test`,
			mcpBaseUrl: `${base}/mcp`,
			mcpTestBaseUrl: `${base}/mcp-test`,
			executionTimeoutTimestamp: timeoutMs !== undefined ? Date.now() + timeoutMs : undefined,
			setExecutionStatus: () => {},
			sendDataToUI: () => {},
		} as unknown as IWorkflowExecuteAdditionalData;
	}

	private toWorkflowRun(
		raw: IRun,
		executionId: string,
		durationMs: number,
		nodeExecutionOrder: string[],
		startData: string,
	): WorkflowRun {
		const runData: IRunData = raw.data.resultData.runData ?? {};
		const error = reviveError(raw.data.resultData.error);
		let status: WorkflowRun['status'];
		if (raw.status === 'canceled' || error instanceof ExecutionCancelledError) status = 'canceled';
		else if (raw.status === 'error' || raw.status === 'crashed' || error) status = 'error';
		else status = 'success';

		return {
			status,
			error,
			runData,
			durationMs,
			executionId,
			raw,
			nodeExecutionOrder,
			startData,
			output(nodeName: string, outputIndex = 0): INodeExecutionData[] {
				const runs = runData[nodeName];
				const last = runs?.[runs.length - 1];
				return (last?.data?.[NodeConnectionTypes.Main]?.[outputIndex] ?? []) as INodeExecutionData[];
			},
			nodeError(nodeName: string): Error | undefined {
				const runs = runData[nodeName];
				return reviveError(runs?.[runs.length - 1]?.error);
			},
			binaryBuffer: async (item: INodeExecutionData, property: string) => await this.binaryBuffer(item, property),
		};
	}
}

/**
 * The run data a Retry from the Executions list starts from (n8n `ExecutionService.retry`, same in
 * 1.123.81 and 2.41.1): the saved execution data with `resultData.error` removed and, when the
 * last executed node's last run failed, that run popped so the node runs again. The node's
 * execution context (`executionData.contextData`) is carried over as saved.
 */
function retryExecutionData(previous: WorkflowRun, kept: 'saved' | 'lostNodeState'): IRun['data'] {
	const data = JSON.parse(kept === 'saved' ? JSON.stringify(previous.raw.data) : previous.startData) as IRun['data'];
	if (kept === 'lostNodeState') {
		// stopDuringRun adds the cancellation; with no lastNodeExecuted the Retry keeps it, so n8n
		// ends such a Retry as 'error' ("The execution was cancelled manually") even when every node
		// succeeds (seen on 1.123.81 and 2.41.1).
		const cancelled = new ManualExecutionCancelledError(previous.executionId);
		data.resultData.error = { ...cancelled, message: cancelled.message, stack: cancelled.stack } as never;
	}
	const { lastNodeExecuted } = data.resultData;
	if (lastNodeExecuted) {
		delete data.resultData.error;
		const runs = data.resultData.runData[lastNodeExecuted] ?? [];
		if (runs.length > 0 && runs[runs.length - 1].error !== undefined) runs.pop();
	}
	return data;
}

/** Checks n8n's loader does not: referenced icon files exist inside the package. */
function checkPackage(loader: PackageDirectoryLoader): string[] {
	const issues: string[] = [];
	const checkIcon = (owner: string, icon: unknown) => {
		const values =
			typeof icon === 'string' ? [icon] : icon && typeof icon === 'object' ? Object.values(icon as object) : [];
		for (const value of values) {
			if (typeof value !== 'string' || !value.startsWith('icons/')) continue;
			const relative = value.slice(`icons/${loader.packageName}/`.length);
			if (!existsSync(join(loader.directory, relative))) issues.push(`${owner}: icon file missing: ${relative}`);
		}
	};
	for (const [name, { type }] of Object.entries(loader.nodeTypes)) {
		const description = (type as INodeType).description;
		// n8n rewrites icon 'file:x.svg' into iconUrl 'icons/<package>/<path inside the package>'
		checkIcon(`node ${name}`, description.iconUrl);
		if (!description.codex) issues.push(`node ${name}: no codex (.node.json) found`);
	}
	for (const [name, { type }] of Object.entries(loader.credentialTypes)) {
		checkIcon(`credential ${name}`, (type as ICredentialType).iconUrl);
	}
	return issues;
}
