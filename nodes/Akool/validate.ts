import type { IExecuteFunctions } from 'n8n-workflow';
import { invalidInput } from '../shared/items';
import { parseHttpUrl } from '../shared/mediaSource';
import { readString } from '../shared/parameters';
import { AKOOL } from './constants';

/** A required http(s) URL parameter: Akool takes media only as links it can fetch. */
export function requiredUrl(ctx: IExecuteFunctions, itemIndex: number, parameter: string, field: string): string {
	const parsed = parseHttpUrl(readString(ctx, itemIndex, parameter, { field, kind: 'url', provider: AKOOL }));
	if (!parsed.ok) throw invalidInput(ctx, itemIndex, field, parsed.problem, AKOOL);
	return parsed.value;
}

/** An optional http(s) URL: undefined when blank, else validated like a required one. */
export function optionalUrl(ctx: IExecuteFunctions, itemIndex: number, value: unknown, field: string): string | undefined {
	const text = String(value ?? '').trim();
	if (!text) return undefined;
	const parsed = parseHttpUrl(text);
	if (!parsed.ok) throw invalidInput(ctx, itemIndex, field, parsed.problem, AKOOL);
	return parsed.value;
}

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** A background: a hex colour such as #ffffff or #ffffff00, or an http(s) image URL. */
export function optionalBackground(ctx: IExecuteFunctions, itemIndex: number, value: unknown): string | undefined {
	const text = String(value ?? '').trim();
	if (!text) return undefined;
	if (text.startsWith('#')) {
		if (!HEX_COLOUR.test(text)) {
			throw invalidInput(ctx, itemIndex, 'Background', `"${text}" is not a hex colour (use #rrggbb or #rrggbbaa)`, AKOOL);
		}
		return text;
	}
	return optionalUrl(ctx, itemIndex, text, 'Background');
}

/** Akool accepts avatar IDs made of letters and digits only. */
export function avatarIdValue(ctx: IExecuteFunctions, itemIndex: number, value: unknown, field: string, alphanumeric: boolean): string {
	const text = String(value ?? '').trim();
	if (!text) throw invalidInput(ctx, itemIndex, field, 'the avatar ID is empty', AKOOL);
	if (alphanumeric && !/^[a-zA-Z0-9]+$/.test(text)) {
		throw invalidInput(ctx, itemIndex, field, `"${text}" may contain only letters a–z, A–Z and digits 0–9`, AKOOL);
	}
	return text;
}

/** A finite number parameter. */
export function numberValue(ctx: IExecuteFunctions, itemIndex: number, value: unknown, field: string, positive: boolean): number {
	const n = typeof value === 'number' ? value : Number(String(value ?? '').trim());
	if (!Number.isFinite(n) || String(value ?? '').trim() === '') throw invalidInput(ctx, itemIndex, field, `"${String(value)}" is not a number`, AKOOL);
	if (positive && n <= 0) throw invalidInput(ctx, itemIndex, field, `${n} must be greater than 0`, AKOOL);
	return n;
}
