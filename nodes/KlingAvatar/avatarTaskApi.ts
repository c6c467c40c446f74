import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { failureKindOf } from '../shared/errors';
import type { MediaRef } from '../shared/mediaInput';
import { mediaRefToText } from '../shared/mediaInput';
import type { TaskApi } from '../shared/taskEngine';
import { normalizeKlingTask } from './normalize';
import { klingRequest } from './transport';

export const AVATAR_PATH = '/v1/videos/avatar/image2video';

export type AudioRef = MediaRef | { kind: 'audioId'; id: string };

export interface AvatarCreateRequest {
	image: MediaRef;
	audio: AudioRef;
	prompt: string;
	mode: 'std' | 'pro';
	watermark?: boolean;
	callbackUrl?: string;
	/** Always set: the user's, or one derived per item (see shared/idempotency). */
	externalTaskId: string;
}

/** Kling Avatar tasks for the shared engine. */
export function klingAvatarApi(ctx: IExecuteFunctions): TaskApi<AvatarCreateRequest> {
	const getTask = async (id: string, itemIndex: number) =>
		normalizeKlingTask(
			await klingRequest<IDataObject>(ctx, {
				method: 'GET',
				path: `${AVATAR_PATH}/${encodeURIComponent(id)}`,
				itemIndex,
				what: `Reading avatar task ${id}`,
			}),
		);

	return {
		provider: 'Kling',
		async create(request, itemIndex) {
			const body: IDataObject = {
				image: await mediaRefToText(ctx, itemIndex, request.image),
				// Optional with default std in the official doc, required by some proxies: always sent.
				mode: request.mode,
				external_task_id: request.externalTaskId,
			};
			if (request.audio.kind === 'audioId') body.audio_id = request.audio.id;
			else body.sound_file = await mediaRefToText(ctx, itemIndex, request.audio);
			if (request.prompt) body.prompt = request.prompt;
			if (request.watermark !== undefined) body.watermark_info = { enabled: request.watermark };
			if (request.callbackUrl) body.callback_url = request.callbackUrl;
			const data = await klingRequest<IDataObject>(ctx, {
				method: 'POST',
				path: AVATAR_PATH,
				body,
				itemIndex,
				what: 'Creating the avatar task',
			});
			return normalizeKlingTask(data);
		},
		async findCreated(request, itemIndex) {
			// Kling's query path accepts the external_task_id; "not found" means nothing was created.
			return await getTask(request.externalTaskId, itemIndex).catch((error: Error) =>
				failureKindOf(error) === 'notFound' ? undefined : Promise.reject(error),
			);
		},
		get: getTask,
	};
}
