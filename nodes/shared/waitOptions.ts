import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PollSchedule } from './schedule';
import { DEFAULT_POLL_SCHEDULE } from './schedule';

/**
 * The "Wait for Completion / Max Wait / Download Video" fields that every provider's Create and
 * Get share, and their reader. Kept here so all nodes behave and read the same. The operation
 * adds its resource/operation display options with updateDisplayOptions (a deep merge).
 */
export function waitAndDownloadProperties(defaults: { wait: boolean; downloadNeedsWait?: boolean; callbackProvider?: string }): INodeProperties[] {
	// A Create that does not wait returns before there is a video; a Get may find one already done.
	const whenDownloading = defaults.downloadNeedsWait ?? true ? { show: { waitForCompletion: [true] } } : undefined;
	const waitField: INodeProperties = {
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: true,
		description: 'Whether to wait until the task is finished (all items are waited on together) instead of returning at once',
	};
	return [
		{ ...waitField, default: defaults.wait },
		...(defaults.callbackProvider ? [waitByField(defaults.callbackProvider)] : []),
		{
			displayName: 'Max Wait (Minutes)',
			name: 'maxWaitMinutes',
			type: 'number',
			typeOptions: { minValue: 0.1, numberPrecision: 1 },
			default: 10,
			description: defaults.callbackProvider
				? 'How long to wait for one task. Polling: when reached, the item fails with its task ID: continue with Get, or retry the execution (it follows the same tasks without paying again). Provider Callback: the execution waits at most the longest Max Wait of the batch; when reached, the items still running come out with status timedOut and their task IDs (not as errors): continue with Get.'
				: 'How long to wait for one task. When reached, the item fails with its task ID: continue with Get, or retry the execution (it follows the same tasks without paying again).',
			displayOptions: { show: { waitForCompletion: [true] } },
		},
		{
			displayName: 'Download Video',
			name: 'downloadVideo',
			type: 'boolean',
			default: true,
			description: 'Whether to download the finished video into a binary property (provider links expire after some days)',
			...(whenDownloading ? { displayOptions: whenDownloading } : {}),
		},
		{
			displayName: 'Put Video in Field',
			name: 'videoBinaryProperty',
			type: 'string',
			default: 'video',
			required: true,
			hint: 'The name of the output binary property to put the video in',
			displayOptions: { show: { downloadVideo: [true], ...(whenDownloading?.show ?? {}) } },
		},
	];
}

/**
 * How Create learns that the batch has ended (only where the provider calls back): by asking on a
 * schedule, or by parking the execution until the provider's callbacks say so (callbackWait.ts).
 */
function waitByField(provider: string): INodeProperties {
	return {
		displayName: 'Wait By',
		name: 'waitBy',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Polling',
				value: 'polling',
				description: 'The node stays running and asks for the status on a schedule',
			},
			{
				name: 'Provider Callback',
				value: 'callback',
				description: `The execution waits without holding n8n; ${provider} calls n8n back when a task changes, and the node resumes when every task has ended`,
			},
		],
		default: 'polling',
		hint: `Provider Callback: ${provider} must reach this n8n at its public URL (WEBHOOK_URL). Max Wait is the fallback: if a callback is lost, the execution resumes at Max Wait with the task IDs marked timedOut. As an AI agent's tool the node polls.`,
		displayOptions: { show: { waitForCompletion: [true] } },
	};
}

/** Polling only happens while waiting: the knobs show only with Wait for Completion on. */
const whileWaiting = { show: { '/waitForCompletion': [true] } };

/** Seconds before the first status check, unless a provider documents another pace. */
export const DEFAULT_FIRST_POLL_SECONDS = DEFAULT_POLL_SCHEDULE.minIntervalMs / 1000;

/**
 * Advanced polling knobs, placed under a node's "Options" collection. `firstPollSeconds` is the
 * provider's pace (seconds); the operation passes the same value to readWaitSettings.
 */
export function pollingOptionFieldsFor(firstPollSeconds = DEFAULT_FIRST_POLL_SECONDS): INodeProperties[] {
	return [
		{
			displayName: 'First Poll After (Seconds)',
			name: 'pollMinIntervalSeconds',
			type: 'number',
			typeOptions: { minValue: 0.1, numberPrecision: 1 },
			default: firstPollSeconds,
			description: 'Shortest time between two status checks of a task; later checks space out to 10% of the time waited',
			displayOptions: whileWaiting,
		},
		{
			displayName: 'Longest Poll Interval (Seconds)',
			name: 'pollMaxIntervalSeconds',
			type: 'number',
			typeOptions: { minValue: 0.1, numberPrecision: 1 },
			default: 30,
			description: 'Longest time between two status checks of a task',
			displayOptions: whileWaiting,
		},
	];
}

/** The polling knobs at the default pace. */
export const pollingOptionFields: INodeProperties[] = pollingOptionFieldsFor();

export interface WaitSettings {
	wait: boolean;
	/** How to wait: 'callback' only where the operation offers it (read from the first item: noDataExpression). */
	by: 'polling' | 'callback';
	maxWaitMs: number;
	download: boolean;
	videoProperty: string;
	schedule: PollSchedule;
}

export function readWaitSettings(
	ctx: IExecuteFunctions,
	itemIndex: number,
	waitDefault: boolean,
	firstPollSeconds = DEFAULT_FIRST_POLL_SECONDS,
): WaitSettings {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as {
		pollMinIntervalSeconds?: number;
		pollMaxIntervalSeconds?: number;
	};
	const minIntervalMs = Math.max(100, (options.pollMinIntervalSeconds ?? firstPollSeconds) * 1000);
	const maxIntervalMs = Math.max(minIntervalMs, (options.pollMaxIntervalSeconds ?? DEFAULT_POLL_SCHEDULE.maxIntervalMs / 1000) * 1000);
	const download = ctx.getNodeParameter('downloadVideo', itemIndex, true) as boolean;
	return {
		wait: ctx.getNodeParameter('waitForCompletion', itemIndex, waitDefault) as boolean,
		by: ctx.getNodeParameter('waitBy', 0, 'polling') === 'callback' ? 'callback' : 'polling',
		maxWaitMs: Math.max(1, (ctx.getNodeParameter('maxWaitMinutes', itemIndex, 10) as number) * 60_000),
		download,
		// The field's name is read by the operation that downloads, through the typed reader (taskOperation.ts).
		videoProperty: 'video',
		schedule: { ...DEFAULT_POLL_SCHEDULE, minIntervalMs, maxIntervalMs },
	};
}

/** What follows the task ID field in every provider's Get: Wait (off), Download, polling Options. */
export function taskFollowUpProperties(firstPollSeconds = DEFAULT_FIRST_POLL_SECONDS): INodeProperties[] {
	return [
		...waitAndDownloadProperties({ wait: false, downloadNeedsWait: false }),
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: pollingOptionFieldsFor(firstPollSeconds),
		},
	];
}
