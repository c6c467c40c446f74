import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';
import type { Emulator, EmulatorOptions } from '../../emulator/server';
import { startEmulator } from '../../emulator/server';
import type { EngineOptions, InputItem, RunWorkflowOptions, WorkflowRun } from '../harness/engine';
import { Engine } from '../harness/engine';

const REPO_DIR = resolve(__dirname, '../..');
/** The built package under test: this repo, or a private build (`scripts/run.sh build-to <dir>`). */
export const PACKAGE_DIR = process.env.TEST_PACKAGE_DIR ? resolve(process.env.TEST_PACKAGE_DIR) : REPO_DIR;
export const PACKAGE = 'n8n-nodes-talking-avatar';
export const fixture = (name: string): Buffer => readFileSync(join(REPO_DIR, 'test/fixtures', name));
export const asset = (name: string): Buffer => readFileSync(join(REPO_DIR, 'emulator/assets', name));

export interface TestBed {
	emulator: Emulator;
	engine: Engine;
	close(): Promise<void>;
}

/** A real emulator on 127.0.0.1 and a real n8n engine that loaded the built package. */
export async function startTestBed(emulatorOptions: EmulatorOptions = {}, engineOptions: Partial<EngineOptions> = {}): Promise<TestBed> {
	const emulator = await startEmulator(emulatorOptions);
	let engine: Engine;
	try {
		engine = await Engine.create({ packageDir: PACKAGE_DIR, ...engineOptions });
	} catch (error) {
		// A package that fails to load must fail the suite, not leave a server that keeps jest alive.
		await emulator.close();
		throw error;
	}
	return {
		emulator,
		engine,
		async close() {
			await engine.close();
			await emulator.close();
		},
	};
}

export function nodeOf(type: string, parameters: INodeParameters, extra: Partial<INode> = {}): INode {
	return {
		id: `${type}-${extra.name ?? 'node'}`.replace(/[^a-z0-9-]/gi, '-'),
		name: 'Node',
		type: `${PACKAGE}.${type}`,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		...extra,
	};
}

/** Runs a single node on the given items. */
export function runNode(
	engine: Engine,
	node: INode,
	items: InputItem[],
	credentials: RunWorkflowOptions['credentials'],
	extra: Partial<RunWorkflowOptions> = {},
): Promise<WorkflowRun> {
	return engine.run({ nodes: [node], connections: {}, items, credentials, ...extra });
}

export const jsonOf = (run: WorkflowRun, node = 'Node'): IDataObject[] => run.output(node).map((i) => i.json);

/** The `error` object of an error item (nodes/shared/items.ts errorItem); undefined for other items. */
export function errorOf(item: { json: IDataObject } | IDataObject): IDataObject | undefined {
	const json = ('json' in item && typeof item.json === 'object' ? item.json : item) as IDataObject;
	const error = json.error;
	return error && typeof error === 'object' && !Array.isArray(error) ? (error as IDataObject) : undefined;
}

/** An item's task status, from a task item or from an error item's `error.status`. */
export const statusOf = (item: { json: IDataObject }): unknown => item.json.status ?? errorOf(item)?.status;

/**
 * A workflow in which `tool` is connected as a tool to the harness's stand-in agent, which calls it
 * once with `args` (what a model would write) through n8n-core's tool wrapper.
 */
export function toolOfAgent(tool: INode, args: Record<string, unknown> = {}) {
	const agent: INode = { id: 'agent', name: 'Agent', type: 'harness.toolCaller', typeVersion: 1, position: [0, 0], parameters: { toolArgs: JSON.stringify(args) } };
	return { nodes: [agent, tool], connections: { [tool.name]: { ai_tool: [[{ node: 'Agent', type: 'ai_tool' as const, index: 0 }]] } }, startNode: 'Agent' };
}
