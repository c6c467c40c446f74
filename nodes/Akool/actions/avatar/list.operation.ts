import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { returnAllProperties } from '../../../shared/listOptions';
import { atItem, continueAfter, errorItem } from '../../../shared/items';
import { readString } from '../../../shared/parameters';
import { retryRead } from '../../../shared/readRetry';
import { AKOOL, AKOOL_PATHS } from '../../constants';
import { avatarListOf, normalizeAkoolAvatar } from '../../normalize';
import { akoolRequest } from '../../transport';

const displayOptions = { show: { resource: ['avatar'], operation: ['list'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'From',
		name: 'from',
		type: 'options',
		options: [
			{ name: 'Akool Official', value: 'official', description: 'Akool\'s own avatars' },
			{ name: 'All', value: 'all', description: 'Official avatars and yours' },
			{ name: 'My Avatars', value: 'mine', description: 'Avatars you uploaded' },
		],
		default: 'all',
	},
	{
		displayName: 'Type',
		name: 'avatarType',
		type: 'options',
		options: [
			{ name: 'All', value: 'all' },
			{ name: 'Streaming', value: 'streaming' },
			{ name: 'Talking', value: 'talking' },
		],
		default: 'all',
	},
	...returnAllProperties({ returnAll: false }),
	{
		displayName: 'Page',
		name: 'page',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1,
		description: 'Which page to return, with Limit avatars per page',
		displayOptions: { show: { returnAll: [false] } },
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

/** Akool's default (and our Return All) page size. */
const PAGE_SIZE = 100;
/** A guard against a server that ignores `page`. */
const MAX_PAGES = 1000;

const FROM: Record<string, number | undefined> = { official: 2, mine: 3, all: undefined };
const TYPE: Record<string, number | undefined> = { talking: 1, streaming: 2, all: undefined };

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const returnAll = this.getNodeParameter('returnAll', i, false) as boolean;
			const qs: IDataObject = {};
			const from = FROM[readString(this, i, 'from', { field: 'From', kind: 'id', provider: AKOOL, fallback: 'all', oneOf: Object.keys(FROM) })];
			const type = TYPE[readString(this, i, 'avatarType', { field: 'Type', kind: 'id', provider: AKOOL, fallback: 'all', oneOf: Object.keys(TYPE) })];
			// Optional filters are sent only when set: empty means "all" to Akool.
			if (from !== undefined) qs.from = from;
			if (type !== undefined) qs.type = type;
			const size = returnAll ? PAGE_SIZE : Math.max(1, Math.floor(this.getNodeParameter('limit', i, 50) as number));
			let page = returnAll ? 1 : Math.max(1, Math.floor(this.getNodeParameter('page', i, 1) as number));
			const seen = new Set<string>();
			for (let pages = 0; pages < MAX_PAGES; pages++) {
				// Return All asks page after page: a rate limit (1005) is waited out, not fatal.
				const data = await retryRead(this, async () =>
					await akoolRequest<unknown>(this, { method: 'GET', path: AKOOL_PATHS.avatarList, qs: { ...qs, page, size }, itemIndex: i, what: 'Listing avatars' }),
				);
				const avatars = avatarListOf(data);
				let added = 0;
				for (const avatar of avatars.slice(0, size)) {
					const key = String(avatar._id ?? avatar.avatar_id ?? JSON.stringify(avatar));
					if (seen.has(key)) continue;
					seen.add(key);
					added++;
					output.push({ json: normalizeAkoolAvatar(avatar), pairedItem: { item: i } });
				}
				if (!returnAll || avatars.length < size || added === 0) break;
				page++;
			}
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			output.push(errorItem(error, i));
		}
	}
	return output;
}
