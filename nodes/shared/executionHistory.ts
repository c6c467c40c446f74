import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * What a node can tell about the execution it runs in, from the execution's run data, for the one
 * question the task ledger cannot answer itself: is this a Retry that lost the node's ledger?
 *
 * The run data is what node contexts hold as `runExecutionData` (n8n-core `NodeExecutionContext`,
 * 1.123.81 and 2.41.1); n8n-workflow does not declare it. Where it is missing, every answer here
 * is false and the node behaves as in any Retry.
 */

interface RunData {
	resultData?: {
		error?: { name?: unknown; message?: unknown };
		runData?: Record<string, Array<{ startTime?: number; executionTime?: number }>>;
	};
}

/** n8n's errors for an execution that was stopped, timed out or cut by a shutdown (n8n-workflow). */
const CANCELLED = new Set(['ManualExecutionCancelledError', 'TimeoutExecutionCancelledError', 'SystemShutdownExecutionCancelledError', 'ExecutionCancelledError']);

/**
 * A node that starts later than this after every run in the execution's data ended is the first
 * node of its execution. Between two nodes of one run n8n takes milliseconds (a progress save
 * included); a Retry comes seconds to days after the execution it repeats.
 */
const CARRIED_OVER_MS = 3_000;

const runDataOf = (ctx: IExecuteFunctions) => (ctx as unknown as { runExecutionData?: RunData }).runExecutionData;

/**
 * Whether this execution is the Executions list's Retry of an execution that was stopped (or whose
 * worker died) while this node ran, so n8n kept none of the node's data. Two shapes, both seen in
 * n8n 1.123.81 and 2.41.1:
 * - n8n saved the stopped execution as it was stored before the Stop, with the cancellation as its
 *   error (`ExecutionService.stopDuringRun`); its Retry keeps that error (`ExecutionService.retry`
 *   clears it only when a node has run) and runs the whole workflow again;
 * - with "Save execution progress" on, the execution was saved after the node before this one, with
 *   this node on its stack; its Retry starts with this node, so nothing ran in this execution yet:
 *   every run in the data ended before the Retry began.
 * The first shape cannot tell a Stop during this node from a Stop during an earlier one.
 */
export function isRetryOfInterruptedRun(ctx: IExecuteFunctions): boolean {
	if (ctx.getMode?.() !== 'retry') return false;
	const data = runDataOf(ctx)?.resultData;
	if (!data) return false;
	const error = data.error;
	if (error && ((typeof error.name === 'string' && CANCELLED.has(error.name)) || /was cancell?ed/i.test(String(error.message ?? '')))) return true;
	const ends = Object.values(data.runData ?? {}).flatMap((runs) => runs.map((r) => (r.startTime ?? 0) + (r.executionTime ?? 0)));
	return ends.length > 0 && Date.now() - Math.max(...ends) > CARRIED_OVER_MS;
}
