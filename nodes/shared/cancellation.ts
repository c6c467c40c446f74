import type { IExecuteFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { ExecutionCancelledError } from './errors';

/** `sleep` from n8n-workflow cannot be aborted, so long waits are cut into slices this short. */
export const SLEEP_SLICE_MS = 250;

export function throwIfCancelled(ctx: IExecuteFunctions): void {
	if (ctx.getExecutionCancelSignal?.()?.aborted) throw new ExecutionCancelledError(ctx.getNode());
}

/** Sleeps `ms`, noticing a cancelled execution within one slice. */
export async function sleepUnlessCancelled(ctx: IExecuteFunctions, ms: number): Promise<void> {
	const end = Date.now() + ms;
	for (;;) {
		throwIfCancelled(ctx);
		const left = end - Date.now();
		if (left <= 0) return;
		await sleep(Math.min(left, SLEEP_SLICE_MS));
	}
}
