import type { IDataObject } from 'n8n-workflow';
import type { NormalizedTask, TaskStatus } from '../shared/task';
import { toIsoTime, toSeconds } from '../shared/task';

/** Akool's status numbers (video_status, avatar status, webhook status): 1 queueing, 2 processing, 3 completed, 4 failed. */
const STATUS: Record<number, TaskStatus> = { 1: 'submitted', 2: 'processing', 3: 'succeeded', 4: 'failed' };

export function akoolStatus(value: unknown): TaskStatus {
	// An unknown value is treated as still running rather than as an end state.
	return STATUS[Number(value)] ?? 'processing';
}

const text = (value: unknown): string | null => {
	if (value === undefined || value === null) return null;
	const s = String(value).trim();
	return s ? s : null;
};

/** The failure reason Akool gives, in whichever field the product uses. */
function failureReason(raw: IDataObject): string | null {
	const reason = text(raw.error_reason) ?? text(raw.faceswap_fail_reason) ?? text(raw.msg);
	const code = text(raw.error_code);
	if (reason && code && code !== '0') return `${reason} (error code ${code})`;
	if (reason) return reason;
	return code && code !== '0' ? `error code ${code}` : null;
}

/**
 * Maps an Akool video model (create `data`, infobymodelid `data`) to the normalized shape.
 *
 * `taskId` is `_id`: the docs say infobymodelid's `video_model_id` is "the _id field returned by
 * talkingavatar/create" (seed 003, provider-apis.md §2.3), and real clients poll with it. The create
 * answer also carries a `task_id` and a `video_id` (§6.3), which are other IDs: not sent anywhere.
 */
export function normalizeAkoolVideo(raw: IDataObject): NormalizedTask {
	const status = akoolStatus(raw.video_status);
	return {
		taskId: String(raw._id ?? ''),
		// Akool has no client-side task ID.
		externalTaskId: null,
		status,
		statusMessage: status === 'failed' ? failureReason(raw) : null,
		videoUrl: status === 'succeeded' ? text(raw.video) : null,
		watermarkVideoUrl: null,
		durationSeconds: toSeconds(raw.duration),
		// The cost field of infobymodelid (provider-apis.md §6.3). Its unit is not documented, so it
		// is passed on as Akool sends it, in the field the other providers fill with their cost.
		unitsDeducted: text(raw.deduction_duration),
		createdAt: toIsoTime(raw.create_time, 'ms'),
		updatedAt: toIsoTime(raw.update_time, 'ms'),
		raw,
	};
}

/** An avatar as the node outputs it. */
export interface AkoolAvatar extends IDataObject {
	/** The avatar record's `_id` (what Avatar → Get takes). */
	id: string | null;
	/** The `avatar_id` a talking-avatar video uses. */
	avatarId: string | null;
	name: string | null;
	/** talking (1) or streaming (2). */
	type: 'talking' | 'streaming' | null;
	/** official (2, Akool's) or own (3, uploaded). */
	from: 'official' | 'own' | null;
	status: TaskStatus | null;
	/** Akool's status number: 1 queueing, 2 processing, 3 completed, 4 failed. */
	statusCode: number | null;
	url: string | null;
	thumbnailUrl: string | null;
	createdAt: string | null;
	raw: IDataObject;
}

export function normalizeAkoolAvatar(raw: IDataObject): AkoolAvatar {
	const type = Number(raw.type);
	const from = Number(raw.from);
	const hasStatus = raw.status !== undefined && raw.status !== null && raw.status !== '';
	return {
		id: text(raw._id),
		avatarId: text(raw.avatar_id),
		name: text(raw.name),
		type: type === 1 ? 'talking' : type === 2 ? 'streaming' : null,
		from: from === 2 ? 'official' : from === 3 ? 'own' : null,
		status: hasStatus ? akoolStatus(raw.status) : null,
		statusCode: hasStatus && Number.isFinite(Number(raw.status)) ? Number(raw.status) : null,
		url: text(raw.url),
		thumbnailUrl: text(raw.thumbnailUrl),
		createdAt: toIsoTime(raw.create_time, 'ms'),
		raw,
	};
}

/** The avatar as a task for the wait engine (Avatar → Create with Wait for Completion). */
export function avatarAsTask(raw: IDataObject): NormalizedTask {
	const status = akoolStatus(raw.status);
	return {
		taskId: String(raw._id ?? ''),
		externalTaskId: text(raw.avatar_id),
		status,
		statusMessage: status === 'failed' ? failureReason(raw) : null,
		videoUrl: null,
		watermarkVideoUrl: null,
		durationSeconds: null,
		unitsDeducted: null,
		createdAt: toIsoTime(raw.create_time, 'ms'),
		updatedAt: toIsoTime(raw.update_time, 'ms'),
		raw,
	};
}

/**
 * The avatars of a list answer. The docs show `data` as an array; Akool's own demo reads
 * `data.result`. Both are accepted.
 */
export function avatarListOf(data: unknown): IDataObject[] {
	if (Array.isArray(data)) return data.filter(isObject);
	if (isObject(data)) {
		for (const key of ['result', 'list', 'data']) {
			const value = data[key];
			if (Array.isArray(value)) return value.filter(isObject);
		}
	}
	return [];
}

/** The avatar of a detail answer (`data` is an object, or an array of one per the docs). */
export function avatarDetailOf(data: unknown): IDataObject | undefined {
	if (Array.isArray(data)) return data.find(isObject);
	return isObject(data) ? data : undefined;
}

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
