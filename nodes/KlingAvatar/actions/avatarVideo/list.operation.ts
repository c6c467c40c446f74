import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { resultLimit, returnAllProperties } from '../../../shared/listOptions';
import { atItem, continueAfter, errorItem } from '../../../shared/items';
import { AVATAR_PATH } from '../../avatarTaskApi';
import { KLING_LIST_PAGE_NUM_MAX, KLING_LIST_PAGE_SIZE_MAX } from '../../limits';
import { normalizeKlingTask } from '../../normalize';
import { klingRequest } from '../../transport';

const displayOptions = { show: { resource: ['avatarVideo'], operation: ['list'] } };

const properties: INodeProperties[] = [
	...returnAllProperties({ returnAll: false }),
	{
		displayName: 'Page',
		name: 'pageNum',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: KLING_LIST_PAGE_NUM_MAX },
		default: 1,
		description: 'Which page to start from (1 to 1000); the order of Kling\'s list is not documented',
		displayOptions: { show: { returnAll: [false] } },
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

/** Largest page Kling serves; fewer round trips for Return All. */
const PAGE_SIZE = KLING_LIST_PAGE_SIZE_MAX;

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const limit = resultLimit(this, i, false);
			const returnAll = limit === Infinity;
			let pageNum = returnAll ? 1 : Math.min(KLING_LIST_PAGE_NUM_MAX, Math.max(1, this.getNodeParameter('pageNum', i, 1) as number));
			const pageSize = returnAll ? PAGE_SIZE : Math.min(PAGE_SIZE, Math.max(1, limit));
			let count = 0;
			// Pages stay inside the documented ranges: pageSize ≤ 500, pageNum ≤ 1000.
			while (count < limit && pageNum <= KLING_LIST_PAGE_NUM_MAX) {
				const page = await klingRequest<IDataObject[]>(this, {
					method: 'GET',
					path: AVATAR_PATH,
					qs: { pageNum, pageSize },
					itemIndex: i,
					what: 'Listing avatar tasks',
				});
				const tasks = Array.isArray(page) ? page : [];
				for (const task of tasks.slice(0, limit - count)) {
					output.push({ json: normalizeKlingTask(task), pairedItem: { item: i } });
				}
				count += Math.min(tasks.length, limit - count);
				if (tasks.length < pageSize) break;
				pageNum++;
			}
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			output.push(errorItem(error, i));
		}
	}
	return output;
}
