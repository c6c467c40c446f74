import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { readString } from '../../../shared/parameters';
import { executeTaskOperation } from '../../../shared/taskOperation';
import { pollingOptionFields, waitAndDownloadProperties } from '../../../shared/waitOptions';
import { AKOOL, CANVAS } from '../../constants';
import type { AvatarLayout, TalkingAvatarRequest } from '../../taskApis';
import { DEFAULT_LAYOUT, talkingAvatarApi } from '../../taskApis';
import { avatarIdValue, numberValue, optionalBackground, optionalUrl, requiredUrl } from '../../validate';

const displayOptions = { show: { resource: ['talkingAvatarVideo'], operation: ['create'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Avatar Source',
		name: 'avatarSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Akool Avatar',
				value: 'akool',
				description: 'An avatar from your Akool avatar list (avatar_from 2)',
			},
			{
				name: 'Own Avatar Video URL',
				value: 'url',
				description: 'A link to your own avatar video (avatar_from 3)',
			},
		],
		default: 'akool',
	},
	{
		displayName: 'Avatar Name or ID',
		name: 'avatarId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getAvatars' },
		default: '',
		required: true,
		description:
			'The avatar to animate. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { avatarSource: ['akool'] } },
	},
	{
		displayName: 'Avatar Video URL',
		name: 'avatarUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/avatar.mp4',
		hint: 'A public http(s) link Akool can fetch (MP4, MOV or AVI); local files are not accepted',
		displayOptions: { show: { avatarSource: ['url'] } },
	},
	{
		displayName: 'Audio URL',
		name: 'audioUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/voice.mp3',
		hint: 'A public http(s) link to the voice track; Akool takes media only as URLs',
	},
	...waitAndDownloadProperties({ wait: true, callbackProvider: 'Akool' }),
	{
		displayName: 'Avatar Layout',
		name: 'layout',
		type: 'collection',
		placeholder: 'Add Layout Field',
		default: {},
		// The fields' defaults are DEFAULT_LAYOUT's values (lint wants literals; a unit test keeps them equal).
		description: `Where the avatar sits on the ${CANVAS.width} × ${CANVAS.height} canvas. Offset X/Y place the avatar's centre, not its top-left corner. By default it fills the whole canvas (${CANVAS.width} × ${CANVAS.height} centred at ${DEFAULT_LAYOUT.offsetX}, ${DEFAULT_LAYOUT.offsetY}).`,
		hint: 'Offsets are the centre: a 1920 × 1080 avatar in the bottom-right quarter has Offset X 2880, Offset Y 1620 (left edge + width / 2, top edge + height / 2)',
		options: [
			{
				displayName: 'Height',
				name: 'height',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 2160,
				description: 'Height of the avatar element in pixels',
			},
			{
				displayName: 'Offset X',
				name: 'offsetX',
				type: 'number',
				default: 1920,
				description: 'Where the avatar\'s centre is, in pixels from the canvas\'s left edge (1920 = the middle)',
			},
			{
				displayName: 'Offset Y',
				name: 'offsetY',
				type: 'number',
				default: 1080,
				description: 'Where the avatar\'s centre is, in pixels from the canvas\'s top edge (1080 = the middle)',
			},
			{
				displayName: 'Scale X',
				name: 'scaleX',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 2 },
				default: 1,
				description: 'Horizontal scaling ratio',
			},
			{
				displayName: 'Scale Y',
				name: 'scaleY',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 2 },
				default: 1,
				description: 'Vertical scaling ratio',
			},
			{
				displayName: 'Width',
				name: 'width',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 3840,
				description: 'Width of the avatar element in pixels',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Background',
				name: 'background',
				type: 'string',
				default: '',
				placeholder: '#ffffff or https://example.com/background.png',
				description: 'A hex colour, or a public http(s) link to an image (PNG, JPG, JPEG or WEBP) that fills the canvas behind the avatar (sent as 3840 × 2160 centred at 1920, 1080)',
			},
			...pollingOptionFields,
			{
				displayName: 'Webhook URL',
				name: 'webhookUrl',
				type: 'string',
				default: '',
				placeholder: 'https://example.com/akool-webhook',
				description: 'Akool POSTs an encrypted, signed status message here on every status change. To start a workflow when each video ends, use the Production URL of an Akool Trigger. Not used with Wait By → Provider Callback, which sets it to this execution\'s own resume URL.',
			},
		],
	},
];

export const description = updateDisplayOptions(displayOptions, properties);

function readLayout(ctx: IExecuteFunctions, i: number): AvatarLayout {
	const raw = ctx.getNodeParameter('layout', i, {}) as IDataObject;
	const pick = (key: keyof AvatarLayout, field: string, positive: boolean) =>
		raw[key] === undefined ? DEFAULT_LAYOUT[key] : numberValue(ctx, i, raw[key], `Avatar Layout → ${field}`, positive);
	return {
		scaleX: pick('scaleX', 'Scale X', true),
		scaleY: pick('scaleY', 'Scale Y', true),
		offsetX: pick('offsetX', 'Offset X', false),
		offsetY: pick('offsetY', 'Offset Y', false),
		width: pick('width', 'Width', true),
		height: pick('height', 'Height', true),
	};
}

function buildRequest(ctx: IExecuteFunctions, i: number): TalkingAvatarRequest {
	const source = ctx.getNodeParameter('avatarSource', i) as 'akool' | 'url';
	const avatar: TalkingAvatarRequest['avatar'] =
		source === 'url'
			? { from: 3, url: requiredUrl(ctx, i, 'avatarUrl', 'Avatar Video URL') }
			: { from: 2, avatarId: avatarIdValue(ctx, i, readString(ctx, i, 'avatarId', { field: 'Avatar', kind: 'id', provider: AKOOL, hintKeys: ['avatarId', 'avatar_id'] }), 'Avatar', false) };
	const audioUrl = requiredUrl(ctx, i, 'audioUrl', 'Audio URL');
	return {
		avatar,
		audioUrl,
		background: optionalBackground(ctx, i, readString(ctx, i, 'options.background', { field: 'Background', kind: 'url', provider: AKOOL })),
		layout: readLayout(ctx, i),
		webhookUrl: optionalUrl(ctx, i, readString(ctx, i, 'options.webhookUrl', { field: 'Webhook URL', kind: 'url', provider: AKOOL }), 'Webhook URL'),
	};
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeTaskOperation(this, items, {
		api: talkingAvatarApi(this),
		waitDefault: true,
		buildJob: async (i) => ({ itemIndex: i, request: buildRequest(this, i) }),
		videoFileName: (task) => `akool-talking-avatar-${task.taskId}.mp4`,
		callback: { withCallbackUrl: (request, url) => ({ ...request, webhookUrl: url }), getOperation: 'Talking Avatar Video → Get' },
	});
}
