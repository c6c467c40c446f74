// Mirrors the n8n verification scanner (@n8n/scan-community-package, scanner.mjs):
// the same flat config, inline `eslint-disable` ignored, run twice — once over the sources
// (package.json + nodes/ + credentials/) and once over what `npm pack` would publish
// (dist/**/*.js, index.js, package.json). Any finding fails the run.
import { ESLint } from 'eslint';
import { defineConfig } from 'eslint/config';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tsParserModule from '@typescript-eslint/parser';
import n8nNodesPlugin from 'eslint-plugin-n8n-nodes-base';

const tsParser = tsParserModule.default ?? tsParserModule;
const root = resolve(import.meta.dirname, '..');

const config = defineConfig(
	n8nCommunityNodesPlugin.configs.recommended,
	{ rules: { 'no-console': 'error' } },
	{ plugins: { 'n8n-nodes-base': n8nNodesPlugin } },
	{ files: ['package.json'], rules: { ...n8nNodesPlugin.configs.community.rules } },
	{
		files: ['**/credentials/**/*.ts'],
		rules: {
			...n8nNodesPlugin.configs.credentials.rules,
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		files: ['**/nodes/**/*.ts'],
		rules: {
			...n8nNodesPlugin.configs.nodes.rules,
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
		},
	},
	{ files: ['**/*.json'], languageOptions: { parser: tsParser } },
	{ files: ['**/*.ts'], languageOptions: { parser: tsParser } },
);

async function lint(cwd, patterns, label) {
	const eslint = new ESLint({ cwd, allowInlineConfig: false, overrideConfigFile: true, overrideConfig: config, errorOnUnmatchedPattern: false });
	const results = await eslint.lintFiles(patterns);
	const files = results.length;
	const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
	const errors = results.reduce((n, r) => n + r.errorCount, 0);
	if (problems) {
		const formatter = await eslint.loadFormatter('stylish');
		process.stdout.write(await formatter.format(results));
	}
	console.log(`[lint] ${label}: ${files} files, ${errors} errors, ${problems - errors} warnings`);
	return { files, errors, problems };
}

const source = await lint(root, ['package.json', '{nodes,credentials}/**/*.{js,ts,json}'], 'sources');

// The published tarball, exactly as npm would pack it.
const packDir = mkdtempSync(join(tmpdir(), 'talking-avatar-pack-'));
try {
	execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
	const tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
	const pkgDir = join(packDir, 'package');
	execFileSync('tar', ['-xzf', join(packDir, tgz), '-C', packDir]);
	const published = await lint(pkgDir, ['**/*.js', 'package.json'], 'published package (dist)');
	if (published.files < 2) throw new Error('the packed package has no compiled files: run the build first');
	// Zero findings, warnings included: the scanner only fails on errors, we hold ourselves to both.
	if (source.problems || published.problems) process.exit(1);
} finally {
	rmSync(packDir, { recursive: true, force: true });
}
