import { createHash, randomUUID } from 'node:crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * The client key (Kling's external_task_id) of one create attempt, derived when the user set
 * none: `n8n-<execution id>-<16 hex>` plus `-a<attempt>` from the second attempt on.
 *
 * The same for the same item request (`ledgerKey`, see taskLedger.ts), node, workflow, execution
 * and attempt; different otherwise. A Retry from the Executions list runs under a new execution
 * id, so a task created before it is found through the ledger (which stores the key it used),
 * not by deriving the key again. A fresh task after a failed one needs a new key: the provider
 * keeps the failed task under the old one.
 */
export function derivedExternalTaskId(ctx: IExecuteFunctions, ledgerKey: string, attempt: number): string {
	const executionId = ctx.getExecutionId?.();
	// Without an execution id nothing identifies a retry; a random key is at least never wrong.
	if (!executionId) return `n8n-${randomUUID()}`;
	const node = ctx.getNode();
	const digest = createHash('sha256')
		.update([ctx.getWorkflow?.().id ?? '', node.id ?? node.name, ledgerKey].join('\u0000'))
		.digest('hex')
		.slice(0, 16);
	return `n8n-${executionId}-${digest}${attempt > 1 ? `-a${attempt}` : ''}`;
}
