import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { isCancellation } from './errors';

/** continueOnFail applies to item errors only: a cancelled execution always stops. */
export function continueAfter(ctx: IExecuteFunctions, error: unknown): boolean {
	return !isCancellation(error) && ctx.continueOnFail();
}

/** The item continueOnFail emits for a failed input item. */
export function errorItem(error: Error, itemIndex: number, extra: IDataObject = {}): INodeExecutionData {
	const description = (error as { description?: unknown }).description;
	return {
		json: {
			error: error.message,
			...(typeof description === 'string' && description ? { errorDescription: description } : {}),
			...extra,
		},
		pairedItem: { item: itemIndex },
	};
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
