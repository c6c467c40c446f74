import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * How the wait engine should react to a failed provider request. Transports classify;
 * the engine decides (retry, look the task up, wait for capacity, or give up).
 */
export type FailureKind =
	/** Not sent or surely not processed (HTTP 429 rate limit, 5xx on a read): try again later. */
	| 'retryable'
	/** The account's concurrency limit is reached: try again when a slot frees. */
	| 'capacity'
	/** The request may or may not have been processed (timeout, reset, 5xx on a create). */
	| 'ambiguous'
	/** The requested task does not exist. */
	| 'notFound'
	/** Anything else: bad input, auth, arrears, content policy... never retried. */
	| 'fatal';

const kinds = new WeakMap<object, FailureKind>();

/** Tags an error with the engine's failure kind. */
export function withFailureKind<E extends Error>(error: E, kind: FailureKind): E {
	kinds.set(error, kind);
	return error;
}

/** The failure kind of an error; errors nobody classified (programming errors) are fatal. */
export function failureKindOf(error: unknown): FailureKind {
	return (typeof error === 'object' && error !== null ? kinds.get(error) : undefined) ?? 'fatal';
}

/** An error raised because the execution was cancelled; never turned into an item by continueOnFail. */
export class ExecutionCancelledError extends NodeOperationError {
	constructor(node: INode) {
		super(node, 'The execution was cancelled while waiting for the provider', {
			description: 'Tasks already submitted keep running at the provider.',
		});
	}
}

export const isCancellation = (error: unknown): boolean => error instanceof ExecutionCancelledError;

/**
 * An error raised by httpRequest when no HTTP response arrived: connection refused or reset,
 * DNS, timeout, abort. With `ignoreHttpStatusErrors` every HTTP answer is returned instead.
 * The network code goes into the description: n8n rewrites any message that contains one
 * (e.g. ECONNRESET) into a generic sentence, which would lose what failed.
 */
export function transportFailure(node: INode, cause: unknown, what: string, itemIndex?: number): NodeApiError {
	const code = networkCode(cause);
	const detail = cause instanceof Error ? cause.message : String(cause ?? '');
	return new NodeApiError(node, {} as JsonObject, {
		itemIndex,
		message: `${what} failed: no answer from the server`,
		description: [code ? `Network error ${code}.` : undefined, detail && !detail.includes(what) ? `Detail: ${detail}` : undefined]
			.filter(Boolean)
			.join(' '),
	});
}

function networkCode(cause: unknown): string | undefined {
	let current: unknown = cause;
	for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}
