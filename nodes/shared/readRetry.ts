import type { IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { sleepUnlessCancelled } from './cancellation';
import { failureKindOf } from './errors';
import { retryDelayMs } from './schedule';

/** Tries of one read outside the task engine: the first and three more. */
export const READ_ATTEMPTS = 4;

/**
 * Runs a read again when the transport classified its failure as retryable (a rate limit such as
 * Akool's 1005, a 5xx, no answer), with the engine's backoff (schedule.ts). For reads outside the
 * task engine (lists, details, load options); the engine retries its own reads and creates.
 */
export async function retryRead<T>(ctx: IExecuteFunctions | ILoadOptionsFunctions, read: () => Promise<T>): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await read();
		} catch (error) {
			if (failureKindOf(error) !== 'retryable' || attempt >= READ_ATTEMPTS) return await Promise.reject(error);
			const delay = retryDelayMs(attempt);
			// Load-options contexts have no cancel signal.
			if ('getExecutionCancelSignal' in ctx) await sleepUnlessCancelled(ctx, delay);
			else await sleep(delay);
		}
	}
}
