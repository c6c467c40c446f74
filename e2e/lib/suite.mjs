// Workflow pieces, checks and script plumbing shared by the real-n8n suites (error-output, retries, queue,
// run-examples): the webhook entry that feeds one item per element of `body.items`, the Kling
// Create parameters against the emulator, the pinned versions check and the exit-code wrapper.
import crypto from 'node:crypto';
import path from 'node:path';
import { isInstalled, packPackage, PINNED_VERSIONS } from '../n8n-env.mjs';
import { startFastEmulator } from './stack.mjs';

const uuid = () => crypto.randomUUID();

/**
 * Webhook (POST `hookPath`, answers at once unless `webhookParameters` say otherwise) → Split Out
 * (`body.items`) → the node named `target`. Returns the two nodes and their connections; the
 * caller adds its own nodes after them (x ≥ 440).
 */
export function webhookSplitOut(hookPath, target, webhookParameters = { httpMethod: 'POST', path: hookPath, responseMode: 'onReceived', options: {} }) {
	return {
		nodes: [
			{ id: uuid(), name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: uuid(), parameters: webhookParameters },
			{ id: uuid(), name: 'Split Out', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [220, 0], parameters: { fieldToSplitOut: 'body.items', options: {} } },
		],
		connections: {
			Webhook: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
			'Split Out': { main: [[{ node: target, type: 'main', index: 0 }]] },
		},
	};
}

/** Each provider's node in the package and the emulator credential it uses (ids from lib/stack.mjs emulatorCredentials). */
export const PROVIDER_NODES = {
	kling: { key: 'kling', label: 'Kling', nodeName: 'Kling Avatar', type: 'klingAvatar', credentials: { klingApi: { id: 'taKlingEmulator1', name: 'Kling (emulator)' } } },
	akool: { key: 'akool', label: 'Akool', nodeName: 'Akool', type: 'akool', credentials: { akoolApi: { id: 'taAkoolEmulator1', name: 'Akool (emulator)' } } },
	mingyan: {
		key: 'mingyan',
		label: 'Mingyan',
		nodeName: 'Mingyan Lip-Sync',
		type: 'mingyanLipSync',
		credentials: { mingyanApi: { id: 'taMingyanEmulat1', name: 'Mingyan (emulator)' } },
	},
};

/** Kling Avatar → Create with the emulator's portrait and voice URLs; `overrides` replace or add parameters. */
export function klingCreateParameters(emulatorUrl, overrides = {}) {
	return {
		resource: 'avatarVideo',
		operation: 'create',
		imageSource: 'url',
		imageUrl: `${emulatorUrl}/assets/portrait.jpg`,
		audioSource: 'url',
		audioUrl: `${emulatorUrl}/assets/voice.mp3`,
		mode: 'std',
		waitForCompletion: true,
		options: {},
		...overrides,
	};
}

/** Akool → Talking Avatar Video Create with a listed avatar and item n's voice URL at the emulator; `overrides` replace or add parameters. */
export function akoolCreateParameters(emulatorUrl, overrides = {}) {
	return {
		resource: 'talkingAvatarVideo',
		operation: 'create',
		avatarSource: 'akool',
		avatarId: 'dvp_Tristan_cloth2_1080P',
		audioUrl: `={{ "${emulatorUrl}/assets/voice.mp3?item=" + $json.n }}`,
		waitForCompletion: true,
		layout: {},
		options: {},
		...overrides,
	};
}

/** An HS256 JWT as Kling wants it (provider-apis.md §1.2). */
export function klingJwt(accessKey, secretKey) {
	const b64u = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
	const now = Math.floor(Date.now() / 1000);
	const head = `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u({ iss: accessKey, exp: now + 1800, nbf: now - 5 })}`;
	return `${head}.${crypto.createHmac('sha256', secretKey).update(head).digest('base64url')}`;
}

/** The versions asked for on the command line, else the pinned ones; throws when one is not installed. */
export function installedVersions(versions) {
	const list = versions.length ? versions : PINNED_VERSIONS;
	for (const v of list) {
		if (!isInstalled(v)) throw new Error(`n8n@${v} is not installed: run \`bash e2e/install-n8n.sh ${v}\` (scripts/run.sh e2e does it)`);
	}
	return list;
}

/**
 * Packs the package once, starts the emulator, and runs `runVersion(version, tarball, emulator)`
 * for each version asked for (else the pinned ones), in order; the emulator is closed at the end,
 * also on a throw. Returns the per-version results, the start time and how long packing took.
 */
export async function acrossVersions(versions, runVersion) {
	const list = installedVersions(versions);
	const t0 = Date.now();
	const tarball = packPackage();
	const packMs = Date.now() - t0;
	const emulator = await startFastEmulator();
	console.log(`packed ${path.basename(tarball)} in ${(packMs / 1000).toFixed(1)} s; emulator on ${emulator.url}`);
	const summary = [];
	try {
		for (const version of list) summary.push(await runVersion(version, tarball, emulator));
	} finally {
		await emulator.close();
	}
	return { summary, t0, packMs };
}

/** Named checks printed as they run (PASS/FAIL, `tag: name — detail`); `results` for the summary. */
export function makeChecker(tag) {
	const results = [];
	const check = (name, cond, detail) => {
		results.push({ name: `${tag}: ${name}`, ok: !!cond, detail });
		console.log(`    ${cond ? 'PASS' : 'FAIL'}  ${tag}: ${name}${detail !== undefined && detail !== '' ? `  — ${detail}` : ''}`);
		return !!cond;
	};
	return { results, check };
}

/** Runs a suite's `main` (resolving to an exit code) and exits with it; a throw prints its stack and exits 1. */
export function runSuite(main) {
	main().then(
		(code) => process.exit(code),
		(err) => {
			console.error(err.stack ?? err);
			process.exit(1);
		},
	);
}
