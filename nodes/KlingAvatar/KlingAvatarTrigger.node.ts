import type { IDataObject, IHookFunctions, INodeProperties, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { answer, CALLBACK_WEBHOOKS, callbackTriggerProperties, emitConfirmedTask } from '../shared/callbackTrigger';
import { AVATAR_PATH } from './avatarTaskApi';
import { klingCallbackHint } from './callbackHint';
import { normalizeKlingTask } from './normalize';
import { klingRequest, saysNoSuchTask } from './transport';

const properties: INodeProperties[] = [
	{
		displayName:
			'Put this node\'s Production URL (above) into the Callback URL of Kling Avatar → Avatar Video → Create and activate this workflow. Kling must be able to reach n8n: n8n needs a public https address (set WEBHOOK_URL), not localhost.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	...callbackTriggerProperties('Kling'),
];

/**
 * Starts a workflow when Kling reports that an avatar task has ended (its callback). Kling's
 * callbacks carry no signature (provider-apis.md §1.6), so the body is only a hint: the node takes
 * the task ID from it, fetches the task with the credential, and emits only what Kling's API says
 * (the video URL included). A callback for a task Kling does not know, or one that claims more than
 * the task shows, starts nothing.
 */
export class KlingAvatarTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kling Avatar Trigger',
		name: 'klingAvatarTrigger',
		icon: { light: 'file:klingAvatar.svg', dark: 'file:klingAvatar.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "Status: " + $parameter["statusFilter"] }}',
		documentationUrl: 'https://github.com/talking-avatar/n8n-nodes-talking-avatar#callbacks-trigger-nodes',
		description: 'Starts the workflow when Kling reports that an avatar video task has ended (callback)',
		defaults: { name: 'Kling Avatar Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'klingApi', required: true }],
		webhooks: CALLBACK_WEBHOOKS,
		properties,
	};

	// Kling has no callback registration API: the URL goes with each create (callback_url).
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const hint = klingCallbackHint(this.getBodyData());
		if (!hint) return answer(this, 400, { error: 'not a Kling task callback: no task_id' });
		let raw: IDataObject;
		try {
			raw = await klingRequest<IDataObject>(this, {
				method: 'GET',
				path: `${AVATAR_PATH}/${encodeURIComponent(hint.id)}`,
				itemIndex: 0,
				what: `Confirming the callback for task ${hint.id}`,
			});
		} catch (error) {
			if (saysNoSuchTask(error)) {
				this.logger.warn(`Kling Avatar Trigger: a callback names task ${hint.id}, which Kling does not know for this credential`);
				return answer(this, 404, { error: 'unknown task' });
			}
			this.logger.warn(`Kling Avatar Trigger: could not confirm task ${hint.id}: ${(error as Error).message}`);
			return answer(this, 502, { error: 'the task could not be confirmed with Kling; send again' });
		}
		const task = normalizeKlingTask(raw ?? {});
		// The answer must be about the task the callback named.
		if (!task.taskId || (hint.taskId && task.taskId !== hint.taskId)) {
			return answer(this, 404, { error: 'unknown task' });
		}
		return await emitConfirmedTask(this, task, { provider: 'Kling', fileName: `kling-avatar-${task.taskId}.mp4` });
	}
}
