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
 * n8n's error for an execution whose process died (a killed queue-mode worker; n8n/cli
 * `WorkflowCrashedError`, "Workflow did not finish, possible out-of-memory issue"), set when n8n
 * recovers the execution as crashed. Matched by its message too: the saved error may lose its name.
 */
const CRASHED_NAME = 'WorkflowCrashedError';
const CRASHED_MESSAGE = /did not finish, possible out-of-memory/i;

/**
 * A node that starts later than this after every run in the execution's data ended is the first
 * node of its execution. Between two nodes of one run n8n takes milliseconds (a progress save
 * included); a Retry comes seconds to days after the execution it repeats.
 */
const CARRIED_OVER_MS = 3_000;

const runDataOf = (ctx: IExecuteFunctions) => (ctx as unknown as { runExecutionData?: RunData }).runExecutionData;

/**
 * Whether this execution is the Executions list's Retry of an execution that was stopped (or whose
 * worker died) while this node ran, so n8n kept none of the node's data. Three shapes:
 * - n8n saved the stopped execution as it was stored before the Stop, with the cancellation as its
 *   error (`ExecutionService.stopDuringRun`), or a crashed one (its worker died) with n8n's crash
 *   error; its Retry keeps that error (`ExecutionService.retry` clears it only when a node has run)
 *   and runs the whole workflow again (1.123.81 and 2.41.1);
 * - with "Save execution progress" on, the execution was saved after the node before this one, with
 *   this node on its stack; its Retry starts with this node, so nothing ran in this execution yet:
 *   every run in the data ended before the Retry began (1.123.81 and 2.41.1);
 * - a worker died during this node (queue mode, no progress saving): the Retry runs the workflow
 *   from its trigger, but this node's entry is already in the run data, empty (see below).
 * The first shape cannot tell a Stop (or crash) during this node from one during an earlier node.
 * Callers ask only when the node's ledger did not come with the execution (taskLedger.ts `existed`).
 */
export function isRetryOfInterruptedRun(ctx: IExecuteFunctions): boolean {
	if (ctx.getMode?.() !== 'retry') return false;
	const data = runDataOf(ctx)?.resultData;
	if (!data) return false;
	const error = data.error;
	if (error) {
		const name = typeof error.name === 'string' ? error.name : '';
		const message = String(error.message ?? '');
		if (CANCELLED.has(name) || /was cancell?ed/i.test(message)) return true;
		if (name === CRASHED_NAME || CRASHED_MESSAGE.test(message)) return true;
	}
	// n8n recorded this node as running when the execution ended, yet its record is gone (callers
	// ask only then): a queue worker died during it. n8n's recovery writes the node's run
	// from its event log, and the Retry removes that crashed run, leaving the node's entry empty
	// (e2e/queue.mjs scenario F1, 2.41.1; the Retry starts again from the trigger, so the other
	// shapes do not show).
	if (data.runData && Object.prototype.hasOwnProperty.call(data.runData, ctx.getNode().name)) return true;
	const ends = Object.values(data.runData ?? {}).flatMap((runs) => runs.map((r) => (r.startTime ?? 0) + (r.executionTime ?? 0)));
	return ends.length > 0 && Date.now() - Math.max(...ends) > CARRIED_OVER_MS;
}
