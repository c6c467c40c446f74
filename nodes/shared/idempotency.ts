import { randomBytes } from 'node:crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * A new client key (Kling's external_task_id) for one create attempt the user gave no key for:
 * `n8n-<execution id>-<16 random hex>`. Random, so no other execution, n8n instance (a staging
 * copy with the same workflow and execution IDs) or database reset can ever produce it again; the
 * execution ID only helps a human find where a task came from. The task ledger stores the key
 * before the create is sent, so every later run of the node (Retry On Fail, the Executions list's
 * Retry, AI tool retries) looks the task up by the key it really used; nothing derives it again.
 */
export function newExternalTaskId(ctx: IExecuteFunctions): string {
	const executionId = ctx.getExecutionId?.() || 'x';
	return `n8n-${executionId}-${randomBytes(8).toString('hex')}`;
}
