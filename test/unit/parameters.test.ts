import type { IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { coerceString, readString } from '../../nodes/shared/parameters';

const problemOf = (...args: Parameters<typeof coerceString>): string => {
	const result = coerceString(...args);
	if (result.ok) throw new Error(`expected a refusal, got "${result.value}"`);
	return result.problem;
};
const valueOf = (...args: Parameters<typeof coerceString>): string => {
	const result = coerceString(...args);
	if (!result.ok) throw new Error(`expected a value, got: ${result.problem}`);
	return result.value;
};

describe('coerceString: what a string field accepts', () => {
	it('takes strings: trimmed for IDs, URLs and Base64, kept as typed for text', () => {
		expect(valueOf('  868  ', 'id')).toBe('868');
		expect(valueOf(' https://x.test/a.png ', 'url')).toBe('https://x.test/a.png');
		expect(valueOf(' QUJD ', 'base64')).toBe('QUJD');
		expect(valueOf('  Smile, then wave.  ', 'text')).toBe('  Smile, then wave.  ');
		expect(valueOf('', 'text')).toBe('');
	});

	it('turns numbers into text where an ID or text is expected', () => {
		expect(valueOf(42, 'text')).toBe('42');
		expect(valueOf(3.5, 'text')).toBe('3.5');
		expect(valueOf(1234567, 'id')).toBe('1234567');
	});

	it('refuses a number too large to be exact as an ID (it lost digits when read as a number)', () => {
		expect(problemOf(868042432201194527, 'id')).toMatch(/^expected an ID \(text\) but got the number 868042432201194500; it is too large to be exact, so the ID lost digits/);
		// As text the same number is just a number.
		expect(valueOf(868042432201194527, 'text')).toBe('868042432201194500');
	});

	it('refuses numbers as URLs and Base64, and non-finite numbers everywhere', () => {
		expect(problemOf(42, 'url')).toBe('expected a URL (text) but got the number 42; give a URL (text)');
		expect(problemOf(42, 'base64')).toMatch(/^expected Base64 text but got the number 42/);
		expect(problemOf(Number.NaN, 'text')).toBe('expected text but got the number NaN');
		expect(problemOf(Number.POSITIVE_INFINITY, 'id')).toBe('expected an ID (text) but got the number Infinity');
	});

	it('refuses booleans for text and IDs', () => {
		expect(problemOf(true, 'text')).toMatch(/^expected text but got a boolean \(true\); check that the expression refers to the right field/);
		expect(problemOf(false, 'id')).toMatch(/^expected an ID \(text\) but got a boolean \(false\)/);
	});

	it('refuses null and undefined with a hint about the missing field', () => {
		expect(problemOf(null, 'text')).toMatch(/^expected text but got null; the expression gave no value: check that the field exists/);
		expect(problemOf(undefined, 'url')).toMatch(/^expected a URL \(text\) but got nothing \(undefined\); the expression refers to a field this item does not have/);
	});

	it('unwraps a one-element array', () => {
		expect(valueOf(['https://x.test/a.png'], 'url')).toBe('https://x.test/a.png');
		expect(valueOf([7], 'id')).toBe('7');
		expect(valueOf([' hello '], 'text')).toBe(' hello ');
	});

	it('refuses an element of a one-element array that is itself unusable, saying where it came from', () => {
		expect(problemOf([{ text: 'hi' }], 'text', '={{ $json.scripts }}')).toBe(
			'expected text but got an object (keys: text) (the only element of an array); use {{ $json.scripts[0].text }} to pass its "text" field',
		);
		expect(problemOf([['a', 'b']], 'url')).toMatch(/got an array of 2 elements \(the only element of an array\)/);
		expect(problemOf([null], 'id')).toMatch(/got null \(the only element of an array\)/);
	});

	it('refuses a multi-element array: pick one element, or split the list into items', () => {
		expect(problemOf(['https://x.test/a.png', 'https://x.test/b.png'], 'url', '={{ $json.imageUrls }}')).toBe(
			'expected a URL (text) but got an array of 2 elements; pick one element (e.g. {{ $json.imageUrls[0] }}), or split the list into one item per element first (Split Out node)',
		);
		expect(problemOf(['a', 'b', 'c'], 'text')).toMatch(/an array of 3 elements; pick one element \(e\.g\. add \[0\] to the expression\)/);
		expect(problemOf([], 'id')).toBe('expected an ID (text) but got an empty array; the expression gave a list with nothing in it');
	});

	it('refuses an object and names the field to use: {{ $json.script.text }} for an object with a text key', () => {
		expect(problemOf({ text: 'Hello there', lang: 'en' }, 'text', '={{ $json.script }}')).toBe(
			'expected text but got an object (keys: text, lang); use {{ $json.script.text }} to pass its "text" field',
		);
	});

	it('picks the likely key per kind: url/…Url for URLs, id/taskId for IDs, the only text key otherwise', () => {
		expect(problemOf({ name: 'voice', audioUrl: 'https://x.test/v.mp3' }, 'url', '={{ $json.media }}')).toMatch(/use \{\{ \$json\.media\.audioUrl \}\} to pass its "audioUrl" field$/);
		expect(problemOf({ href: 'https://x.test/v.mp3', size: 3 }, 'url', '={{ $json.link }}')).toMatch(/use \{\{ \$json\.link\.href \}\}/);
		expect(problemOf({ taskId: '868', status: 'succeeded' }, 'id', '={{ $json }}')).toMatch(/use \{\{ \$json\.taskId \}\} to pass its "taskId" field$/);
		expect(problemOf({ words: 'only this', count: 2 }, 'text', '={{ $json.line }}')).toMatch(/use \{\{ \$json\.line\.words \}\}/);
		expect(problemOf({ 'spoken text': 'hi' }, 'text', '={{ $json.row }}')).toMatch(/use \{\{ \$json\.row\["spoken text"\] \}\}/);
		expect(problemOf({ a: 'x', b: 'y' }, 'text', '={{ $json.row }}')).toMatch(/keys: a, b\); refer to the field of the object that holds the value$/);
		expect(problemOf({}, 'text')).toMatch(/^expected text but got an empty object; refer to the field/);
	});

	it('suggests the field\'s own key first when told (an Akool avatar: avatarId, not its record id)', () => {
		const avatar = { id: '65a1', avatarId: 'dvp_Tristan', name: 'Tristan' };
		expect(problemOf(avatar, 'id', '={{ $json.avatar }}')).toMatch(/use \{\{ \$json\.avatar\.id \}\}/);
		expect(problemOf(avatar, 'id', '={{ $json.avatar }}', ['avatarId'])).toMatch(/use \{\{ \$json\.avatar\.avatarId \}\} to pass its "avatarId" field$/);
	});

	it('builds the hint from other nodes\' and compound expressions, or says what to add when there is none', () => {
		expect(problemOf({ text: 'x' }, 'text', "={{ $('Scripts').item.json.script }}")).toMatch(/use \{\{ \$\('Scripts'\)\.item\.json\.script\.text \}\}/);
		expect(problemOf({ text: 'x' }, 'text', '={{ $json.a || $json.b }}')).toMatch(/use \{\{ \(\$json\.a \|\| \$json\.b\)\.text \}\}/);
		expect(problemOf({ text: 'x' }, 'text')).toMatch(/refer to its "text" field \(add \.text to the expression\)$/);
		// A template with more than one expression has no single path to extend.
		expect(problemOf({ text: 'x' }, 'text', '={{ $json.a }} and {{ $json.b }}')).toMatch(/add \.text to the expression/);
	});

	it('refuses text in which an embedded expression printed an object', () => {
		expect(problemOf('Say: [object Object]', 'text')).toMatch(/^expected text but got text containing "\[object Object\]"; an expression inside the field gave an object/);
	});
});

/** A stand-in for IExecuteFunctions: parameters as n8n resolves them, plus their raw expressions. */
function fakeContext(resolved: Record<string, unknown>, raw: Record<string, string> = {}): IExecuteFunctions {
	const node = { name: 'Kling Avatar', type: 'n8n-nodes-talking-avatar.klingAvatar' } as INode;
	return {
		getNode: () => node,
		getNodeParameter(name: string, _item: number, fallback?: unknown, options?: { rawExpressions?: boolean }) {
			if (options?.rawExpressions) {
				if (name in raw) return raw[name];
				if (name in resolved) return resolved[name];
				if (fallback === undefined) throw new Error(`Could not get parameter "${name}"`);
				return fallback;
			}
			return name in resolved ? resolved[name] : fallback;
		},
	} as unknown as IExecuteFunctions;
}

describe('readString: one parameter of one item', () => {
	it('throws a NodeOperationError naming item, field and type, with the hint, and says nothing was sent', () => {
		const ctx = fakeContext({ prompt: { text: 'Hello', lang: 'en' } }, { prompt: '={{ $json.script }}' });
		let error: unknown;
		try {
			readString(ctx, 3, 'prompt', { field: 'Prompt', kind: 'text', provider: 'Kling' });
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as Error).message).toBe(
			'Invalid "Prompt" in item 3: expected text but got an object (keys: text, lang); use {{ $json.script.text }} to pass its "text" field',
		);
		expect((error as NodeOperationError).description).toBe('Checked before sending: nothing was sent to Kling for this item.');
		expect((error as NodeOperationError).context.itemIndex).toBe(3);
	});

	it('reads fields inside collections by dotted path, with the fallback when unset', () => {
		const ctx = fakeContext({ 'options.externalTaskId': 12345 });
		expect(readString(ctx, 0, 'options.externalTaskId', { field: 'External Task ID', kind: 'id', provider: 'Kling' })).toBe('12345');
		expect(readString(ctx, 0, 'options.callbackUrl', { field: 'Callback URL', kind: 'url', provider: 'Kling' })).toBe('');
		expect(readString(ctx, 0, 'model', { field: 'Model', kind: 'id', provider: 'Mingyan', fallback: 'kyy_digitalHuman' })).toBe('kyy_digitalHuman');
	});

	it('refuses a blank required value with the field\'s own words', () => {
		const ctx = fakeContext({ taskId: '   ' });
		expect(() => readString(ctx, 1, 'taskId', { field: 'Task ID', kind: 'id', provider: 'Kling', required: 'the ID is empty' })).toThrow(
			'Invalid "Task ID" in item 1: the ID is empty',
		);
	});

	it('checks the allowed values of an options field set by an expression', () => {
		expect(readString(fakeContext({ mode: ['pro'] }), 0, 'mode', { field: 'Mode', kind: 'id', provider: 'Kling', oneOf: ['std', 'pro'] })).toBe('pro');
		expect(() => readString(fakeContext({ mode: 'ultra' }), 0, 'mode', { field: 'Mode', kind: 'id', provider: 'Kling', oneOf: ['std', 'pro'] })).toThrow(
			'Invalid "Mode" in item 0: "ultra" is not one of "std", "pro"',
		);
	});

	it('hints without an expression when the raw value cannot be read', () => {
		const ctx = fakeContext({ imageUrl: ['https://x.test/a.png', 'https://x.test/b.png'] });
		expect(() => readString(ctx, 0, 'imageUrl', { field: 'Image URL', kind: 'url', provider: 'Kling' })).toThrow(
			/^Invalid "Image URL" in item 0: expected a URL \(text\) but got an array of 2 elements; pick one element \(e\.g\. add \[0\] to the expression\)/,
		);
	});
});
