/**
 * Expressions that give the wrong type in string fields are refused before anything is sent,
 * through n8n-core's real parameter resolution: an object Prompt must not become "[object Object]"
 * in a paid Kling task, nor two Image URLs one comma-joined string. The emulator's counters prove
 * that nothing reached the provider.
 */
import type { IDataObject, INode } from 'n8n-workflow';
import type { Emulator } from '../../emulator/server';
import { akoolKeyCredentials, akoolNode, FAST as AKOOL_FAST, TIMINGS as AKOOL_TIMINGS, videoParams } from './akool.setup';
import { createParams as klingCreateParams, klingCredentials, klingNode } from './kling.setup';
import { createParams as mingyanCreateParams, mingyanCredentials, mingyanNode } from './mingyan.setup';
import { errorOf, fixture, jsonOf, runNode, startTestBed, type TestBed } from './setup';

const portrait = { data: fixture('portrait.png'), fileName: 'portrait.png', mimeType: 'image/png' };
const voice = { data: fixture('voice.mp3'), fileName: 'voice.mp3', mimeType: 'audio/mpeg' };

/** Every provider request the emulator saw that could create or cost something. */
function sends(e: Emulator): IDataObject {
	return {
		klingCreates: e.kling.counters.createRequests,
		klingTts: e.kling.counters.ttsRequests,
		klingGets: e.kling.counters.getRequests,
		akoolCreates: e.akool.counters.createRequests,
		akoolAvatarCreates: e.akool.counters.avatarCreateRequests,
		akoolDetails: e.akool.counters.detailRequests,
		mingyanCreates: e.mingyan.counters.createRequests,
		mingyanResults: e.mingyan.counters.resultRequests,
	};
}
const NOTHING = { klingCreates: 0, klingTts: 0, klingGets: 0, akoolCreates: 0, akoolAvatarCreates: 0, akoolDetails: 0, mingyanCreates: 0, mingyanResults: 0 };

interface Refusal {
	name: string;
	node: (e: Emulator) => INode;
	credentials: (e: Emulator) => Record<string, Record<string, string>>;
	/** The item's json (the expression reads from it); binaries for Kling are added. */
	json: IDataObject;
	message: RegExp;
}

const script = { script: { text: 'Hello there, welcome to the show.', lang: 'en' } };
const twoUrls = (e: Emulator, file: string) => [`${e.url}/assets/${file}`, `${e.url}/assets/${file}?copy`];

const REFUSALS: Refusal[] = [
	// Kling Avatar → Create
	{
		name: 'Kling Prompt = an object ({{ $json.script }})',
		node: () => klingNode(klingCreateParams({ prompt: '={{ $json.script }}' })),
		credentials: klingCredentials,
		json: script,
		message: /^Invalid "Prompt" in item 0: expected text but got an object \(keys: text, lang\); use \{\{ \$json\.script\.text \}\} to pass its "text" field$/,
	},
	{
		name: 'Kling Prompt = text with an embedded object ("Say: {{ $json.script }}")',
		node: () => klingNode(klingCreateParams({ prompt: '=Say: {{ $json.script }}' })),
		credentials: klingCredentials,
		json: script,
		message: /^Invalid "Prompt" in item 0: expected text but got text containing "\[object Object\]"/,
	},
	{
		name: 'Kling Image URL = an array of two URLs',
		node: () => klingNode(klingCreateParams({ imageSource: 'url', imageUrl: '={{ $json.images }}' })),
		credentials: klingCredentials,
		json: { images: ['https://cdn.example.com/a.png', 'https://cdn.example.com/b.png'] },
		message: /^Invalid "Image URL" in item 0: expected a URL \(text\) but got an array of 2 elements; pick one element \(e\.g\. \{\{ \$json\.images\[0\] \}\}\), or split the list into one item per element first \(Split Out node\)$/,
	},
	{
		name: 'Kling Audio URL = null',
		node: () => klingNode(klingCreateParams({ audioSource: 'url', audioUrl: '={{ $json.voice }}' })),
		credentials: klingCredentials,
		json: { voice: null },
		message: /^Invalid "Audio URL" in item 0: expected a URL \(text\) but got null; the expression gave no value/,
	},
	{
		name: 'Kling Image (Base64) = an object',
		node: () => klingNode(klingCreateParams({ imageSource: 'base64', imageBase64: '={{ $json.file }}' })),
		credentials: klingCredentials,
		json: { file: { base64: 'iVBORw0KGgo=', mimeType: 'image/png' } },
		message: /^Invalid "Image \(Base64\)" in item 0: expected Base64 text but got an object \(keys: base64, mimeType\); use \{\{ \$json\.file\.base64 \}\}/,
	},
	{
		name: 'Kling Audio ID = an object (the whole Speech output)',
		node: () => klingNode(klingCreateParams({ audioSource: 'audioId', audioId: '={{ $json.speech }}' })),
		credentials: klingCredentials,
		json: { speech: { audioId: '8680000001', audioUrl: 'https://x.test/a.mp3', durationSeconds: 3 } },
		message: /^Invalid "Audio ID" in item 0: expected an ID \(text\) but got an object .*; use \{\{ \$json\.speech\.audioId \}\}/,
	},
	{
		name: 'Kling External Task ID = an array of two IDs',
		node: () => klingNode(klingCreateParams({ options: { externalTaskId: '={{ $json.ids }}' } })),
		credentials: klingCredentials,
		json: { ids: ['order-1', 'order-2'] },
		message: /^Invalid "External Task ID" in item 0: expected an ID \(text\) but got an array of 2 elements/,
	},
	{
		name: 'Kling Callback URL = a boolean',
		node: () => klingNode(klingCreateParams({ options: { callbackUrl: '={{ $json.notify }}' } })),
		credentials: klingCredentials,
		json: { notify: true },
		message: /^Invalid "Callback URL" in item 0: expected a URL \(text\) but got a boolean \(true\)/,
	},
	{
		name: 'Kling Mode = an object',
		node: () => klingNode(klingCreateParams({ mode: '={{ $json.quality }}' })),
		credentials: klingCredentials,
		json: { quality: { mode: 'pro' } },
		message: /^Invalid "Mode" in item 0: expected an ID \(text\) but got an object \(keys: mode\)/,
	},
	// Kling Speech → Create, Avatar Video → Get
	{
		name: 'Kling Speech Text = an object',
		node: () => klingNode({ resource: 'speech', operation: 'create', text: '={{ $json.script }}', voiceLanguage: 'en', voiceId: 'oversea_male1', voiceSpeed: 1 }),
		credentials: klingCredentials,
		json: script,
		message: /^Invalid "Text" in item 0: expected text but got an object \(keys: text, lang\); use \{\{ \$json\.script\.text \}\}/,
	},
	{
		name: 'Kling Speech Text = a boolean',
		node: () => klingNode({ resource: 'speech', operation: 'create', text: '={{ $json.ok }}', voiceLanguage: 'en', voiceId: 'oversea_male1', voiceSpeed: 1 }),
		credentials: klingCredentials,
		json: { ok: false },
		message: /^Invalid "Text" in item 0: expected text but got a boolean \(false\)/,
	},
	{
		name: 'Kling Get Task ID = a number too large to be exact',
		node: () => klingNode({ resource: 'avatarVideo', operation: 'get', findBy: 'taskId', taskId: '={{ $json.id }}', waitForCompletion: false, downloadVideo: false, options: {} }),
		credentials: klingCredentials,
		json: { id: 868042432201194527 },
		message: /^Invalid "Task ID" in item 0: expected an ID \(text\) but got the number 868042432201194500; it is too large to be exact/,
	},
	// Akool
	{
		name: 'Akool Avatar = an object (a whole avatar from Get Many)',
		node: (e) => akoolNode(videoParams(e, { avatarId: '={{ $json.avatar }}' })),
		credentials: akoolKeyCredentials,
		json: { avatar: { id: '65a1', avatarId: 'dvp_Tristan_cloth2_1080P', name: 'Tristan' } },
		message: /^Invalid "Avatar" in item 0: expected an ID \(text\) but got an object \(keys: id, avatarId, name\); use \{\{ \$json\.avatar\.avatarId \}\}/,
	},
	{
		name: 'Akool Audio URL = an array of two URLs',
		node: (e) => akoolNode(videoParams(e, { audioUrl: '={{ $json.voices }}' })),
		credentials: akoolKeyCredentials,
		json: {},
		message: /^Invalid "Audio URL" in item 0: expected a URL \(text\) but got an array of 2 elements/,
	},
	{
		name: 'Akool Webhook URL = an object',
		node: (e) => akoolNode(videoParams(e, { options: { webhookUrl: '={{ $json.hook }}' } })),
		credentials: akoolKeyCredentials,
		json: { hook: { url: 'https://example.com/hook' } },
		message: /^Invalid "Webhook URL" in item 0: expected a URL \(text\) but got an object \(keys: url\); use \{\{ \$json\.hook\.url \}\}/,
	},
	{
		name: 'Akool Avatar → Create: Video URL = an object',
		node: () => akoolNode({ resource: 'avatar', operation: 'create', url: '={{ $json.video }}', avatarId: 'myAvatar01', avatarType: 1, options: AKOOL_FAST }),
		credentials: akoolKeyCredentials,
		json: { video: { link: 'https://example.com/me.mp4' } },
		message: /^Invalid "Video URL" in item 0: expected a URL \(text\) but got an object \(keys: link\); use \{\{ \$json\.video\.link \}\}/,
	},
	{
		name: 'Akool Avatar → Create: Avatar ID = null',
		node: (e) => akoolNode({ resource: 'avatar', operation: 'create', url: `${e.url}/assets/sample.mp4`, avatarId: '={{ $json.id }}', avatarType: 1, options: AKOOL_FAST }),
		credentials: akoolKeyCredentials,
		json: { id: null },
		message: /^Invalid "Avatar ID" in item 0: expected an ID \(text\) but got null/,
	},
	{
		name: 'Akool Avatar → Get: ID = an array of two IDs',
		node: () => akoolNode({ resource: 'avatar', operation: 'get', id: '={{ $json.ids }}' }),
		credentials: akoolKeyCredentials,
		json: { ids: ['a1', 'a2'] },
		message: /^Invalid "ID" in item 0: expected an ID \(text\) but got an array of 2 elements/,
	},
	// Mingyan
	{
		name: 'Mingyan Video URL = an object',
		node: (e) => mingyanNode(mingyanCreateParams(e, { videoUrl: '={{ $json.clip }}' })),
		credentials: mingyanCredentials,
		json: { clip: { videoUrl: 'https://example.com/clip.mp4', seconds: 12 } },
		message: /^Invalid "Video URL" in item 0: expected a URL \(text\) but got an object \(keys: videoUrl, seconds\); use \{\{ \$json\.clip\.videoUrl \}\}/,
	},
	{
		name: 'Mingyan Audio URL = an array of two URLs',
		node: (e) => mingyanNode(mingyanCreateParams(e, { audioUrl: '={{ $json.voices }}' })),
		credentials: mingyanCredentials,
		json: {},
		message: /^Invalid "Audio URL" in item 0: expected a URL \(text\) but got an array of 2 elements/,
	},
	{
		name: 'Mingyan Model = an object',
		node: (e) => mingyanNode(mingyanCreateParams(e, { model: '={{ $json.model }}' })),
		credentials: mingyanCredentials,
		json: { model: { name: 'kyy_digitalHuman', version: 2 } },
		message: /^Invalid "Model" in item 0: expected an ID \(text\) but got an object \(keys: name, version\); use \{\{ \$json\.model\.name \}\}/,
	},
	{
		name: 'Mingyan Put Video in Field = an object',
		node: (e) => mingyanNode(mingyanCreateParams(e, { videoBinaryProperty: '={{ $json.output }}' })),
		credentials: mingyanCredentials,
		json: { output: { name: 'video', folder: 'out' } },
		message: /^Invalid "Put Video in Field" in item 0: expected an ID \(text\) but got an object \(keys: name, folder\); use \{\{ \$json\.output\.name \}\}/,
	},
	{
		name: 'Mingyan Get Task ID = undefined (a field the item does not have)',
		node: () => mingyanNode({ resource: 'lipSyncVideo', operation: 'get', taskId: '={{ $json.taskid }}', waitForCompletion: false, downloadVideo: false, options: {} }),
		credentials: mingyanCredentials,
		json: { taskId: 'dh_1' },
		message: /^Invalid "Task ID" in item 0: expected an ID \(text\) but got nothing \(undefined\); the expression refers to a field this item does not have/,
	},
];

describe('string parameters of the wrong type are refused before anything is sent', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ kling: { submittedMs: 100, processingMs: 300 }, akool: AKOOL_TIMINGS, mingyan: { queuedMs: 100, processingMs: 300 } });
	});
	afterAll(async () => bed?.close());
	beforeEach(() => bed.emulator.reset());

	const itemFor = (r: Refusal, e: Emulator) => {
		const json = { ...r.json };
		// Arrays of emulator URLs need the emulator's address.
		if (r.name.startsWith('Akool Audio URL')) json.voices = twoUrls(e, 'voice.mp3');
		if (r.name.startsWith('Mingyan Audio URL')) json.voices = twoUrls(e, 'voice.mp3');
		return { json, binary: { data: portrait, audio: voice } };
	};

	it.each(REFUSALS.map((r) => [r.name, r] as const))('%s: the node fails naming item, field and type; nothing was sent', async (_name, r) => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, r.node(emulator), [itemFor(r, emulator)], r.credentials(emulator));
		expect(run.status).toBe('error');
		expect(run.nodeError('Node')?.message).toMatch(r.message);
		expect((run.nodeError('Node') as { description?: string }).description).toMatch(/^Checked before sending: nothing was sent to (Kling|Akool|Mingyan) for this item\.$/);
		expect(sends(emulator)).toEqual(NOTHING);
	});

	it('with Continue (using error output) the refused item leaves on the error output and the good ones are sent', async () => {
		const { emulator, engine } = bed;
		const node: INode = { ...klingNode(klingCreateParams({ prompt: '={{ $json.script }}', downloadVideo: false })), onError: 'continueErrorOutput' };
		const run = await runNode(
			engine,
			node,
			[
				{ json: { script: 'Wave and smile.' }, binary: { data: portrait, audio: voice } },
				{ json: script, binary: { data: portrait, audio: voice } },
			],
			klingCredentials(emulator),
		);
		expect(run.status).toBe('success');
		expect(run.output('Node', 0).map((i) => i.json.status)).toEqual(['succeeded']);
		const [refused] = run.output('Node', 1);
		expect(refused.pairedItem).toEqual({ item: 1 });
		expect(errorOf(refused)).toMatchObject({ message: expect.stringMatching(/^Invalid "Prompt" in item 1: expected text but got an object/), taskId: null });
		expect(emulator.kling.counters.createRequests).toBe(1);
		expect(emulator.kling.tasks().map((t) => t.prompt)).toEqual(['Wave and smile.']);
	});

	it('a one-element array is unwrapped, and numbers become text where text or an ID is expected', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(
			engine,
			klingNode(klingCreateParams({ imageSource: 'url', imageUrl: '={{ $json.images }}', prompt: '={{ $json.take }}', downloadVideo: false, options: { externalTaskId: '={{ $json.order }}' } })),
			[{ json: { images: [`${emulator.url}/assets/portrait.jpg`], take: 7, order: 90210 }, binary: { audio: voice } }],
			klingCredentials(emulator),
		);
		expect(run.status).toBe('success');
		const [task] = emulator.kling.tasks();
		expect(task.body.image).toBe(`${emulator.url}/assets/portrait.jpg`);
		expect(task.prompt).toBe('7');
		expect(task.externalTaskId).toBe('90210');
		expect(jsonOf(run)[0]).toMatchObject({ status: 'succeeded', externalTaskId: '90210' });

		emulator.reset();
		const tts = await runNode(
			engine,
			klingNode({ resource: 'speech', operation: 'create', text: '={{ $json.n }}', voiceLanguage: 'en', voiceId: '={{ $json.voices }}', voiceSpeed: 1 }),
			[{ json: { n: 42, voices: ['oversea_male1'] } }],
			klingCredentials(emulator),
		);
		expect(tts.status).toBe('success');
		expect(emulator.kling.counters.ttsRequests).toBe(1);
		expect(jsonOf(tts)[0].audioId).toBeTruthy();
	});
});
