import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';
import type { CallbackProvider } from '../shared/callbackOperation';
import type { CallbackHint } from '../shared/callbackWait';
import { isTerminal } from '../shared/task';
import { klingAvatarApi } from './avatarTaskApi';
import { normalizeKlingTask } from './normalize';

const isObject = (value: unknown): value is IDataObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What a Kling callback's body says (provider-apis.md §1.6): the bare task object, POSTed on every
 * status change. Some relays wrap it in `{code, message, data}`; both are read. Kling does not sign
 * callbacks, so the body is only a hint of which task changed: the node reads the task back.
 * An unknown status word says nothing (undefined), and then the task is read.
 */
export function klingCallbackHint(body: unknown): CallbackHint {
	const task = isObject(body) && isObject(body.data) && body.task_id === undefined ? body.data : body;
	if (!isObject(task) || typeof task.task_id !== 'string' || !task.task_id) return {};
	const word = String(task.task_status ?? '').toLowerCase();
	const known = ['submitted', 'processing', 'succeed', 'succeeded', 'failed'].includes(word);
	return { taskId: task.task_id, terminal: known ? isTerminal(normalizeKlingTask(task).status) : undefined };
}

/** Kling Avatar → Create's callback wait (nodes/shared/callbackOperation.ts). */
export const klingAvatarCallback: CallbackProvider = {
	provider: 'Kling',
	read: async (ctx, taskId, itemIndex) => await klingAvatarApi(ctx).get(taskId, itemIndex),
	hint: async (ctx: IWebhookFunctions) => klingCallbackHint(ctx.getBodyData()),
	videoFileName: (task) => `kling-avatar-${task.taskId}.mp4`,
};
