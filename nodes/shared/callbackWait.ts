import type { IDataObject, INodeExecutionData, IWebhookDescription } from 'n8n-workflow';
import type { NormalizedTask } from './task';
import { isTerminal } from './task';

/**
 * "Wait for Completion → By Provider Callback": the provider-free rules (pure, no n8n calls, no
 * clock of its own; unit-tested in test/unit/callbackWait.test.ts). How n8n parks and resumes an
 * execution, and why these rules, is in notes/issue14-research.md ("research §…" below; measured in
 * n8n 1.123.81 and 2.41.1):
 *
 * - Create submits the batch, checks every task once, and when some still run it parks the
 *   execution (`putExecutionToWait(now + Max Wait)`). Nothing of the node runs while it waits.
 * - Each provider callback calls the node's `webhook()` (n8n's `/webhook-waiting/<execution>/<node id>`).
 *   A call that returns no `workflowData` leaves the execution waiting and saves nothing, so
 *   progress is never kept in n8n: each call re-reads the tasks at the provider (`confirmRound`).
 *   The callback's body is only a hint of which task changed.
 * - When every task has ended, one call resumes the execution with the final items. A wake-up at
 *   Max Wait runs no node code at all: n8n passes on what Create left on its stack entry, the
 *   timed-out items (`roundItems`).
 */

/**
 * The node's resume webhook: never registered as a live or test webhook (`restartWebhook`), only
 * served while an execution waits on this node. `responseData: ''` makes n8n answer a plain call
 * with our `webhookResponse` instead of the literal text "firstEntryJson".
 */
export const CALLBACK_WEBHOOKS: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		responseData: '',
		path: '={{ $nodeId }}',
		restartWebhook: true,
		isFullPath: true,
	},
];

/** Shown in the editor on a node that waits. */
export const CALLBACK_WAITING_TOOLTIP = '=Waiting for provider callbacks (resumes when every task has ended, at the latest after Max Wait)';

/**
 * The URL the provider calls back: the execution's resume URL plus `/<node id>`, in the path.
 * n8n 2.x appends `?signature=<token>` to the resume URL and refuses a call without it (401), so
 * the query is kept as is; n8n 1.x has none. (`${resumeUrl}/${nodeId}` would put the id after the
 * query, which only 2.x parses back out.)
 */
export function callbackUrlFor(resumeUrl: string, nodeId: string): string {
	const url = new URL(resumeUrl);
	url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(nodeId)}`;
	return url.toString();
}

/**
 * Why a provider on the internet cannot reach this URL, when it obviously cannot: a loopback,
 * private or link-local host (n8n's WEBHOOK_URL not set to a public address). '' otherwise.
 */
export function unreachableReason(url: string): string {
	let host: string;
	try {
		host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
	} catch {
		return 'it is not a valid URL';
	}
	if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0' || host === 'host.docker.internal') return `its host ${host} is this machine`;
	if (host.endsWith('.local') || host.endsWith('.internal') || host.endsWith('.lan') || host.endsWith('.home.arpa')) return `its host ${host} is a local network name`;
	const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
	if (v4) {
		const [a, b] = [Number(v4[1]), Number(v4[2])];
		if (a === 127) return `its host ${host} is this machine`;
		if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return `its host ${host} is a private address`;
		if (a === 169 && b === 254) return `its host ${host} is a link-local address`;
		if (a === 100 && b >= 64 && b <= 127) return `its host ${host} is a shared (carrier-grade NAT) address`;
	}
	if (/^(fc|fd)[0-9a-f]{2}:/.test(host) || /^fe80:/.test(host)) return `its host ${host} is a private address`;
	return '';
}

// ─────────────────────────────── the round ───────────────────────────────

/** One task the round waits on, with what its final item needs (read per item at submit time). */
export interface RoundTask extends IDataObject {
	itemIndex: number;
	taskId: string;
	externalTaskId: string | null;
	/** Download the video into binary property `videoProperty`. */
	download: boolean;
	videoProperty: string;
}

/**
 * What Create leaves in the node's execution context for its callbacks (saved with the waiting
 * execution; the webhook reads it through an expression). Immutable while the execution waits.
 */
export interface CallbackRound extends IDataObject {
	version: 1;
	provider: string;
	/** The node's run index as text (a loop's round). */
	run: string;
	/** The execution that parked (with `run`: which call of execute() wrote the round). */
	executionId?: string;
	/**
	 * What that call returned (the items shown while the execution waits): returned again, as is,
	 * when n8n calls execute() once more in the same run (parkedAlready).
	 */
	waiting?: INodeExecutionData[];
	/** ISO 8601 */
	waitingSince: string;
	/** ISO 8601: when n8n wakes the execution without callbacks. */
	maxWaitUntil: string;
	tasks: RoundTask[];
}

export const ROUND_CONTEXT_KEY = 'callbackWait';

/** The round stored in a context, if it is one this code wrote (plain JSON; anything else is ignored). */
export function readRound(value: unknown): CallbackRound | undefined {
	if (!value || typeof value !== 'object') return undefined;
	const round = value as Partial<CallbackRound>;
	if (round.version !== 1 || !Array.isArray(round.tasks) || typeof round.provider !== 'string') return undefined;
	const valid = round.tasks.every((t) => t && typeof t.taskId === 'string' && t.taskId !== '' && Number.isInteger(t.itemIndex));
	return valid ? (round as CallbackRound) : undefined;
}

/**
 * The round this very call of the node parked already, when n8n runs execute() again in the same
 * execution and run: Retry On Fail re-runs a node whose first output item is an error item (Continue
 * On Fail) at once, also one that has just parked (n8n-core workflow-execute.js, 1.123 and 2.41:
 * `while (nodeFailed && tryIndex !== maxTries - 1) runNode(...)`), with its input already replaced
 * by the timed-out items. Such a call must send and read nothing: it returns what the parking call
 * returned. Nothing else runs execute() twice in one execution and run (a resume runs no node code,
 * a loop gets a new run index, an Executions-list Retry is a new execution).
 */
export function parkedAlready(round: CallbackRound | undefined, executionId: string | undefined, run: string): CallbackRound | undefined {
	if (!round || !executionId || round.executionId !== executionId || round.run !== run || !Array.isArray(round.waiting)) return undefined;
	return round;
}

/**
 * The expression that reads a node's round in its webhook: the node's name quoted, with its braces
 * escaped (a name holding `}}` would otherwise end the expression early).
 */
export function roundExpression(nodeName: string): string {
	const quoted = JSON.stringify(nodeName).replace(/\{/g, '\\u007b').replace(/\}/g, '\\u007d');
	return `{{ $(${quoted}).context.${ROUND_CONTEXT_KEY} }}`;
}

/** What Create knows of one input item when it starts waiting. */
export type RoundEntry =
	/** Its output is already known (an error item, or a task not waited on): the same in every outcome. */
	| { itemIndex: number; final: INodeExecutionData }
	/** Its task is waited on; `task` is its state at the check before waiting. */
	| { itemIndex: number; task: NormalizedTask };

/**
 * The items Create returns while the execution waits (`waiting`) and the ones it leaves on its
 * stack entry (`onTimeout`): what the node outputs when n8n wakes it at Max Wait, without running
 * any of its code. Both have one item per input item, in input order, with pairedItem.
 */
export function roundItems(
	entries: RoundEntry[],
	round: Pick<CallbackRound, 'provider' | 'maxWaitUntil'>,
	getOperation: string,
	/** Why callbacks may never come (unreachableReason), shown on the waited items. */
	warning?: string,
): { waiting: INodeExecutionData[]; onTimeout: INodeExecutionData[] } {
	const warned = warning ? { warning } : {};
	const sorted = [...entries].sort((a, b) => a.itemIndex - b.itemIndex);
	const waiting: INodeExecutionData[] = [];
	const onTimeout: INodeExecutionData[] = [];
	for (const entry of sorted) {
		const pairedItem = { item: entry.itemIndex };
		if ('final' in entry) {
			waiting.push(entry.final);
			onTimeout.push(entry.final);
			continue;
		}
		const { task } = entry;
		const ids = { taskId: task.taskId, externalTaskId: task.externalTaskId };
		waiting.push({
			json: { ...ids, status: 'waiting', lastKnownStatus: task.status, waitBy: 'callback', provider: round.provider, maxWaitUntil: round.maxWaitUntil, ...warned },
			pairedItem,
		});
		onTimeout.push({
			json: {
				...ids,
				status: 'timedOut',
				lastKnownStatus: task.status,
				provider: round.provider,
				message: `Max Wait was reached before ${round.provider} reported that every task of the batch had ended (this one was ${task.status} when the wait began)`,
				next: `Use ${getOperation} with Task ID ${task.taskId} to read its state and download the video; the task keeps running at ${round.provider}.`,
				...warned,
			},
			pairedItem,
		});
	}
	return { waiting, onTimeout };
}

// ─────────────────────────────── a callback ───────────────────────────────

/** What a callback's body says, as far as the provider's format tells. Never trusted as a result. */
export interface CallbackHint {
	/** The task the call is about, when the body names one. */
	taskId?: string;
	/** Whether the body reports an end state; undefined when it does not say. */
	terminal?: boolean;
}

/**
 * Which tasks to read, in order: the calling task first, then the others in item order, skipping
 * those already seen ended (`ended`; a repeated callback of an ended task reads nothing for it). Reading stops at the first task still running, so a callback
 * costs about two reads (its own task, and the first unfinished one) and only the last one reads
 * every task not seen ended yet.
 */
export function checkOrder(round: CallbackRound, hint: CallbackHint, ended: ReadonlySet<string>): string[] {
	const order: string[] = [];
	const ids = round.tasks.map((t) => t.taskId);
	if (hint.taskId !== undefined && ids.includes(hint.taskId)) order.push(hint.taskId);
	for (const id of ids) if (!order.includes(id)) order.push(id);
	return order.filter((id) => !ended.has(id));
}

/** What to do with a callback. */
export type CallbackVerdict =
	/** Keep waiting: answer 200, or 503 when a read failed (`readFailed`: the provider should send the callback again). */
	| { resume: false; reason: string; reads: number; newlyEnded: Array<[string, NormalizedTask]>; readFailed?: boolean }
	/** Every task has ended: resume with these tasks (by task id). */
	| { resume: true; tasks: Map<string, NormalizedTask>; reads: number; newlyEnded: Array<[string, NormalizedTask]> };

/**
 * Decides one callback. `read` asks the provider for a task's state (it may throw: the call then
 * keeps waiting, a later callback or Max Wait decides). `ended` holds tasks already seen ended by an
 * earlier callback in this process (see EndedTasks); they are not read again.
 *
 * - A body naming a task outside the round: a foreign or stale call, nothing is read.
 * - A body that reports its task still running: nothing is read (only an end can finish the round).
 * - Otherwise the calling task, then every task not seen ended, stopping at the first one running.
 */
export async function confirmRound(
	round: CallbackRound,
	hint: CallbackHint,
	ended: ReadonlyMap<string, NormalizedTask>,
	read: (taskId: string) => Promise<NormalizedTask>,
): Promise<CallbackVerdict> {
	if (hint.taskId !== undefined && !round.tasks.some((t) => t.taskId === hint.taskId)) {
		return { resume: false, reason: `task ${hint.taskId} is not one this execution waits on`, reads: 0, newlyEnded: [] };
	}
	if (hint.terminal === false) return { resume: false, reason: `task ${hint.taskId ?? '?'} reports a running state`, reads: 0, newlyEnded: [] };
	const known = new Map(ended);
	const newlyEnded: Array<[string, NormalizedTask]> = [];
	let reads = 0;
	for (const taskId of checkOrder(round, hint, new Set(known.keys()))) {
		let task: NormalizedTask;
		try {
			reads++;
			task = await read(taskId);
		} catch (error) {
			return { resume: false, reason: `reading task ${taskId} failed: ${(error as Error).message}`, reads, newlyEnded, readFailed: true };
		}
		if (!isTerminal(task.status)) return { resume: false, reason: `task ${taskId} is ${task.status}`, reads, newlyEnded };
		// Filed under the id it was asked by (a provider may answer with another form of it).
		known.set(taskId, task);
		newlyEnded.push([taskId, task]);
	}
	const tasks = new Map<string, NormalizedTask>();
	for (const t of round.tasks) tasks.set(t.taskId, known.get(t.taskId) as NormalizedTask);
	return { resume: true, tasks, reads, newlyEnded };
}

// ─────────────────────────── in-process memory ───────────────────────────

/**
 * Tasks seen ended, per waiting round, in this n8n process: an ended task stays ended, so a later
 * callback of the same round need not read it again. Lost on restart and not shared between n8n
 * processes (nothing a waiting webhook writes is saved, research §2.2): that only costs reads.
 * Bounded: the oldest rounds are dropped.
 */
export class EndedTasks {
	private readonly rounds = new Map<string, Map<string, NormalizedTask>>();

	constructor(private readonly maxRounds = 200) {}

	of(roundKey: string): ReadonlyMap<string, NormalizedTask> {
		return this.rounds.get(roundKey) ?? new Map();
	}

	/** Remembers ended tasks under the ids they were read by (others are ignored). */
	remember(roundKey: string, tasks: Iterable<[string, NormalizedTask]>): void {
		let round = this.rounds.get(roundKey);
		if (!round) {
			round = new Map();
			this.rounds.set(roundKey, round);
			while (this.rounds.size > this.maxRounds) this.rounds.delete(this.rounds.keys().next().value as string);
		}
		for (const [taskId, task] of tasks) if (isTerminal(task.status)) round.set(taskId, task);
	}

	forget(roundKey: string): void {
		this.rounds.delete(roundKey);
	}
}

/**
 * The guard against resuming one waiting round twice from this process. n8n 1.x resumes an
 * execution for every call that returns workflowData, even two at the same moment (research §4;
 * 2.x refuses the second with HTTP 500): when the last two tasks end together, both callbacks see
 * "all ended". The first `take` wins; later ones within `ttlMs` lose. Two n8n processes, or a
 * callback racing the Max Wait wake-up, are beyond it (README, limits).
 */
export class ResumeGuard {
	private readonly taken = new Map<string, number>();

	constructor(
		private readonly ttlMs = 60 * 60_000,
		private readonly maxEntries = 1000,
	) {}

	take(roundKey: string, now: number): boolean {
		for (const [key, at] of this.taken) if (now - at > this.ttlMs) this.taken.delete(key);
		const at = this.taken.get(roundKey);
		if (at !== undefined) return false;
		this.taken.set(roundKey, now);
		while (this.taken.size > this.maxEntries) this.taken.delete(this.taken.keys().next().value as string);
		return true;
	}

	/** Gives the round back (the resume could not be prepared), so a later callback may try. */
	release(roundKey: string): void {
		this.taken.delete(roundKey);
	}
}

/** The key of one waiting round: the execution, the node and its run (a loop waits once per round). */
export function roundKeyOf(executionId: string, nodeId: string, run: string): string {
	return `${executionId}\u0000${nodeId}\u0000${run}`;
}
