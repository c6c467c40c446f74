import type { IExecuteFunctions } from 'n8n-workflow';
import { isRetryOfInterruptedRun } from './executionHistory';
import type { TaskLedger } from './taskLedger';
import { runsAsTool } from './toolMode';

/**
 * The two facts about "which call of the node is this" that every user of the task ledger needs:
 * the batch engine (taskEngine.ts) and the creates outside it (Kling Speech → Create, a synchronous
 * paid create whose answer carries the audio).
 */

/**
 * Which run of the node this is, for ledgerKey: the run index (`$runIndex`: 0, 1, … when a loop
 * runs the node again; the same for Retry On Fail, Continue On Fail + Retry and the Executions
 * list's Retry, which re-run the same run), or 'tool' when the node runs as an AI Agent tool, whose
 * retries each get a new run index (n8n-core `makeHandleToolInvocation`).
 */
export function ledgerRunScope(ctx: IExecuteFunctions): string {
	if (runsAsTool(ctx)) return 'tool';
	try {
		const runIndex = Number(ctx.getWorkflowDataProxy(0).$runIndex);
		return Number.isInteger(runIndex) && runIndex >= 0 ? String(runIndex) : '0';
	} catch {
		return '0';
	}
}

/**
 * Whether n8n lost what this node did before this Retry (executionHistory.ts): a Retry of a run
 * interrupted during the node, which kept no ledger. Remembered in the ledger, so a Retry of that
 * Retry knows it too. `ledger` must have been opened first thing in the node's run
 * (TaskLedger.open), so that `existed` tells whether the node's record came with the execution.
 */
export function ledgerRecordLost(ctx: IExecuteFunctions, ledger: TaskLedger, provider: string): boolean {
	if (ledger.lostRecordSince) return true;
	if (ledger.existed || !isRetryOfInterruptedRun(ctx)) return false;
	ledger.markRecordLost();
	ctx.logger.warn(`${provider}: this Retry repeats a run that was interrupted during this node, and n8n kept none of its record: sending nothing that cannot be looked up first`);
	return true;
}
