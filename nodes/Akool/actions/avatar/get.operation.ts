import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { atItem, continueAfter, errorItem } from '../../../shared/items';
import { readString } from '../../../shared/parameters';
import { retryRead } from '../../../shared/readRetry';
import { AKOOL, AKOOL_PATHS } from '../../constants';
import { avatarDetailOf, normalizeAkoolAvatar } from '../../normalize';
import { akoolNotFound, akoolRequest } from '../../transport';

const displayOptions = { show: { resource: ['avatar'], operation: ['get'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'ID',
		name: 'id',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. 65a1b2c3d4e5f6a7b8c9d0e1',
		description: 'The avatar\'s record ID, the first field that Create and Get Many output; not the Avatar ID you chose',
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const id = readString(this, i, 'id', { field: 'ID', kind: 'id', provider: AKOOL, required: 'the ID is empty' });
			const what = `Reading avatar ${id}`;
			const reads = { record: 'avatar', id, hint: 'The ID is the avatar\'s record ID (`id` in the output of Create and Get Many), not its Avatar ID.' };
			const data = await retryRead(this, async () => await akoolRequest<unknown>(this, { method: 'GET', path: AKOOL_PATHS.avatarDetail, qs: { id }, itemIndex: i, what, reads }));
			const avatar = avatarDetailOf(data);
			if (!avatar) throw akoolNotFound(this, what, reads, i);
			output.push({ json: normalizeAkoolAvatar(avatar as IDataObject), pairedItem: { item: i } });
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			output.push(errorItem(error, i));
		}
	}
	return output;
}
