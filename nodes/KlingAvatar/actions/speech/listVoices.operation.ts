import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { resultLimit, returnAllProperties } from '../../../shared/listOptions';
import { atItem, continueAfter, errorItem } from '../../../shared/items';
import { parseVoices, VOICES_PATH } from '../../speech';
import { klingRequest } from '../../transport';

const displayOptions = { show: { resource: ['speech'], operation: ['listVoices'] } };

const properties: INodeProperties[] = [
	...returnAllProperties({ returnAll: true }),
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
			for (const voice of parseVoices(data).slice(0, resultLimit(this, i, true))) {
				output.push({ json: voice as unknown as IDataObject, pairedItem: { item: i } });
			}
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			output.push(errorItem(error, i));
		}
	}
	return output;
}
