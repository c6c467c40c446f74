/** Akool's public API root (provider-apis.md §2.1). */
export const AKOOL_DEFAULT_BASE_URL = 'https://openapi.akool.com';

export const AKOOL_CREDENTIAL = 'akoolApi';

/** Shown in messages and error descriptions. */
export const AKOOL = 'Akool';

export const AKOOL_PATHS = {
	credentialExchange: '/api/open/v3/getToken',
	avatarList: '/api/open/v3/avatar/list',
	avatarDetail: '/api/open/v3/avatar/detail',
	avatarCreate: '/api/open/v3/avatar/create',
	talkingAvatarCreate: '/api/open/v3/talkingavatar/create',
	videoInfo: '/api/open/v3/content/video/infobymodelid',
} as const;

/** The business code of a successful answer; any other code is an error. */
export const AKOOL_SUCCESS = 1000;
/** "Frequent operation": Akool's rate limit (provider-apis.md §6.3). */
export const AKOOL_RATE_LIMITED = 1005;
/**
 * Ends the message of a getToken failure worth trying again: Akool's rate limit (1005, "Frequent
 * operation", provider-apis.md §6.3) or no answer at all. Nothing but the token request was sent.
 */
export const AKOOL_TOKEN_TRANSIENT_MARK = '(temporary: nothing else was sent, try again)';
/** "Invalid authorization, or the request token has expired". */
export const AKOOL_TOKEN_INVALID = 1101;

/** The canvas Akool requires for talking-avatar videos ("must be 3840 × 2160"). */
export const CANVAS = { width: 3840, height: 2160 } as const;

/** The credential's API root without a trailing slash. */
export function akoolBaseUrl(baseUrl: unknown): string {
	const url = String(baseUrl ?? '').trim().replace(/\/+$/, '');
	return url || AKOOL_DEFAULT_BASE_URL;
}
