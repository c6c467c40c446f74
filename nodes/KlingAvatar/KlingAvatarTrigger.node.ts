import type { IDataObject, INodeProperties, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { answer, CALLBACK_WEBHOOKS, NO_REGISTRATION_WEBHOOK_METHODS, RECEIVED, TRY_AGAIN, callbackTriggerProperties, emitConfirmedTask } from '../shared/callbackTrigger';
import { AVATAR_PATH } from './avatarTaskApi';
import { klingCallbackHint } from './callbackHint';
import { normalizeKlingTask } from './normalize';
import { klingRequest, saysNoSuchTask } from './transport';

const properties: INodeProperties[] = [
	{
		displayName:
			'Put this node\'s Production URL (above) into the Callback URL of Kling Avatar → Avatar Video → Create, and activate (n8n 1.x) / publish (n8n 2.x) this workflow. Kling must be able to reach n8n: n8n needs a public https address (set WEBHOOK_URL), not localhost. Keep the URL private: Kling signs nothing, so the URL is the only gate (every task is still checked with Kling).',
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
	webhookMethods = NO_REGISTRATION_WEBHOOK_METHODS;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		// The caller is not authenticated (Kling signs nothing): every answer below says nothing about
		// the task (the same body whether it exists, runs or ended); the reasons go to n8n's log.
		const hint = klingCallbackHint(this.getBodyData());
		if (!hint) {
			this.logger.warn('Kling Avatar Trigger: a POST without a usable task_id (or task_info.external_task_id) was refused');
			return answer(this, 400, { error: 'invalid callback' });
		}
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
				this.logger.warn(`Kling Avatar Trigger: a callback names task ${hint.id}, which Kling does not know for this credential; nothing emitted`);
				return answer(this, 200, RECEIVED);
			}
			this.logger.warn(`Kling Avatar Trigger: could not confirm task ${hint.id}: ${(error as Error).message}; answered 502 so that it is sent again`);
			return answer(this, 502, TRY_AGAIN);
		}
		const task = normalizeKlingTask(raw ?? {});
		// The answer must be about the task the callback named: its task ID, or, when only an external
		// ID was given (the query path takes both kinds), that external ID.
		const sameTask = hint.taskId ? task.taskId === hint.taskId : task.externalTaskId === hint.externalTaskId;
		if (!task.taskId || !sameTask) {
			this.logger.warn(`Kling Avatar Trigger: a callback names ${hint.taskId ? 'task' : 'external task ID'} ${hint.id}, but Kling answers with task ${task.taskId || '(none)'} (external ID ${task.externalTaskId ?? 'none'}); nothing emitted`);
			return answer(this, 200, RECEIVED);
		}
		const claimsEnded = hint.claimedStatus === 'succeed' || hint.claimedStatus === 'failed';
		return await emitConfirmedTask(this, task, { provider: 'Kling', fileName: `kling-avatar-${task.taskId}.mp4`, claimsEnded });
	}
}
