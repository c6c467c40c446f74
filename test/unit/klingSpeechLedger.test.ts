/**
 * Kling Speech → Create and the task ledger (nodes/KlingAvatar/speechLedger.ts), and how a failed
 * TTS request is judged (ttsFailureKind in nodes/KlingAvatar/speech.ts).
 */
import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';
import { normalizeSpeech, ttsFailureKind } from '../../nodes/KlingAvatar/speech';
import { rememberedSpeech, rememberSpeech, SPEECH_LEDGER_PROVIDER, speechFingerprint, speechLedgerKey, speechTaskStatus } from '../../nodes/KlingAvatar/speechLedger';
import { klingRequest } from '../../nodes/KlingAvatar/transport';
import { planCreates } from '../../nodes/shared/createPlan';
import { failureKindOf, withFailureKind } from '../../nodes/shared/errors';
import { ledgerKey, TaskLedger } from '../../nodes/shared/taskLedger';

const body = { text: 'Hello', voice_id: 'oversea_male1', voice_language: 'en', voice_speed: 1 };
const item = { itemIndex: 0, provider: SPEECH_LEDGER_PROVIDER, run: '0' };
const answer = (extra: IDataObject = {}): IDataObject => ({
	task_id: '8680001',
	task_status: 'succeed',
	task_status_msg: '',
	task_result: { audios: [{ id: 'audio-1', url: 'https://x/a.mp3', duration: '3.2' }] },
	final_unit_deduction: '1',
	...extra,
});
const plan = (ledger: TaskLedger, key: string) => planCreates([{ key, itemIndex: 0 }], { ledger, clientKeys: false, newKey: () => '', recordLost: false })[0];

describe('speech ledger keys', () => {
	it('the fingerprint is exactly what is sent: text, voice, language, speed (any key order)', () => {
		const a = speechFingerprint(body);
		expect(speechFingerprint({ voice_speed: 1, voice_language: 'en', voice_id: 'oversea_male1', text: 'Hello' })).toBe(a);
		for (const change of [{ text: 'Hello!' }, { voice_id: 'uk_man2' }, { voice_language: 'zh' }, { voice_speed: 1.1 }]) {
			expect(speechFingerprint({ ...body, ...change })).not.toBe(a);
		}
	});

	it('the key differs per run, item position and request, and from the avatar\'s keys', () => {
		const k = speechLedgerKey('0', 0, body);
		expect(k).toMatch(/^[0-9a-f]{24}$/);
		expect(speechLedgerKey('0', 0, { ...body })).toBe(k);
		expect(speechLedgerKey('1', 0, body)).not.toBe(k);
		expect(speechLedgerKey('tool', 0, body)).not.toBe(k);
		expect(speechLedgerKey('0', 1, body)).not.toBe(k);
		expect(speechLedgerKey('0', 0, { ...body, text: 'Bye' })).not.toBe(k);
		expect(ledgerKey('Kling', '0', 0, speechFingerprint(body))).not.toBe(k);
	});
});

describe('remembering a TTS answer', () => {
	it('an answered request is followed, never sent again: the output is remembered as it was, across a save and load', () => {
		const context: IDataObject = {};
		const ledger = new TaskLedger(context);
		const key = speechLedgerKey('0', 0, body);
		expect(plan(ledger, key)).toEqual({ kind: 'create', attempt: 1, externalTaskId: null });
		ledger.sending(key, item, 1, null);
		const speech = normalizeSpeech(answer());
		rememberSpeech(ledger, key, item, speech);

		const reloaded = new TaskLedger(JSON.parse(JSON.stringify(context)) as IDataObject);
		const start = plan(reloaded, key);
		expect(start).toMatchObject({ kind: 'follow', known: { taskId: '8680001', status: 'succeeded', attempt: 1 } });
		const remembered = rememberedSpeech(start.kind === 'follow' ? start.known : undefined);
		expect(remembered).toEqual(speech);
		expect(remembered).toMatchObject({ audioId: 'audio-1', audioUrl: 'https://x/a.mp3', durationSeconds: 3.2, taskId: '8680001', status: 'succeeded' });
		// A copy: changing the output changes nothing in the ledger.
		(remembered as IDataObject).audioId = 'changed';
		expect(rememberedSpeech(reloaded.latest(key))?.audioId).toBe('audio-1');
	});

	it('a request sent without an answer stays pending: never sent again (no client key to look it up by)', () => {
		const ledger = new TaskLedger({});
		const key = speechLedgerKey('0', 0, body);
		ledger.sending(key, item, 1, null);
		expect(plan(ledger, key)).toMatchObject({ kind: 'pendingUnknown', known: { status: 'pending', taskId: null } });
		expect(rememberedSpeech(ledger.latest(key))).toBeUndefined();
	});

	it('a refused request is forgotten: the next call sends it as attempt 1', () => {
		const ledger = new TaskLedger({});
		const key = speechLedgerKey('0', 0, body);
		ledger.sending(key, item, 1, null);
		ledger.notCreated(key);
		expect(plan(ledger, key)).toEqual({ kind: 'create', attempt: 1, externalTaskId: null });
	});

	it('an answer saying "failed" lets the next call make a fresh attempt; one without audio that did not fail is followed', () => {
		const ledger = new TaskLedger({});
		const failedKey = speechLedgerKey('0', 0, body);
		ledger.sending(failedKey, item, 1, null);
		rememberSpeech(ledger, failedKey, item, normalizeSpeech(answer({ task_status: 'failed', task_status_msg: 'bad text', task_result: {} })));
		expect(plan(ledger, failedKey)).toMatchObject({ kind: 'create', attempt: 2 });

		const runningKey = speechLedgerKey('0', 1, body);
		ledger.sending(runningKey, { ...item, itemIndex: 1 }, 1, null);
		rememberSpeech(ledger, runningKey, { ...item, itemIndex: 1 }, normalizeSpeech(answer({ task_status: 'submitted', task_result: {} })));
		expect(plan(ledger, runningKey)).toMatchObject({ kind: 'follow', known: { status: 'submitted' } });
	});

	it('maps Kling\'s TTS status onto the ledger\'s', () => {
		expect(speechTaskStatus('succeed')).toBe('succeeded');
		expect(speechTaskStatus('failed')).toBe('failed');
		expect(speechTaskStatus('processing')).toBe('processing');
		expect(speechTaskStatus('submitted')).toBe('submitted');
		expect(speechTaskStatus(undefined)).toBe('submitted');
	});
});

describe('ttsFailureKind', () => {
	const node: INode = { id: 'n', name: 'Node', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };
	/** klingRequest against one canned answer, as the node sends TTS. */
	async function refusal(statusCode: number, responseBody: unknown, region = 'custom'): Promise<unknown> {
		const ctx = {
			getNode: () => node,
			getCredentials: async () => ({ region, baseUrl: 'https://kling.example' }),
			getExecutionCancelSignal: () => undefined,
			helpers: { httpRequestWithAuthentication: async () => ({ statusCode, headers: {}, body: responseBody }) },
		} as unknown as IExecuteFunctions;
		return await klingRequest(ctx, { method: 'POST', path: '/v1/audio/tts', body, itemIndex: 0, what: 'Creating speech' }).then(
			() => undefined,
			(error: unknown) => error,
		);
	}
	const kling = (code: number) => ({ code, message: 'm', request_id: 'r' });
	const comet = (code: number) => ({ message: 'm', data: { data: kling(code), message: 'm' } });

	it('Kling\'s 5001 (maintenance) is a refusal, from Kling or nested by CometAPI with any status; the transport itself calls it ambiguous', async () => {
		const direct = await refusal(503, kling(5001));
		expect(failureKindOf(direct)).toBe('ambiguous');
		expect(ttsFailureKind(direct)).toBe('retryable');
		expect(ttsFailureKind(await refusal(500, comet(5001), 'cometapi'))).toBe('retryable');
	});

	it('other 5xx, a bare 503 and a lost answer stay ambiguous', async () => {
		expect(ttsFailureKind(await refusal(500, kling(5000)))).toBe('ambiguous');
		expect(ttsFailureKind(await refusal(504, kling(5002)))).toBe('ambiguous');
		expect(ttsFailureKind(await refusal(503, '<html>Service Unavailable</html>'))).toBe('ambiguous');
		// An error not made from an answer (no answer at all) keeps its own kind.
		expect(ttsFailureKind(withFailureKind(new Error('socket hang up'), 'ambiguous'))).toBe('ambiguous');
	});

	it('rate and concurrency limits keep the transport\'s verdict; everything else is fatal', async () => {
		expect(ttsFailureKind(await refusal(429, kling(1302)))).toBe('retryable');
		expect(ttsFailureKind(await refusal(429, kling(1303)))).toBe('capacity');
		expect(ttsFailureKind(await refusal(429, comet(1303), 'cometapi'))).toBe('capacity');
		expect(ttsFailureKind(await refusal(429, kling(1102)))).toBe('fatal');
		expect(ttsFailureKind(await refusal(400, kling(1201)))).toBe('fatal');
		expect(ttsFailureKind(new Error('a bug'))).toBe('fatal');
	});
});
