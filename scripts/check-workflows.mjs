// The GitHub Actions workflows cannot run here: parse them (js-yaml, duplicate keys are errors) and
// check what publishing with provenance needs. Usage: node scripts/check-workflows.mjs
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

const dir = path.resolve(import.meta.dirname, '..', '.github', 'workflows');
const problems = [];
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
for (const f of files) {
	try {
		yaml.load(fs.readFileSync(path.join(dir, f), 'utf8'), { filename: f });
		console.log(`[workflows] ${f}: parses`);
	} catch (error) {
		problems.push(`${f}: ${error.message}`);
	}
}
const publishFile = path.join(dir, 'publish.yml');
if (!fs.existsSync(publishFile)) problems.push('publish.yml is missing');
else if (!problems.some((p) => p.startsWith('publish.yml'))) {
	const wf = yaml.load(fs.readFileSync(publishFile, 'utf8'));
	const job = wf.jobs?.publish;
	const runs = (job?.steps ?? []).map((s) => s.run ?? '').join('\n');
	const need = [
		['triggered by pushed tags', Array.isArray(wf.on?.push?.tags) && wf.on.push.tags.length > 0],
		['id-token: write', job?.permissions?.['id-token'] === 'write'],
		['npm publish --provenance --access public', /npm publish --provenance --access public/.test(runs)],
		['builds, lints (both) and tests before publishing', ['npm run build', 'npm run lint', 'npm run lint:n8n', 'npm test'].every((c) => runs.indexOf(c) >= 0 && runs.indexOf(c) < runs.indexOf('npm publish'))],
	];
	for (const [what, ok] of need) if (!ok) problems.push(`publish.yml: ${what}`);
	console.log(`[workflows] publish.yml: ${need.filter(([, ok]) => ok).map(([w]) => w).join('; ')}`);
}
if (problems.length) {
	for (const p of problems) console.error(`[workflows] ${p}`);
	process.exit(1);
}
