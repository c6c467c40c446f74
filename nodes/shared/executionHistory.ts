import type { IExecuteFunctions } from 'n8n-workflow';

/** n8n's errors for an execution that was stopped, timed out or cut by a shutdown (n8n-workflow). */
const CANCELLED = new Set(['ManualExecutionCancelledError', 'TimeoutExecutionCancelledError', 'SystemShutdownExecutionCancelledError', 'ExecutionCancelledError']);

/**
 * Whether this execution is the Executions list's Retry of a *stopped* execution. n8n (2.41.1
 * always, 1.123.81 often) saves a stopped execution as it was stored before the Stop, with the
 * cancellation as its error and none of the running node's data (`ExecutionService.stopDuringRun`);
 * its Retry starts from that data (`ExecutionService.retry` keeps the error when no node has run),
 * so it runs the whole workflow again with the error still set, and the node's ledger is gone.
 *
 * Read from the execution's run data, which node contexts hold as `runExecutionData` (n8n-core
 * `NodeExecutionContext`, 1.123.81 and 2.41.1) but n8n-workflow does not declare: where it is
 * missing, this says false and the node behaves as in any Retry.
 */
export function isRetryOfStoppedExecution(ctx: IExecuteFunctions): boolean {
	if (ctx.getMode?.() !== 'retry') return false;
	const runData = (ctx as unknown as { runExecutionData?: { resultData?: { error?: { name?: unknown; message?: unknown } } } }).runExecutionData;
	const error = runData?.resultData?.error;
	if (!error) return false;
	return (typeof error.name === 'string' && CANCELLED.has(error.name)) || /was cancell?ed/i.test(String(error.message ?? ''));
}
