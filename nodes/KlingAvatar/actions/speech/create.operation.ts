import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { downloadToBinary } from '../../../shared/download';
import { atItem, continueAfter, errorItem, invalidInput } from '../../../shared/items';
import { readString } from '../../../shared/parameters';
import { KLING_TTS_SPEED, KLING_TTS_TEXT_MAX_CHARS } from '../../limits';
import { normalizeSpeech, TTS_PATH } from '../../speech';
import { klingRequest } from '../../transport';

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
		description: 'Must match the voice',
	},
	{
		displayName: 'Voice Name or ID',
		name: 'voiceId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getVoices' },
		default: '',
		required: true,
		description:
			'A Kling preset voice, e.g. oversea_male1 (English). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
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
];

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	// Validate every item before the first (paid) request.
	const bodies: Array<{ body: IDataObject; audioProperty?: string } | Error> = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const text = readString(this, i, 'text', { field: 'Text', kind: 'text', provider: 'Kling', required: 'the text is empty' });
			if (text.length > KLING_TTS_TEXT_MAX_CHARS) {
				throw invalidInput(this, i, 'Text', `the text has ${text.length} characters; the limit is ${KLING_TTS_TEXT_MAX_CHARS}`, 'Kling');
			}
			const voiceId = readString(this, i, 'voiceId', { field: 'Voice', kind: 'id', provider: 'Kling', required: 'no voice is selected' });
			const voiceLanguage = readString(this, i, 'voiceLanguage', { field: 'Language', kind: 'id', provider: 'Kling', fallback: 'en', oneOf: ['en', 'zh'] });
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
		const { body, audioProperty } = prepared;
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
