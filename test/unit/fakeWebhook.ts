/**
 * A small fake IWebhookFunctions for the trigger nodes' webhook(), and an HTTP receiver that calls
 * webhook() for every request it gets (so the emulator's real deliveries, with their test
 * controls, reach the trigger over HTTP). Requests the trigger sends (task fetches, downloads) go
 * over real HTTP with fetch; credentials are applied with the credential classes' own
 * authenticate(). Only what the triggers use is implemented.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeType,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { AkoolApi } from '../../credentials/AkoolApi.credentials';
import { KlingApi } from '../../credentials/KlingApi.credentials';

export interface FakeTriggerSetup {
	credentials: Record<string, ICredentialDataDecryptedObject>;
	parameters?: Record<string, unknown>;
	/** Shared across calls (n8n keeps it per workflow). */
	staticData?: IDataObject;
	workflowId?: string;
	nodeId?: string;
	mode?: 'webhook' | 'manual';
}

export interface FakeCall {
	status: number;
	body: unknown;
	emitted: INodeExecutionData[];
	logs: string[];
}

const AUTH = { klingApi: new KlingApi(), akoolApi: new AkoolApi() } as const;

async function request(options: IHttpRequestOptions): Promise<unknown> {
	const url = new URL(options.url);
	for (const [k, v] of Object.entries(options.qs ?? {})) url.searchParams.set(k, String(v));
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(options.headers ?? {})) headers[k] = String(v);
	let body: string | undefined;
	if (options.body !== undefined && options.method !== 'GET') {
		body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
		headers['Content-Type'] ??= 'application/json';
	}
	// As n8n's httpRequest (axios): `abortSignal` ends the request and the body being read; `timeout`
	// bounds the wait for the response headers.
	const signals = [options.abortSignal, options.timeout ? AbortSignal.timeout(options.timeout) : undefined].filter((x): x is AbortSignal => !!x);
	const headerSignal = signals.length ? AbortSignal.any(signals) : undefined;
	const bodySignal = options.abortSignal as AbortSignal | undefined;
	const controller = new AbortController();
	const onAbort = () => controller.abort();
	headerSignal?.addEventListener('abort', onAbort);
	const res = await fetch(url, { method: options.method ?? 'GET', headers, body, signal: controller.signal });
	headerSignal?.removeEventListener('abort', onAbort);
	if (bodySignal) bodySignal.aborted ? controller.abort() : bodySignal.addEventListener('abort', onAbort);
	const responseHeaders = Object.fromEntries(res.headers.entries());
	if (options.encoding === 'stream') {
		if (res.status >= 400) throw Object.assign(new Error(`HTTP ${res.status}`), { httpCode: String(res.status) });
		return { statusCode: res.status, headers: responseHeaders, body: Readable.fromWeb(res.body as never) };
	}
	const text = await res.text();
	let parsed: unknown = text;
	if (options.json) {
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			parsed = text;
		}
	}
	if (res.status >= 400 && !options.ignoreHttpStatusErrors) throw Object.assign(new Error(`HTTP ${res.status}`), { httpCode: String(res.status) });
	return options.returnFullResponse ? { statusCode: res.status, headers: responseHeaders, body: parsed } : parsed;
}

/** Calls `node.webhook()` once with `body`, as n8n would for a production webhook call. */
export async function callWebhook(node: INodeType, setup: FakeTriggerSetup, body: unknown): Promise<FakeCall> {
	const staticData = setup.staticData ?? {};
	const logs: string[] = [];
	let status = 0;
	let answered: unknown;
	const response = {
		status(code: number) {
			status = code;
			return response;
		},
		json(value: unknown) {
			answered = value;
			return response;
		},
	};
	const parameters = setup.parameters ?? {};
	const ctx = {
		getBodyData: () => body as IDataObject,
		getRequestObject: () => ({ body, headers: {} }),
		getResponseObject: () => response,
		getNodeParameter: (name: string, fallback?: unknown) => (name in parameters ? parameters[name] : fallback),
		getCredentials: async (type: string) => {
			const c = setup.credentials[type];
			if (!c) throw new Error(`no credential ${type}`);
			return { ...c };
		},
		getWorkflowStaticData: () => staticData,
		getWorkflow: () => ({ id: setup.workflowId ?? 'wf-test', name: 'test', active: true }),
		getNode: () => ({ id: setup.nodeId ?? 'node-test', name: 'Trigger', type: 'trigger', typeVersion: 1, position: [0, 0], parameters: {} }),
		getMode: () => setup.mode ?? 'webhook',
		logger: {
			debug: (m: string) => logs.push(`debug: ${m}`),
			info: (m: string) => logs.push(`info: ${m}`),
			warn: (m: string) => logs.push(`warn: ${m}`),
			error: (m: string) => logs.push(`error: ${m}`),
		},
		helpers: {
			httpRequest: request,
			async httpRequestWithAuthentication(type: keyof typeof AUTH, options: IHttpRequestOptions) {
				const creds = await ctx.getCredentials(type);
				return await request(await AUTH[type].authenticate(creds, options));
			},
			async prepareBinaryData(data: Buffer | Readable, fileName?: string, mimeType?: string) {
				const buffer = Buffer.isBuffer(data) ? data : Buffer.concat(await (data as Readable).toArray());
				return { data: buffer.toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream', fileSize: String(buffer.length) };
			},
		},
	};
	const result: IWebhookResponseData = await (node.webhook as (this: IWebhookFunctions) => Promise<IWebhookResponseData>).call(ctx as unknown as IWebhookFunctions);
	if (!result.noWebhookResponse) {
		status = 200;
		answered = result.webhookResponse;
	}
	return { status, body: answered, emitted: result.workflowData?.[0] ?? [], logs };
}

export interface Receiver {
	url: string;
	/** Every call, in the order they finished. */
	calls: FakeCall[];
	emitted(): INodeExecutionData[];
	close(): Promise<void>;
}

/** An HTTP server that runs webhook() for every POST (each call with the same setup and static data). */
export async function startReceiver(node: INodeType, setup: FakeTriggerSetup): Promise<Receiver> {
	const shared: FakeTriggerSetup = { ...setup, staticData: setup.staticData ?? {} };
	const calls: FakeCall[] = [];
	const server = http.createServer((req, res) => {
		let text = '';
		req.on('data', (c) => (text += c));
		req.on('end', () => {
			let body: unknown;
			try {
				body = JSON.parse(text);
			} catch {
				// n8n hands a body it cannot parse on as {} (or refuses it itself).
				body = {};
			}
			callWebhook(node, shared, body).then(
				(call) => {
					calls.push(call);
					res.writeHead(call.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(call.body ?? {}));
				},
				(error: Error) => {
					calls.push({ status: 500, body: { thrown: error.message }, emitted: [], logs: [] });
					res.writeHead(500).end(error.message);
				},
			);
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/test/callback`,
		calls,
		emitted: () => calls.flatMap((c) => c.emitted),
		close: () => new Promise<void>((r) => server.close(() => r())),
	};
}
