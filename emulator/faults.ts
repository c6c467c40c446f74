/** A fault a test queues on an emulator: it hits the next `times` requests whose route matches. */
export interface QueuedFault {
	route: string;
	/** How many matching requests it hits (default 1). */
	times?: number;
}

/** Faults consumed in order by the first matching request; shared by every provider emulator. */
export class FaultQueue<F extends QueuedFault> {
	private queue: Array<F & { left: number }> = [];

	inject(fault: F): void {
		this.queue.push({ ...fault, left: Math.max(1, Math.floor(fault.times ?? 1)) });
	}

	/** Faults not consumed yet, with what is left of `times`. */
	pending(): F[] {
		return this.queue.map(({ left, ...f }) => ({ ...f, times: left }) as unknown as F);
	}

	clear(): void {
		this.queue = [];
	}

	/** Consumes one hit of the first fault whose route the emulator's own rule accepts. */
	take(matches: (route: F['route']) => boolean): F | undefined {
		const index = this.queue.findIndex((f) => matches(f.route));
		if (index < 0) return undefined;
		const fault = this.queue[index];
		if (--fault.left <= 0) this.queue.splice(index, 1);
		return fault;
	}
}
