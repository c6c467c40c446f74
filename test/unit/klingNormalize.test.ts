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
	] as const)('HTTP %d code %s on %s is %s', (status, code, method, kind) => {
		expect(klingFailureKind(status, code, method)).toBe(kind);
	});

	it('never reads the message: a refused create is fatal, and the engine looks it up by its key', () => {
		expect(klingFailureKind(400, 1201, 'POST')).toBe('fatal');
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
