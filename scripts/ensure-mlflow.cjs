#!/usr/bin/env node
// Makes sure MLflow (tracking server + Python client) and scikit-learn are available to Python
// tasks: a virtual environment in .tools/mlflow-<version>/ made from PyPI when missing. The venv
// sees the system's site-packages too, so tasks keep every package the machine already has.
// Plain Node with no dependencies, like ensure-temporal.cjs. Prints the venv's python.
// A lock directory keeps two concurrent installs (parallel test files) from racing.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { takeInstallLock } = require('./install-lock.cjs');

const REQUIREMENTS = ['mlflow==3.17.2', 'scikit-learn==1.7.2', 'boto3==1.40.0'];
const root = path.resolve(__dirname, '..');
const venv = path.join(root, '.tools', 'mlflow-3.17.2');
const python = path.join(venv, 'bin', 'python');
const marker = path.join(venv, '.djobs-installed');

function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (res.status !== 0) {
    console.error(`error: ${cmd} ${args.join(' ')} failed; install MLflow yourself and set DJOBS_PYTHON`);
    process.exit(3);
  }
}

function install() {
  console.error(`MLflow not found; installing ${REQUIREMENTS.join(' ')} from PyPI into ${venv}`);
  fs.rmSync(venv, { recursive: true, force: true });
  run(process.env.DJOBS_BOOTSTRAP_PYTHON || 'python3', ['-m', 'venv', '--system-site-packages', venv]);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...REQUIREMENTS]);
  fs.writeFileSync(marker, `${REQUIREMENTS.join('\n')}\n`);
}

if (!fs.existsSync(marker)) {
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  const release = takeInstallLock(venv, () => fs.existsSync(marker));
  try {
    if (!fs.existsSync(marker)) install();
  } finally {
    release();
  }
}
// Sandboxed tasks run this environment's Python under uids of their own: an environment that a
// process with a private umask installed (077, as `djobs dev` has) is opened to them.
if ((fs.statSync(venv).mode & 0o005) !== 0o005) run('chmod', ['-R', 'a+rX', venv]);
process.stdout.write(`${python}\n`);
