/**
 * Self-test of the engine harness against the throwaway fixture package in ./fixture-package
 * (plain CommonJS, loaded by n8n-core's PackageDirectoryLoader exactly like a built package).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import type { IConnections, INode, INodeParameters } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, TimeoutExecutionCancelledError } from 'n8n-workflow';

import { Engine, type RunWorkflowOptions } from './engine';

const PACKAGE_DIR = join(__dirname, 'fixture-package');
const TYPE = 'n8n-nodes-harness-fixture.harnessFixture';

function fixtureNode(name: string, parameters: INodeParameters, credentials?: INode['credentials']): INode {
	return {
		id: name.toLowerCase().replace(/\W+/g, '-'),
		name,
		type: TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		...(credentials ? { credentials } : {}),
	};
}

function single(node: INode): Pick<RunWorkflowOptions, 'nodes' | 'connections'> {
	return { nodes: [node], connections: {} };
}

// ---------------------------------------------------------------------------- local API server

interface ServerState {
	tokensIssued: number;
	validToken?: string;
	usesOfToken: number;
	/** after this many successful uses of a token the server answers 401 once and forgets it */
	expireAfterUses: number;
	seen: Array<{ path: string; headers: IncomingMessage['headers'] }>;
}

function startServer(state: ServerState): Promise<Server> {
	const server = createServer((req: IncomingMessage, res: ServerResponse) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', 'http://127.0.0.1');
			state.seen.push({ path: url.pathname + url.search, headers: req.headers });
			const send = (code: number, payload: unknown) => {
				res.writeHead(code, { 'content-type': 'application/json' });
				res.end(JSON.stringify(payload));
			};
			if (url.pathname === '/fn') {
				return req.headers['x-fn-key'] === 'fn:secret-fn'
					? send(200, { ok: true, auth: 'fn' })
					: send(403, { message: 'bad fn key' });
			}
			if (url.pathname === '/header') {
				return req.headers.authorization === 'Bearer secret-hdr' && req.headers['x-static'] === 'static-value'
					? send(200, { ok: true, auth: 'header', region: url.searchParams.get('region') })
					: send(403, { message: 'bad header auth' });
			}
			if (url.pathname === '/token' && req.method === 'POST') {
				const parsed = JSON.parse(body || '{}') as { clientId?: string; clientSecret?: string };
				if (parsed.clientId !== 'cid' || parsed.clientSecret !== 'csecret') return send(403, { message: 'bad client' });
				state.tokensIssued++;
				state.validToken = `tok-${state.tokensIssued}`;
				state.usesOfToken = 0;
				return send(200, { token: state.validToken });
			}
			if (url.pathname === '/protected') {
				const auth = req.headers.authorization;
				if (!state.validToken || auth !== `Bearer ${state.validToken}`) return send(401, { message: 'token invalid' });
				if (state.usesOfToken >= state.expireAfterUses) {
					state.validToken = undefined; // expired: 401 once, a fresh token is needed
					return send(401, { message: 'token expired' });
				}
				state.usesOfToken++;
				return send(200, { ok: true, token: state.validToken, use: state.usesOfToken });
			}
			if (url.pathname === '/fail') return send(500, { message: 'upstream exploded' });
			send(404, { message: 'not found' });
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---------------------------------------------------------------------------- tests

describe('engine harness (fixture package through the real n8n engine)', () => {
	let engine: Engine;
	let server: Server;
	let baseUrl: string;
	const state: ServerState = { tokensIssued: 0, usesOfToken: 0, expireAfterUses: 3, seen: [] };

	beforeAll(async () => {
		server = await startServer(state);
		baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		engine = await Engine.create({ packageDir: PACKAGE_DIR });
	});

	afterAll(async () => {
		await engine?.close();
		await new Promise((resolve) => server?.close(resolve));
	});

	it('loads the package like n8n: node + credential types, codex, icon', () => {
		expect(engine.packageName).toBe('n8n-nodes-harness-fixture');
		const full = engine.nodeTypes.getByNameAndVersion(TYPE, 1);
		expect(full.description.name).toBe('harnessFixture');
		expect(engine.nodeTypes.getByName('harnessFixture')).toBe(engine.nodeTypes.getByName(TYPE));
		expect(Object.keys(engine.nodeTypes.getKnownTypes())).toContain(TYPE);
		expect(full.description.codex?.categories).toEqual(['Development']);
		expect(full.description.iconUrl).toBe('icons/n8n-nodes-harness-fixture/lib/nodes/HarnessFixture/harnessFixture.svg');
		expect(Object.keys(engine.loader.credentialTypes).sort()).toEqual([
			'fixtureFnApi',
			'fixtureHeaderApi',
			'fixtureTokenApi',
		]);
		expect(engine.packageIssues).toEqual([]);
		expect(() => engine.nodeTypes.getByName('n8n-nodes-harness-fixture.nope')).toThrow(/unknown node type/);
	});

	it('echoes input items with pairedItem through a two-node workflow (manual trigger stand-in)', async () => {
		const connections: IConnections = {
			Start: { main: [[{ node: 'Echo', type: 'main', index: 0 }]] },
		};
		const run = await engine.run({
			workflow: {
				nodes: [
					{ id: 's', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
					fixtureNode('Echo', { operation: 'echo' }),
				],
				connections,
			},
			items: [{ json: { a: 1 } }, { json: { a: 2 } }],
		});
		expect(run.status).toBe('success');
		expect(run.error).toBeUndefined();
		expect(run.nodeExecutionOrder).toEqual(['Start', 'Echo']);
		const out = run.output('Echo');
		expect(out.map((i) => i.json)).toEqual([
			{ a: 1, echoed: true },
			{ a: 2, echoed: true },
		]);
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(run.output('Echo', 1)).toEqual([]);
		expect(run.durationMs).toBeGreaterThan(0);
	});

	it('authenticate FUNCTION credential is called', async () => {
		const run = await engine.run({
			...single(
				fixtureNode('Fn', { operation: 'request', credentialType: 'fixtureFnApi', url: `${baseUrl}/fn` }, {
					fixtureFnApi: { id: '1', name: 'Fn' },
				}),
			),
			credentials: { fixtureFnApi: { apiKey: 'secret-fn' } },
		});
		expect(run.status).toBe('success');
		expect(run.output('Fn')[0].json).toEqual({ ok: true, auth: 'fn' });
		expect(engine.credentialRequests.some((r) => r.kind === 'authenticate' && r.type === 'fixtureFnApi')).toBe(true);
	});

	it('GENERIC credential: headers and qs with ={{$credentials.x}} resolved', async () => {
		const run = await engine.run({
			...single(
				fixtureNode('Hdr', { operation: 'request', credentialType: 'fixtureHeaderApi', url: `${baseUrl}/header` }, {
					fixtureHeaderApi: { id: '2', name: 'Hdr' },
				}),
			),
			credentials: { fixtureHeaderApi: { apiKey: 'secret-hdr', region: 'ap-1' } },
		});
		expect(run.status).toBe('success');
		expect(run.output('Hdr')[0].json).toEqual({ ok: true, auth: 'header', region: 'ap-1' });
	});

	it('GENERIC credential: default values of credential properties are applied (region "eu")', async () => {
		const eng = await Engine.create({ packageDir: PACKAGE_DIR });
		try {
			const run = await eng.run({
				...single(
					fixtureNode('Hdr', { operation: 'request', credentialType: 'fixtureHeaderApi', url: `${baseUrl}/header` }, {
						fixtureHeaderApi: { id: '2', name: 'Hdr' },
					}),
				),
				credentials: { fixtureHeaderApi: { apiKey: 'secret-hdr' } },
			});
			expect(run.output('Hdr')[0].json).toEqual({ ok: true, auth: 'header', region: 'eu' });
		} finally {
			await eng.close();
		}
	});

	it('preAuthentication + expirable token: fetched once, re-fetched after a 401, reused across executions', async () => {
		const node = fixtureNode('Tok', { operation: 'request', credentialType: 'fixtureTokenApi', url: `${baseUrl}/protected` }, {
			fixtureTokenApi: { id: '3', name: 'Tok' },
		});
		const credentials = { fixtureTokenApi: { baseUrl, clientId: 'cid', clientSecret: 'csecret' } };

		const run = await engine.run({
			...single(node),
			credentials,
			items: [1, 2, 3, 4, 5].map((n) => ({ json: { n } })),
		});
		expect(run.status).toBe('success');
		// items 1-3 use tok-1; item 4 gets a 401 → n8n-core calls preAuthentication(expired=true) → tok-2 → retry
		expect(run.output('Tok').map((i) => i.json.token)).toEqual(['tok-1', 'tok-1', 'tok-1', 'tok-2', 'tok-2']);
		expect(engine.preAuthCount('fixtureTokenApi')).toBe(2);
		expect(state.tokensIssued).toBe(2);
		expect(engine.credentials.getStored('fixtureTokenApi')?.sessionToken).toBe('tok-2');
		const preAuths = engine.credentialRequests.filter((r) => r.kind === 'preAuthentication' && r.fetched);
		expect(preAuths.map((r) => r.expired)).toEqual([false, true]);

		// A second execution of the same Engine reuses the persisted token (like n8n's DB).
		const again = await engine.run({ ...single(node), credentials });
		expect(again.status).toBe('success');
		expect(again.output('Tok')[0].json.token).toBe('tok-2');
		expect(engine.preAuthCount('fixtureTokenApi')).toBe(2);
	});

	it('an HTTP failure surfaces as NodeApiError with httpCode', async () => {
		const run = await engine.run({
			...single(
				fixtureNode('Boom', { operation: 'request', credentialType: 'fixtureFnApi', url: `${baseUrl}/fail` }, {
					fixtureFnApi: { id: '1', name: 'Fn' },
				}),
			),
			credentials: { fixtureFnApi: { apiKey: 'secret-fn' } },
		});
		expect(run.status).toBe('error');
		const error = run.nodeError('Boom');
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('500');
		expect(run.error?.message).toBe(error?.message);
	});

	it('a thrown NodeOperationError surfaces with message, description and itemIndex', async () => {
		const run = await engine.run({
			...single(fixtureNode('Fail', { operation: 'throw', failAtIndex: 1 })),
			items: [{ json: { i: 0 } }, { json: { i: 1 } }, { json: { i: 2 } }],
		});
		expect(run.status).toBe('error');
		expect(run.error).toBeInstanceOf(NodeOperationError);
		expect(run.error?.message).toBe('Fixture failure at item 1');
		const error = run.nodeError('Fail') as NodeOperationError;
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Fixture failure at item 1');
		expect(error.description).toBe('The fixture node was asked to fail');
		expect(error.context.itemIndex).toBe(1);
		expect(run.output('Fail')).toEqual([]);
	});

	describe.each(['default', 'filesystem'] as const)('binary data in %s mode', (mode) => {
		let eng: Engine;
		beforeAll(async () => {
			eng = await Engine.create({ packageDir: PACKAGE_DIR, binaryDataMode: mode });
		});
		afterAll(async () => {
			const folder = eng.userFolder;
			await eng.close();
			expect(existsSync(folder)).toBe(false);
		});

		it('reads an input binary with getBinaryDataBuffer and writes one from a stream', async () => {
			const run = await eng.run({
				...single(fixtureNode('Bin', { operation: 'binary' })),
				items: [{ json: { x: 1 }, binary: { data: { data: Buffer.from('hello harness'), fileName: 'in.txt', mimeType: 'text/plain' } } }],
			});
			expect(run.status).toBe('success');
			const [item] = run.output('Bin');
			expect(item.json).toEqual({
				inputText: 'hello harness',
				inputLength: 13,
				inputMode: mode === 'filesystem' ? 'id' : 'inline',
			});
			const out = item.binary!.out;
			expect(out.fileName).toBe('out.txt');
			expect(out.mimeType).toBe('text/plain');
			if (mode === 'filesystem') {
				expect(out.id).toMatch(/^filesystem-v2:/);
				expect(out.data).toBe('filesystem-v2');
				const file = eng.binaryPath(item, 'out')!;
				expect(file.startsWith(join(eng.userFolder, 'storage'))).toBe(true);
				expect(readFileSync(file, 'utf8')).toBe('HELLO HARNESS!');
			} else {
				expect(out.id).toBeUndefined();
				expect(eng.binaryPath(item, 'out')).toBeUndefined();
				expect(Buffer.from(out.data, 'base64').toString()).toBe('HELLO HARNESS!');
			}
			expect((await run.binaryBuffer(item, 'out')).toString()).toBe('HELLO HARNESS!');
			await expect(eng.binaryBuffer(item, 'missing')).rejects.toThrow(/no binary property/);
		});
	});

	it('two engines with different binary modes run concurrently without crossing over', async () => {
		const [a, b] = await Promise.all([
			Engine.create({ packageDir: PACKAGE_DIR, binaryDataMode: 'default' }),
			Engine.create({ packageDir: PACKAGE_DIR, binaryDataMode: 'filesystem' }),
		]);
		try {
			const opts = (text: string): RunWorkflowOptions => ({
				...single(fixtureNode('Bin', { operation: 'binary' })),
				items: [{ binary: { data: { data: Buffer.from(text), mimeType: 'text/plain' } } }],
			});
			const [ra, rb] = await Promise.all([a.run(opts('aaa')), b.run(opts('bbb'))]);
			expect(ra.output('Bin')[0].binary!.out.id).toBeUndefined();
			expect(rb.output('Bin')[0].binary!.out.id).toMatch(/^filesystem-v2:/);
			expect((await ra.binaryBuffer(ra.output('Bin')[0], 'out')).toString()).toBe('AAA!');
			expect((await rb.binaryBuffer(rb.output('Bin')[0], 'out')).toString()).toBe('BBB!');
		} finally {
			await Promise.all([a.close(), b.close()]);
		}
	});

	it('cancel(): the node sees getExecutionCancelSignal().aborted and the run resolves as canceled', async () => {
		engine.clearLogs();
		const running = engine.start({
			...single(fixtureNode('Loop', { operation: 'loop', maxIterations: 5000 })),
		});
		const t0 = Date.now();
		while (engine.findLogs('fixture loop started').length === 0) {
			if (Date.now() - t0 > 10_000) throw new Error('loop never started');
			await new Promise((r) => setTimeout(r, 10));
		}
		running.cancel();
		const run = await running.promise;
		expect(run.status).toBe('canceled');
		expect(engine.findLogs('fixture loop finished (aborted=true)', 'info')).toHaveLength(1);
		expect(run.durationMs).toBeLessThan(5000);
	});

	it('cancel() before the execution started still cancels', async () => {
		const running = engine.start({ ...single(fixtureNode('Loop', { operation: 'loop', maxIterations: 5000 })) });
		running.cancel();
		const run = await running.promise;
		expect(run.status).toBe('canceled');
	});

	it('timeoutMs cancels with a TimeoutExecutionCancelledError', async () => {
		const run = await engine.run({
			...single(fixtureNode('Loop', { operation: 'loop', maxIterations: 5000 })),
			timeoutMs: 150,
		});
		expect(run.status).toBe('canceled');
		expect(run.error).toBeInstanceOf(TimeoutExecutionCancelledError);
	});

	it('node logs are captured (silent) with level and meta', async () => {
		engine.clearLogs();
		await engine.run({ ...single(fixtureNode('Loop', { operation: 'loop', maxIterations: 2 })) });
		const finished = engine.findLogs(/fixture loop finished \(aborted=false\)/);
		expect(finished).toHaveLength(1);
		expect(finished[0].level).toBe('info');
		expect(finished[0].meta).toMatchObject({ iterations: 2, aborted: false });
	});
});
