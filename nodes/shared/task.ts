import type { IDataObject } from 'n8n-workflow';

/** Provider-independent task states. Each provider maps its own vocabulary onto these. */
export type TaskStatus = 'submitted' | 'processing' | 'succeeded' | 'failed';

/** The one output shape every provider's Create / Get returns (issue: "normalized output"). */
export interface NormalizedTask extends IDataObject {
	taskId: string;
	externalTaskId: string | null;
	status: TaskStatus;
	statusMessage: string | null;
	videoUrl: string | null;
	watermarkVideoUrl: string | null;
	durationSeconds: number | null;
	unitsDeducted: string | null;
	/**
	 * What the task cost in account balance, as the provider sends it: Kling's
	 * `final_balance_deduction` (provider-apis.md §6.1); null when not sent. Kling only.
	 */
	balanceDeduction?: BalanceDeduction | null;
	/** ISO 8601 */
	createdAt: string | null;
	/** ISO 8601 */
	updatedAt: string | null;
	/** The provider's task object as received. */
	raw: IDataObject;
}

/** Kling's `final_balance_deduction: {quota, list_price}`; each value as sent (its type is not documented). */
export interface BalanceDeduction extends IDataObject {
	quota: string | number | null;
	listPrice: string | number | null;
}

export const isTerminal = (status: TaskStatus): boolean =>
	status === 'succeeded' || status === 'failed';

/** Converts a provider timestamp (ms or s since the epoch, or an ISO string) to ISO 8601. */
export function toIsoTime(value: unknown, unit: 'ms' | 's' = 'ms'): string | null {
	if (value === undefined || value === null || value === '') return null;
	if (typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value)) {
		const parsed = Date.parse(value);
		return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
	}
	const n = Number(value);
	if (!Number.isFinite(n) || n <= 0) return null;
	return new Date(unit === 'ms' ? n : n * 1000).toISOString();
}

/** Parses a duration the provider may send as a number or a numeric string ("5.04"). */
export function toSeconds(value: unknown): number | null {
	if (value === undefined || value === null || value === '') return null;
	const n = typeof value === 'number' ? value : Number(String(value).trim());
	return Number.isFinite(n) && n >= 0 ? n : null;
}
