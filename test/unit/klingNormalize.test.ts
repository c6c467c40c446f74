import { klingFailureKind } from '../../nodes/KlingAvatar/transport';
import { normalizeKlingTask } from '../../nodes/KlingAvatar/normalize';
import { normalizeSpeech, parseVoices } from '../../nodes/KlingAvatar/speech';

describe('normalizeKlingTask', () => {
	it('maps a succeeded query answer', () => {
		const raw = {
			task_id: '867283741759111202',
			task_status: 'succeed',
			task_status_msg: '',
			task_info: { external_task_id: 'ext-1' },
			task_result: { videos: [{ id: 'v1', url: 'https://cdn/x.mp4', watermark_url: 'https://cdn/x_wm.mp4', duration: '5.04' }] },
			final_unit_deduction: '2',
			created_at: 1722769557708,
			updated_at: 1722769559708,
		};
		expect(normalizeKlingTask(raw)).toEqual({
			taskId: '867283741759111202',
			externalTaskId: 'ext-1',
			status: 'succeeded',
			statusMessage: null,
			videoUrl: 'https://cdn/x.mp4',
			watermarkVideoUrl: 'https://cdn/x_wm.mp4',
			durationSeconds: 5.04,
			unitsDeducted: '2',
			balanceDeduction: null,
			createdAt: '2024-08-04T11:05:57.708Z',
			updatedAt: '2024-08-04T11:05:59.708Z',
			raw,
		});
	});

	it('maps a create answer and a failure', () => {
		expect(normalizeKlingTask({ task_id: '1', task_status: 'submitted', created_at: 0 })).toMatchObject({
			status: 'submitted',
			videoUrl: null,
			durationSeconds: null,
			createdAt: null,
			externalTaskId: null,
		});
		expect(normalizeKlingTask({ task_id: '2', task_status: 'failed', task_status_msg: 'risk control' })).toMatchObject({
			status: 'failed',
			statusMessage: 'risk control',
		});
	});

	it('maps a real failed task with empty task_info and task_result (provider-apis.md §6.1)', () => {
		const raw = {
			task_id: '867283741759111299',
			task_status: 'failed',
			task_status_msg: 'Image pixel is invalid',
			task_info: {},
			task_result: {},
			created_at: 1722769557708,
			updated_at: 1722769560708,
		};
		expect(normalizeKlingTask(raw)).toEqual({
			taskId: '867283741759111299',
			externalTaskId: null,
			status: 'failed',
			statusMessage: 'Image pixel is invalid',
			videoUrl: null,
			watermarkVideoUrl: null,
			durationSeconds: null,
			unitsDeducted: null,
			balanceDeduction: null,
			createdAt: '2024-08-04T11:05:57.708Z',
			updatedAt: '2024-08-04T11:06:00.708Z',
			raw,
		});
	});

	it('does not crash on odd task_info / task_result / videos values', () => {
		for (const odd of [null, 'x', 3, [], { videos: {} }, { videos: 'abc' }, { videos: [null] }]) {
			const t = normalizeKlingTask({ task_id: '4', task_status: 'failed', task_info: odd, task_result: odd } as never);
			expect(t).toMatchObject({ taskId: '4', externalTaskId: null, status: 'failed', videoUrl: null, durationSeconds: null });
		}
	});

	it('surfaces final_balance_deduction as balanceDeduction, values as sent', () => {
		expect(normalizeKlingTask({ task_id: '5', task_status: 'succeed', final_unit_deduction: '1', final_balance_deduction: { quota: 1, list_price: 0.5 } })).toMatchObject({
			unitsDeducted: '1',
			balanceDeduction: { quota: 1, listPrice: 0.5 },
		});
		expect(normalizeKlingTask({ task_id: '6', task_status: 'succeed', final_balance_deduction: { quota: '2', list_price: '1.40' } }).balanceDeduction).toEqual({
			quota: '2',
			listPrice: '1.40',
		});
		expect(normalizeKlingTask({ task_id: '7', task_status: 'succeed', final_balance_deduction: { quota: 1 } }).balanceDeduction).toEqual({ quota: 1, listPrice: null });
		expect(normalizeKlingTask({ task_id: '8', task_status: 'succeed', final_balance_deduction: 'x' }).balanceDeduction).toBeNull();
	});

	it('treats an unknown status as still running', () => {
		expect(normalizeKlingTask({ task_id: '3', task_status: 'queueing' }).status).toBe('processing');
	});
});

describe('klingFailureKind', () => {
	it.each([
		[429, 1303, 'POST', 'capacity'],
		[429, 1302, 'POST', 'retryable'],
		[500, 5000, 'GET', 'retryable'],
		[503, 5001, 'POST', 'ambiguous'],
		[504, 5002, 'POST', 'ambiguous'],
		[502, undefined, 'POST', 'ambiguous'],
		[404, 1203, 'GET', 'notFound'],
		[429, 1101, 'POST', 'fatal'],
		[429, 1102, 'POST', 'fatal'],
		[403, 1103, 'POST', 'fatal'],
		[400, 1201, 'POST', 'fatal'],
		[400, 1301, 'POST', 'fatal'],
		[401, 1004, 'GET', 'fatal'],
		// A Kling code wins over the HTTP status a proxy relays it with (provider-apis.md §6.2).
		[400, 1303, 'POST', 'capacity'],
		[200, 1303, 'POST', 'capacity'],
		[500, 1201, 'POST', 'fatal'],
		[500, 1102, 'POST', 'fatal'],
		[200, 1203, 'GET', 'notFound'],
		// 1102 "Account balance not enough" arrives as HTTP 429 and is permanent (§6.1).
		[429, 1100, 'POST', 'fatal'],
		[429, 1102, 'GET', 'fatal'],
		// Without a code the status decides.
		[429, undefined, 'POST', 'retryable'],
		[404, undefined, 'GET', 'notFound'],
		[404, undefined, 'POST', 'fatal'],
		[401, undefined, 'POST', 'fatal'],
		[500, undefined, 'GET', 'retryable'],
		// A 2xx without Kling's envelope (empty body, HTML page, other JSON): the create may have gone through.
		[200, undefined, 'POST', 'ambiguous'],
		[204, undefined, 'POST', 'ambiguous'],
		[200, undefined, 'GET', 'retryable'],
	] as const)('HTTP %d code %s on %s is %s', (status, code, method, kind) => {
		expect(klingFailureKind(status, code, method)).toBe(kind);
	});

	it('never reads the message: a refused create is fatal, and the engine looks it up by its key', () => {
		expect(klingFailureKind(400, 1201, 'POST')).toBe('fatal');
	});

	it('CometAPI\'s "invalid_request" with HTTP 500 is a malformed request, not an outage', () => {
		expect(klingFailureKind(500, undefined, 'POST', 'invalid_request')).toBe('fatal');
		expect(klingFailureKind(500, undefined, 'GET', 'invalid_request')).toBe('fatal');
		expect(klingFailureKind(500, undefined, 'POST', '')).toBe('ambiguous');
	});
});

describe('Kling speech', () => {
	it('flattens voices and the TTS answer', () => {
		expect(
			parseVoices([{ task_result: { voices: [{ voice_id: 'oversea_male1', voice_name: 'Anchor', trial_url: 'u', owned_by: 'kling' }] } }]),
		).toEqual([{ voiceId: 'oversea_male1', voiceName: 'Anchor', trialUrl: 'u', ownedBy: 'kling' }]);
		expect(
			normalizeSpeech({ task_id: 't', task_status: 'succeed', task_result: { audios: [{ id: 'a1', url: 'https://x/a.mp3', duration: '3.2' }] } }),
		).toMatchObject({ audioId: 'a1', audioUrl: 'https://x/a.mp3', durationSeconds: 3.2, status: 'succeeded' });
	});
});
