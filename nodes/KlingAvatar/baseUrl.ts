/** Kling's regional API hosts. The legacy api.klingai.com now redirects users to Singapore. */
export const KLING_BASE_URLS = {
	global: 'https://api-singapore.klingai.com',
	china: 'https://api-beijing.klingai.com',
} as const;

export type KlingRegion = keyof typeof KLING_BASE_URLS | 'custom';

/** The API root for a credential; custom roots (e.g. https://api.cometapi.com/kling) lose a trailing slash. */
export function klingBaseUrl(region: unknown, customBaseUrl: unknown): string {
	if (region === 'custom') return String(customBaseUrl ?? '').trim().replace(/\/+$/, '');
	return region === 'china' ? KLING_BASE_URLS.china : KLING_BASE_URLS.global;
}
