import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/** An operation takes the whole batch: Create and Get submit and wait on all items together. */
export type BatchOperation = (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>;

/** Dispatches on resource/operation (read from item 0: both have noDataExpression). */
export async function routeOperation(
	ctx: IExecuteFunctions,
	operations: Record<string, Record<string, BatchOperation>>,
): Promise<INodeExecutionData[][]> {
	const resource = ctx.getNodeParameter('resource', 0) as string;
	const operation = ctx.getNodeParameter('operation', 0) as string;
	const execute = operations[resource]?.[operation];
	if (!execute) {
		throw new NodeOperationError(ctx.getNode(), `The operation "${operation}" of resource "${resource}" is not supported`);
	}
	return [await execute.call(ctx, ctx.getInputData())];
}
