// Headless Chromium for the browser tests and the UI benchmark: Debian's `chromium` (found or
// installed by scripts/ensure-chromium.cjs) driven by playwright-core through its executable path.
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export function chromiumPath(): string {
  const root = packageRoot();
  const { ensureChromium } = createRequire(path.join(root, 'package.json'))('./scripts/ensure-chromium.cjs') as {
    ensureChromium: () => string;
  };
  return ensureChromium();
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in CI containers has no user namespaces for Chromium's sandbox; /dev/shm is often tiny.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
