// Lists (one per line) the installed packages under <node_modules> that have install-time
// scripts (preinstall/install/postinstall, or a binding.gyp, which implies `node-gyp rebuild`),
// minus a comma/space-separated skip list. Used by e2e/install-n8n.sh to `npm rebuild` them.
import fs from 'node:fs';
import path from 'node:path';

const [root = 'node_modules', skipArg = ''] = process.argv.slice(2);
const skip = new Set(skipArg.split(/[\s,]+/).filter(Boolean));
const found = new Set();

function visit(dir) {
	let entries;
	try {
		entries = fs.readdirSync(dir, { withFileTypes: true });
	} catch {
		return;
	}
	for (const e of entries) {
		if (!e.isDirectory() || e.name.startsWith('.')) continue;
		if (e.name.startsWith('@')) {
			visit(path.join(dir, e.name));
			continue;
		}
		const pkgDir = path.join(dir, e.name);
		try {
			const pj = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
			const s = pj.scripts ?? {};
			const hasGyp = fs.existsSync(path.join(pkgDir, 'binding.gyp')) && pj.gypfile !== false;
			if (pj.name && (s.preinstall || s.install || s.postinstall || hasGyp)) found.add(pj.name);
		} catch {
			/* not a package */
		}
		visit(path.join(pkgDir, 'node_modules'));
	}
}

visit(root);
for (const name of [...found].sort()) if (!skip.has(name)) console.log(name);
