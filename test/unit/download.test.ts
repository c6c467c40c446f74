import { Readable } from 'node:stream';
import type { IExecuteFunctions, IHttpRequestOptions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { IN_MEMORY_MAX_BYTES, downloadToBinary } from '../../nodes/shared/download';

const node: INode = { id: 'n', name: 'Node', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };
const MiB = 1024 * 1024;

/** A context whose download answers with `headers` and whose binary store does what `store` says. */
function fakeContext(headers: Record<string, string>, store: (calls: number) => Promise<unknown>, memoryMode = true) {
	let downloads = 0;
	let stores = 0;
	const warnings: string[] = [];
	const ctx = {
		getNode: () => node,
		getExecutionCancelSignal: () => new AbortController().signal,
		logger: { warn: (m: string) => warnings.push(m), info: () => undefined, debug: () => undefined },
		helpers: {
			httpRequest: async () => {
				downloads++;
				return { body: Readable.from([Buffer.from('x')]), headers };
			},
			prepareBinaryData: async (data: unknown) => {
				if (Buffer.isBuffer(data) && data.length === 0) return memoryMode ? { data: '' } : { id: 'filesystem-v2:x/binary_data/probe' };
				return await store(++stores);
			},
		},
	} as unknown as IExecuteFunctions;
	return { ctx, downloads: () => downloads, stores: () => stores, warnings };
}

describe('downloadToBinary', () => {
	it('refuses a file too big for in-memory binary data before downloading it, naming the cause', async () => {
		const f = fakeContext({ 'content-length': String(420 * MiB) }, async () => ({ data: '' }));
		const error = await downloadToBinary(f.ctx, 'https://cdn/x.mp4', 'x.mp4', 'video/mp4', 2).catch((e: Error) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as Error).message).toBe(`The result is 420 MB: too big for n8n's in-memory binary data (at most about ${IN_MEMORY_MAX_BYTES / MiB} MB per file)`);
		expect((error as NodeOperationError).description).toMatch(/N8N_DEFAULT_BINARY_DATA_MODE=filesystem.*turn off Download Video and use videoUrl/);
		expect(f.stores()).toBe(0);
		expect(f.downloads()).toBe(1);
	});

	it('takes the same file where n8n stores binary data on disk', async () => {
		const f = fakeContext({ 'content-length': String(420 * MiB) }, async () => ({ id: 'fs:1' }), false);
		await expect(downloadToBinary(f.ctx, 'https://cdn/x.mp4', 'x.mp4', 'video/mp4', 0)).resolves.toEqual({ id: 'fs:1' });
		expect(f.warnings).toEqual([]);
	});

	it('warns about memory for a big file kept in memory', async () => {
		const f = fakeContext({ 'content-length': String(150 * MiB) }, async () => ({ data: 'AA==' }));
		await downloadToBinary(f.ctx, 'https://cdn/x.mp4', 'x.mp4', 'video/mp4', 0);
		expect(f.warnings[0]).toMatch(/150 MB file into n8n's in-memory binary data/);
	});

	it('never downloads again when storing fails, and says why', async () => {
		const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
		const f = fakeContext({ 'content-length': '1000' }, async () => Promise.reject(full));
		const error = await downloadToBinary(f.ctx, 'https://cdn/x.mp4', 'x.mp4', 'video/mp4', 0).catch((e: Error) => e);
		expect((error as Error).message).toBe('Storing the downloaded result failed (1 KB): no space left where n8n stores binary data');
		expect(f.downloads()).toBe(1);
	});

	it('reports V8\'s string limit as the in-memory limit it is', async () => {
		const tooLong = Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), { code: 'ERR_STRING_TOO_LONG' });
		const f = fakeContext({}, async () => Promise.reject(tooLong));
		const error = await downloadToBinary(f.ctx, 'https://cdn/x.mp4', 'x.mp4', 'video/mp4', 0).catch((e: Error) => e);
		expect((error as Error).message).toMatch(/^Storing the downloaded result failed: too big for n8n's in-memory binary data/);
		expect(f.downloads()).toBe(1);
	});

	it('downloads again when the body broke off on the way', async () => {
		const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
		const f = fakeContext({ 'content-length': '1000' }, async (n) => (n === 1 ? Promise.reject(reset) : { data: 'AA==' }));
		await expect(downloadToBinary(f.ctx, 'https://cdn/x.mp4', 'x.mp4', 'video/mp4', 0)).resolves.toEqual({ data: 'AA==' });
		expect(f.downloads()).toBe(2);
	});
});

describe('downloadToBinary in a trigger\'s webhook call (no execution cancel signal)', () => {
	const webhookContext = (seen: IHttpRequestOptions[]) =>
		({
			getNode: () => node,
			logger: { warn: () => undefined },
			helpers: {
				httpRequest: async (o: IHttpRequestOptions) => {
					seen.push(o);
					throw Object.assign(new Error('HTTP 404'), { httpCode: '404' });
				},
			},
		}) as never;

	it('is bounded in time when a limit is given: a deadline signal and n8n\'s request timeout', async () => {
		const seen: IHttpRequestOptions[] = [];
		await expect(downloadToBinary(webhookContext(seen), 'https://cdn.example/v.mp4', 'v.mp4', 'video/mp4', 0, { timeoutMs: 600_000 })).rejects.toThrow(/HTTP 404/);
		expect(seen[0].timeout).toBe(600_000);
		expect(seen[0].abortSignal).toBeInstanceOf(AbortSignal);
		expect((seen[0].abortSignal as AbortSignal).aborted).toBe(false);
	});

	it('an execution keeps its own cancel signal and no overall limit', async () => {
		const seen: IHttpRequestOptions[] = [];
		const cancel = new AbortController().signal;
		const ctx = { ...(webhookContext(seen) as object), getExecutionCancelSignal: () => cancel } as never;
		await expect(downloadToBinary(ctx, 'https://cdn.example/v.mp4', 'v.mp4', 'video/mp4', 0, { timeoutMs: 600_000 })).rejects.toThrow();
		expect(seen[0].abortSignal).toBe(cancel);
		expect(seen[0].timeout).toBeUndefined();
	});

	it('stops retrying once the limit has passed and says so', async () => {
		let calls = 0;
		const ctx = {
			getNode: () => node,
			logger: { warn: () => undefined },
			helpers: {
				httpRequest: async (o: IHttpRequestOptions) => {
					calls++;
					// A stalled CDN: nothing until the deadline aborts the request.
					await new Promise((_, reject) => (o.abortSignal as AbortSignal).addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNABORTED' }))));
				},
			},
		} as never;
		await expect(downloadToBinary(ctx, 'https://cdn.example/v.mp4', 'v.mp4', 'video/mp4', 0, { timeoutMs: 200 })).rejects.toThrow("Downloading the result took longer than 200 ms");
		expect(calls).toBe(1);
	});
});
