import type { IExecuteFunctions } from 'n8n-workflow';

/** n8n's limits for one custom-data entry (n8n-core `setWorkflowExecutionMetadata`). */
const KEY_MAX = 50;
const VALUE_MAX = 255;

/**
 * Writes the task IDs of a batch into the execution's custom data (`$execution.customData`),
 * one entry per node: key `tasks_<node name>`, value `Kling 0:8680…527 1:8680…528 …`.
 *
 * Why: n8n saves the custom data of an execution even when it keeps nothing else of the node's run
 * (a stopped execution, the execution timeout: the metadata is written apart from the run data),
 * so the task IDs stay in the execution record. The REST and public APIs return it as
 * `customData`; the editor shows it as "Highlighted data" where n8n's advanced execution filters
 * are licensed. n8n allows 10 entries of 255 characters: longer lists end with "+N more (n8n log)";
 * when the entries are used up, or n8n refuses the entry, nothing is written (the n8n log still
 * lists every task).
 *
 * @param tasks item index and task ID of every task the batch has, item order
 */
export function recordTaskIds(ctx: IExecuteFunctions, provider: string, tasks: Array<{ itemIndex: number; taskId: string | null }>): void {
	const known = tasks.filter((t) => t.taskId);
	if (!known.length) return;
	const key = `tasks_${ctx.getNode().name.replace(/[^\p{L}\p{N}\p{M}_]/gu, '_')}`.slice(0, KEY_MAX);
	let value = provider;
	for (let n = 0; n < known.length; n++) {
		const entry = ` ${known[n].itemIndex}:${known[n].taskId}`;
		const rest = known.length - n;
		const tail = ` +${rest} more (n8n log)`;
		if (value.length + entry.length + (rest > 1 ? tail.length : 0) > VALUE_MAX) {
			value += tail;
			break;
		}
		value += entry;
	}
	try {
		const execution = ctx.getWorkflowDataProxy(0).$execution as { customData?: { set(key: string, value: string): void } };
		execution.customData?.set(key, value);
	} catch (error) {
		ctx.logger.debug(`${provider}: task IDs not written to the execution's custom data: ${(error as Error).message}`);
	}
}
