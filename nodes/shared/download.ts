import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { sleepUnlessCancelled, throwIfCancelled } from './cancellation';
import { retryDelayMs } from './schedule';

const DOWNLOAD_ATTEMPTS = 3;

/**
 * Downloads a result file into n8n binary data as a stream, so memory does not grow with the
 * file's size (in filesystem / S3 mode n8n writes the stream straight to storage).
 * Result URLs are pre-signed CDN links: no credentials are sent with them.
 */
export async function downloadToBinary(
	ctx: IExecuteFunctions,
	url: string,
	fileName: string,
	fallbackMimeType: string,
	itemIndex: number,
): Promise<IBinaryData> {
	for (let attempt = 1; ; attempt++) {
		throwIfCancelled(ctx);
		try {
			const response = (await ctx.helpers.httpRequest({
				method: 'GET',
				url,
				encoding: 'stream',
				returnFullResponse: true,
				abortSignal: ctx.getExecutionCancelSignal?.(),
			})) as { body: NodeJS.ReadableStream; headers: Record<string, string | undefined> };
			const type = String(response.headers['content-type'] ?? '').split(';')[0].trim();
			const mimeType = /^(video|audio|image)\//.test(type) ? type : fallbackMimeType;
			return await ctx.helpers.prepareBinaryData(response.body as never, fileName, mimeType);
		} catch (error) {
			throwIfCancelled(ctx);
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
		}
	}
}
