/**
 * P2: detection lag and status requests per task, for the adaptive schedule and two fixed-interval
 * baselines (5 s, 10 s), all measured through the node: a fixed interval is the node with First Poll
 * After = Longest Poll Interval. Task times are spread ±5 % around T so the lag is not an artefact of
 * T being a multiple of the interval. T = 600 s runs time-scaled ÷ 20 (task 30 s, every interval ÷ 20)
 * and is reported scaled back (lag × 20; the request count is scale-free).
 */
import { createEngine, credentialsFor, emit, fixture, klingCreateNode, median, startRemoteEmulator, type FigureRow } from '../lib/common';

const SCALE_600 = 20;
const CASES = [
	{ T: 10_000, scale: 1 },
	{ T: 60_000, scale: 1 },
	{ T: 600_000, scale: SCALE_600 },
];
const SCHEDULES = [
	{ name: 'adaptive', min: 2, max: 30 },
	{ name: 'fixed 5 s', min: 5, max: 5 },
	{ name: 'fixed 10 s', min: 10, max: 10 },
];
const PER_GROUP = 5;

async function main(): Promise<void> {
	const emu = await startRemoteEmulator({ concurrencyLimit: 100 });
	const engine = await createEngine();
	const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
	const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };
	const items = [];
	for (const c of CASES) {
		for (const s of SCHEDULES) {
			for (let k = 0; k < PER_GROUP; k++) {
				const spread = 1 + 0.1 * (k / (PER_GROUP - 1) - 0.5); // 0.95 … 1.05
				const taskMs = Math.round((c.T / c.scale) * spread);
				items.push({
					json: { group: `${c.T}|${s.name}`, prompt: `bench [[T=${taskMs}]] ${c.T} ${s.name} ${k}`, pollMin: s.min / c.scale, pollMax: s.max / c.scale },
					binary: { data: portrait, audio: voice },
				});
			}
		}
	}
	const node = klingCreateNode({
		prompt: '={{ $json.prompt }}',
		downloadVideo: false,
		options: { pollMinIntervalSeconds: '={{ $json.pollMin }}', pollMaxIntervalSeconds: '={{ $json.pollMax }}' },
	});
	const run = await engine.run({ nodes: [node], connections: {}, items, credentials: credentialsFor(emu) });
	if (run.status !== 'success') throw new Error(`run failed: ${run.error?.message}`);
	const stats = await emu.stats();
	const byPrompt = new Map(stats.tasks.map((t) => [t.prompt, t]));

	const rows: FigureRow[] = [];
	for (const c of CASES) {
		const groups: Record<string, { maxLagS: number; medianLagS: number; requestsPerTask: number }> = {};
		for (const s of SCHEDULES) {
			const lags: number[] = [];
			const reqs: number[] = [];
			for (const item of items.filter((i) => i.json.group === `${c.T}|${s.name}`)) {
				const t = byPrompt.get(item.json.prompt);
				if (!t || t.finishedAt === null || t.firstTerminalServedAt === null) throw new Error(`task missing for ${item.json.prompt}`);
				lags.push(((t.firstTerminalServedAt - t.finishedAt) * c.scale) / 1000);
				reqs.push(stats.counters.byPath[`/v1/videos/avatar/image2video/${t.taskId}`] ?? 0);
			}
			groups[s.name] = {
				maxLagS: Math.round(Math.max(...lags) * 100) / 100,
				medianLagS: Math.round(median(lags) * 100) / 100,
				requestsPerTask: Math.round((reqs.reduce((a, b) => a + b, 0) / reqs.length) * 10) / 10,
			};
		}
		const lagLimit = Math.max(2, c.T / 10_000);
		const a = groups.adaptive;
		const reqLimit = c.T === 600_000 ? 50 : Infinity;
		rows.push({
			id: `P2 T=${c.T / 1000}s`,
			what: `detection lag (max of ${PER_GROUP} tasks, T ± 5 %) / status requests per task${c.scale > 1 ? `, time-scaled ÷ ${c.scale}` : ''}`,
			value: a.maxLagS,
			unit: 's',
			limit: lagLimit,
			target: `lag ≤ ${lagLimit} s${reqLimit < Infinity ? `, ≤ ${reqLimit} requests` : ''}`,
			ok: a.requestsPerTask <= reqLimit,
			details: { requestsPerTask: a.requestsPerTask, scale: c.scale, groups },
		});
	}
	emit(rows);
	await engine.close();
	await emu.close();
}

void main().then(() => process.exit(0));
