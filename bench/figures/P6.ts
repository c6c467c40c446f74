/**
 * P6: what a Retry from the Executions list costs after a big batch failed early. A 50-item Kling
 * Create (wait + download) where item 0's task fails at once with a transient error ("Internal
 * error, please retry", only the first time) while the 49 others take a few seconds and succeed.
 * The first execution throws at item 0's failure, listing all 50 tasks; once the 49 have ended at
 * the emulator, the execution is retried (harness `retryOf`: n8n's saved data, task ledger
 * included). Measured: both wall times, the creates the emulator accepts during the Retry (0 for
 * the 49, 1 fresh task for item 0 by design), and, as the floor, a Kling Get of the same 49 task
 * IDs with wait + download (status requests and downloads only). The Retry and the Get floor
 * alternate their order between runs (`--bare-first`: Get first).
 */
import type { INodeExecutionData } from 'n8n-workflow';
import { createEngine, credentialsFor, emit, fixture, klingCreateNode, klingGetNode, startRemoteEmulator } from '../lib/common';

const ITEMS = 50;
/** The 49 other tasks' run time on the emulator. */
const OTHERS_MS = 4_000;
/** Item 0's first task fails this long after its create: long enough for all 50 creates to go out (≈ 0.1–0.2 s here). */
const FAIL_MS = 500;
/** Item 0's fresh task in the Retry. */
const FRESH_MS = 500;
/** Allowed on top of the Get floor and the fresh task's own run time. */
const SLACK_S = 2;
const FAIL_MARKER = '[[fail-once]]';
const FAST = { pollMinIntervalSeconds: 0.2, pollMaxIntervalSeconds: 1 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const promptOf = (i: number) => (i === 0 ? `p6 item 0 [[T=${FRESH_MS}]] ${FAIL_MARKER}` : `p6 item ${i} [[T=${OTHERS_MS}]]`);
const round = (ms: number) => Math.round(ms) / 1000;
const descriptionOf = (error: Error | undefined) => String((error as { description?: unknown } | undefined)?.description ?? '');
const withVideo = (items: INodeExecutionData[]) => items.filter((i) => i.json.status === 'succeeded' && (i.binary?.video?.fileSize !== undefined || !!i.binary?.video?.data)).length;

async function main(): Promise<void> {
	const emu = await startRemoteEmulator({
		concurrencyLimit: 100,
		failOnce: { marker: FAIL_MARKER, message: 'Internal error, please retry', durationMs: FAIL_MS },
	});
	const engine = await createEngine();
	const credentials = credentialsFor(emu);
	const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
	const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
	const createNode = klingCreateNode({ prompt: '={{ $json.prompt }}', downloadVideo: true, options: FAST });
	const getNode = klingGetNode({ downloadVideo: true, options: FAST });

	// Warm-up (JIT, sockets) of create + poll + download and of Get, not measured.
	const warm = await engine.run({
		nodes: [createNode],
		connections: {},
		items: [0, 1].map((n) => ({ json: { prompt: `warm-up ${n} [[T=300]]` }, binary: { data: portrait, audio: voice } })),
		credentials,
	});
	if (warm.status !== 'success') throw new Error(`warm-up failed: ${warm.error?.message}`);
	await engine.run({ nodes: [getNode], connections: {}, items: warm.output('Kling').map((i) => ({ json: { taskId: i.json.taskId } })), credentials });
	await emu.reset();

	// 1. The first execution: throws at item 0's failure.
	const input = Array.from({ length: ITEMS }, (_, i) => ({ json: { prompt: promptOf(i) }, binary: { data: portrait, audio: voice } }));
	const workflow = { nodes: [createNode], connections: {} };
	const first = await engine.run({ ...workflow, items: input, credentials });
	const afterFirst = await emu.stats();
	const firstError = first.nodeError('Kling');
	const description = descriptionOf(firstError);
	const firstTasks = afterFirst.tasks;
	const listed = firstTasks.filter((t) => description.includes(`task ${t.taskId}`)).length;
	const others = firstTasks.filter((t) => t.prompt !== promptOf(0));

	// 2. Until the 49 have ended at the emulator.
	const waitStarted = performance.now();
	for (;;) {
		const s = await emu.stats();
		const ids = new Set(others.map((t) => t.taskId));
		if (s.tasks.filter((t) => ids.has(t.taskId)).every((t) => t.finishedAt !== null)) break;
		if (performance.now() - waitStarted > 30_000) throw new Error('the 49 tasks did not end within 30 s');
		await sleep(100);
	}
	const waitedS = round(performance.now() - waitStarted);

	// 3. The Retry and the Get floor, order alternating between runs.
	const order = process.argv.includes('--bare-first') ? ['get', 'retry'] : ['retry', 'get'];
	let retry: Awaited<ReturnType<typeof engine.run>> | undefined;
	let floor: Awaited<ReturnType<typeof engine.run>> | undefined;
	let beforeRetry = afterFirst;
	let afterRetry = afterFirst;
	for (const which of order) {
		if (which === 'retry') {
			beforeRetry = await emu.stats();
			retry = await engine.run({ ...workflow, retryOf: first, credentials });
			afterRetry = await emu.stats();
		} else {
			const items = others.map((t) => ({ json: { taskId: t.taskId } }));
			floor = await engine.run({ nodes: [getNode], connections: {}, items, credentials });
		}
	}
	if (!retry || !floor) throw new Error('unreachable');

	const createdDuring = (prompt: string) => (afterRetry.createdByPrompt[prompt] ?? 0) - (beforeRetry.createdByPrompt[prompt] ?? 0);
	const createsItem0 = createdDuring(promptOf(0));
	let createsOthers = 0;
	for (let i = 1; i < ITEMS; i++) createsOthers += createdDuring(promptOf(i));
	const retryOut = retry.output('Kling');
	const floorOut = floor.output('Kling');
	const followedSame = retryOut.slice(1).filter((item, k) => item.json.taskId === others.find((t) => t.prompt === promptOf(k + 1))?.taskId).length;

	const firstS = round(first.durationMs);
	const retryS = round(retry.durationMs);
	const floorS = round(floor.durationMs);
	const checks = {
		firstFailed: first.status === 'error' && /Internal error, please retry/.test(firstError?.message ?? ''),
		firstFast: firstS < OTHERS_MS / 1000,
		all50Listed: firstTasks.length === ITEMS && listed === ITEMS,
		noCreateFor49: createsOthers === 0,
		oneFreshForItem0: createsItem0 === 1,
		retrySucceeded: retry.status === 'success' && retryOut.length === ITEMS && withVideo(retryOut) === ITEMS,
		retryFollowedSame49: followedSame === ITEMS - 1,
		floorSucceeded: floor.status === 'success' && floorOut.length === ITEMS - 1 && withVideo(floorOut) === ITEMS - 1,
	};
	const limit = FRESH_MS / 1000 + SLACK_S;
	emit([
		{
			id: 'P6',
			what: `${ITEMS} items (wait + download), item 0 fails at once (transient), ${ITEMS - 1} take ${OTHERS_MS / 1000} s; executions-list Retry: wall − Get floor (Get of the ${ITEMS - 1} IDs, wait + download)`,
			value: Math.round((retryS - floorS) * 1000) / 1000,
			unit: 's',
			limit,
			target: `≤ fresh task ${FRESH_MS / 1000} s + ${SLACK_S} s = ${limit.toFixed(1)} s; 0 creates for the ${ITEMS - 1}, 1 for item 0`,
			ok: Object.values(checks).every(Boolean),
			details: {
				firstS,
				retryS,
				getFloorS: floorS,
				submitSpanS: round(Math.max(...firstTasks.map((t) => t.createdAt)) - Math.min(...firstTasks.map((t) => t.createdAt))),
				waitedForThe49S: waitedS,
				createsInRetry49: createsOthers,
				createsInRetryItem0: createsItem0,
				statusRequestsInRetry: afterRetry.counters.getRequests - beforeRetry.counters.getRequests,
				downloadsInRetry: afterRetry.counters.downloads - beforeRetry.counters.downloads,
				retryStatus: retry.status,
				retrySucceededWithVideo: withVideo(retryOut),
				tasksListedInFirstError: listed,
				firstError: firstError?.message,
				createAcceptedTotal: afterRetry.counters.createAccepted,
				order: order.join(','),
				failed: Object.entries(checks)
					.filter(([, v]) => !v)
					.map(([k]) => k),
			},
		},
	]);
	await engine.close();
	await emu.close();
}

void main().then(() => process.exit(0));
