/**
 * `npm run emulator [-- --port 8787]`: starts the provider emulator and runs until SIGINT/SIGTERM.
 * Port: --port N | --port=N | EMULATOR_PORT | 8787. Dev-only code.
 */
import { klingJwt } from './jwt';
import { startEmulator } from './server';

function parsePort(argv: string[]): number {
	let raw: string | undefined;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--port' || a === '-p') raw = argv[++i];
		else if (a.startsWith('--port=')) raw = a.slice('--port='.length);
		else if (a === '--help' || a === '-h') {
			process.stdout.write('usage: npm run emulator -- [--port N]   (default 8787, or EMULATOR_PORT)\n');
			process.exit(0);
		}
	}
	raw ??= process.env.EMULATOR_PORT ?? '8787';
	const port = Number(raw);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		process.stderr.write(`invalid port: ${raw}\n`);
		process.exit(2);
	}
	return port;
}

async function main(): Promise<void> {
	const emulator = await startEmulator({ port: parsePort(process.argv.slice(2)) });
	const k = emulator.kling.config;
	const lines = [
		`Talking-avatar provider emulator listening on ${emulator.url}`,
		'',
		'Kling',
		`  base URL (direct):           ${emulator.url}`,
		`  base URL (CometAPI style):   ${emulator.url}/kling   (CometAPI's error shapes: kling.config.cometApi = true)`,
		`  access key:                  ${k.accessKey}`,
		`  secret key:                  ${k.secretKey}`,
		`  API key (Bearer):            ${k.apiKey}`,
		`  timings:                     submitted ${k.submittedMs} ms, processing ${k.processingMs} ms; prompt "[[fail]]" fails a task`,
		`  concurrency limit:           ${k.concurrencyLimit}`,
		`  sample JWT (30 min):         ${klingJwt(k.accessKey, k.secretKey)}`,
		'',
		'Assets (no auth)',
		`  ${emulator.url}/assets/portrait.jpg`,
		`  ${emulator.url}/assets/voice.mp3`,
		`  ${emulator.url}/assets/sample.mp4`,
		'',
		'Press Ctrl+C to stop.',
	];
	process.stdout.write(`${lines.join('\n')}\n`);
	let stopping = false;
	const stop = () => {
		if (stopping) return;
		stopping = true;
		process.stdout.write('\nstopping emulator…\n');
		void emulator.close().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
	process.stderr.write(`emulator failed to start: ${err.stack ?? err.message}\n`);
	process.exit(1);
});
