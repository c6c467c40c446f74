import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { downloadToBinary } from '../../../shared/download';
import { atItem, continueAfter, errorItem, invalidInput } from '../../../shared/items';
import { readString } from '../../../shared/parameters';
import { KLING_TTS_SPEED, KLING_TTS_TEXT_MAX_CHARS } from '../../limits';
import { normalizeSpeech, TTS_PATH } from '../../speech';
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

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
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
			const audioProperty = this.getNodeParameter('downloadAudio', i, false)
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

	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const prepared = bodies[i];
		if (prepared instanceof Error) {
			output.push(errorItem(prepared, i, { audioId: null }));
			continue;
		}
		const { body, audioProperty, unlisted } = prepared;
		let json: IDataObject | undefined;
		try {
			// TTS answers synchronously with the finished audio.
			const data = await klingRequest<IDataObject>(this, { method: 'POST', path: TTS_PATH, body, itemIndex: i, what: 'Creating speech' });
			json = normalizeSpeech(data);
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
