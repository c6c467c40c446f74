import type { IWebhookFunctions } from 'n8n-workflow';
import type { CallbackProvider } from '../shared/callbackOperation';
import type { CallbackHint } from '../shared/callbackWait';
import { isTerminal } from '../shared/task';
import { klingAvatarApi } from './avatarTaskApi';
import { klingCallbackHint } from './callbackHint';
import { normalizeKlingTask } from './normalize';

const KNOWN_STATUSES = ['submitted', 'processing', 'succeed', 'succeeded', 'failed'];

/**
 * What a Kling callback says to a waiting Create (provider-apis.md §1.6; read by callbackHint.ts,
 * shared with the Kling Avatar Trigger): the task and whether it claims an end state. Kling does
 * not sign callbacks, so this is only a hint: the node reads the task back. A body naming only an
 * external task ID, or an unknown status word, says nothing, and the tasks are read in order.
 */
export function klingWaitHint(body: unknown): CallbackHint {
	const hint = klingCallbackHint(body);
	if (!hint?.taskId) return {};
	const word = String(hint.claimedStatus ?? '').toLowerCase();
	const terminal = KNOWN_STATUSES.includes(word) ? isTerminal(normalizeKlingTask({ task_status: word }).status) : undefined;
	return { taskId: hint.taskId, terminal };
}

/** Kling Avatar → Create's callback wait (nodes/shared/callbackOperation.ts). */
export const klingAvatarCallback: CallbackProvider = {
	provider: 'Kling',
	read: async (ctx, taskId, itemIndex) => await klingAvatarApi(ctx).get(taskId, itemIndex),
	hint: async (ctx: IWebhookFunctions) => klingWaitHint(ctx.getBodyData()),
	videoFileName: (task) => `kling-avatar-${task.taskId}.mp4`,
};
