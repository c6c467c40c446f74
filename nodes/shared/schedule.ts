/**
 * Timing policy for waiting on provider tasks, in one place.
 * Pure functions: the wait engine asks them when to look again.
 */

export interface PollSchedule {
	/** First poll and the shortest interval. */
	minIntervalMs: number;
	/** Longest interval between two polls of one task. */
	maxIntervalMs: number;
	/**
	 * Interval as a share of the time already waited. 0.1 keeps the detection lag within
	 * 10 % of the task's run time while a 10-minute task needs fewer than 50 polls
	 * (a fixed 5 s interval would need 120).
	 */
	growth: number;
}

export const DEFAULT_POLL_SCHEDULE: PollSchedule = {
	minIntervalMs: 2_000,
	maxIntervalMs: 30_000,
	growth: 0.1,
};

/** Delay before the next status request of a task that has been waited on for `elapsedMs`. */
export function nextPollDelayMs(elapsedMs: number, schedule: PollSchedule = DEFAULT_POLL_SCHEDULE): number {
	const proportional = Math.max(0, elapsedMs) * schedule.growth;
	return Math.round(Math.min(schedule.maxIntervalMs, Math.max(schedule.minIntervalMs, proportional)));
}

/** Poll times (ms after submission) the schedule produces until `untilMs`; used by tests and docs. */
export function pollTimeline(untilMs: number, schedule: PollSchedule = DEFAULT_POLL_SCHEDULE): number[] {
	const times: number[] = [];
	let t = 0;
	while (t < untilMs) {
		t += nextPollDelayMs(t, schedule);
		times.push(t);
	}
	return times;
}

export interface RetryPolicy {
	baseMs: number;
	maxMs: number;
}

/** Backoff for failed requests (network errors, 429, 5xx): exponential, capped. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1_000, maxMs: 30_000 };

/** Backoff for creates refused because the account's concurrency limit is reached. */
export const CAPACITY_RETRY_POLICY: RetryPolicy = { baseMs: 1_000, maxMs: 8_000 };

/**
 * Delay before retry number `attempt` (1 = first retry), with "equal jitter": half fixed, half
 * random, so many items retrying together spread out but none retries immediately.
 */
export function retryDelayMs(
	attempt: number,
	policy: RetryPolicy = DEFAULT_RETRY_POLICY,
	random: () => number = Math.random,
): number {
	const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(exp / 2 + (random() * exp) / 2);
}
