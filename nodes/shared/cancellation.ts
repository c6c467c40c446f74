import type { IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { ExecutionCancelledError } from './errors';

/** `sleep` from n8n-workflow cannot be aborted, so long waits are cut into slices this short. */
export const SLEEP_SLICE_MS = 250;

/**
 * A context that sends requests: a node's execution, or a trigger's webhook call (which has no
 * execution yet, so nothing can cancel it).
 */
export type RequestContext = IExecuteFunctions | IWebhookFunctions;

/** The execution's cancel signal; undefined for a webhook call. */
export function cancelSignalOf(ctx: RequestContext): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal?.() : undefined;
}

export function throwIfCancelled(ctx: RequestContext): void {
	if (cancelSignalOf(ctx)?.aborted) throw new ExecutionCancelledError(ctx.getNode());
}

/** Sleeps `ms`, noticing a cancelled execution within one slice. */
export async function sleepUnlessCancelled(ctx: RequestContext, ms: number): Promise<void> {
	const end = Date.now() + ms;
	for (;;) {
		throwIfCancelled(ctx);
		const left = end - Date.now();
		if (left <= 0) return;
		await sleep(Math.min(left, SLEEP_SLICE_MS));
	}
}
