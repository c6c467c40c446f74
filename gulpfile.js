const path = require('path');
const { task, src, dest, parallel } = require('gulp');

// Icons are referenced as `file:` paths relative to the compiled .node.js / .credentials.js,
// so they are copied into dist/ with the same relative layout. Both streams are returned.
function copyNodeIcons() {
	return src(path.resolve('nodes', '**', '*.{png,svg}'), { encoding: false }).pipe(
		dest(path.resolve('dist', 'nodes')),
	);
}

function copyCredentialIcons() {
	return src(path.resolve('credentials', '**', '*.{png,svg}'), { encoding: false }).pipe(
		dest(path.resolve('dist', 'credentials')),
	);
}

task('build:icons', parallel(copyNodeIcons, copyCredentialIcons));
