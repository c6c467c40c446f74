import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { isCancellation } from './errors';

/** continueOnFail applies to item errors only: a cancelled execution always stops. */
export function continueAfter(ctx: IExecuteFunctions, error: unknown): boolean {
	return !isCancellation(error) && ctx.continueOnFail();
}

/** What a Create / Get error item tells about its task; null where nothing is known (e.g. no task was made). */
export interface ErrorTaskFacts {
	taskId?: string | null;
	externalTaskId?: string | null;
	status?: string | null;
	/** Kling Speech → Create: the audio ID, when the speech was made and only its download failed. */
	audioId?: string | null;
}

/**
 * The item continueOnFail emits for a failed input item, the same for every operation:
 *
 *   { json: { error: { message, description, itemIndex[, httpCode][, taskId, externalTaskId, status] } }, pairedItem }
 *
 * Why exactly this shape (n8n-core `WorkflowExecute`, 1.123.81 and 2.41.1):
 * - **One json key, `error`.** With On Error → "Continue (using error output)", `handleNodeErrorOutput`
 *   sends an item to the error output only when `item.error` is set, or when `json.error` is set and the
 *   json has no other key than `error` (1.x: exactly `{error}` or `{error, message}`; 2.x: a subset of
 *   `error`, `message`, `details`). Any extra key (`taskId`, …) keeps a failed item on the success output.
 * - **No `item.error`.** `normalizeNodeErrors` (2.x; inline in 1.x) replaces the json of every item that
 *   has `.error` set with `{ error: error.message }`, so task facts put beside it would never reach the
 *   next node. The facts live *inside* `json.error` instead, an object, as n8n's HTTP Request puts its
 *   error object under `json.error`.
 * - With "Continue (using regular output)" the item stays on the main output as it is; `pairedItem`
 *   points at the input item either way (on the error output, n8n also merges the input item's json
 *   under it, `{ ...input.json, ...item.json }`).
 */
export function errorItem(error: Error, itemIndex: number, task?: ErrorTaskFacts): INodeExecutionData {
	const description = (error as { description?: unknown }).description;
	const httpCode = (error as { httpCode?: unknown }).httpCode;
	const details: IDataObject = {
		message: error.message || 'Unknown error',
		description: typeof description === 'string' && description ? description : null,
		itemIndex,
	};
	if (typeof httpCode === 'string' && httpCode) details.httpCode = httpCode;
	if (task) {
		details.taskId = task.taskId ?? null;
		details.externalTaskId = task.externalTaskId ?? null;
		details.status = task.status ?? null;
		if (task.audioId !== undefined) details.audioId = task.audioId;
	}
	return { json: { error: details }, pairedItem: { item: itemIndex } };
}

/** Makes sure an error names its item, for n8n's error view and for continueOnFail. */
export function atItem<E extends Error>(error: E, itemIndex: number): E {
	const context = (error as { context?: IDataObject }).context;
	if (context && context.itemIndex === undefined) context.itemIndex = itemIndex;
	return error;
}

/** A validation failure of one input field: no request was sent for it. */
export function invalidInput(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	problem: string,
	provider: string,
): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), `Invalid "${field}" in item ${itemIndex}: ${problem}`, {
		itemIndex,
		description: `Checked before sending: nothing was sent to ${provider} for this item.`,
	});
}
