import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { atItem, continueAfter, errorItem } from '../../../shared/items';
import { parseVoices, VOICES_PATH } from '../../speech';
import { klingRequest } from '../../transport';

const displayOptions = { show: { resource: ['speech'], operation: ['listVoices'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: true,
		description: 'Whether to return all results or only up to a given limit',
	},
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

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const data = await klingRequest<unknown>(this, {
				method: 'GET',
				path: VOICES_PATH,
				qs: { pageNum: 1, pageSize: 500 },
				itemIndex: i,
				what: 'Listing voices',
			});
			const returnAll = this.getNodeParameter('returnAll', i, true) as boolean;
			const voices = parseVoices(data);
			const limit = returnAll ? voices.length : (this.getNodeParameter('limit', i, 50) as number);
			for (const voice of voices.slice(0, limit)) {
				output.push({ json: voice as unknown as IDataObject, pairedItem: { item: i } });
			}
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			output.push(errorItem(error, i));
		}
	}
	return output;
}
