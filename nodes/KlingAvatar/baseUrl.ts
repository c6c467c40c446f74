/**
 * Kling's API roots. The legacy api.klingai.com now redirects users to Singapore; CometAPI relays
 * Kling's API under its own host and key (provider-apis.md §1.1, §1.11).
 */
export const KLING_BASE_URLS = {
	global: 'https://api-singapore.klingai.com',
	china: 'https://api-beijing.klingai.com',
	cometapi: 'https://api.cometapi.com/kling',
} as const;

export type KlingRegion = keyof typeof KLING_BASE_URLS | 'custom';

/** The API root for a credential; custom roots lose a trailing slash. */
export function klingBaseUrl(region: unknown, customBaseUrl: unknown): string {
	if (region === 'custom') return String(customBaseUrl ?? '').trim().replace(/\/+$/, '');
	if (region === 'china') return KLING_BASE_URLS.china;
	if (region === 'cometapi') return KLING_BASE_URLS.cometapi;
	return KLING_BASE_URLS.global;
}

/**
 * Whether requests go through CometAPI: its region, or a Custom Base URL on its host (as the
 * README recommended before the region existed). CometAPI has its own limits and answers
 * (provider-apis.md §6.2).
 */
export function isCometApi(region: unknown, customBaseUrl: unknown): boolean {
	if (region === 'cometapi') return true;
	if (region !== 'custom') return false;
	const match = /^https?:\/\/([^/:?#]+)/i.exec(String(customBaseUrl ?? '').trim());
	return !!match && /(^|\.)cometapi\.com$/i.test(match[1]);
}
