import type { IExecuteFunctions } from 'n8n-workflow';
import { invalidInput } from './items';

/**
 * One typed reader for the string parameters that are sent to a provider or identify something
 * (prompts, URLs, Base64 text, task / audio / avatar IDs, model names, binary field names).
 *
 * An expression in a string field can give any JSON value, and n8n passes it on as it is: an
 * object, an array, null, a number. `String(value)` then sends "[object Object]" or a
 * comma-joined list to a paid API. The reader accepts only what the field can mean and refuses
 * the rest before anything is sent, naming the item, the field and what arrived, with a hint.
 */

/**
 * What the field holds:
 * - `text`: free text (Prompt, Speech text). Numbers become text; kept as typed (not trimmed).
 * - `id`: an identifier or name (task, audio, avatar, model, binary field). Numbers become text,
 *   unless they are too large to be exact (an ID that was read as a number has lost digits).
 * - `url`: a link (or, for Akool's Background, a colour code). Numbers are refused.
 * - `base64`: Base64 text. Numbers are refused.
 * Booleans, objects, arrays of several elements, null and undefined are refused for every kind;
 * a one-element array is unwrapped.
 */
export type StringKind = 'text' | 'id' | 'url' | 'base64';

export type Coerced = { ok: true; value: string } | { ok: false; problem: string };

const EXPECTED: Record<StringKind, string> = {
	text: 'text',
	id: 'an ID (text)',
	url: 'a URL (text)',
	base64: 'Base64 text',
};

/** Keys worth suggesting when an object arrives, best first. */
const PREFERRED_KEYS: Record<StringKind, string[]> = {
	text: ['text', 'prompt', 'content', 'value', 'message', 'script', 'speech'],
	id: ['id', 'taskId', 'task_id', 'audioId', 'audio_id', 'avatarId', 'avatar_id', '_id', 'externalTaskId', 'name', 'value'],
	url: ['url', 'href', 'link', 'src', 'uri', 'value'],
	base64: ['base64', 'data', 'value'],
};

/**
 * Checks one parameter value. `expression` is the field's raw expression (e.g.
 * `={{ $json.script }}`) when there is one: hints then name the exact expression to use.
 */
export function coerceString(value: unknown, kind: StringKind, expression?: string, hintKeys: readonly string[] = []): Coerced {
	return coerce(value, kind, innerExpression(expression), false, hintKeys);
}

/** `inner`: the expression's body as a property path (or parenthesised), for hints. */
function coerce(value: unknown, kind: StringKind, inner: string | undefined, unwrapped: boolean, hintKeys: readonly string[]): Coerced {
	const refuse = (received: string, hint?: string): Coerced => ({
		ok: false,
		problem: `expected ${EXPECTED[kind]} but got ${received}${unwrapped ? ' (the only element of an array)' : ''}${hint ? `; ${hint}` : ''}`,
	});
	if (typeof value === 'string') {
		if (value.includes('[object Object]')) {
			return refuse(
				`text containing "[object Object]"`,
				'an expression inside the field gave an object: refer to one of its text fields instead (e.g. {{ $json.script.text }} rather than {{ $json.script }})',
			);
		}
		return { ok: true, value: kind === 'text' ? value : value.trim() };
	}
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) return refuse(`the number ${String(value)}`);
		if (kind === 'url' || kind === 'base64') return refuse(`the number ${String(value)}`, `give ${EXPECTED[kind]}`);
		if (kind === 'id' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
			return refuse(
				`the number ${String(value)}`,
				'it is too large to be exact, so the ID lost digits when it was read as a number: keep the ID as text (e.g. the provider\'s string field)',
			);
		}
		return { ok: true, value: String(value) };
	}
	if (typeof value === 'boolean') return refuse(`a boolean (${String(value)})`, 'check that the expression refers to the right field');
	if (value === null) {
		return refuse('null', 'the expression gave no value: check that the field exists and is filled on this item');
	}
	if (value === undefined) {
		if (inner && /\$binary\b/.test(inner)) {
			// n8n's expressions leave a binary file's content out ($binary.<name>.data is never set).
			return refuse('nothing (undefined)', 'n8n expressions do not give a binary file\'s content: choose Binary File as the source and name the binary property instead');
		}
		return refuse('nothing (undefined)', 'the expression refers to a field this item does not have: check its name and path');
	}
	if (Array.isArray(value)) {
		if (value.length === 1 && !unwrapped) return coerce(value[0], kind, inner === undefined ? undefined : `${inner}[0]`, true, hintKeys);
		if (value.length === 0) return refuse('an empty array', 'the expression gave a list with nothing in it');
		return refuse(
			`an array of ${value.length} elements`,
			`pick one element${inner ? ` (e.g. {{ ${inner}[0] }})` : ' (e.g. add [0] to the expression)'}, or split the list into one item per element first (Split Out node)`,
		);
	}
	if (typeof value === 'object') return refuse(describeObject(value as Record<string, unknown>), objectHint(value as Record<string, unknown>, kind, inner, hintKeys));
	return refuse(`a value of type ${typeof value}`);
}

function describeObject(value: Record<string, unknown>): string {
	const keys = Object.keys(value);
	if (!keys.length) return 'an empty object';
	const shown = keys.slice(0, 5).join(', ');
	return `an object (keys: ${shown}${keys.length > 5 ? ', …' : ''})`;
}

/** Suggests the object's key that most likely holds the value, as the expression to use. */
function objectHint(value: Record<string, unknown>, kind: StringKind, inner: string | undefined, hintKeys: readonly string[]): string {
	const usable = Object.keys(value).filter((key) => {
		const v = value[key];
		return typeof v === 'string' || (typeof v === 'number' && (kind === 'text' || kind === 'id'));
	});
	const lower = new Map(usable.map((k) => [k.toLowerCase(), k]));
	let key = [...hintKeys, ...PREFERRED_KEYS[kind]].map((k) => lower.get(k.toLowerCase())).find((k) => k !== undefined);
	if (!key && kind === 'url') key = usable.find((k) => /url$/i.test(k));
	const strings = usable.filter((k) => typeof value[k] === 'string');
	if (!key && strings.length === 1) key = strings[0];
	if (!key && usable.length === 1) key = usable[0];
	if (!key) return 'refer to the field of the object that holds the value';
	const access = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
	return inner ? `use {{ ${inner}${access} }} to pass its "${key}" field` : `refer to its "${key}" field (add ${access} to the expression)`;
}

/** `={{ $json.script }}` → `$json.script`; undefined when the field is not one plain expression. */
function innerExpression(expression: string | undefined): string | undefined {
	if (expression === undefined) return undefined;
	const body = stripExpression(expression);
	if (!body || body.includes('{{') || body.includes('}}')) return undefined;
	// Anything more than a property path gets parentheses: ($json.a || $json.b).text
	return /^[\w$.[\]'"()\s-]+$/.test(body) && !/\s/.test(body) ? body : `(${body})`;
}

function stripExpression(expression: string): string {
	const match = /^=\s*\{\{\s*([\s\S]*?)\s*\}\}\s*$/.exec(expression);
	return match ? match[1] : expression.replace(/^=/, '');
}

export interface StringParameterSpec {
	/** The field's name as the user sees it, e.g. "Prompt". */
	field: string;
	kind: StringKind;
	/** Named in the "nothing was sent to …" description. */
	provider: string;
	/** Returned when the parameter is not set (n8n's fallback). Default ''. */
	fallback?: string;
	/** When set, an empty (blank) value is refused with this problem text, e.g. "the ID is empty". */
	required?: string;
	/** Allowed values (options fields an expression can set). */
	oneOf?: readonly string[];
	/** Keys to suggest first when an object arrives (e.g. ['avatarId'] where `id` would be the wrong one). */
	hintKeys?: readonly string[];
}

/**
 * Reads a string parameter (dotted paths reach into collections: `options.callbackUrl`) for one
 * item. Throws a NodeOperationError naming the item and the field when the value is not usable.
 */
export function readString(ctx: IExecuteFunctions, itemIndex: number, parameter: string, spec: StringParameterSpec): string {
	const value = ctx.getNodeParameter(parameter, itemIndex, spec.fallback ?? '');
	let result = typeof value === 'string' && !value.includes('[object Object]') ? value : undefined;
	if (result === undefined) {
		const coerced = coerceString(value, spec.kind, rawExpression(ctx, itemIndex, parameter), spec.hintKeys);
		if (!coerced.ok) throw invalidInput(ctx, itemIndex, spec.field, coerced.problem, spec.provider);
		result = coerced.value;
	} else if (spec.kind !== 'text') {
		result = result.trim();
	}
	if (spec.required !== undefined && !result.trim()) throw invalidInput(ctx, itemIndex, spec.field, spec.required, spec.provider);
	if (spec.oneOf && !spec.oneOf.includes(result)) {
		throw invalidInput(ctx, itemIndex, spec.field, `"${result}" is not one of ${spec.oneOf.map((v) => `"${v}"`).join(', ')}`, spec.provider);
	}
	return result;
}

/** The parameter's expression as written (`={{ … }}`), or undefined for a fixed value. */
function rawExpression(ctx: IExecuteFunctions, itemIndex: number, parameter: string): string | undefined {
	try {
		const raw: unknown = ctx.getNodeParameter(parameter, itemIndex, undefined, { rawExpressions: true });
		return typeof raw === 'string' && raw.startsWith('=') ? raw : undefined;
	} catch {
		return undefined;
	}
}
