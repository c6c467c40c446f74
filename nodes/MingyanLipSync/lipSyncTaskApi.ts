import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { withFailureKind } from '../shared/errors';
import type { TaskApi } from '../shared/taskEngine';
import { normalizeMingyanTask, unwrapMingyan } from './normalize';
import { mingyanErrorText, mingyanRequest } from './transport';

export const CREATE_PATH = '/v1/digitalHuman/videos';
export const RESULT_PATH = '/v1/result';
export const DEFAULT_MODEL = 'kyy_digitalHuman';

export interface LipSyncCreateRequest {
	/** Validated, percent-encoded network URLs. */
	videoUrl: string;
	audioUrl: string;
	model: string;
	modelVersion: 1 | 2;
	sideFace: boolean;
	tiltedFace: boolean;
}

/** The JSON body of POST /v1/digitalHuman/videos. Face options are sent only when turned on (the doc: omitting them is usually best). */
export function createBody(request: LipSyncCreateRequest): IDataObject {
	const body: IDataObject = {
		model: request.model,
		audioUrl: request.audioUrl,
		videoUrl: request.videoUrl,
		modelVersion: request.modelVersion,
	};
	if (request.sideFace) body.sideFace = 1;
	if (request.tiltedFace) body.tiltedFace = 1;
	return body;
}

/**
 * Mingyan lip-sync tasks for the shared engine. There is no client idempotency key (and no
 * list endpoint), so `findCreated` is left out: the engine never repeats an ambiguous create.
 */
export function mingyanLipSyncApi(ctx: IExecuteFunctions): TaskApi<LipSyncCreateRequest> {
	return {
		provider: 'Mingyan',
		async create(request, itemIndex) {
			const body = await mingyanRequest(ctx, {
				method: 'POST',
				path: CREATE_PATH,
				body: createBody(request),
				itemIndex,
				what: 'Creating the lip-sync task',
			});
			const task = normalizeMingyanTask(body);
			if (!task.taskId) {
				// A 2xx without a task ID: refused in the body, or accepted in a shape we cannot read.
				const message = mingyanErrorText(body);
				const error = new NodeApiError(ctx.getNode(), unwrapMingyan(body) as JsonObject, {
					itemIndex,
					message: `Creating the lip-sync task failed: Mingyan answered without a task ID${message ? ` – ${message}` : ''}`,
					description: message
						? 'Mingyan refused the request.'
						: 'The task may or may not have been created; check the Mingyan dashboard before running this item again.',
				});
				throw withFailureKind(error, message ? 'fatal' : 'ambiguous');
			}
			return task;
		},
		async get(taskId, itemIndex) {
			const body = await mingyanRequest(ctx, {
				method: 'GET',
				path: `${RESULT_PATH}/${encodeURIComponent(taskId)}`,
				itemIndex,
				what: `Reading lip-sync task ${taskId}`,
			});
			const task = normalizeMingyanTask(body);
			// Some answers omit the id: keep the one we asked for.
			return task.taskId ? task : { ...task, taskId };
		},
	};
}
