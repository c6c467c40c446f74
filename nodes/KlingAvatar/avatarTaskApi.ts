import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { withFailureKind } from '../shared/errors';
import type { JsonBodyValue } from '../shared/jsonBody';
import { streamedJsonBody } from '../shared/jsonBody';
import type { MediaRef } from '../shared/mediaInput';
import { describeMediaRef, mediaRefToText } from '../shared/mediaInput';
import type { TaskApi } from '../shared/taskEngine';
import { normalizeKlingTask } from './normalize';
import { klingHost, klingRequest, refusalOf, saysNoSuchTask } from './transport';

export const AVATAR_PATH = '/v1/videos/avatar/image2video';

export type AudioRef = MediaRef | { kind: 'audioId'; id: string };

export interface AvatarCreateRequest {
	image: MediaRef;
	audio: AudioRef;
	prompt: string;
	mode: 'std' | 'pro';
	watermark?: boolean;
	callbackUrl?: string;
}

/**
 * CometAPI documents its task query for other Kling actions but not for avatar (provider-apis.md
 * §6.2, [?]). When it does not serve the path — HTTP 404 without a Kling code, or a page that is
 * not JSON (its docs say a wrong path may redirect to HTML) — the task cannot be followed there:
 * the error is fatal, so the engine neither polls the 404 again nor reads it as "no such task"
 * (which could send a create again). A Kling code relayed by CometAPI (e.g. 1203) is Kling's
 * answer and is left to the usual handling.
 */
async function unservedCometQuery(ctx: IExecuteFunctions, error: unknown, read: AvatarRead, itemIndex: number): Promise<Error | undefined> {
	const refusal = refusalOf(error);
	if (!refusal || refusal.answer.code !== undefined || !(await klingHost(ctx)).cometApi) return undefined;
	const notServed = refusal.httpStatus === 404 || (refusal.httpStatus < 300 && refusal.answer.shape === 'other');
	if (!notServed) return undefined;
	const error404 = new NodeApiError(ctx.getNode(), {}, {
		itemIndex,
		httpCode: String(refusal.httpStatus),
		message: `${read.what} failed: CometAPI does not serve Kling's avatar query path (HTTP ${refusal.httpStatus})`,
		description: `CometAPI's docs do not list GET /kling${AVATAR_PATH}/{task_id}, and it answered HTTP ${refusal.httpStatus}, so the node cannot ${read.subject} through CometAPI; it was not asked again. A task that was created keeps running: find its result in the CometAPI dashboard, or use Create without Wait for Completion and collect the video there. Kling's own API (Region Global or China) serves this path.`,
	});
	return withFailureKind(error404, 'fatal');
}

/** One read of the query path, worded for what the ID is (a task ID, or an external task ID looked up). */
interface AvatarRead {
	/** "Reading avatar task 8680…" */
	what: string;
	/** What the node could not do: "follow task 8680…" */
	subject: string;
}

/** Kling Avatar tasks for the shared engine. */
export function klingAvatarApi(ctx: IExecuteFunctions): TaskApi<AvatarCreateRequest> {
	const readTask = async (id: string, itemIndex: number, read: AvatarRead) => {
		try {
			return normalizeKlingTask(
				await klingRequest<IDataObject>(ctx, {
					method: 'GET',
					path: `${AVATAR_PATH}/${encodeURIComponent(id)}`,
					itemIndex,
					what: read.what,
				}),
			);
		} catch (error) {
			throw (await unservedCometQuery(ctx, error, read, itemIndex)) ?? error;
		}
	};
	const getTask = (id: string, itemIndex: number) => readTask(id, itemIndex, { what: `Reading avatar task ${id}`, subject: `follow task ${id}` });

	return {
		provider: 'Kling',
		async create(request, itemIndex, externalTaskId) {
			const fields: Array<[string, JsonBodyValue]> = [
				['image', { media: request.image }],
				// Optional with default std in the official doc, required by some proxies: always sent.
				['mode', { json: request.mode }],
			];
			// Always set by the engine (the user's, or one derived per item and attempt).
			if (externalTaskId) fields.push(['external_task_id', { json: externalTaskId }]);
			if (request.audio.kind === 'audioId') fields.push(['audio_id', { json: request.audio.id }]);
			else fields.push(['sound_file', { media: request.audio }]);
			if (request.prompt) fields.push(['prompt', { json: request.prompt }]);
			if (request.watermark !== undefined) fields.push(['watermark_info', { json: { enabled: request.watermark } }]);
			if (request.callbackUrl) fields.push(['callback_url', { json: request.callbackUrl }]);

			// Binary inputs are streamed into the body (Base64 chunk by chunk) instead of being
			// held as file + Base64 text + JSON text + request buffer per create in flight.
			const streamed = request.image.kind === 'binary' || request.audio.kind === 'binary';
			const body: IDataObject = {};
			if (!streamed) {
				for (const [key, value] of fields) {
					body[key] = ('json' in value ? value.json : await mediaRefToText(ctx, itemIndex, value.media)) as IDataObject[string];
				}
			}
			const data = await klingRequest<IDataObject>(ctx, {
				method: 'POST',
				path: AVATAR_PATH,
				body: streamed ? undefined : body,
				streamBody: streamed ? streamedJsonBody(ctx, itemIndex, fields) : undefined,
				itemIndex,
				what: 'Creating the avatar task',
			});
			return normalizeKlingTask(data);
		},
		async findCreated(externalTaskId, itemIndex) {
			// Kling's query path accepts the external_task_id (provider-apis.md §6.1).
			// Only Kling's own "no such task" lets the engine send the create again; any other refusal
			// (a proxy's own error, …) cannot tell, and the engine keeps the create pending.
			const read = { what: `Looking up the avatar task with external task id ${externalTaskId}`, subject: `look up external task id ${externalTaskId}` };
			return await readTask(externalTaskId, itemIndex, read).catch((error: Error) => (saysNoSuchTask(error) ? undefined : Promise.reject(error)));
		},
		// What makes the video: not the Callback URL, which often carries the execution
		// ({{ $execution.resumeUrl }}) and would make a Retry's requests look new.
		fingerprint: (request) =>
			[
				describeMediaRef(request.image),
				request.audio.kind === 'audioId' ? `id:${request.audio.id}` : describeMediaRef(request.audio),
				request.prompt,
				request.mode,
				String(request.watermark ?? ''),
			].join('\u0000'),
		get: getTask,
	};
}
