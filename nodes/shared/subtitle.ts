import type { INodeProperties } from 'n8n-workflow';

/**
 * The canvas subtitle of a resource/operation node, in the names the editor shows ("Create: Avatar
 * Video", "Get Many: Avatar") instead of the raw values ("create: avatarVideo"). Built from the
 * node's own Resource and Operation options, so it cannot drift from them.
 * @returns an n8n expression for `INodeTypeDescription.subtitle`
 */
export function subtitleFrom(properties: INodeProperties[]): string {
	const resources = properties.find((p) => p.name === 'resource')?.options as Array<{ name: string; value: string }> | undefined;
	const names: Record<string, string> = {};
	for (const operation of properties.filter((p) => p.name === 'operation')) {
		const shownFor = (operation.displayOptions?.show?.resource as string[] | undefined) ?? [];
		for (const resource of shownFor) {
			const resourceName = resources?.find((r) => r.value === resource)?.name ?? resource;
			for (const option of (operation.options ?? []) as Array<{ name: string; value: string }>) {
				names[`${resource}:${option.value}`] = `${option.name}: ${resourceName}`;
			}
		}
	}
	return `={{ (${JSON.stringify(names)})[$parameter["resource"] + ":" + $parameter["operation"]] }}`;
}
