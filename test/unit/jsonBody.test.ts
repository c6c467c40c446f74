import { randomBytes } from 'node:crypto';
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import { streamedJsonBody } from '../../nodes/shared/jsonBody';

/** A memory-mode binary property holding `data` as its stored text, as n8n or a Code node left it. */
const withStoredText = (data: string) =>
	({
		helpers: {
			assertBinaryData: () => ({ mimeType: 'image/png', data }) as IBinaryData,
			getBinaryDataBuffer: async () => Buffer.from(data, 'base64'),
		},
	}) as unknown as IExecuteFunctions;

async function bodyText(stored: string, bytes: number): Promise<{ text: string; size: number }> {
	const body = streamedJsonBody(withStoredText(stored), 0, [
		['image', { media: { kind: 'binary', property: 'data', bytes, digest: 'd' } }],
		['mode', { json: 'std' }],
	]);
	const chunks: Buffer[] = [];
	for await (const chunk of body.stream()) chunks.push(Buffer.from(chunk));
	return { text: Buffer.concat(chunks).toString('latin1'), size: body.size };
}

describe('streamedJsonBody (memory mode: the stored Base64 text is sent as is only when canonical)', () => {
	// 700 KB spans several 256 KB pieces of the canonical check.
	const file = randomBytes(700_001);
	const canonical = file.toString('base64');

	it('sends canonical stored text unchanged, with the promised length', async () => {
		const { text, size } = await bodyText(canonical, file.length);
		expect(JSON.parse(text)).toEqual({ image: canonical, mode: 'std' });
		expect(Buffer.byteLength(text)).toBe(size);
	});

	it.each([
		['URL-safe alphabet', canonical.replace(/\+/g, '-').replace(/\//g, '_')],
		// Same length as the canonical text: line breaks where the padding would be.
		['line breaks instead of padding', `${canonical.replace(/=+$/, '')}\n`],
		['a quote instead of padding (would break the JSON)', `${canonical.replace(/=+$/, '')}"`],
	])('re-encodes non-canonical stored text (%s): valid JSON carrying the canonical Base64', async (_name, stored) => {
		expect(stored.length).toBe(canonical.length);
		const { text, size } = await bodyText(stored, file.length);
		expect(JSON.parse(text).image).toBe(canonical);
		expect(Buffer.byteLength(text)).toBe(size);
	});

	it('re-encodes MIME line-wrapped text (76 columns), sized as the file (readBinaryHead)', async () => {
		const wrapped = canonical.replace(/.{76}/g, '$&\r\n');
		const { text, size } = await bodyText(wrapped, file.length);
		expect(JSON.parse(text).image).toBe(canonical);
		expect(Buffer.byteLength(text)).toBe(size);
	});

	it('never sends text whose padding sits inside it (at a piece boundary of the check)', async () => {
		// 196,607 bytes = one 262,144-character piece ending in '='; 3 more bytes after it. Its size
		// as n8n reads it from the text (Buffer.byteLength) passes the length check; decoders stop
		// at the '=', so the file is not what the size says and the body ends in an error.
		const stored = randomBytes(196_607).toString('base64') + randomBytes(3).toString('base64');
		const bytes = Buffer.byteLength(stored, 'base64');
		expect(stored.length).toBe(4 * Math.ceil(bytes / 3));
		await expect(bodyText(stored, bytes)).rejects.toThrow(/changed size/);
	});
});
