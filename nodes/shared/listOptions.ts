import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

/** n8n's usual "Return All / Limit" pair for list operations. */
export function returnAllProperties(defaults: { returnAll: boolean }): INodeProperties[] {
	const returnAll: INodeProperties = {
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	};
	return [
		{ ...returnAll, default: defaults.returnAll },
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { returnAll: [false] } },
		},
	];
}

/** How many results an item asked for: Infinity for Return All. */
export function resultLimit(ctx: IExecuteFunctions, itemIndex: number, returnAllDefault: boolean): number {
	return ctx.getNodeParameter('returnAll', itemIndex, returnAllDefault) ? Infinity : (ctx.getNodeParameter('limit', itemIndex, 50) as number);
}
