import type { INode } from 'n8n-workflow';
import { ExecutionCancelledError } from './errors';
import type { LedgerAttempt } from './taskLedger';
import { describeLedgerTasks } from './taskLedger';

type BatchTask = LedgerAttempt & { itemIndex: number };

/** Why a batch stopped before every item ended. */
export type StopReason = { kind: 'itemFailed'; error: Error } | { kind: 'cancelled' };

/**
 * The error a batch throws when it stops early (an item failed without Continue On Fail, Max
 * Wait, Stop, the execution's timeout): the cause, plus every task of the batch that exists or
 * may exist at the provider, so none is lost from sight. The tasks stay in the ledger: a Retry
 * of the node or of the execution follows them instead of paying again.
 *
 * @param tasks the batch's ledger attempts (TaskLedger.tasksOf), item order
 * @param unsent item indexes whose create was never sent
 * @returns the failed item's own error (NodeApiError / NodeOperationError) with its message and
 *   description extended, or an ExecutionCancelledError for Stop and timeouts
 */
export function stoppedBatchError(
	node: INode,
	provider: string,
	reason: StopReason,
	tasks: BatchTask[],
	unsent: number[],
	run: { created: boolean; subWorkflow: boolean } = { created: true, subWorkflow: false },
): Error {
	const paid = tasks.filter((t) => t.taskId !== null).length;
	const pending = tasks.filter((t) => t.status === 'pending').length;
	const count = [
		paid ? `${paid} ${provider} task${paid === 1 ? '' : 's'} of this batch exist${paid === 1 ? 's' : ''}` : undefined,
		pending ? `${pending} create${pending === 1 ? '' : 's'} may have gone through` : undefined,
	]
		.filter(Boolean)
		.join(' and ');
	// What the user can do with the tasks depends on what n8n keeps of the execution.
	const how = !run.created
		? 'the tasks this batch was reading'
		: reason.kind === 'cancelled'
			? `they keep running at ${provider}. n8n saves neither this error nor the node's output for a stopped or timed-out execution, and its Retry does not collect them: collect the ones with a task ID with the Get operation; for a create without an answer, check the ${provider} dashboard`
			: run.subWorkflow
				? 'this sub-workflow execution keeps them: Retry On Fail on this node, or a Retry of this sub-workflow execution, follows them without paying again; a Retry of the parent workflow starts a new sub-workflow execution, which does not know them'
				: 'this execution keeps them: Retry On Fail, or Retry from the Executions list, follows them without paying again';
	const listing = [
		tasks.length
			? `${provider} tasks of this batch (${how}):\n${describeLedgerTasks(tasks)}`
			: `No ${provider} task was created in this run of the node.`,
		unsent.length ? `Not submitted (stopped first): item${unsent.length === 1 ? '' : 's'} ${unsent.join(', ')}.` : undefined,
	]
		.filter(Boolean)
		.join('\n');

	if (reason.kind === 'cancelled') {
		const error = new ExecutionCancelledError(node);
		error.message = `${error.message}${count ? `; ${count} (see details)` : ''}`;
		error.description = listing;
		return error;
	}
	const error = reason.error as Error & { description?: string | null };
	if (count) error.message = `${error.message} (${count}: see details)`;
	error.description = [error.description, listing].filter(Boolean).join('\n\n');
	return error;
}
