import type { IBinaryData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { RequestContext } from './cancellation';
import { cancelSignalOf, sleepUnlessCancelled, throwIfCancelled } from './cancellation';
import { retryDelayMs } from './schedule';

const DOWNLOAD_ATTEMPTS = 3;
const MiB = 1024 * 1024;
/**
 * The largest file n8n can keep in its in-memory binary-data mode (`default`, n8n 1.x's default):
 * it stores a file as one Base64 string, and V8 strings end at 0x1fffffe8 characters (Node 20–24),
 * i.e. about 402 MB of file. Kept a little lower.
 */
export const IN_MEMORY_MAX_BYTES = 400 * MiB;
/** Above this, a file kept in memory costs n8n roughly three times its size while it is stored. */
const IN_MEMORY_WARN_BYTES = 100 * MiB;

type Response = { body: NodeJS.ReadableStream & { destroy?: () => void }; headers: Record<string, string | undefined> };

/**
 * Downloads a result file into n8n binary data as a stream, so memory does not grow with the
 * file's size where n8n stores binary data on disk, S3 or in its database.
 * Result URLs are pre-signed CDN links: no credentials are sent with them.
 *
 * The size is checked from Content-Length before the body is read: in n8n's in-memory mode a file
 * above IN_MEMORY_MAX_BYTES is refused at once, with the cause and what to change. Network
 * failures (HTTP 5xx/429, resets) are retried; a failure to store the file is not (it would fail
 * the same way again), and its real cause is reported.
 *
 * `limits.timeoutMs` bounds the whole download (every attempt, the body included) where nothing
 * else can end it: a trigger's webhook call has no execution cancel signal.
 * @throws NodeApiError (download failed or took too long), NodeOperationError (too big for memory mode, or storing failed)
 */
export async function downloadToBinary(
	ctx: RequestContext,
	url: string,
	fileName: string,
	fallbackMimeType: string,
	itemIndex: number,
	limits: { timeoutMs?: number } = {},
): Promise<IBinaryData> {
	const deadline = !cancelSignalOf(ctx) && limits.timeoutMs ? AbortSignal.timeout(limits.timeoutMs) : undefined;
	const throwIfTooLong = () => {
		if (!deadline?.aborted) return;
		const ms = limits.timeoutMs ?? 0;
		throw new NodeOperationError(ctx.getNode(), `Downloading the result took longer than ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`, {
			itemIndex,
			description: `URL: ${url}. The task itself succeeded; the video URL is in the output.`,
		});
	};
	for (let attempt = 1; ; attempt++) {
		throwIfCancelled(ctx);
		throwIfTooLong();
		let response: Response;
		try {
			response = (await ctx.helpers.httpRequest({
				method: 'GET',
				url,
				encoding: 'stream',
				returnFullResponse: true,
				abortSignal: cancelSignalOf(ctx) ?? deadline,
				// n8n's `timeout` covers the wait for the response; the deadline signal covers the body too.
				...(deadline ? { timeout: limits.timeoutMs } : {}),
			})) as Response;
		} catch (error) {
			throwIfCancelled(ctx);
			throwIfTooLong();
			const status = (error as { httpCode?: string }).httpCode ?? (error as { response?: { status?: number } }).response?.status;
			const retryable = !status || Number(status) >= 500 || Number(status) === 429;
			if (!retryable || attempt >= DOWNLOAD_ATTEMPTS) {
				throw new NodeApiError(ctx.getNode(), error as never, {
					itemIndex,
					message: `Downloading the result failed${status ? ` (HTTP ${status})` : ''}`,
					description: `URL: ${url}. The task itself succeeded; turn off Download Video to get the URL only.`,
				});
			}
			await sleepUnlessCancelled(ctx, retryDelayMs(attempt));
			continue;
		}

		const size = Number(response.headers['content-length']);
		if (Number.isFinite(size) && size > IN_MEMORY_WARN_BYTES && (await keepsBinaryInMemory(ctx))) {
			if (size > IN_MEMORY_MAX_BYTES) {
				response.body.destroy?.();
				throw tooBigForMemory(ctx, size, url, itemIndex);
			}
			ctx.logger.warn(`Downloading a ${megabytes(size)} MB file into n8n's in-memory binary data: n8n holds about three times that while storing it`);
		}
		const type = String(response.headers['content-type'] ?? '').split(';')[0].trim();
		const mimeType = /^(video|audio|image)\//.test(type) ? type : fallbackMimeType;
		try {
			return await ctx.helpers.prepareBinaryData(response.body as never, fileName, mimeType);
		} catch (error) {
			throwIfCancelled(ctx);
			throwIfTooLong();
			if (!isNetworkFailure(error)) throw storageFailed(ctx, error as Error, size, url, itemIndex);
			if (attempt >= DOWNLOAD_ATTEMPTS) {
				throw new NodeApiError(ctx.getNode(), error as never, {
					itemIndex,
					message: 'Downloading the result failed: the connection broke off',
					description: `URL: ${url}. The task itself succeeded; turn off Download Video to get the URL only.`,
				});
			}
			await sleepUnlessCancelled(ctx, retryDelayMs(attempt));
		}
	}
}

const modes = new WeakMap<object, Promise<boolean>>();

/**
 * Whether n8n keeps binary data in memory (mode `default`) in this execution. n8n tells nodes no
 * mode, but it gives a stored file an `id` in every other mode, so an empty file is stored once
 * per node run to see (only when a download is big enough for the answer to matter).
 */
function keepsBinaryInMemory(ctx: RequestContext): Promise<boolean> {
	let answer = modes.get(ctx);
	if (!answer) {
		answer = ctx.helpers.prepareBinaryData(Buffer.alloc(0), 'binary-mode-probe', 'application/octet-stream').then(
			(probe) => !probe.id,
			() => false,
		);
		modes.set(ctx, answer);
	}
	return answer;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'ECONNREFUSED']);

/** A body that broke off on the way (worth a new download), as opposed to a failure to store it. */
function isNetworkFailure(error: unknown): boolean {
	for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
		if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
		if (/\baborted\b|socket hang up|premature close|terminated/i.test(String(e.message ?? ''))) return true;
	}
	return false;
}

function tooBigForMemory(ctx: RequestContext, size: number, url: string, itemIndex: number): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), `The result is ${megabytes(size)} MB: too big for n8n's in-memory binary data (at most about ${megabytes(IN_MEMORY_MAX_BYTES)} MB per file)`, {
		itemIndex,
		description: `Nothing was downloaded; the task itself succeeded. Either run n8n with binary data on disk (N8N_DEFAULT_BINARY_DATA_MODE=filesystem; n8n 2.x uses it by default), or turn off Download Video and use videoUrl. URL: ${url}`,
	});
}

function storageFailed(ctx: RequestContext, error: Error, size: number, url: string, itemIndex: number): NodeOperationError {
	const code = (error as { code?: unknown }).code;
	const tooLong = code === 'ERR_STRING_TOO_LONG' || /string longer than|invalid string length/i.test(error.message);
	const cause = tooLong
		? `too big for n8n's in-memory binary data (at most about ${megabytes(IN_MEMORY_MAX_BYTES)} MB per file)`
		: code === 'ENOSPC'
			? 'no space left where n8n stores binary data'
			: error.message;
	return new NodeOperationError(ctx.getNode(), `Storing the downloaded result failed${Number.isFinite(size) ? ` (${sizeText(size)})` : ''}: ${cause}`, {
		itemIndex,
		description: `The download worked and the task succeeded; n8n could not store the file, so it was not downloaded again. ${
			tooLong ? 'Run n8n with binary data on disk (N8N_DEFAULT_BINARY_DATA_MODE=filesystem), or turn off Download Video and use videoUrl. ' : ''
		}URL: ${url}`,
	});
}

const megabytes = (bytes: number) => Math.round(bytes / MiB);
const sizeText = (bytes: number) => (bytes < MiB ? `${Math.ceil(bytes / 1024)} KB` : `${megabytes(bytes)} MB`);
