import type { NormalizedTask, TaskStatus } from '../../nodes/shared/task';

/** A normalized task for unit tests: the given id and status, everything else empty. */
export const task = (taskId: string, status: TaskStatus, extra: Partial<NormalizedTask> = {}): NormalizedTask => ({
	taskId,
	externalTaskId: null,
	status,
	statusMessage: null,
	videoUrl: null,
	watermarkVideoUrl: null,
	durationSeconds: null,
	unitsDeducted: null,
	createdAt: null,
	updatedAt: null,
	raw: {},
	...extra,
});
