import { errorOf, jsonOf, runNode, startTestBed, type TestBed } from './setup';
import { akoolKeyCredentials, akoolNode, akoolTokenCredentials, FAST, TIMINGS } from './akool.setup';

describe('Akool → Avatar, through the n8n engine against the emulator', () => {
	let bed: TestBed;
	beforeAll(async () => {
		bed = await startTestBed({ akool: TIMINGS });
	});
	afterAll(async () => bed.close());
	beforeEach(() => bed.emulator.reset());

	const createParams = (p: Record<string, unknown> = {}) => ({
		resource: 'avatar',
		operation: 'create',
		url: `${bed.emulator.url}/assets/sample.mp4`,
		avatarId: 'myAvatar01',
		avatarType: 1,
		...p,
		options: { ...FAST, ...((p.options as object) ?? {}) },
	});

	it('lists official avatars (from 2, talking), normalized, with the filters sent only when set', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'list', from: 'official', avatarType: 'talking', returnAll: true }), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		const avatars = jsonOf(run);
		expect(avatars.length).toBe(3);
		expect(avatars[0]).toMatchObject({ avatarId: 'dvp_Tristan_cloth2_1080P', name: 'Tristan', type: 'talking', from: 'official', status: 'succeeded', statusCode: 3 });
		expect(run.output('Node').every((i) => (i.pairedItem as { item: number }).item === 0)).toBe(true);

		await runNode(engine, akoolNode({ resource: 'avatar', operation: 'list', from: 'all', avatarType: 'all', returnAll: false, limit: 2, page: 2 }), [{ json: {} }], akoolKeyCredentials(emulator));
		const lists = emulator.akool.requests.filter((r) => r.path.endsWith('/avatar/list'));
		expect(lists.map((r) => r.query)).toEqual([
			{ from: '2', type: '1', page: '1', size: '100' },
			{ page: '2', size: '2' },
		]);
	});

	it('page + limit return one page; Return All walks the pages; a bare data array is accepted too', async () => {
		const { emulator, engine } = bed;
		const page2 = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'list', from: 'all', avatarType: 'all', returnAll: false, limit: 3, page: 2 }), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(jsonOf(page2).map((a) => a.avatarId)).toEqual(['dvp_Emma_streaming']);

		emulator.akool.config.avatarListShape = 'array';
		const all = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'list', from: 'all', avatarType: 'all', returnAll: true }), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(jsonOf(all)).toHaveLength(4);
		const streaming = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'list', from: 'all', avatarType: 'streaming', returnAll: true }), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(jsonOf(streaming).map((a) => a.type)).toEqual(['streaming']);
	});

	it('creates an avatar and waits until it is completed (status 3); it then appears under My Avatars and in Get', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(createParams({ waitForCompletion: true, maxWaitMinutes: 1, options: { name: 'Me' } })), [{ json: {} }], akoolTokenCredentials(emulator));
		expect(run.status).toBe('success');
		const [avatar] = jsonOf(run);
		expect(avatar).toMatchObject({ avatarId: 'myAvatar01', name: 'Me', from: 'own', type: 'talking', status: 'succeeded', statusCode: 3 });
		expect(avatar.id).toMatch(/^[0-9a-f]{24}$/);
		expect(emulator.akool.counters.detailRequests).toBeGreaterThanOrEqual(1);
		const uploaded = emulator.akool.avatars().find((a) => a.avatar_id === 'myAvatar01');
		expect(uploaded).toMatchObject({ name: 'Me', url: `${emulator.url}/assets/sample.mp4`, type: 1, url_from: null });

		const mine = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'list', from: 'mine', avatarType: 'all', returnAll: true }), [{ json: {} }], akoolTokenCredentials(emulator));
		expect(jsonOf(mine).map((a) => a.avatarId)).toEqual(['myAvatar01']);

		const got = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'get', id: String(avatar.id) }), [{ json: {} }], akoolTokenCredentials(emulator));
		expect(jsonOf(got)[0]).toMatchObject({ id: avatar.id, avatarId: 'myAvatar01', status: 'succeeded' });
	});

	it('without waiting, create returns the queued avatar; optional fields are sent only when set', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(createParams({ avatarType: 2, options: { urlFrom: 2 } })), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		expect(jsonOf(run)[0]).toMatchObject({ status: 'submitted', statusCode: 1, type: 'streaming' });
		expect(emulator.akool.counters.detailRequests).toBe(0);
		expect(emulator.akool.avatars().find((a) => a.avatar_id === 'myAvatar01')).toMatchObject({ name: 'myAvatar01', url_from: 2, type: 2 });
	});

	it('a failed avatar (status 4) fails the item with the reason; continueOnFail keeps the others', async () => {
		const { emulator, engine } = bed;
		const params = createParams({ url: '={{ $json.url }}', avatarId: '={{ $json.id }}', waitForCompletion: true, maxWaitMinutes: 1 });
		const items = [
			{ json: { url: `${emulator.url}/assets/sample.mp4`, id: 'goodOne' } },
			{ json: { url: `${emulator.url}/assets/fail.mp4`, id: 'badOne' } },
			{ json: { url: `${emulator.url}/assets/sample.mp4`, id: 'bad-id!' } },
		];
		const run = await runNode(engine, akoolNode(params, { continueOnFail: true }), items, akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		const out = jsonOf(run);
		expect(out[0]).toMatchObject({ avatarId: 'goodOne', status: 'succeeded' });
		expect(errorOf(out[1])?.message).toMatch(/Akool task [0-9a-f]{24} failed: No clear face found in the video/);
		expect(errorOf(out[1])).toMatchObject({ taskId: expect.stringMatching(/^[0-9a-f]{24}$/), status: 'failed' });
		expect(errorOf(out[2])?.message).toMatch(/Invalid "Avatar ID" in item 2: "bad-id!" may contain only letters/);
		expect(emulator.akool.counters.avatarCreateRequests).toBe(2);
	});

	it.each([
		['a non-alphanumeric avatar ID', { avatarId: 'my_avatar' }, /Invalid "Avatar ID".*only letters/],
		['a local video path', { url: '/home/me/video.mp4' }, /Invalid "Video URL".*local file path/],
		['an empty video URL', { url: '={{ "" }}' }, /Invalid "Video URL".*the URL is empty/],
	])('create rejects %s before any request', async (_name, override, message) => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode(createParams(override)), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(message);
		expect(emulator.akool.requests).toHaveLength(0);
	});

	it('a duplicate avatar ID is refused by Akool with code 1222 (resource already exists) and its message', async () => {
		const { emulator, engine } = bed;
		await runNode(engine, akoolNode(createParams()), [{ json: {} }], akoolKeyCredentials(emulator));
		const run = await runNode(engine, akoolNode(createParams()), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/Creating the avatar failed: Akool code 1222 – avatar_id myAvatar01 already exists/);
		expect((run.error as { description?: string }).description).toMatch(/Resource already exists\. For Avatar → Create: choose another Avatar ID/);
		expect(emulator.akool.counters.avatarCreateRequests).toBe(2);
	});

	it('Get of an unknown record says it does not exist, with Akool\'s code; continueOnFail gives an error item', async () => {
		const { emulator, engine } = bed;
		const run = await runNode(engine, akoolNode({ resource: 'avatar', operation: 'get', id: 'nope' }, { continueOnFail: true }), [{ json: {} }], akoolKeyCredentials(emulator));
		expect(run.status).toBe('success');
		expect(run.output('Node')[0]).toMatchObject({
			pairedItem: { item: 0 },
			json: { error: { message: 'Reading avatar nope failed: Akool has no avatar with ID "nope"', description: expect.stringMatching(/^Akool answered Akool code 1008 – content not exist\. The ID is the avatar's record ID/) } },
		});
		expect(emulator.akool.counters.detailRequests).toBe(1);
	});
});
