import type { IDataObject } from 'n8n-workflow';
import type { NormalizedTask, TaskStatus } from '../shared/task';
import { toIsoTime, toSeconds } from '../shared/task';

const STATUS: Record<string, TaskStatus> = {
	submitted: 'submitted',
	processing: 'processing',
	succeed: 'succeeded',
	succeeded: 'succeeded',
	failed: 'failed',
};

interface KlingVideo {
	id?: string;
	url?: string;
	watermark_url?: string;
	duration?: string | number;
}

/** Maps a Kling task object (query `data`, create `data` or callback body) to the normalized shape. */
export function normalizeKlingTask(raw: IDataObject): NormalizedTask {
	const info = (raw.task_info ?? {}) as IDataObject;
	const result = (raw.task_result ?? {}) as IDataObject;
	const video = ((result.videos as KlingVideo[] | undefined) ?? [])[0] ?? {};
	const rawStatus = String(raw.task_status ?? '').toLowerCase();
	return {
		taskId: String(raw.task_id ?? ''),
		externalTaskId: info.external_task_id ? String(info.external_task_id) : null,
		// An unknown status word is treated as still running rather than as an end state.
		status: STATUS[rawStatus] ?? 'processing',
		statusMessage: raw.task_status_msg ? String(raw.task_status_msg) : null,
		videoUrl: video.url || null,
		watermarkVideoUrl: video.watermark_url || null,
		durationSeconds: toSeconds(video.duration),
		unitsDeducted: raw.final_unit_deduction !== undefined && raw.final_unit_deduction !== '' ? String(raw.final_unit_deduction) : null,
		createdAt: toIsoTime(raw.created_at, 'ms'),
		updatedAt: toIsoTime(raw.updated_at, 'ms'),
		raw,
	};
}
