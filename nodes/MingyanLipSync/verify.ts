import { createHash } from 'node:crypto';
import type { IBinaryKeyData, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { NormalizedTask } from '../shared/task';

/** MD5 (hex) of a stored binary, read back from n8n's binary store (memory, filesystem or S3). */
export async function md5OfBinary(ctx: IExecuteFunctions, binary: IBinaryKeyData, property: string): Promise<{ md5: string; bytes: number }> {
	const data = binary[property];
	const hash = createHash('md5');
	let bytes = 0;
	if (data.id) {
		const stream = (await ctx.helpers.getBinaryStream(data.id)) as AsyncIterable<Buffer | string>;
		for await (const chunk of stream) {
			const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
			bytes += buffer.length;
			hash.update(buffer);
		}
	} else {
		const buffer = Buffer.from(data.data, 'base64');
		bytes = buffer.length;
		hash.update(buffer);
	}
	return { md5: hash.digest('hex'), bytes };
}

/**
 * Checks a downloaded result against the MD5 Mingyan publishes with it. A mismatch (e.g. a
 * truncated download) is an error: a broken file must never pass as the video.
 */
export async function verifyMingyanDownload(
	ctx: IExecuteFunctions,
	task: NormalizedTask,
	binary: IBinaryKeyData,
	itemIndex: number,
): Promise<void> {
	const expected = typeof task.md5 === 'string' ? task.md5.trim().toLowerCase() : '';
	if (!/^[0-9a-f]{32}$/.test(expected)) return; // none published (or not an MD5): nothing to check
	for (const property of Object.keys(binary)) {
		const { md5, bytes } = await md5OfBinary(ctx, binary, property);
		if (md5 !== expected) {
			throw new NodeOperationError(ctx.getNode(), `The downloaded video of Mingyan task ${task.taskId} does not match its MD5`, {
				itemIndex,
				description: `Mingyan published MD5 ${expected}; the ${bytes} bytes downloaded hash to ${md5}. The file is incomplete or corrupted, so it was not passed on. Run Get with Task ID ${task.taskId} to download it again.`,
			});
		}
	}
}
