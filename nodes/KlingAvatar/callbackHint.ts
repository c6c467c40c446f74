import type { IDataObject } from 'n8n-workflow';

/** What a Kling callback body names: only a hint, confirmed by fetching the task. */
export interface KlingCallbackHint {
	/** The ID to query the task with: task_id, else the external_task_id (the query path takes both). */
	id: string;
	taskId: string | null;
	externalTaskId: string | null;
	/** The status the body claims (never trusted). */
	claimedStatus: string | null;
}

const isObject = (value: unknown): value is IDataObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const idText = (value: unknown): string | null => {
	if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
	if (typeof value !== 'string') return null;
	const s = value.trim();
	// Kling task IDs are numeric or Base64-like; external IDs are the user's (word characters and . : + = @ -).
	// No '/', and not only dots: "." and ".." would make the query path another endpoint.
	return s && s.length <= 128 && /^[\w.:+=@-]+$/.test(s) && !/^\.+$/.test(s) ? s : null;
};

/**
 * Reads the task a Kling callback is about. The official body is the bare task object
 * (provider-apis.md §1.6); a `{code, message, data: {task…}}` envelope (as one third-party doc
 * shows) is accepted too. Returns undefined when the body names no task.
 */
export function klingCallbackHint(body: unknown): KlingCallbackHint | undefined {
	if (!isObject(body)) return undefined;
	const task = isObject(body.data) && (body.data.task_id !== undefined || isObject(body.data.task_info)) ? body.data : body;
	const taskId = idText(task.task_id);
	const externalTaskId = isObject(task.task_info) ? idText(task.task_info.external_task_id) : null;
	const id = taskId ?? externalTaskId;
	if (!id) return undefined;
	return { id, taskId, externalTaskId, claimedStatus: typeof task.task_status === 'string' ? task.task_status : null };
}
