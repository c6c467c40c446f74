import { createHash, randomUUID } from 'node:crypto';
import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * A client-side task key that is the same whenever the same item of the same execution is
 * submitted again (n8n's Retry On Fail, a lost response) and differs otherwise: another
 * execution, another node, another item, or other content (a loop feeding new items into the
 * same item index). Providers that accept such a key let the engine find an earlier attempt
 * instead of paying twice.
 */
export function idempotencyKey(ctx: IExecuteFunctions, itemIndex: number, fingerprint: string): string {
	const executionId = ctx.getExecutionId?.();
	// Without an execution id nothing identifies a retry; a random key is at least never wrong.
	if (!executionId) return `n8n-${randomUUID()}`;
	const node = ctx.getNode();
	const digest = createHash('sha256')
		.update([ctx.getWorkflow?.().id ?? '', node.id ?? node.name, itemIndex, fingerprint].join('\u0000'))
		.digest('hex')
		.slice(0, 16);
	return `n8n-${executionId}-${digest}`;
}
