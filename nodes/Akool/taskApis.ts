import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import type { TaskApi } from '../shared/taskEngine';
import { stableFingerprint } from '../shared/taskLedger';
import { AKOOL, AKOOL_PATHS, CANVAS } from './constants';
import { avatarAsTask, avatarDetailOf, normalizeAkoolVideo } from './normalize';
import { akoolNotFound, akoolRequest } from './transport';

/**
 * Position and size of the avatar element on the 3840 × 2160 canvas. The offsets are where the
 * element's centre sits: Akool's docs table says "upper left corner", but every worked example
 * (Akool's own docs body and demo, third-party clients) puts a full 3840 × 2160 element at 1920,
 * 1080, and one client computes the offset as width / 2, height / 2 (provider-apis.md §6.3). We
 * follow the examples; read as a corner, those examples would show a quarter of the element.
 */
export interface AvatarLayout {
	scaleX: number;
	scaleY: number;
	/** x of the element's centre, from the canvas's left edge. */
	offsetX: number;
	/** y of the element's centre, from the canvas's top edge. */
	offsetY: number;
	width: number;
	height: number;
}

/** The whole canvas, centred at 1920, 1080: the avatar's default, and where the background always goes. */
export const DEFAULT_LAYOUT: Readonly<AvatarLayout> = Object.freeze({
	scaleX: 1,
	scaleY: 1,
	offsetX: CANVAS.width / 2,
	offsetY: CANVAS.height / 2,
	width: CANVAS.width,
	height: CANVAS.height,
});

/** An image or avatar element's layout fields, as Akool names them. */
function placement(layout: AvatarLayout): IDataObject {
	return {
		scale_x: layout.scaleX,
		scale_y: layout.scaleY,
		offset_x: layout.offsetX,
		offset_y: layout.offsetY,
		width: layout.width,
		height: layout.height,
	};
}

export interface TalkingAvatarRequest {
	/** avatar_from 2: an avatar from Akool's list; 3: your own avatar video URL. */
	avatar: { from: 2; avatarId: string } | { from: 3; url: string };
	audioUrl: string;
	/** An image URL or a hex colour; left out when not set. */
	background?: string;
	layout: AvatarLayout;
	webhookUrl?: string;
}

/** The create body exactly as Akool documents it (provider-apis.md §2.3). */
export function talkingAvatarBody(request: TalkingAvatarRequest): IDataObject {
	const elements: IDataObject[] = [];
	if (request.background) {
		elements.push({ type: 'image', url: request.background, ...placement(DEFAULT_LAYOUT) });
	}
	const avatar: IDataObject = { type: 'avatar', ...placement(request.layout) };
	if (request.avatar.from === 2) avatar.avatar_id = request.avatar.avatarId;
	else avatar.url = request.avatar.url;
	elements.push(avatar, { type: 'audio', url: request.audioUrl });
	const body: IDataObject = { width: CANVAS.width, height: CANVAS.height, avatar_from: request.avatar.from, elements };
	if (request.webhookUrl) body.webhookUrl = request.webhookUrl;
	return body;
}

/** What to check when infobymodelid knows no video with the ID. */
const VIDEO_ID_HINT = 'Use the taskId that Create outputs (Akool\'s _id, which infobymodelid takes as video_model_id); the task_id and video_id in raw are other IDs.';

/** Talking-avatar videos for the shared engine. No idempotency key: no findCreated, so an ambiguous create is never repeated. */
export function talkingAvatarApi(ctx: IExecuteFunctions): TaskApi<TalkingAvatarRequest> {
	return {
		provider: AKOOL,
		async create(request, itemIndex) {
			const data = await akoolRequest<IDataObject>(ctx, {
				method: 'POST',
				path: AKOOL_PATHS.talkingAvatarCreate,
				body: talkingAvatarBody(request),
				itemIndex,
				what: 'Creating the talking-avatar video',
			});
			return normalizeAkoolVideo(data ?? {});
		},
		// What makes the video: not the Webhook URL, which may carry the execution and would make
		// a Retry's requests look new.
		fingerprint: (request) => stableFingerprint({ ...request, webhookUrl: undefined }),
		async get(taskId, itemIndex) {
			const what = `Reading video ${taskId}`;
			const reads = { record: 'talking-avatar video', id: taskId, hint: VIDEO_ID_HINT };
			const data = await akoolRequest<IDataObject | null>(ctx, { method: 'GET', path: AKOOL_PATHS.videoInfo, qs: { video_model_id: taskId }, itemIndex, what, reads });
			if (!data || typeof data !== 'object' || !data._id) throw akoolNotFound(ctx, what, reads, itemIndex);
			return normalizeAkoolVideo(data);
		},
	};
}

export interface AvatarCreateRequest {
	url: string;
	avatarId: string;
	type: 1 | 2;
	name?: string;
	urlFrom?: 1 | 2;
}

/** Avatar uploads for the shared engine (waits until status 3 or 4). */
export function avatarApi(ctx: IExecuteFunctions): TaskApi<AvatarCreateRequest> {
	return {
		provider: AKOOL,
		async create(request, itemIndex) {
			const body: IDataObject = { url: request.url, avatar_id: request.avatarId, type: request.type };
			if (request.name) body.name = request.name;
			if (request.urlFrom) body.url_from = request.urlFrom;
			const data = await akoolRequest<unknown>(ctx, {
				method: 'POST',
				path: AKOOL_PATHS.avatarCreate,
				body,
				itemIndex,
				what: 'Creating the avatar',
			});
			return avatarAsTask(avatarDetailOf(data) ?? {});
		},
		async get(id, itemIndex) {
			const what = `Reading avatar ${id}`;
			const reads = { record: 'avatar', id };
			const data = await akoolRequest<unknown>(ctx, { method: 'GET', path: AKOOL_PATHS.avatarDetail, qs: { id }, itemIndex, what, reads });
			const avatar = avatarDetailOf(data);
			if (!avatar) throw akoolNotFound(ctx, what, reads, itemIndex);
			return avatarAsTask(avatar);
		},
	};
}
