import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import type { NormalizedTask } from './task';

/**
 * Whether the node runs as an AI Agent's tool. n8n runs a tool-enabled node under its tool variant,
 * whose type is the node's type plus "Tool" (n8n `NodeTypes.getByNameAndVersion`,
 * `convertNodeToAiTool`, 1.123.81 and 2.41.1); n8n 2.x also says so through `isToolExecution()`
 * when it calls the tool from an agent (n8n-core `SupplyDataContext`), which 1.x lacks.
 */
export function runsAsTool(ctx: IExecuteFunctions): boolean {
	if (ctx.getNode().type.endsWith('Tool')) return true;
	return typeof ctx.isToolExecution === 'function' && ctx.isToolExecution();
}

/**
 * What an agent gets back for a task: the fields it can act on (the video's URL, the task ID to
 * ask about later, the status and the provider's reason), without the provider's raw object.
 */
export function taskForAgent(task: NormalizedTask): IDataObject {
	return {
		taskId: task.taskId,
		externalTaskId: task.externalTaskId,
		status: task.status,
		statusMessage: task.statusMessage,
		videoUrl: task.videoUrl,
		watermarkVideoUrl: task.watermarkVideoUrl,
		durationSeconds: task.durationSeconds,
		createdAt: task.createdAt,
		...(task.status === 'succeeded' || task.status === 'failed'
			? {}
			: { next: 'The task is still running: call this tool again later with the Get operation and this taskId.' }),
	};
}
