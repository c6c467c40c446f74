import { createHash, randomUUID } from 'node:crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

/** 16 hex characters naming one item request of one node in one workflow. */
function requestDigest(ctx: IExecuteFunctions, ledgerKey: string): string {
	const node = ctx.getNode();
	return createHash('sha256')
		.update([ctx.getWorkflow?.().id ?? '', node.id ?? node.name, ledgerKey].join('\u0000'))
		.digest('hex')
		.slice(0, 16);
}

/**
 * The client key (Kling's external_task_id) of a create, derived when the user set none:
 * `n8n-<16 hex>-<generation>`, from the workflow, the node, the item's ledger key (taskLedger.ts)
 * and the generation the send journal (sendJournal.ts) gave this send. Not tied to the execution:
 * a Retry that lost the node's ledger (Stop, a crashed worker) can derive the keys of earlier sends
 * and find their tasks. Each send of the same request gets a new generation, so a new execution,
 * or a fresh task after a failed one, gets a new key.
 */
export function generationExternalTaskId(ctx: IExecuteFunctions, ledgerKey: string, generation: number): string {
	return `n8n-${requestDigest(ctx, ledgerKey)}-${generation}`;
}

/**
 * The client key where n8n offers no send journal: `n8n-<execution id>-<16 hex>`, plus
 * `-a<attempt>` from the second attempt on. Unique per execution; a Retry finds earlier tasks
 * through the ledger (which stores the key it used), not by deriving the key again.
 */
export function executionExternalTaskId(ctx: IExecuteFunctions, ledgerKey: string, attempt: number): string {
	const executionId = ctx.getExecutionId?.();
	// Without an execution id nothing identifies a retry; a random key is at least never wrong.
	if (!executionId) return `n8n-${randomUUID()}`;
	return `n8n-${executionId}-${requestDigest(ctx, ledgerKey)}${attempt > 1 ? `-a${attempt}` : ''}`;
}
