import {
	CAPACITY_RETRY_POLICY,
	DEFAULT_POLL_SCHEDULE,
	DEFAULT_RETRY_POLICY,
	nextPollDelayMs,
	pollTimeline,
	retryDelayMs,
} from '../../nodes/shared/schedule';

/** Worst-case detection lag: the task ends just after a poll, so it is seen at the next one. */
function worstLagMs(taskMs: number): number {
	const times = pollTimeline(taskMs * 2);
	const next = times.find((t) => t >= taskMs) as number;
	const previous = [...times].reverse().find((t) => t < taskMs) ?? 0;
	return Math.max(next - taskMs, next - previous);
}

describe('poll schedule', () => {
	it('starts at the minimum interval and never exceeds the maximum', () => {
		expect(nextPollDelayMs(0)).toBe(DEFAULT_POLL_SCHEDULE.minIntervalMs);
		expect(nextPollDelayMs(19_000)).toBe(2_000);
		expect(nextPollDelayMs(100_000)).toBe(10_000);
		expect(nextPollDelayMs(10 * 3600_000)).toBe(DEFAULT_POLL_SCHEDULE.maxIntervalMs);
	});

	it.each([10_000, 20_000, 60_000, 600_000])('keeps the lag within max(2 s, 10%% of T) for T = %d ms', (taskMs) => {
		expect(worstLagMs(taskMs)).toBeLessThanOrEqual(Math.max(2_000, taskMs * 0.1) + 1);
	});

	it('needs at most 50 status requests for a 10-minute task (a fixed 5 s interval needs 120)', () => {
		const polls = pollTimeline(600_000);
		expect(polls.length).toBeLessThanOrEqual(50);
		expect(polls.length).toBeGreaterThan(30);
	});

	it('scales with a faster schedule', () => {
		const fast = { minIntervalMs: 100, maxIntervalMs: 1_500, growth: 0.1 };
		expect(pollTimeline(30_000, fast).length).toBe(pollTimeline(600_000).length);
	});
});

describe('retry backoff', () => {
	it('grows exponentially up to the cap, with jitter in [half, full]', () => {
		expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, () => 0)).toBe(500);
		expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, () => 1)).toBe(1_000);
		expect(retryDelayMs(3, DEFAULT_RETRY_POLICY, () => 1)).toBe(4_000);
		expect(retryDelayMs(20, DEFAULT_RETRY_POLICY, () => 1)).toBe(DEFAULT_RETRY_POLICY.maxMs);
		expect(retryDelayMs(20, CAPACITY_RETRY_POLICY, () => 0)).toBe(CAPACITY_RETRY_POLICY.maxMs / 2);
	});

	it('spreads simultaneous retries apart', () => {
		const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs(4)));
		expect(delays.size).toBeGreaterThan(5);
	});
});
