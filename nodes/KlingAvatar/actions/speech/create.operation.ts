import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { downloadToBinary } from '../../../shared/download';
import { atItem, continueAfter, errorItem, invalidInput } from '../../../shared/items';
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
	const bodies: Array<IDataObject | Error> = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const text = String(this.getNodeParameter('text', i, ''));
			if (!text.trim()) throw invalidInput(this, i, 'Text', 'the text is empty', 'Kling');
			if (text.length > KLING_TTS_TEXT_MAX_CHARS) {
				throw invalidInput(this, i, 'Text', `the text has ${text.length} characters; the limit is ${KLING_TTS_TEXT_MAX_CHARS}`, 'Kling');
			}
			const voiceId = String(this.getNodeParameter('voiceId', i, '')).trim();
			if (!voiceId) throw invalidInput(this, i, 'Voice', 'no voice is selected', 'Kling');
			const speed = Number(this.getNodeParameter('voiceSpeed', i, 1));
			if (!(speed >= KLING_TTS_SPEED.min && speed <= KLING_TTS_SPEED.max)) {
				throw invalidInput(this, i, 'Speed', `the speed is ${speed}; it must be between ${KLING_TTS_SPEED.min} and ${KLING_TTS_SPEED.max}`, 'Kling');
			}
			bodies.push({
				text,
				voice_id: voiceId,
				voice_language: this.getNodeParameter('voiceLanguage', i, 'en') as string,
				voice_speed: Math.round(speed * 10) / 10,
			});
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			bodies.push(error);
		}
	}

	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const body = bodies[i];
		if (body instanceof Error) {
			output.push(errorItem(body, i));
			continue;
		}
		try {
			// TTS answers synchronously with the finished audio.
			const data = await klingRequest<IDataObject>(this, { method: 'POST', path: TTS_PATH, body, itemIndex: i, what: 'Creating speech' });
			const json = normalizeSpeech(data);
			const item: INodeExecutionData = { json, pairedItem: { item: i } };
			if (this.getNodeParameter('downloadAudio', i, false) && json.audioUrl) {
				const property = String(this.getNodeParameter('audioBinaryProperty', i, 'audio')).trim() || 'audio';
				item.binary = {
					[property]: await downloadToBinary(this, String(json.audioUrl), `kling-tts-${json.audioId}.mp3`, 'audio/mpeg', i),
				};
			}
			output.push(item);
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			output.push(errorItem(error, i));
		}
	}
	return output;
}
