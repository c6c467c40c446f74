import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { getTtsVoices } from '../../nodes/KlingAvatar/methods/loadOptions';
import { TTS_VOICES, ttsVoicesFor } from '../../nodes/KlingAvatar/ttsVoices';

/**
 * A load-options context that only knows the node's current parameters, as n8n passes them
 * (an expression stays the raw `={{ … }}` text). Anything else, credentials and HTTP included, throws.
 */
function contextFor(parameters: Record<string, unknown>): ILoadOptionsFunctions {
	const refuse = () => {
		throw new Error('the voice list must not ask for credentials or send requests');
	};
	return {
		getNode: () => ({ name: 'Kling', credentials: {} }),
		getCurrentNodeParameter: (name: string) => parameters[name],
		getCredentials: refuse,
		helpers: { httpRequest: refuse, httpRequestWithAuthentication: refuse },
	} as unknown as ILoadOptionsFunctions;
}

const load = (parameters: Record<string, unknown>): Promise<INodePropertyOptions[]> => getTtsVoices.call(contextFor(parameters));
const distinct = <T>(list: T[]) => new Set(list).size === list.length;

describe('Kling Speech → Create voice list (load options)', () => {
	it.each(['en', 'zh'] as const)('lists the catalogue voices for language %s, each once, without credentials', async (language) => {
		const options = await load({ voiceLanguage: language, voiceId: '' });
		const expected = ttsVoicesFor(language);
		expect(options.map((o) => o.value)).toEqual(expected.map((v) => v.voiceId));
		expect(options.map((o) => o.name)).toEqual(expected.map((v) => `${v.voiceName} (${v.voiceId})`));
		expect(distinct(options.map((o) => o.value))).toBe(true);
		expect(distinct(options.map((o) => o.name))).toBe(true);
	});

	it('names English voices by their Voice Guide labels, with the id visible', async () => {
		const options = await load({ voiceLanguage: 'en' });
		expect(options).toContainEqual({ name: 'Anchor (oversea_male1)', value: 'oversea_male1' });
		expect(options.map((o) => o.value)).not.toContain('tiyuxi_xuedi');
	});

	it('a Chinese voice that also exists in English gets its own label in Chinese mode', async () => {
		const options = await load({ voiceLanguage: 'zh' });
		expect(options).toContainEqual(expect.objectContaining({ name: 'Genshin Vindi2 (genshin_vindi2)', value: 'genshin_vindi2' }));
		expect(options.map((o) => o.value)).not.toContain('oversea_male1');
	});

	it('when Language is an expression, offers every catalogue id once, with the languages it exists in', async () => {
		const options = await load({ voiceLanguage: '={{ $json.lang }}' });
		const ids = [...new Set(TTS_VOICES.map((v) => v.voiceId))];
		expect(options.map((o) => o.value).sort()).toEqual(ids.sort());
		expect(distinct(options.map((o) => o.name))).toBe(true);
		expect(options.find((o) => o.value === 'genshin_vindi2')?.description).toBe('For English and Chinese; the Language must match at run time');
		expect(options.find((o) => o.value === 'oversea_male1')?.description).toBe('For English; the Language must match at run time');
	});
});
