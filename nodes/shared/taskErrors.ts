import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { NormalizedTask } from './task';
import type { LedgerAttempt } from './taskLedger';

/** The errors the batch engine gives items, worded once for every provider. */
export class TaskErrors {
	constructor(
		private readonly node: INode,
		private readonly provider: string,
	) {}

	/** Creates were refused for the concurrency limit until Max Wait: nothing was submitted. */
	noSlot(error: Error): Error {
		return new NodeOperationError(this.node, `No ${this.provider} concurrency slot became free within Max Wait`, {
			description: `${error.message}. Nothing was submitted for this item. Raise Max Wait, send fewer items at once, or raise the account's concurrency (resource pack).`,
		});
	}

	/** A create without an answer, at a provider without client keys: it is not sent again. */
	notRetried(error: Error): Error {
		const p = this.provider;
		return new NodeOperationError(this.node, `${error.message}; the task may or may not have been created`, {
			description: `${p} offers no way to look up a task by a client key, so the request was not sent again (it could have paid twice). Check the ${p} dashboard. A Retry of this node or execution will not send it again either; start a new execution to send it.`,
		});
	}

	/**
	 * A create with this client key may have reached the provider (its answer was lost or
	 * unreadable) and looking it up could not confirm it either way: the ledger keeps it pending,
	 * so every later run of the node looks it up again and never sends a new key for the item.
	 * @param detail what the lookup found (lookupFailed, refusedThenNotFound)
	 */
	createUnconfirmed(externalTaskId: string, itemIndex: number, detail: string): Error {
		const p = this.provider;
		return new NodeOperationError(this.node, `The create's answer was lost; the ${p} task may exist and be paid: external task id ${externalTaskId}`, {
			itemIndex,
			description: `${detail} This create is kept as sent: Retry On Fail, or a Retry from the Executions list, looks the task up by external task id ${externalTaskId} again and never sends a new task for this item. Check the ${p} dashboard (or your proxy's) for a task with this external task id before starting a new execution.`,
		});
	}

	/** createUnconfirmed's detail: the lookup by client key itself failed. */
	lookupFailed(error: Error): string {
		const description = (error as { description?: unknown }).description;
		return `Looking it up by that ID could not tell whether it exists: ${error.message}.${typeof description === 'string' && description ? ` ${description}` : ''}`;
	}

	/** createUnconfirmed's detail: sent again with the same key, the create was refused, and lookups found nothing. */
	refusedThenNotFound(refusal: Error, lookups: number): string {
		return `Sent again with the same external task id, the create was refused (${refusal.message}), and ${lookups} lookup${lookups === 1 ? '' : 's'} by that ID found no task: ${this.provider} does not say which of its refusals means "this ID exists already", and a new task may not be readable at once.`;
	}

	/** An earlier run of the node in this execution sent the create and got no answer. */
	mayHaveBeenCreatedEarlier(known: LedgerAttempt): Error {
		const p = this.provider;
		return new NodeOperationError(this.node, `An earlier run of this node sent this item's create at ${known.sentAt} and got no answer: the ${p} task may have been created`, {
			description: `${p} offers no way to look up a task by a client key, so it is not sent again (that could pay twice). Check the ${p} dashboard: if a task was created, continue with the Get operation and its ID; if not, start a new execution (a Retry keeps this record).`,
		});
	}

	/** A Retry of a run interrupted during (or maybe before) this node, whose record n8n did not keep. */
	recordLost(): Error {
		const p = this.provider;
		return new NodeOperationError(this.node, `This Retry repeats an execution that was stopped (or whose worker died), and n8n kept no record of this node: if it was running then, the ${p} task may exist already`, {
			description: `n8n saves a stopped execution without the running node's data, so this Retry cannot know whether this node had sent this request (and paid for it). Nothing was sent for this item, nor will a later Retry of this execution send it. If this node was running when the execution stopped, its task IDs are in the n8n log ("${p}: item N submitted as task …") and, where n8n kept it, in that execution's custom data (tasks_<node name>): continue with the Get operation. If the execution stopped before this node ran, nothing was sent: run the workflow again as a new execution.`,
		});
	}

	/** The user's External Task ID names a task that failed (earlier, or in an earlier run). */
	userKeyFailed(externalTaskId: string, taskId: string | null, reason: string | null, when: string | null): Error {
		return new NodeOperationError(
			this.node,
			`The ${this.provider} task with External Task ID "${externalTaskId}" failed earlier${when ? ` (created ${when})` : ''}: ${reason || 'no reason given'}`,
			{
				description: `Task ${taskId ?? '(ID unknown)'} has this External Task ID, and an ID can be used only once. Set a new External Task ID (or clear the option to let the node derive one) to create a new task.`,
			},
		);
	}

	/** Two items of a batch carry the same External Task ID (a provider keeps one task per ID). */
	userKeyTwice(externalTaskId: string, firstItem: number, itemIndex: number): Error {
		return new NodeOperationError(this.node, `Invalid "External Task ID" in item ${itemIndex}: "${externalTaskId}" is also the ID of item ${firstItem}`, {
			itemIndex,
			description: `An External Task ID names one ${this.provider} task, so a second item with it would get the first item's video. Nothing was sent for this item. Give every item its own ID (e.g. with {{ $json.id }}), or clear the option to let the node make one.`,
		});
	}

	maxWaitReached(task: NormalizedTask, maxWaitText: string, waitedText: string): Error {
		return new NodeOperationError(
			this.node,
			`Task ${task.taskId} did not finish within Max Wait (${maxWaitText}; waited ${waitedText}); it is still ${task.status}. Continue with the Get operation and Task ID ${task.taskId}`,
			{
				description: `The task keeps running at ${this.provider}. Use the Get operation with Task ID "${task.taskId}"${task.externalTaskId ? ` (or External Task ID "${task.externalTaskId}")` : ''} and Wait for Completion, or raise Max Wait.`,
			},
		);
	}

	/** @param created whether this node created the task (Create), not just read it (Get) */
	taskFailed(task: NormalizedTask, created: boolean): Error {
		return new NodeApiError(this.node, task.raw as JsonObject, {
			message: `${this.provider} task ${task.taskId} failed: ${task.statusMessage || 'no reason given'}`,
			description: `The provider reports the task as failed. Task ID: ${task.taskId}.${created ? ' A Retry of this node or execution creates a new task for this item.' : ''}`,
		});
	}
}
