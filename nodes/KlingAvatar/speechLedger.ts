import type { IDataObject } from 'n8n-workflow';
import { deepCopy } from 'n8n-workflow';
import type { NormalizedTask, TaskStatus } from '../shared/task';
import type { LedgerAttempt, LedgerItemRef, TaskLedger } from '../shared/taskLedger';
import { ledgerKey, stableFingerprint } from '../shared/taskLedger';

/**
 * Kling Speech → Create in the task ledger (shared/taskLedger.ts), the record of paid creates that
 * every call of the node in an execution shares (Retry On Fail, the Executions list's Retry, AI
 * tool retries).
 *
 * TTS is a synchronous paid create: its answer carries the audio, and Kling documents no way to
 * read it again (no query endpoint, no client key: provider-apis.md §1.7). So the ledger keeps the
 * audio itself: each attempt of an item that got an answer holds the node's output for it under
 * `speech` (audioId, audioUrl, durationSeconds, taskId, status, unitsDeducted, raw: a few hundred
 * bytes). A later call of the node returns that instead of asking Kling again.
 *
 * Pure: no n8n calls; unit-tested in test/unit/klingSpeechLedger.test.ts.
 */

/** The ledger's provider name for TTS (apart from the avatar's "Kling", in the same node's ledger). */
export const SPEECH_LEDGER_PROVIDER = 'Kling TTS';

/** What identifies a TTS request: exactly the fields sent (text, voice, language, speed). */
export function speechFingerprint(body: IDataObject): string {
	return stableFingerprint({
		text: body.text,
		voice_id: body.voice_id,
		voice_language: body.voice_language,
		voice_speed: body.voice_speed,
	});
}

/** The ledger key of one item's TTS request in this run of the node (see ledgerKey). */
export function speechLedgerKey(run: string, itemIndex: number, body: IDataObject): string {
	return ledgerKey(SPEECH_LEDGER_PROVIDER, run, itemIndex, speechFingerprint(body));
}

/** Kling's TTS task status as the ledger's. TTS answers `succeed`; anything else is kept as it is meant. */
export function speechTaskStatus(taskStatus: unknown): TaskStatus {
	switch (taskStatus) {
		case 'succeed':
		case 'succeeded':
			return 'succeeded';
		case 'failed':
			return 'failed';
		case 'processing':
			return 'processing';
		default:
			return 'submitted';
	}
}

/**
 * Records Kling's answer to the pending attempt of `key` (written by `ledger.sending` before the
 * request went out): the task, and the node's output for it.
 * @param speech the node's output for the answer (normalizeSpeech)
 */
export function rememberSpeech(ledger: TaskLedger, key: string, item: LedgerItemRef, speech: IDataObject): LedgerAttempt {
	const raw = (speech.raw as IDataObject | undefined) ?? {};
	const status = speechTaskStatus(raw.task_status);
	const task: NormalizedTask = {
		taskId: speech.taskId ? String(speech.taskId) : '',
		externalTaskId: null,
		status,
		statusMessage: raw.task_status_msg ? String(raw.task_status_msg) : null,
		videoUrl: null,
		watermarkVideoUrl: null,
		durationSeconds: null,
		unitsDeducted: null,
		createdAt: null,
		updatedAt: null,
		raw,
	};
	const attempt = ledger.accepted(key, item, task);
	attempt.speech = deepCopy(speech);
	return attempt;
}

/** The output remembered for an attempt (a copy), or undefined when it has none. */
export function rememberedSpeech(attempt: LedgerAttempt | undefined): IDataObject | undefined {
	const speech = attempt?.speech;
	return speech && typeof speech === 'object' && !Array.isArray(speech) ? deepCopy(speech as IDataObject) : undefined;
}
