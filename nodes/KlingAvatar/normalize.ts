import type { IDataObject } from 'n8n-workflow';
import type { BalanceDeduction, NormalizedTask, TaskStatus } from '../shared/task';
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

const objectOr = (value: unknown): IDataObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as IDataObject) : {});
const scalar = (value: unknown): string | number | null => (typeof value === 'string' || typeof value === 'number' ? value : null);

/**
 * `final_balance_deduction: {quota, list_price}` of newer task objects (provider-apis.md §6.1),
 * beside `final_unit_deduction`. The values' types and units are not documented: passed on as sent.
 */
function balanceDeduction(value: unknown): BalanceDeduction | null {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
	const { quota, list_price: listPrice } = value as IDataObject;
	return { quota: scalar(quota), listPrice: scalar(listPrice) };
}

/**
 * Maps a Kling task object (query `data`, create `data` or callback body) to the normalized shape.
 * A failed task may come with `task_info: {}` and `task_result: {}` (provider-apis.md §6.1): no
 * external id, no videos. Its externalTaskId is then null here; the engine fills in the one it sent.
 */
export function normalizeKlingTask(raw: IDataObject): NormalizedTask {
	const info = objectOr(raw.task_info);
	const result = objectOr(raw.task_result);
	const videos = Array.isArray(result.videos) ? (result.videos as unknown[]) : [];
	const video = objectOr(videos[0]) as KlingVideo;
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
		unitsDeducted: raw.final_unit_deduction !== undefined && raw.final_unit_deduction !== null && raw.final_unit_deduction !== '' ? String(raw.final_unit_deduction) : null,
		balanceDeduction: balanceDeduction(raw.final_balance_deduction),
		createdAt: toIsoTime(raw.created_at, 'ms'),
		updatedAt: toIsoTime(raw.updated_at, 'ms'),
		raw,
	};
}
