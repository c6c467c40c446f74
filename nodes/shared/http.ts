import type { IAdditionalCredentialOptions, IHttpRequestOptions } from 'n8n-workflow';
import type { RequestContext } from './cancellation';
import { cancelSignalOf, throwIfCancelled } from './cancellation';
import { transportFailure, withFailureKind } from './errors';

export interface ProviderResponse {
	statusCode: number;
	headers: Record<string, unknown>;
	body: unknown;
}

/** Reads are quick; creates may carry Base64 media of tens of MB. */
const READ_TIMEOUT_MS = 60_000;
const WRITE_TIMEOUT_MS = 180_000;

/**
 * One authenticated JSON request that returns every HTTP answer (the provider's transport maps
 * status and body codes to failure kinds). A request that got no answer at all (refused,
 * reset, timeout) throws a NodeApiError tagged for the engine: a read may simply be repeated,
 * a write may or may not have been processed ("ambiguous").
 */
export async function sendProviderRequest(
	ctx: RequestContext,
	credentialType: string,
	request: IHttpRequestOptions & { what: string; itemIndex: number },
	credentialOptions?: IAdditionalCredentialOptions,
): Promise<ProviderResponse> {
	const { what, itemIndex, ...options } = request;
	const method = options.method ?? 'GET';
	try {
		return (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			credentialType,
			{
				json: true,
				timeout: method === 'GET' ? READ_TIMEOUT_MS : WRITE_TIMEOUT_MS,
				// Stop / an execution timeout aborts the request; an upload not yet complete never lands.
				abortSignal: cancelSignalOf(ctx),
				...options,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
			},
			credentialOptions,
		)) as ProviderResponse;
	} catch (error) {
		throwIfCancelled(ctx);
		return await Promise.reject(
			withFailureKind(transportFailure(ctx.getNode(), error, what, itemIndex), method === 'GET' ? 'retryable' : 'ambiguous'),
		);
	}
}
