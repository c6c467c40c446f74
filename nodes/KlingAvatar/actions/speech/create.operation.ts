import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { sleepUnlessCancelled } from '../../../shared/cancellation';
import type { CreateJob, CreateStart } from '../../../shared/createPlan';
import { planCreates } from '../../../shared/createPlan';
import { downloadToBinary } from '../../../shared/download';
import { isCancellation } from '../../../shared/errors';
import { recordTaskIds } from '../../../shared/executionRecord';
import { atItem, continueAfter, errorItem, invalidInput } from '../../../shared/items';
import { ledgerRecordLost, ledgerRunScope } from '../../../shared/ledgerScope';
import { readString } from '../../../shared/parameters';
import { CAPACITY_RETRY_POLICY, DEFAULT_RETRY_POLICY, retryDelayMs } from '../../../shared/schedule';
import type { LedgerAttempt, LedgerItemRef } from '../../../shared/taskLedger';
import { TaskLedger } from '../../../shared/taskLedger';
import { runsAsTool } from '../../../shared/toolMode';
import { KLING_TTS_SPEED, KLING_TTS_TEXT_MAX_CHARS } from '../../limits';
import { normalizeSpeech, ttsFailureKind, TTS_PATH } from '../../speech';
import { rememberedSpeech, rememberSpeech, SPEECH_LEDGER_PROVIDER, speechLedgerKey, speechTaskStatus } from '../../speechLedger';
import { klingRequest } from '../../transport';
import type { TtsLanguage } from '../../ttsVoices';
import { ttsVoicePairProblem } from '../../ttsVoices';

const displayOptions = { show: { resource: ['speech'], operation: ['create'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		description: 'What the voice says (at most 1000 characters)',
	},
	{
		displayName: 'Language',
		name: 'voiceLanguage',
		type: 'options',
		options: [
			{ name: 'English', value: 'en' },
			{ name: 'Chinese', value: 'zh' },
		],
		default: 'en',
		description: 'The language of the text; the Voice list shows the voices Kling has for it',
	},
	{
		displayName: 'Voice Name or ID',
		name: 'voiceId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getTtsVoices', loadOptionsDependsOn: ['voiceLanguage'] },
		default: '',
		required: true,
		description:
			'A voice of Kling\'s text-to-speech catalogue for the chosen Language, e.g. oversea_male1 (English). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'Speed',
		name: 'voiceSpeed',
		type: 'number',
		typeOptions: { minValue: KLING_TTS_SPEED.min, maxValue: KLING_TTS_SPEED.max, numberPrecision: 1 },
		default: 1,
		description: 'Speaking speed, 0.8 to 2.0',
	},
	{
		displayName: 'Download Audio',
		name: 'downloadAudio',
		type: 'boolean',
		default: false,
		description: 'Whether to also return the audio file as binary data (the audio ID alone is enough for Avatar Video → Create)',
	},
	{
		displayName: 'Put Audio in Field',
		name: 'audioBinaryProperty',
		type: 'string',
		default: 'audio',
		required: true,
		displayOptions: { show: { downloadAudio: [true] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Allow Voice IDs Not in the Catalogue',
				name: 'allowUnlistedVoice',
				type: 'boolean',
				default: false,
				description:
					'Whether to send a voice ID that is not in this node\'s copy of Kling\'s text-to-speech catalogue for the Language, as it is (e.g. a voice Kling added later). Off: such an item is refused before anything is sent. Kling refuses an ID it does not know for the language with code 1201.',
			},
		],
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

/** Sends of one item's TTS request that Kling refused as a rate or concurrency limit (1302, 1303, 5001): the first and five more. */
export const TTS_MAX_SENDS = 6;

/**
 * Output: one item per input item, `{ audioId, audioUrl, durationSeconds, taskId, status, unitsDeducted, raw }`
 * (normalizeSpeech), with the MP3 under the chosen field when Download Audio is on.
 *
 * Never pays twice for one item's speech, whatever n8n does to the node: every TTS request is in the
 * task ledger (speechLedger.ts) as pending right before it is sent, and with its answer (the audio)
 * the moment it comes. Every call of the node reads the ledger first: an item whose audio was made
 * by an earlier call (Retry On Fail, the Executions list's Retry, an AI tool retry with the same
 * arguments) gets that audio again without a request to Kling. A request whose answer was lost
 * (no answer, reset, 5xx other than maintenance) cannot be looked up — Kling's TTS takes no client
 * key and has no documented query (provider-apis.md §1.7) — so, as for Akool and Mingyan, it is
 * never sent again in this execution: the item fails saying the speech may have been created.
 * Why not re-send it, TTS being cheap? Because the node cannot tell "lost" from "made and paid",
 * and the promise is one paid request per item; the error says how to make it anew (a new
 * execution), which is the user's call, not the node's.
 */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	// First, before anything can fail: a later Retry must see that this node ran (taskLedger.ts).
	const ledger = TaskLedger.open(this.getContext('node'));
	const run = ledgerRunScope(this);
	// Earlier runs of the node in this execution (a loop's earlier rounds) are never run again.
	if (run !== 'tool') ledger.forgetRunsBefore(Number(run));
	const asTool = runsAsTool(this);

	// Validate every item before the first (paid) request.
	const bodies: Array<{ body: IDataObject; audioProperty?: string; unlisted?: string } | Error> = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const text = readString(this, i, 'text', { field: 'Text', kind: 'text', provider: 'Kling', required: 'the text is empty' });
			if (text.length > KLING_TTS_TEXT_MAX_CHARS) {
				throw invalidInput(this, i, 'Text', `the text has ${text.length} characters; the limit is ${KLING_TTS_TEXT_MAX_CHARS}`, 'Kling');
			}
			const voiceId = readString(this, i, 'voiceId', { field: 'Voice', kind: 'id', provider: 'Kling', required: 'no voice is selected' });
			const voiceLanguage = readString(this, i, 'voiceLanguage', { field: 'Language', kind: 'id', provider: 'Kling', fallback: 'en', oneOf: ['en', 'zh'] }) as TtsLanguage;
			// Kling refuses a pair outside its TTS catalogue with 1201 (provider-apis.md §6.1): say so before sending.
			const unlisted = ttsVoicePairProblem(voiceId, voiceLanguage);
			if (unlisted && this.getNodeParameter('options.allowUnlistedVoice', i, false) !== true) {
				throw voiceNotInCatalogue(this, i, unlisted);
			}
			const speed = Number(this.getNodeParameter('voiceSpeed', i, 1));
			if (!(speed >= KLING_TTS_SPEED.min && speed <= KLING_TTS_SPEED.max)) {
				throw invalidInput(this, i, 'Speed', `the speed is ${speed}; it must be between ${KLING_TTS_SPEED.min} and ${KLING_TTS_SPEED.max}`, 'Kling');
			}
			// As an AI Agent tool the binary would be dropped by n8n: the agent gets the audio's URL and ID.
			const audioProperty = this.getNodeParameter('downloadAudio', i, false) && !asTool
				? readString(this, i, 'audioBinaryProperty', { field: 'Put Audio in Field', kind: 'id', provider: 'Kling', fallback: 'audio' }) || 'audio'
				: undefined;
			bodies.push({
				body: {
					text,
					voice_id: voiceId,
					voice_language: voiceLanguage,
					voice_speed: Math.round(speed * 10) / 10,
				},
				audioProperty,
				unlisted,
			});
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			bodies.push(error);
		}
	}

	// How each valid item starts, from the ledger: the same plan as every create without a client key.
	const jobs: CreateJob[] = [];
	bodies.forEach((prepared, i) => {
		if (!(prepared instanceof Error)) jobs.push({ key: speechLedgerKey(run, i, prepared.body), itemIndex: i });
	});
	const plan = planCreates(jobs, { ledger, clientKeys: false, newKey: () => '', recordLost: ledgerRecordLost(this, ledger, SPEECH_LEDGER_PROVIDER) });
	const startOf = new Map(jobs.map((job, n) => [job.itemIndex, { key: job.key, start: plan[n] }]));
	const batchKeys = jobs.map((job) => job.key);
	/** Keeps the execution's custom data naming the batch's audio IDs (executionRecord.ts): they survive a Stop. */
	const noteAudioIds = () =>
		recordTaskIds(
			this,
			'Kling TTS audio',
			ledger.tasksOf(batchKeys).map((a) => ({ itemIndex: a.itemIndex, taskId: (rememberedSpeech(a)?.audioId as string | null | undefined) ?? null })),
		);
	noteAudioIds();

	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const prepared = bodies[i];
		if (prepared instanceof Error) {
			output.push(errorItem(prepared, i, { audioId: null }));
			continue;
		}
		const { body, audioProperty, unlisted } = prepared;
		const { key, start } = startOf.get(i) as { key: string; start: CreateStart };
		let json: IDataObject | undefined;
		try {
			json = await speechOf(this, ledger, { key, item: { itemIndex: i, provider: SPEECH_LEDGER_PROVIDER, run }, start, body });
			noteAudioIds();
			checkAudio(this, json, i);
			const item: INodeExecutionData = { json, pairedItem: { item: i } };
			if (audioProperty && json.audioUrl) {
				item.binary = {
					[audioProperty]: await downloadToBinary(this, String(json.audioUrl), `kling-tts-${json.audioId}.mp3`, 'audio/mpeg', i),
				};
			}
			output.push(item);
		} catch (error) {
			if (!json) nameTheVoice(error, body, unlisted);
			if (!continueAfter(this, error)) throw atItem(error, i);
			// A download that failed after the speech was made still names it (its audio ID is usable).
			output.push(
				errorItem(error, i, {
					taskId: json?.taskId as string | null | undefined,
					status: json?.status as string | null | undefined,
					audioId: (json?.audioId as string | null | undefined) ?? null,
				}),
			);
		}
	}
	return output;
}

interface SpeechJob {
	key: string;
	item: LedgerItemRef;
	start: CreateStart;
	body: IDataObject;
}

/** One item's speech: remembered from an earlier call of the node, or made now; throws when neither may be. */
async function speechOf(ctx: IExecuteFunctions, ledger: TaskLedger, job: SpeechJob): Promise<IDataObject> {
	const { item, start } = job;
	const i = item.itemIndex;
	switch (start.kind) {
		case 'follow': {
			const remembered = rememberedSpeech(start.known) ?? {
				audioId: null,
				audioUrl: null,
				durationSeconds: null,
				taskId: start.known.taskId,
				status: start.known.status,
				unitsDeducted: null,
				raw: {},
			};
			ctx.logger.info(`Kling TTS: item ${i} reuses audio ${String(remembered.audioId)} (task ${start.known.taskId}), made by an earlier run of this node; not sending the text again`);
			return remembered;
		}
		case 'create':
			return await sendTts(ctx, ledger, job, start.attempt);
		case 'pendingUnknown':
			throw sentEarlierWithoutAnswer(ctx, start.known, i);
		case 'recordLost':
			throw recordLost(ctx, i);
		default:
			// Lookups and user keys need a client key, which TTS does not take: never planned here.
			throw new NodeOperationError(ctx.getNode(), `Unexpected plan "${start.kind}" for item ${i}`, { itemIndex: i });
	}
}

/**
 * Sends one item's TTS request. Refusals that made nothing (1302, 1303, HTTP 429, Kling's 5001) are
 * sent again with the project's backoff (schedule.ts), up to TTS_MAX_SENDS; a request whose answer
 * was lost stays pending in the ledger and fails the item (see ttsFailureKind).
 */
async function sendTts(ctx: IExecuteFunctions, ledger: TaskLedger, job: SpeechJob, attempt: number): Promise<IDataObject> {
	const { key, item, body } = job;
	const i = item.itemIndex;
	for (let sends = 1; ; sends++) {
		// Synchronously right before the request: from here on a lost answer leaves a trace.
		ledger.sending(key, item, attempt, null);
		let data: IDataObject;
		try {
			// TTS answers synchronously with the finished audio.
			data = await klingRequest<IDataObject>(ctx, { method: 'POST', path: TTS_PATH, body, itemIndex: i, what: 'Creating speech' });
		} catch (error) {
			// Stop / timeout: the request may have reached Kling; the ledger keeps it pending.
			if (isCancellation(error)) return await Promise.reject(error);
			const kind = ttsFailureKind(error);
			if (kind === 'ambiguous') throw mayHaveBeenCreated(ctx, error as Error, i);
			ledger.notCreated(key); // refused: Kling made nothing
			if ((kind === 'retryable' || kind === 'capacity') && sends < TTS_MAX_SENDS) {
				const delay = retryDelayMs(sends, kind === 'capacity' ? CAPACITY_RETRY_POLICY : DEFAULT_RETRY_POLICY);
				ctx.logger.info(`Kling TTS: item ${i} refused (${(error as Error).message}); sending it again in ${delay} ms`);
				await sleepUnlessCancelled(ctx, delay);
				continue;
			}
			return await Promise.reject(error);
		}
		const speech = normalizeSpeech(data);
		// First: from here on, no other call of the node pays for this item's speech again.
		rememberSpeech(ledger, key, item, speech);
		ctx.logger.info(`Kling TTS: item ${i} made audio ${String(speech.audioId)} (task ${String(speech.taskId)})${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
		return speech;
	}
}

/** An answer without an audio: failed (a Retry sends the text again), or not finished (it never will be collected). */
function checkAudio(ctx: IExecuteFunctions, json: IDataObject, itemIndex: number): void {
	if (json.audioId) return;
	const raw = (json.raw as IDataObject | undefined) ?? {};
	const taskId = String(json.taskId ?? '(ID unknown)');
	if (speechTaskStatus(raw.task_status ?? json.status) === 'failed') {
		throw new NodeOperationError(ctx.getNode(), `Kling TTS task ${taskId} failed: ${String(raw.task_status_msg || 'no reason given')}`, {
			itemIndex,
			description: 'Kling answered the text-to-speech request as failed: no audio was made. A Retry of this node or execution sends the text again.',
		});
	}
	throw new NodeOperationError(ctx.getNode(), `Kling accepted the text-to-speech request as task ${taskId} (${String(json.status || 'no status')}) but sent no audio`, {
		itemIndex,
		description:
			'Kling\'s text-to-speech answers with the finished audio, and Kling documents no way to read a TTS task later, so this audio cannot be collected. A Retry of this node or execution does not send the text again (that could pay twice); run the workflow again as a new execution to make it anew.',
	});
}

const NO_LOOKUP =
	'Kling\'s text-to-speech takes no client key and has no documented query, so the node cannot find out whether the audio was made, and does not send the text again (that could pay twice).';

/** This call's TTS request got no usable answer (no answer, reset, 5xx other than 5001). */
function mayHaveBeenCreated(ctx: IExecuteFunctions, error: Error, itemIndex: number): NodeOperationError {
	const said = (error as { description?: unknown }).description;
	return new NodeOperationError(ctx.getNode(), `${error.message}; the speech may have been created`, {
		itemIndex,
		description: [
			typeof said === 'string' && said ? said : undefined,
			NO_LOOKUP,
			'A Retry of this node or of this execution will not send it either. To make the audio, run the workflow again as a new execution.',
		]
			.filter(Boolean)
			.join(' '),
	});
}

/** An earlier call of the node (Retry On Fail, the Executions list's Retry, a tool retry) sent this item's text and got no answer. */
function sentEarlierWithoutAnswer(ctx: IExecuteFunctions, known: LedgerAttempt, itemIndex: number): NodeOperationError {
	return new NodeOperationError(
		ctx.getNode(),
		`An earlier run of this node sent this item's text to Kling at ${known.sentAt} and got no answer: the speech may have been created`,
		{
			itemIndex,
			description: `${NO_LOOKUP} Nothing was sent for this item now, nor will a later Retry of this execution send it. To make the audio, run the workflow again as a new execution.`,
		},
	);
}

/** A Retry of a run interrupted during (or maybe before) this node, whose record n8n did not keep. */
function recordLost(ctx: IExecuteFunctions, itemIndex: number): NodeOperationError {
	return new NodeOperationError(
		ctx.getNode(),
		'This Retry repeats an execution that was stopped (or whose worker died), and n8n kept no record of this node: if it was running then, the speech may have been created already',
		{
			itemIndex,
			description:
				'n8n saves a stopped execution without the running node\'s data, so this Retry cannot know whether this node had sent this text (and paid for it). Nothing was sent for this item, nor will a later Retry of this execution send it. Audio IDs the node made are in the n8n log ("Kling TTS: item N made audio …") and, where n8n kept it, in that execution\'s custom data (tasks_<node name>): use one with Avatar Video → Create (Audio Source: Kling TTS Audio ID). If the execution stopped before this node ran, nothing was sent: run the workflow again as a new execution.',
		},
	);
}

/** A pair outside the TTS catalogue, refused before sending (Kling would answer 1201). */
function voiceNotInCatalogue(ctx: IExecuteFunctions, itemIndex: number, problem: string): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), `Invalid "Voice" in item ${itemIndex}: ${problem}`, {
		itemIndex,
		description:
			'Checked before sending: nothing was sent to Kling for this item. Kling\'s text-to-speech takes only the voices of its TTS catalogue, each for its language; IDs from List Voices → Preset Voices or Custom Voices are refused. Pick a voice from the Voice list for this Language, change the Language, or turn on Options → Allow Voice IDs Not in the Catalogue to send the ID as it is.',
	});
}

/**
 * Kling's refusal of an unknown voice, 1201 "Voice id not found" (provider-apis.md §1.3, §6.1),
 * names neither the voice nor the language: add both, and what the catalogue says about the pair.
 */
export function nameTheVoice(error: unknown, body: IDataObject, unlisted: string | undefined): void {
	if (!(error instanceof NodeApiError)) return;
	const aboutVoice = /\bvoice\b/i.test(error.message);
	if (!aboutVoice && !/\bcode 1201\b/.test(error.message)) return;
	const voiceId = String(body.voice_id);
	const language = String(body.voice_language);
	error.message = `${error.message} (voice "${voiceId}", language "${language}")`;
	let hint: string | undefined;
	if (unlisted) {
		hint = `This node's catalogue (a snapshot of 2026-11-29) agrees: ${unlisted}. It was sent only because "Allow Voice IDs Not in the Catalogue" is on.`;
	} else if (aboutVoice) {
		hint = `Voice "${voiceId}" is in this node's catalogue for "${language}" (a snapshot of 2026-11-29): Kling may have withdrawn it, so pick another voice.`;
	}
	if (hint) error.description = [error.description, hint].filter(Boolean).join(' ');
}
