import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { resultLimit, returnAllProperties } from '../../../shared/listOptions';
import { atItem, continueAfter, errorItem } from '../../../shared/items';
import { readString } from '../../../shared/parameters';
import { CUSTOM_VOICES_PATH, parseVoices, VOICES_PATH } from '../../speech';
import { klingRequest } from '../../transport';
import type { TtsLanguage } from '../../ttsVoices';
import { TTS_VOICES } from '../../ttsVoices';

const displayOptions = { show: { resource: ['speech'], operation: ['listVoices'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Voices',
		name: 'voiceList',
		type: 'options',
		options: [
			{
				name: 'Text-to-Speech Catalogue',
				value: 'tts',
				description: 'The voices Speech → Create takes, with their language (built into the node: no request to Kling)',
			},
			{
				name: 'Preset Voices (Account)',
				value: 'presets',
				description: 'Kling\'s official voice library, from your account. Kling\'s text-to-speech does not take these IDs.',
			},
			{
				name: 'Custom Voices (Account)',
				value: 'custom',
				description: 'The voices you created in your account. Kling\'s text-to-speech does not take these IDs.',
			},
		],
		default: 'tts',
	},
	{
		displayName: 'Language',
		name: 'language',
		type: 'options',
		options: [
			{ name: 'All', value: 'all' },
			{ name: 'English', value: 'en' },
			{ name: 'Chinese', value: 'zh' },
		],
		default: 'all',
		displayOptions: { show: { voiceList: ['tts'] } },
	},
	...returnAllProperties({ returnAll: true }),
];

export const description = updateDisplayOptions(displayOptions, properties);

/**
 * Output items:
 * - catalogue: `{ voiceId, voiceName, language }`, one per (voice, language) pair (ttsVoices.ts);
 * - account lists: `{ voiceId, voiceName, trialUrl, ownedBy }` from `GET /v1/general/presets-voices`
 *   or `/v1/general/custom-voices` (provider-apis.md §1.7, S8), first page of 500.
 */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const list = readString(this, i, 'voiceList', { field: 'Voices', kind: 'id', provider: 'Kling', fallback: 'tts', oneOf: ['tts', 'presets', 'custom'] });
			let voices: IDataObject[];
			if (list === 'tts') {
				const language = readString(this, i, 'language', { field: 'Language', kind: 'id', provider: 'Kling', fallback: 'all', oneOf: ['all', 'en', 'zh'] });
				voices = TTS_VOICES.filter((v) => language === 'all' || v.language === (language as TtsLanguage)).map((v) => ({ ...v }));
			} else {
				const data = await klingRequest<unknown>(this, {
					method: 'GET',
					path: list === 'presets' ? VOICES_PATH : CUSTOM_VOICES_PATH,
					qs: { pageNum: 1, pageSize: 500 },
					itemIndex: i,
					what: list === 'presets' ? 'Listing preset voices' : 'Listing custom voices',
				});
				voices = parseVoices(data) as unknown as IDataObject[];
			}
			for (const voice of voices.slice(0, resultLimit(this, i, true))) {
				output.push({ json: voice, pairedItem: { item: i } });
			}
		} catch (error) {
			if (!continueAfter(this, error)) throw atItem(error, i);
			output.push(errorItem(error, i));
		}
	}
	return output;
}
