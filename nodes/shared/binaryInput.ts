import type { IExecuteFunctions } from 'n8n-workflow';

export interface BinaryInput {
	buffer: Buffer;
	fileName?: string;
	mimeType?: string;
}

/**
 * Reads an input binary through n8n's helpers, so it works whatever the instance's
 * binary-data mode is (memory, filesystem, S3). Never reads `binary.<prop>.data` directly.
 */
export async function readBinaryInput(
	ctx: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
): Promise<BinaryInput> {
	const meta = ctx.helpers.assertBinaryData(itemIndex, propertyName);
	const buffer = await ctx.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	return { buffer, fileName: meta.fileName, mimeType: meta.mimeType };
}
