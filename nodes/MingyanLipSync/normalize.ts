import type { IDataObject } from 'n8n-workflow';
import type { NormalizedTask, TaskStatus } from '../shared/task';
import { toIsoTime } from '../shared/task';

const STATUS: Record<string, TaskStatus> = {
	queued: 'submitted',
	processing: 'processing',
	completed: 'succeeded',
	failed: 'failed',
};

/** The normalized shape plus the MD5 Mingyan publishes for the finished file (null until then). */
export interface MingyanTask extends NormalizedTask {
	md5: string | null;
}

/**
 * The task object of an answer. The docs show flat bodies (`{id, status, ...}`), but responses of
 * the same server are also seen wrapped as `{data: {...}}` (provider-apis.md §3): both are read.
 */
export function unwrapMingyan(body: unknown): IDataObject {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
	const top = body as IDataObject;
	const data = top.data;
	if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
		const inner = data as IDataObject;
		if (inner.id !== undefined || inner.status !== undefined || top.id === undefined) return inner;
	}
	return top;
}

/**
 * `created` is an integer whose unit the docs do not state (OpenAI-style APIs use seconds).
 * Values below 1e12 are read as seconds (1e12 s is the year 33658; 1e12 ms is September 2001),
 * larger ones as milliseconds.
 */
export function mingyanTime(value: unknown): string | null {
	const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
	if (typeof n === 'number' && Number.isFinite(n)) return toIsoTime(n, n < 1e12 ? 's' : 'ms');
	return toIsoTime(value);
}

const text = (value: unknown): string | null => {
	if (value === undefined || value === null) return null;
	if (typeof value === 'object') {
		const message = (value as IDataObject).message;
		return typeof message === 'string' && message ? message : JSON.stringify(value);
	}
	const s = String(value).trim();
	return s ? s : null;
};

/** Maps a Mingyan task object (create or result answer, flat or `data`-wrapped) to the normalized shape. */
export function normalizeMingyanTask(body: unknown): MingyanTask {
	const raw = unwrapMingyan(body);
	const rawStatus = String(raw.status ?? '').toLowerCase();
	// An unknown status word is treated as still running rather than as an end state.
	const status = STATUS[rawStatus] ?? 'processing';
	const md5 = text(raw.md5);
	return {
		taskId: String(raw.id ?? ''),
		externalTaskId: null,
		status,
		statusMessage: status === 'failed' ? (text(raw.error) ?? 'no reason given') : text(raw.error),
		videoUrl: text(raw.video_url ?? raw.videoUrl),
		watermarkVideoUrl: null,
		// Not published by Mingyan (the video follows the audio's length).
		durationSeconds: null,
		unitsDeducted: null,
		createdAt: mingyanTime(raw.created),
		// Mingyan sends no update time.
		updatedAt: mingyanTime(raw.updated_at ?? raw.updated),
		md5: md5 ? md5.toLowerCase() : null,
		raw,
	};
}
