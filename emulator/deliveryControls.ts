/**
 * Test controls for push deliveries (Kling callbacks, Akool webhooks): what a real provider and
 * network may do to them. Shared by the provider emulators. Dev-only code.
 *
 * - `lose`: the delivery is never sent (recorded with `control: 'lost'`);
 * - `duplicate`: sent, then the same body again `copies` times (default 1) right after;
 * - `delay`: sent `delayMs` later (default 1000), outside the task's in-order chain, so later
 *   status changes can overtake it (a late delivery);
 * - `reorder`: held back and sent right after the task's next delivery (e.g. `processing` arrives
 *   after `succeed`). A held delivery with no later one (the terminal status) is sent as usual.
 *
 * A control matches one task (`task`: its task ID, or for Kling its external task ID too) or every
 * task (omitted), one status or every status, for `times` deliveries (default: every one). The
 * first control that matches a delivery decides what happens to it.
 */
export type DeliveryAction = 'lose' | 'duplicate' | 'delay' | 'reorder';

export interface DeliveryControl<S> {
	action: DeliveryAction;
	/** A task ID (Kling: task_id or external_task_id; Akool: the video `_id`); omitted = every task. */
	task?: string;
	/** Only deliveries of this status; omitted = every status. */
	status?: S;
	/** `duplicate`: how many extra copies (default 1). */
	copies?: number;
	/** `delay`: how much later (default 1000 ms). */
	delayMs?: number;
	/** How many matching deliveries it hits (default: all of them). */
	times?: number;
}

/** What happened to a recorded delivery because of a control or a helper (absent: sent as usual). */
export type DeliveryMark = 'lost' | 'duplicate' | 'delayed' | 'reordered';

export class DeliveryControls<S> {
	private rules: Array<DeliveryControl<S> & { left: number }> = [];

	add(control: DeliveryControl<S>): void {
		const left = control.times === undefined ? Infinity : Math.max(1, Math.floor(control.times));
		this.rules.push({ ...control, left });
	}

	/** Controls still active, with what is left of `times` (undefined: unlimited). */
	pending(): Array<DeliveryControl<S>> {
		return this.rules.map(({ left, ...rule }) => ({ ...rule, times: Number.isFinite(left) ? left : undefined }));
	}

	clear(): void {
		this.rules = [];
	}

	/** The first control matching a delivery of `status` for a task known by `ids`; consumes one hit. */
	take(ids: ReadonlyArray<string | null>, status: S): DeliveryControl<S> | undefined {
		const index = this.rules.findIndex((r) => (r.task === undefined || ids.includes(r.task)) && (r.status === undefined || r.status === status));
		if (index < 0) return undefined;
		const rule = this.rules[index];
		if (--rule.left <= 0) this.rules.splice(index, 1);
		const { left: _left, ...control } = rule;
		return control;
	}
}
