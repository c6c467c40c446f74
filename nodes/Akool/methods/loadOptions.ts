import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { retryRead } from '../../shared/readRetry';
import { AKOOL_PATHS } from '../constants';
import { avatarListOf } from '../normalize';
import { akoolRequest } from '../transport';

const PAGE_SIZE = 100;
const MAX_PAGES = 10;

/** Akool's talking avatars (avatar_from 2) for the Avatar field. */
export async function getAvatars(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const options: INodePropertyOptions[] = [];
	const seen = new Set<string>();
	try {
		for (let page = 1; page <= MAX_PAGES; page++) {
			const data = await retryRead(this, async () =>
				await akoolRequest<unknown>(this, { method: 'GET', path: AKOOL_PATHS.avatarList, qs: { from: 2, type: 1, page, size: PAGE_SIZE }, what: 'Loading the avatar list' }),
			);
			const avatars = avatarListOf(data);
			for (const avatar of avatars) {
				const id = String(avatar.avatar_id ?? '').trim();
				if (!id || seen.has(id)) continue;
				seen.add(id);
				const name = String(avatar.name ?? '').trim();
				options.push({ name: name ? `${name} (${id})` : id, value: id });
			}
			if (avatars.length < PAGE_SIZE) break;
		}
	} catch (error) {
		throw new NodeOperationError(this.getNode(), error as Error, { message: 'Could not load the Akool avatar list' });
	}
	return options.sort((a, b) => a.name.localeCompare(b.name));
}
