import type { INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';
import { akoolWaitHint } from '../../nodes/Akool/callback';
import { klingWaitHint } from '../../nodes/KlingAvatar/callback';
import type { CallbackProvider } from '../../nodes/shared/callbackOperation';
import { callbackWebhook } from '../../nodes/shared/callbackOperation';
import type { CallbackHint, CallbackRound } from '../../nodes/shared/callbackWait';
import { withFailureKind } from '../../nodes/shared/errors';
import { waitAndDownloadProperties } from '../../nodes/shared/waitOptions';
import {
	CALLBACK_WEBHOOKS,
	EndedTasks,
	ResumeGuard,
	callbackUrlFor,
	checkOrder,
	confirmRound,
	readRound,
	roundItems,
	roundKeyOf,
	unreachableReason,
} from '../../nodes/shared/callbackWait';
import type { NormalizedTask, TaskStatus } from '../../nodes/shared/task';
import { akoolEncrypt, akoolSign } from '../../emulator/akoolCrypto';
import { task } from './fakeTask';

const round = (ids: string[]): CallbackRound => ({
	version: 1,
	provider: 'Kling',
	run: '0',
	waitingSince: '2026-11-29T10:00:00.000Z',
	maxWaitUntil: '2026-11-29T10:10:00.000Z',
	tasks: ids.map((taskId, itemIndex) => ({ itemIndex, taskId, externalTaskId: `ext-${itemIndex}`, download: true, videoProperty: 'video' })),
});

/** A provider whose tasks have the given states; counts reads. */
function provider(states: Record<string, TaskStatus | Error>) {
	const reads: string[] = [];
	const read = async (id: string): Promise<NormalizedTask> => {
		reads.push(id);
		const s = states[id];
		if (s instanceof Error) throw s;
		if (!s) throw new Error(`no task ${id}`);
		return task(id, s);
	};
	return { reads, read };
}

describe('callbackUrlFor', () => {
	it('puts the node id in the path on n8n 1.x (no query)', () => {
		expect(callbackUrlFor('https://n8n.example.com/webhook-waiting/42', 'node-1')).toBe('https://n8n.example.com/webhook-waiting/42/node-1');
	});

	it('keeps n8n 2.x\'s ?signature query after the node id, where n8n needs both', () => {
		const token = 'a'.repeat(64);
		expect(callbackUrlFor(`http://127.0.0.1:5678/webhook-waiting/7?signature=${token}`, '3f2c-uuid')).toBe(
			`http://127.0.0.1:5678/webhook-waiting/7/3f2c-uuid?signature=${token}`,
		);
	});

	it('keeps a base path and drops a trailing slash before the id', () => {
		expect(callbackUrlFor('https://example.com/n8n/webhook-waiting/9/', 'x')).toBe('https://example.com/n8n/webhook-waiting/9/x');
	});
});

describe('unreachableReason', () => {
	it.each([
		['http://localhost:5678/webhook-waiting/1/n', 'this machine'],
		['http://127.0.0.1:5678/webhook-waiting/1/n', 'this machine'],
		['http://[::1]:5678/webhook-waiting/1/n', 'this machine'],
		['http://10.1.2.3/webhook-waiting/1/n', 'private'],
		['http://172.20.0.5/webhook-waiting/1/n', 'private'],
		['http://192.168.1.10/webhook-waiting/1/n', 'private'],
		['http://169.254.1.1/webhook-waiting/1/n', 'link-local'],
		['http://100.64.0.7/webhook-waiting/1/n', 'shared (carrier-grade NAT)'],
		['http://100.127.255.1/webhook-waiting/1/n', 'shared (carrier-grade NAT)'],
		['http://n8n.local:5678/webhook-waiting/1/n', 'local network name'],
		['http://host.docker.internal:5678/webhook-waiting/1/n', 'this machine'],
	])('names %s as unreachable (%s)', (url, words) => {
		expect(unreachableReason(url)).toContain(words);
	});

	it.each(['https://n8n.example.com/webhook-waiting/1/n', 'http://172.32.0.1/x', 'http://8.8.8.8/x', 'http://100.128.0.1/x', 'http://100.63.255.255/x', 'https://local.example.com/x'])('has nothing against %s', (url) => {
		expect(unreachableReason(url)).toBe('');
	});
});

describe('CALLBACK_WEBHOOKS', () => {
	it('is one restart webhook on the node id that answers with our response, not "firstEntryJson"', () => {
		expect(CALLBACK_WEBHOOKS).toEqual([
			expect.objectContaining({ httpMethod: 'POST', path: '={{ $nodeId }}', restartWebhook: true, responseMode: 'onReceived', responseData: '' }),
		]);
	});
});

describe('readRound', () => {
	it('takes a round this code wrote, also after a JSON round trip', () => {
		const r = round(['a', 'b']);
		expect(readRound(JSON.parse(JSON.stringify(r)))).toEqual(r);
	});

	it.each([undefined, null, 'text', {}, { version: 2, provider: 'K', tasks: [] }, { version: 1, provider: 'K', tasks: [{ itemIndex: 0, taskId: '' }] }])(
		'ignores %p',
		(value) => {
			expect(readRound(value)).toBeUndefined();
		},
	);
});

describe('roundItems', () => {
	const error: INodeExecutionData = { json: { error: { message: 'bad input' } }, pairedItem: { item: 1 } };
	const entries = [
		{ itemIndex: 2, task: task('t2', 'succeeded') },
		{ itemIndex: 0, task: task('t0', 'processing', { externalTaskId: 'ext-0' }) },
		{ itemIndex: 1, final: error },
	];
	const { waiting, onTimeout } = roundItems(entries, { provider: 'Kling', maxWaitUntil: '2026-11-29T10:10:00.000Z' }, 'Avatar Video → Get');

	it('gives one item per input item, in input order, each paired with its input item', () => {
		expect(waiting.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(onTimeout.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('marks waited items "waiting" while the execution waits, with their task IDs', () => {
		expect(waiting[0].json).toMatchObject({ taskId: 't0', externalTaskId: 'ext-0', status: 'waiting', lastKnownStatus: 'processing', waitBy: 'callback' });
	});

	it('leaves the Max Wait output marked timedOut, with where to go next (Get with the task ID)', () => {
		expect(onTimeout[0].json).toMatchObject({ taskId: 't0', status: 'timedOut', lastKnownStatus: 'processing' });
		expect(onTimeout[0].json.next).toMatch(/Avatar Video → Get with Task ID t0/);
		// A task that had ended before the wait is still part of an unfinished batch: Get it too.
		expect(onTimeout[2].json).toMatchObject({ taskId: 't2', status: 'timedOut', lastKnownStatus: 'succeeded' });
	});

	it('keeps final items (errors) as they are in both', () => {
		expect(waiting[1]).toBe(error);
		expect(onTimeout[1]).toBe(error);
	});
});

describe('checkOrder', () => {
	const r = round(['a', 'b', 'c', 'd']);

	it('reads the calling task first, then the others in item order', () => {
		expect(checkOrder(r, { taskId: 'c', terminal: true }, new Set())).toEqual(['c', 'a', 'b', 'd']);
	});

	it('skips tasks seen ended, the caller included', () => {
		expect(checkOrder(r, { taskId: 'c', terminal: true }, new Set(['a', 'c']))).toEqual(['b', 'd']);
	});

	it('reads every task in order when the body names none', () => {
		expect(checkOrder(r, {}, new Set())).toEqual(['a', 'b', 'c', 'd']);
	});
});

describe('confirmRound', () => {
	it('does not read anything for a task outside the round (stale or foreign callback)', async () => {
		const p = provider({ a: 'succeeded' });
		const v = await confirmRound(round(['a']), { taskId: 'zzz', terminal: true }, new Map(), p.read);
		expect(v).toMatchObject({ resume: false, reads: 0 });
		expect(p.reads).toEqual([]);
	});

	it('does not read anything for a body that reports a running state', async () => {
		const p = provider({ a: 'succeeded' });
		const v = await confirmRound(round(['a']), { taskId: 'a', terminal: false }, new Map(), p.read);
		expect(v.resume).toBe(false);
		expect(p.reads).toEqual([]);
	});

	it('never trusts the body: a body saying "ended" for a running task keeps waiting', async () => {
		const p = provider({ a: 'processing', b: 'succeeded' });
		const v = await confirmRound(round(['a', 'b']), { taskId: 'a', terminal: true }, new Map(), p.read);
		expect(v).toMatchObject({ resume: false, reason: 'task a is processing', reads: 1 });
	});

	it('stops at the first task still running: about two reads per callback', async () => {
		const p = provider({ a: 'succeeded', b: 'processing', c: 'succeeded', d: 'succeeded' });
		const v = await confirmRound(round(['a', 'b', 'c', 'd']), { taskId: 'c', terminal: true }, new Map(), p.read);
		expect(v.resume).toBe(false);
		expect(p.reads).toEqual(['c', 'a', 'b']);
		expect(v.newlyEnded.map(([id]) => id)).toEqual(['c', 'a']);
	});

	it('resumes when every task has ended, failed ones included, with each task', async () => {
		const p = provider({ a: 'succeeded', b: 'failed' });
		const v = await confirmRound(round(['a', 'b']), { taskId: 'b', terminal: true }, new Map(), p.read);
		expect(v.resume).toBe(true);
		if (!v.resume) return;
		expect([...v.tasks.entries()].map(([id, t]) => `${id}=${t.status}`)).toEqual(['a=succeeded', 'b=failed']);
	});

	it('uses tasks seen ended by earlier callbacks instead of reading them again', async () => {
		const p = provider({ a: 'succeeded', b: 'succeeded', c: 'succeeded' });
		const ended = new Map([
			['a', task('a', 'succeeded')],
			['b', task('b', 'succeeded')],
		]);
		const v = await confirmRound(round(['a', 'b', 'c']), { taskId: 'c', terminal: true }, ended, p.read);
		expect(v.resume).toBe(true);
		expect(p.reads).toEqual(['c']);
	});

	it('keeps waiting when a read fails (never throws)', async () => {
		const p = provider({ a: new Error('HTTP 502') });
		const v = await confirmRound(round(['a']), { taskId: 'a', terminal: true }, new Map(), p.read);
		expect(v).toMatchObject({ resume: false, reason: 'reading task a failed: HTTP 502' });
	});

	it('reads in item order when the body names no task', async () => {
		const p = provider({ a: 'succeeded', b: 'succeeded' });
		const v = await confirmRound(round(['a', 'b']), {}, new Map(), p.read);
		expect(v.resume).toBe(true);
		expect(p.reads).toEqual(['a', 'b']);
	});
});

describe('EndedTasks', () => {
	it('remembers only ended tasks, per round, and forgets a round', () => {
		const memo = new EndedTasks();
		memo.remember('r1', [
			['a', task('a', 'succeeded')],
			['b', task('b', 'processing')],
		]);
		expect([...memo.of('r1').keys()]).toEqual(['a']);
		expect(memo.of('r2').size).toBe(0);
		memo.forget('r1');
		expect(memo.of('r1').size).toBe(0);
	});

	it('drops the oldest rounds beyond its bound', () => {
		const memo = new EndedTasks(2);
		for (const r of ['r1', 'r2', 'r3']) memo.remember(r, [['a', task('a', 'failed')]]);
		expect(memo.of('r1').size).toBe(0);
		expect(memo.of('r3').size).toBe(1);
	});
});

describe('ResumeGuard', () => {
	it('lets one call resume a round; a second one at the same time loses', () => {
		const guard = new ResumeGuard(60_000);
		const key = roundKeyOf('42', 'node', '0');
		expect(guard.take(key, 1000)).toBe(true);
		expect(guard.take(key, 1001)).toBe(false);
		expect(guard.take(roundKeyOf('42', 'node', '1'), 1001)).toBe(true); // a loop's next round
		expect(guard.take(roundKeyOf('43', 'node', '0'), 1001)).toBe(true);
	});

	it('gives a round back on release, and forgets entries after its TTL', () => {
		const guard = new ResumeGuard(60_000);
		expect(guard.take('k', 0)).toBe(true);
		guard.release('k');
		expect(guard.take('k', 1)).toBe(true);
		expect(guard.take('k', 30_000)).toBe(false);
		expect(guard.take('k', 61_000 + 1)).toBe(true);
	});
});

describe('klingWaitHint', () => {
	it('reads the bare task object Kling POSTs', () => {
		expect(klingWaitHint({ task_id: '86', task_status: 'succeed' })).toEqual({ taskId: '86', terminal: true });
		expect(klingWaitHint({ task_id: '86', task_status: 'failed' })).toEqual({ taskId: '86', terminal: true });
		expect(klingWaitHint({ task_id: '86', task_status: 'processing' })).toEqual({ taskId: '86', terminal: false });
	});

	it('reads the enveloped form some relays send', () => {
		expect(klingWaitHint({ code: 0, data: { task_id: '86', task_status: 'submitted' } })).toEqual({ taskId: '86', terminal: false });
	});

	it('says nothing of an unknown status word, or of a body without a task ID', () => {
		expect(klingWaitHint({ task_id: '86', task_status: 'weird' })).toEqual({ taskId: '86', terminal: undefined });
		expect(klingWaitHint({ task_info: { external_task_id: 'ext-1' }, task_status: 'succeed' })).toEqual({});
		expect(klingWaitHint({ hello: 1 })).toEqual({});
		expect(klingWaitHint('text')).toEqual({});
	});
});

const NOW = 1_790_000_000_000;

describe('akoolWaitHint', () => {
	const keys = { clientId: 'emulatorClientId', clientSecret: 'emulatorClientSecret0123' };
	const delivery = (payload: unknown, k = keys) => {
		const dataEncrypt = akoolEncrypt(payload, k.clientId, k.clientSecret);
		const timestamp = NOW;
		const nonce = '1529';
		return { signature: akoolSign(k.clientId, timestamp, nonce, dataEncrypt), dataEncrypt, timestamp, nonce };
	};

	it('verifies and decrypts a webhook: the video and whether it ended', () => {
		expect(akoolWaitHint(delivery({ _id: 'v1', status: 3, type: 'avatar', url: 'https://x' }), keys, NOW)).toEqual({ taskId: 'v1', terminal: true });
		expect(akoolWaitHint(delivery({ _id: 'v1', status: 4, type: 'avatar' }), keys, NOW)).toEqual({ taskId: 'v1', terminal: true });
		expect(akoolWaitHint(delivery({ _id: 'v1', status: 2, type: 'avatar' }), keys, NOW)).toEqual({ taskId: 'v1', terminal: false });
	});

	it('refuses only a body of another shape (not an Akool delivery at all)', () => {
		expect(akoolWaitHint({ _id: 'v1', status: 3 }, keys, NOW)).toBe('refused');
	});

	it('takes a wrong signature or a stale delivery as no hint, not as a refusal: the reads decide (a 401 would make Akool retry forever, and a mistyped Client ID end every batch at Max Wait)', () => {
		// Older than the verifier's window (1 h).
		expect(akoolWaitHint(delivery({ _id: 'v1', status: 3 }), keys, NOW + 2 * 60 * 60_000)).toEqual({});
		const d = delivery({ _id: 'v1', status: 3 });
		expect(akoolWaitHint({ ...d, signature: '0'.repeat(40) }, keys, NOW)).toEqual({});
		expect(akoolWaitHint({ ...d, nonce: '9999' }, keys, NOW)).toEqual({});
		expect(akoolWaitHint(delivery({ _id: 'v1', status: 3 }, { clientId: 'otherClientId', clientSecret: keys.clientSecret }), keys, NOW)).toEqual({});
	});

	it('gives no hint, without refusing, when it cannot check (no Client ID) or cannot decrypt', () => {
		expect(akoolWaitHint({ anything: true }, undefined, NOW)).toEqual({});
		expect(akoolWaitHint(delivery({ _id: 'v1', status: 3 }), { clientId: keys.clientId, clientSecret: 'another-secret-of-24-chr' }, NOW)).toEqual({});
	});
});

// ─────────────── callbackWebhook() with a fake webhook context and a fake provider ───────────────

let fakeExecution = 0;
function webhookSetup(ids: string[], read: (id: string) => Promise<NormalizedTask>, hint: CallbackHint | 'refused', nodeName = 'Kling') {
	const executionId = `ex-${++fakeExecution}`;
	const stored = round(ids);
	const stack = ids.map((taskId, i) => ({ json: { taskId, status: 'timedOut' }, pairedItem: { item: i } }));
	const sent: Array<{ code: number; body: unknown }> = [];
	const expressions: string[] = [];
	const res = { status: (code: number) => ({ json: (b: unknown) => sent.push({ code, body: b }) }) };
	const ctx = {
		getNode: () => ({ id: 'node-1', name: nodeName, type: 'x', typeVersion: 1, position: [0, 0], parameters: {} }),
		evaluateExpression: (expr: string) => {
			expressions.push(expr);
			return expr.includes('.context.') ? JSON.parse(JSON.stringify({ ...stored, tasks: stored.tasks.map((t) => ({ ...t, download: false })) })) : stack;
		},
		getBodyData: () => ({}),
		getExecutionId: () => executionId,
		getResponseObject: () => res,
		logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
	} as unknown as IWebhookFunctions;
	const provider: CallbackProvider = {
		provider: 'Kling',
		read: async (_c, id) => await read(id),
		hint: async () => hint,
		videoFileName: (t) => `${t.taskId}.mp4`,
	};
	return { ctx, provider, sent, expressions };
}

describe('callbackWebhook', () => {
	it('answers 503 without resuming when a status read fails (provider briefly down), so the provider sends the callback again', async () => {
		let down = true;
		const { ctx, provider, sent } = webhookSetup(['a', 'b'], async (id) => {
			if (id === 'b' && down) throw new Error('503 Service Unavailable');
			return task(id, 'succeeded');
		}, { taskId: 'b', terminal: true });
		const result = await callbackWebhook(ctx, provider);
		expect(result.workflowData).toBeUndefined();
		expect(result.webhookResponse).toBeUndefined();
		expect(result.noWebhookResponse).toBe(true);
		expect(sent).toEqual([{ code: 503, body: expect.anything() }]);

		// The provider's next try, with the API back: resumes.
		down = false;
		const again = await callbackWebhook(ctx, provider);
		expect(again.workflowData?.[0].map((i) => i.json.status)).toEqual(['succeeded', 'succeeded']);
	});

	it('reads a retryable failure again before answering (the engine\'s read backoff)', async () => {
		let failures = 1;
		const { ctx, provider, sent } = webhookSetup(['a'], async (id) => {
			if (failures-- > 0) throw withFailureKind(new Error('429 Too Many Requests'), 'retryable');
			return task(id, 'succeeded');
		}, { taskId: 'a', terminal: true });
		const result = await callbackWebhook(ctx, provider);
		expect(result.workflowData?.[0]).toHaveLength(1);
		expect(sent.map((s) => s.code)).toEqual([200]);
	}, 20_000);

	it('answers 200 and keeps waiting when the reads show a task still running', async () => {
		const { ctx, provider, sent } = webhookSetup(['a', 'b'], async (id) => task(id, id === 'a' ? 'succeeded' : 'processing'), {});
		const result = await callbackWebhook(ctx, provider);
		expect(result.workflowData).toBeUndefined();
		expect(result.webhookResponse).toEqual({ received: true });
		expect(sent).toEqual([]);
	});

	it('reads the round of a node whose name holds "}}" (escaped inside the expression)', async () => {
		const { ctx, provider, expressions } = webhookSetup(['a'], async (id) => task(id, 'succeeded'), {}, 'Kling }} {{ x');
		const result = await callbackWebhook(ctx, provider);
		expect(result.workflowData?.[0]).toHaveLength(1);
		const roundExpression = expressions.find((e) => e.includes('.context.')) as string;
		// Only the expression's own braces remain.
		expect(roundExpression.match(/\}\}/g)).toHaveLength(1);
		expect(roundExpression.match(/\{\{/g)).toHaveLength(1);
		expect(roundExpression).toContain('\\u007d\\u007d');
	});
});

describe('Max Wait field', () => {
	const maxWait = (callbackProvider?: string) => waitAndDownloadProperties({ wait: true, callbackProvider }).find((p) => p.name === 'maxWaitMinutes');
	it('says what Max Wait does with Wait By → Provider Callback: the items come out timedOut (they do not fail)', () => {
		expect(maxWait('Kling')?.description).toMatch(/Provider Callback.*timedOut/);
	});
	it('says nothing of callbacks where the operation has none', () => {
		expect(maxWait()?.description).not.toMatch(/Callback|timedOut/);
	});
});
