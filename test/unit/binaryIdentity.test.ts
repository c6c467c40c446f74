import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import { randomBytes } from 'node:crypto';
import { binaryIdentity, readBinaryHead } from '../../nodes/shared/binaryInput';

const withBinary = (meta: Partial<IBinaryData>) =>
	({ helpers: { assertBinaryData: () => ({ mimeType: 'image/png', data: '', ...meta }) } }) as unknown as IExecuteFunctions;

describe('binaryIdentity (what tells input files apart for the task ledger)', () => {
	it('is the stored file\'s own name, the same after n8n moves a webhook upload from executions/temp/ to its execution', () => {
		const temp = binaryIdentity(withBinary({ id: 'filesystem-v2:workflows/wf1/executions/temp/binary_data/2d7c9e1a-0b5e-4f7a-9f1e-3c2a1b0d9e8f' }), 0, 'data');
		const moved = binaryIdentity(withBinary({ id: 'filesystem-v2:workflows/wf1/executions/412/binary_data/2d7c9e1a-0b5e-4f7a-9f1e-3c2a1b0d9e8f' }), 0, 'data');
		expect(moved).toBe(temp);
		expect(binaryIdentity(withBinary({ id: 'filesystem-v2:workflows/wf1/executions/412/binary_data/0e9b1f4c-aaaa-4f7a-9f1e-3c2a1b0d9e8f' }), 0, 'data')).not.toBe(temp);
	});

	it('in memory mode: a digest of the whole file, so files of the same size and name still differ', () => {
		const a = Buffer.alloc(400_000, 1);
		const b = Buffer.from(a);
		b[b.length - 1] = 2; // differs only at the very end
		const id = (buf: Buffer) => binaryIdentity(withBinary({ data: buf.toString('base64'), fileName: 'p.png' }), 0, 'data');
		expect(id(a)).not.toBe(id(b));
		expect(id(a)).toBe(id(Buffer.from(a)));
	});
});

describe('readBinaryHead in memory mode', () => {
	it('counts the bytes of Base64 text wrapped in MIME lines as the file has them, not from the text length', async () => {
		const file = randomBytes(3000);
		const wrapped = file.toString('base64').replace(/.{76}/g, '$&\r\n');
		const head = await readBinaryHead(withBinary({ data: wrapped }), 0, 'data', 256);
		expect(head.totalBytes).toBe(file.length);
		expect(head.head.equals(file.subarray(0, head.head.length))).toBe(true);
		const plain = await readBinaryHead(withBinary({ data: file.toString('base64') }), 0, 'data', 256);
		expect(plain.totalBytes).toBe(file.length);
	});
});
