#!/usr/bin/env node
// Makes sure a headless Chromium is available for the browser tests and the UI benchmark:
// CHROMIUM_PATH, then `chromium` on PATH; otherwise installs Debian's `chromium` package with apt
// when running as root (as CI does), else says what to do. Prints the executable's path.
// Plain Node with no dependencies, so it runs before `npm run build`.
const { spawnSync } = require('node:child_process');
const { executable, onPath } = require('./executables.cjs');

const NAMES = ['chromium', 'chromium-browser'];

function find() {
  if (process.env.CHROMIUM_PATH) return executable(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  return onPath(...NAMES);
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return res.status === 0;
}

function ensureChromium() {
  const found = find();
  if (found) return found;
  if (process.env.CHROMIUM_PATH) {
    console.error(`error: CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file`);
    process.exit(3);
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !executable('/usr/bin/apt-get')) {
    console.error(
      'error: chromium not found. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.'
    );
    process.exit(3);
  }
  console.error('chromium not found; installing Debian package chromium with apt-get');
  if (
    !run('apt-get', ['update', '-qq']) ||
    !run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'])
  ) {
    console.error('error: apt-get could not install chromium; install it yourself or set CHROMIUM_PATH');
    process.exit(3);
  }
  const installed = find();
  if (!installed) {
    console.error('error: chromium was installed but is not on PATH; set CHROMIUM_PATH');
    process.exit(3);
  }
  return installed;
}

module.exports = { ensureChromium };

if (require.main === module) console.log(ensureChromium());
