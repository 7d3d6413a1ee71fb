#!/usr/bin/env node
// Runs the npm scripts named on the command line at the same time, and fails if any of them fails.
// `npm run verify` uses it for the steps before the tests (format check, typecheck, lint, build,
// tool installs): none needs another's output, each is a single-threaded process or a download,
// and one after the other they leave the second core of a 2-core machine idle.
// Each script's output is printed in one piece when it ends, so the steps' lines never interleave.
// Plain Node with no dependencies, so it runs before `npm run build`.
const { spawn } = require('node:child_process');

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
  console.error('usage: node scripts/run-at-once.cjs <npm script>...');
  process.exit(2);
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();

/** One npm script to its end: its exit code (1 when it could not start or was killed) and its output. */
function runScript(name) {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('error', (err) => chunks.push(Buffer.from(`${err.message}\n`)));
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const output = Buffer.concat(chunks).toString();
      const status = code === 0 ? 'ok' : `FAILED (exit ${code ?? 'on a signal'})`;
      process.stdout.write(
        `> ${name}: ${status} after ${seconds} s\n${output}${output && !output.endsWith('\n') ? '\n' : ''}`
      );
      resolve(code ?? 1);
    });
  });
}

Promise.all(scripts.map(runScript)).then((codes) => {
  const failed = scripts.filter((_, i) => codes[i] !== 0);
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exit(1);
  }
});
