/**
 * In-memory ICredentialsHelper for the engine harness.
 *
 * Mirrors what n8n's cli `CredentialsHelper` (packages/cli/src/credentials-helper.ts) does for the
 * parts a node reaches at execution time:
 *  - getDecrypted: returns the plain credential data the test passed in, keyed by credential TYPE,
 *    with missing properties filled from the credential type's defaults (n8n does the same when it
 *    decrypts, which is why a `hidden` expirable property arrives as '' and triggers pre-auth).
 *  - authenticate: function-style `authenticate` is called; generic `{type:'generic', properties}`
 *    objects are applied with `={{$credentials.x}}` expressions resolved through the Workflow's
 *    expression resolver, exactly like the cli.
 *  - preAuthentication: first `hidden` property with `typeOptions.expirable === true`; when its value is
 *    '' or n8n-core reports the credentials as expired (401 retry), the credential type's
 *    `preAuthentication` is called and its output is persisted back into this store (n8n persists it to
 *    the DB), so later items / executions of the same Engine reuse the token.
 *  - runPreAuthentication: calls `preAuthentication` without the guard and without persisting.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
	Workflow,
} from 'n8n-workflow';
import type { ICredentialsEncrypted } from 'n8n-workflow';
import { ICredentials, ICredentialsHelper, NodeHelpers, UnexpectedError, isExpression } from 'n8n-workflow';

/** Plain (unencrypted) ICredentials backed by the helper's in-memory store. */
class PlainCredentials extends ICredentials {
	constructor(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		private plain: ICredentialDataDecryptedObject,
	) {
		super(nodeCredentials, type);
	}

	async getData(): Promise<ICredentialDataDecryptedObject> {
		return { ...this.plain };
	}

	getDataToSave(): ICredentialsEncrypted {
		return { id: this.id, name: this.name, type: this.type, data: JSON.stringify(this.plain) };
	}

	async setData(data: ICredentialDataDecryptedObject): Promise<void> {
		this.plain = { ...data };
	}

	async updateData(toUpdate: Partial<ICredentialDataDecryptedObject>, toDelete: string[] = []): Promise<void> {
		const next: ICredentialDataDecryptedObject = { ...this.plain, ...(toUpdate as ICredentialDataDecryptedObject) };
		for (const key of toDelete) delete next[key];
		this.plain = next;
	}
}

/** Minimal credential-type registry (what the loader produced). */
export interface CredentialTypeRegistry {
	getByName(typeName: string): ICredentialType;
	/** All registered credential type names. */
	names(): string[];
}

/** One credential access made by the engine / a node. */
export interface CredentialRequest {
	kind: 'getDecrypted' | 'authenticate' | 'preAuthentication' | 'runPreAuthentication';
	type: string;
	node?: string;
	/** authenticate: the request URL; preAuthentication: whether n8n-core flagged the credentials expired */
	url?: string;
	expired?: boolean;
	/** preAuthentication: whether the credential type's preAuthentication was actually called */
	fetched?: boolean;
	at: number;
}

export class HarnessCredentialsHelper extends ICredentialsHelper {
	/** Every credential access, in order. */
	readonly requests: CredentialRequest[] = [];

	/** Credential data by credential type name (what `run({ credentials })` passed). */
	private readonly store = new Map<string, ICredentialDataDecryptedObject>();

	private readonly preAuthCalls = new Map<string, number>();

	/** Every (typeName → data) persisted by `updateCredentials` (pre-auth tokens etc.). */
	readonly updates: Array<{ type: string; data: ICredentialDataDecryptedObject }> = [];

	/**
	 * Test-only, like curl's --resolve: an authenticated request whose URL starts with a key goes to
	 * the value instead (e.g. a credential's preset host, `https://api.cometapi.com/kling`, to the
	 * emulator's `http://127.0.0.1:PORT/kling`). Lets tests run a preset region against the emulator.
	 */
	readonly urlOverrides = new Map<string, string>();

	constructor(private readonly credentialTypes: CredentialTypeRegistry) {
		super();
	}

	/**
	 * Merge credentials for a run. A type that is already stored keeps values the helper persisted
	 * itself (e.g. a pre-auth token) unless the caller passes a different value for that field, so a
	 * second run with the same credentials object reuses the token like n8n does.
	 */
	setCredentials(credentials: Record<string, ICredentialDataDecryptedObject> | undefined): void {
		for (const [type, data] of Object.entries(credentials ?? {})) {
			const previous = this.store.get(type);
			const incoming = { ...data };
			if (previous) {
				const expirable = this.expirableProperty(type);
				if (
					expirable &&
					(incoming[expirable] === undefined || incoming[expirable] === '') &&
					this.sameExceptExpirable(previous, incoming, expirable)
				) {
					incoming[expirable] = previous[expirable];
				}
			}
			this.store.set(type, incoming);
		}
	}

	/** Replace the stored data of one type (no merging). */
	replaceCredentials(type: string, data: ICredentialDataDecryptedObject): void {
		this.store.set(type, { ...data });
	}

	/** Current stored data (including persisted pre-auth tokens) of one credential type. */
	getStored(type: string): ICredentialDataDecryptedObject | undefined {
		const data = this.store.get(type);
		return data ? { ...data } : undefined;
	}

	/** How often the credential type's `preAuthentication` ran (token fetches). */
	preAuthCount(type: string): number {
		return this.preAuthCalls.get(type) ?? 0;
	}

	// ---------------------------------------------------------------- ICredentialsHelper

	getParentTypes(name: string): string[] {
		const type = this.tryGetType(name);
		if (!type?.extends) return [];
		const parents: string[] = [];
		for (const parent of type.extends) {
			parents.push(parent, ...this.getParentTypes(parent));
		}
		return parents;
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		const type = this.tryGetType(credentialType);
		if (!type || !(type as ICredentialType & { restrictToSupportedNodes?: boolean }).restrictToSupportedNodes) {
			return true;
		}
		const supported = type.supportedNodes ?? [];
		return supported.some((short) => nodeType === short || nodeType.endsWith(`.${short}`));
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		incomingRequestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const requestOptions = incomingRequestOptions;
		const credentialType = this.credentialTypes.getByName(typeName);
		this.requests.push({
			kind: 'authenticate',
			type: typeName,
			node: node?.name,
			url: (requestOptions as IHttpRequestOptions).url ?? (requestOptions as { uri?: string }).uri,
			at: Date.now(),
		});

		if (credentialType.authenticate) {
			if (typeof credentialType.authenticate === 'function') {
				return this.overridden(await credentialType.authenticate(credentials, requestOptions as IHttpRequestOptions));
			}

			if (typeof credentialType.authenticate === 'object') {
				if (!workflow || !node) {
					throw new UnexpectedError('Workflow and node are required for declarative credential authentication');
				}
				const { authenticate } = credentialType;
				if (requestOptions.headers === undefined) requestOptions.headers = {};

				if (authenticate.type === 'generic') {
					const target = requestOptions as unknown as Record<string, Record<string, unknown> | undefined>;
					for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
						for (const [key, value] of Object.entries(outerValue as Record<string, unknown>)) {
							const keyResolved = this.resolveValue(key, credentials, workflow, node);
							const valueResolved = this.resolveValue(value as string, credentials, workflow, node);
							if (!target[outerKey]) target[outerKey] = {};
							(target[outerKey] as Record<string, unknown>)[keyResolved] = valueResolved;
						}
					}
				}
			}
		}

		return this.overridden(requestOptions as IHttpRequestOptions);
	}

	/** Applies `urlOverrides` to an authenticated request. */
	private overridden(options: IHttpRequestOptions): IHttpRequestOptions {
		const url = typeof options.url === 'string' ? options.url : '';
		for (const [from, to] of this.urlOverrides) {
			if (url === from || url.startsWith(`${from}/`) || url.startsWith(`${from}?`)) return { ...options, url: `${to}${url.slice(from.length)}` };
		}
		return options;
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		const expirableProperty = credentialType.properties.find(
			(property) => property.type === 'hidden' && property?.typeOptions?.expirable === true,
		);
		if (expirableProperty?.name === undefined) return undefined;

		if (typeof credentialType.preAuthentication !== 'function') return undefined;
		const fetch = credentials[expirableProperty.name] === '' || credentialsExpired;
		this.requests.push({
			kind: 'preAuthentication',
			type: typeName,
			node: node?.name,
			expired: credentialsExpired,
			fetched: fetch,
			at: Date.now(),
		});
		if (!fetch) return undefined;

		this.preAuthCalls.set(typeName, this.preAuthCount(typeName) + 1);
		const output = (await credentialType.preAuthentication.call(helpers, credentials)) as
			| ICredentialDataDecryptedObject
			| undefined;

		// n8n only persists (and returns) when the expirable property came back.
		if (!output || output[expirableProperty.name] === undefined) return undefined;

		if (node.credentials) {
			const nodeCredentials = node.credentials[credentialType.name];
			const stored = this.store.get(typeName) ?? {};
			const dataToPersist: ICredentialDataDecryptedObject = { ...stored };
			for (const [key, value] of Object.entries(output)) {
				if (key === expirableProperty.name || !isExpression(stored[key])) dataToPersist[key] = value;
			}
			await this.updateCredentials(nodeCredentials, credentialType.name, dataToPersist);
			return Object.assign(credentials, output);
		}
		return undefined;
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		if (typeof credentialType.preAuthentication !== 'function') return undefined;
		this.requests.push({ kind: 'runPreAuthentication', type: typeName, fetched: true, at: Date.now() });
		this.preAuthCalls.set(typeName, this.preAuthCount(typeName) + 1);
		const output = await credentialType.preAuthentication.call(helpers, credentials);
		return (output as ICredentialDataDecryptedObject) ?? undefined;
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		// n8n-core's Credentials would encrypt with the instance Cipher; the data here stays plain.
		return new PlainCredentials(nodeCredentials, type, this.store.get(type) ?? {});
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		_mode?: unknown,
		executeData?: IExecuteData,
	): Promise<ICredentialDataDecryptedObject> {
		this.requests.push({ kind: 'getDecrypted', type, node: executeData?.node?.name, at: Date.now() });
		const data = this.store.get(type);
		if (data === undefined) {
			throw new UnexpectedError(
				`Engine harness: no credentials of type "${type}" were passed to run({ credentials }). Known: ${
					[...this.store.keys()].join(', ') || '(none)'
				}`,
			);
		}
		// Fill defaults like n8n's getDecrypted (applyDefaultsAndOverwrites) does.
		const withDefaults: ICredentialDataDecryptedObject = {};
		for (const property of this.getCredentialsProperties(type)) {
			if (property.default !== undefined && property.type !== 'notice') {
				withDefaults[property.name] = property.default as ICredentialDataDecryptedObject[string];
			}
		}
		return { ...withDefaults, ...data };
	}

	async updateCredentials(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.store.set(type, { ...data });
		this.updates.push({ type, data: { ...data } });
	}

	async updateCredentialsOauthTokenData(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		await this.updateCredentials(nodeCredentials, type, { ...(this.store.get(type) ?? {}), ...data });
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		const credentialTypeData = this.tryGetType(type);
		if (credentialTypeData === undefined) {
			throw new UnexpectedError('Unknown credential type', { tags: { credentialType: type } });
		}
		if (credentialTypeData.extends === undefined) return credentialTypeData.properties;

		const combined: INodeProperties[] = [];
		for (const parent of credentialTypeData.extends) {
			if (this.tryGetType(parent)) {
				NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
			}
		}
		NodeHelpers.mergeNodeProperties(combined, credentialTypeData.properties);
		return combined;
	}

	// ---------------------------------------------------------------- internals

	private resolveValue(
		parameterValue: string,
		credentials: ICredentialDataDecryptedObject,
		workflow: Workflow,
		node: INode,
	): string {
		if (!isExpression(parameterValue)) return parameterValue;
		const returnValue = workflow.expression.getSimpleParameterValue(
			node,
			parameterValue,
			'internal',
			{ $credentials: credentials },
			undefined,
			'',
		);
		if (!returnValue) return '';
		return returnValue.toString();
	}

	private tryGetType(name: string): ICredentialType | undefined {
		try {
			return this.credentialTypes.getByName(name);
		} catch {
			return undefined;
		}
	}

	private expirableProperty(type: string): string | undefined {
		return this.tryGetType(type)?.properties.find(
			(p) => p.type === 'hidden' && p.typeOptions?.expirable === true,
		)?.name;
	}

	private sameExceptExpirable(
		a: ICredentialDataDecryptedObject,
		b: ICredentialDataDecryptedObject,
		expirable: string,
	): boolean {
		const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
		keys.delete(expirable);
		for (const key of keys) {
			if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return false;
		}
		return true;
	}
}
