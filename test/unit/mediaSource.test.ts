import { parseBase64, parseHttpUrl } from '../../nodes/shared/mediaSource';

describe('parseHttpUrl', () => {
	it.each(['https://example.com/a.png', 'http://127.0.0.1:8787/assets/portrait.jpg'])('accepts %s', (url) => {
		expect(parseHttpUrl(url)).toEqual({ ok: true, value: url });
	});

	it.each([
		['', 'empty'],
		['/tmp/portrait.png', 'local file path'],
		['./portrait.png', 'local file path'],
		['C:\\images\\a.png', 'local file path'],
		['file:///tmp/a.png', 'local file path'],
		['ftp://example.com/a.png', 'only http and https'],
		['htp:/broken', 'only http and https'],
		['not a url', 'not a valid URL'],
	])('refuses %j (%s)', (url, reason) => {
		const result = parseHttpUrl(url);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.problem).toContain(reason);
	});

	it('offers Binary File for a local path only where the field takes one', () => {
		const withBinary = parseHttpUrl('/tmp/a.png', { binaryAlternative: true });
		const without = parseHttpUrl('/tmp/a.png');
		expect(!withBinary.ok && withBinary.problem).toBe('"/tmp/a.png" is a local file path; give a public http(s) URL (or choose Binary File as the source)');
		expect(!without.ok && without.problem).toBe('"/tmp/a.png" is a local file path; give a public http(s) URL; upload the file somewhere public first');
	});

	it.each([
		['https://cdn.example.com/a.png)', 'https://cdn.example.com/a.png'],
		['(https://cdn.example.com/a.png).', 'https://cdn.example.com/a.png'],
		['<https://cdn.example.com/a.png>', 'https://cdn.example.com/a.png'],
		['"https://cdn.example.com/a.png",', 'https://cdn.example.com/a.png'],
		['`https://cdn.example.com/a.png`', 'https://cdn.example.com/a.png'],
		['https://en.wikipedia.org/wiki/Foo_(bar)', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
		['https://cdn.example.com/a.png?x=1', 'https://cdn.example.com/a.png?x=1'],
	])('takes %j as %s (text an agent or a person wraps a URL in)', (input, expected) => {
		expect(parseHttpUrl(input)).toEqual({ ok: true, value: expected });
	});
});

describe('parseBase64', () => {
	const bytes = Buffer.from('hello talking avatar');
	const b64 = bytes.toString('base64');

	it('decodes plain Base64 and strips a data: prefix (never sent)', () => {
		for (const input of [b64, `data:image/png;base64,${b64}`, ` ${b64.slice(0, 8)}\n${b64.slice(8)} `]) {
			const result = parseBase64(input);
			expect(result.ok).toBe(true);
			if (result.ok) {
				expect(result.value.buffer.equals(bytes)).toBe(true);
				expect(result.value.base64).toBe(b64);
			}
		}
	});

	it('recognises n8n\'s storage marker ({{ $binary.data.data }} outside memory mode) and says what to use instead', () => {
		for (const marker of ['filesystem-v2', 'filesystem', 's3', 'database']) {
			const result = parseBase64(marker);
			expect(result.ok).toBe(false);
			if (!result.ok) expect(result.problem).toBe(`"${marker}" is where n8n stores a binary file, not the file's content (an expression like {{ $binary.data.data }} gives only that here): choose Binary File as the source and name the binary property instead`);
		}
	});

	it('accepts base64url and missing padding', () => {
		const result = parseBase64(Buffer.from([0xfb, 0xff, 0xfe]).toString('base64url'));
		expect(result.ok && [...result.value.buffer]).toEqual([0xfb, 0xff, 0xfe]);
	});

	it.each(['', 'data:text/plain,hello', 'not base64!', 'abcde'])('refuses %j', (input) => {
		expect(parseBase64(input).ok).toBe(false);
	});
});
