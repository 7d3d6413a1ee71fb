#!/usr/bin/env node
// Makes sure uv (the Python package installer that builds task environments) is available:
// DJOBS_UV, then a project-local install in .tools/uv-<version>/, installed from PyPI when
// missing. Plain Node with no dependencies; the worker runs it on its first environment when uv
// is missing. Prints uv's path.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { executable } = require('./executables.cjs');
const { takeInstallLock } = require('./install-lock.cjs');

const VERSION = '0.13.10';
const root = path.resolve(__dirname, '..');
const target = path.join(root, '.tools', `uv-${VERSION}`);
const local = path.join(target, 'bin', 'uv');

function install() {
  console.error(`uv not found; installing uv==${VERSION} from PyPI into ${target}`);
  fs.rmSync(target, { recursive: true, force: true });
  const python = process.env.DJOBS_BOOTSTRAP_PYTHON || 'python3';
  const res = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', target, `uv==${VERSION}`],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  );
  if (res.status !== 0 || !executable(local)) {
    console.error('error: could not install uv with pip; install it yourself and set DJOBS_UV');
    process.exit(3);
  }
}

if (process.env.DJOBS_UV) {
  if (!executable(process.env.DJOBS_UV)) {
    console.error(`error: DJOBS_UV=${process.env.DJOBS_UV} is not an executable`);
    process.exit(3);
  }
  process.stdout.write(`${process.env.DJOBS_UV}\n`);
} else {
  if (!executable(local)) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const release = takeInstallLock(target, () => executable(local));
    try {
      if (!executable(local)) install();
    } finally {
      release();
    }
  }
  process.stdout.write(`${local}\n`);
}
