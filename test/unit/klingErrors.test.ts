import { parseKlingAnswer } from '../../nodes/KlingAvatar/transport';

/** The three answer shapes a Kling request can get (provider-apis.md §1.3, §6.2). */
describe('parseKlingAnswer', () => {
	it('reads Kling\'s own envelope', () => {
		expect(parseKlingAnswer({ code: 1303, message: 'parallel task over resource pack limit', request_id: 'a1b2' })).toEqual({
			code: 1303,
			message: 'parallel task over resource pack limit',
			requestId: 'a1b2',
			shape: 'kling',
		});
		expect(parseKlingAnswer({ code: 0, message: 'SUCCEED', request_id: 'r', data: {} })).toMatchObject({ code: 0, shape: 'kling' });
	});

	it('reads Kling\'s refusal nested by CometAPI: the code from data.data.code', () => {
		const body = {
			message: 'Voice id not found',
			data: { data: { code: 1201, message: 'Voice id not found', request_id: '5c0d2d6e-1111-2222-3333-444455556666' }, message: 'upstream error' },
		};
		expect(parseKlingAnswer(body)).toEqual({ code: 1201, message: 'Voice id not found', requestId: '5c0d2d6e-1111-2222-3333-444455556666', shape: 'cometNested' });
		// The inner message first, then the outer ones.
		expect(parseKlingAnswer({ message: 'top', data: { data: { code: 1102 }, message: 'middle' } })).toMatchObject({ code: 1102, message: 'middle', requestId: undefined });
		expect(parseKlingAnswer({ message: 'top', data: { data: { code: '1303' } } })).toMatchObject({ code: 1303, message: 'top', shape: 'cometNested' });
	});

	it('reads CometAPI\'s own error: no Kling code, the request id taken out of the message', () => {
		expect(parseKlingAnswer({ error: { code: '', message: 'Invalid token (request id: 2026112912000012345)', type: 'comet_api_error' } })).toEqual({
			code: undefined,
			message: 'Invalid token',
			requestId: '2026112912000012345',
			shape: 'cometOwn',
			proxyCode: '',
		});
		expect(parseKlingAnswer({ error: { code: 'invalid_request', message: 'bad body', type: 'comet_api_error' } })).toEqual({
			code: undefined,
			message: 'bad body',
			requestId: undefined,
			shape: 'cometOwn',
			proxyCode: 'invalid_request',
		});
	});

	it('reads JSON sent as text, and anything else as a short message', () => {
		expect(parseKlingAnswer('{"data":{"data":{"code":1303,"message":"parallel task over resource pack limit"}}}')).toMatchObject({ code: 1303, shape: 'cometNested' });
		expect(parseKlingAnswer('<html>\n<body>Moved</body></html>')).toEqual({ code: undefined, message: '<html> <body>Moved</body></html>', requestId: undefined, shape: 'other' });
		expect(parseKlingAnswer('x'.repeat(500)).message).toHaveLength(200);
		expect(parseKlingAnswer({ message: 'No handler found for GET /x' })).toMatchObject({ code: undefined, message: 'No handler found for GET /x', shape: 'other' });
		for (const empty of [undefined, null, '', [], {}]) expect(parseKlingAnswer(empty)).toMatchObject({ code: undefined, message: '', shape: 'other' });
	});

	it('never takes a non-integer as a code', () => {
		expect(parseKlingAnswer({ code: 'abc', message: 'm' }).code).toBeUndefined();
		expect(parseKlingAnswer({ code: 1.5, message: 'm' }).code).toBeUndefined();
		expect(parseKlingAnswer({ data: { data: { code: null } } }).shape).toBe('other');
	});
});
