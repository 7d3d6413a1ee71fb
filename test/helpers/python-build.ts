// Python packages the tests build themselves (wheels of test/fixtures projects) with the uv the
// worker installs environments with, and the download cache the tests' workers share.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** uv, installed into .tools/ by the project's script when missing. */
export function ensureUv(): string {
  return execFileSync(process.execPath, [path.join(root, 'scripts', 'ensure-uv.cjs')], { encoding: 'utf8' }).trim();
}

/**
 * Environments of the tests' workers download through one cache under .tools/, so a test file
 * does not fetch the same packages from PyPI on every run (each engine's data directory is new).
 */
export function shareUvCache(): void {
  process.env.DJOBS_UV_CACHE_DIR = path.join(root, '.tools', 'uv-cache');
}

/** Build the wheel of `project` (a directory, or the name of one in test/fixtures) into `outDir`; its path. */
export function buildFixtureWheel(project: string, outDir: string): string {
  const source = path.isAbsolute(project) ? project : path.join(root, 'test', 'fixtures', project);
  fs.mkdirSync(outDir, { recursive: true });
  execFileSync(ensureUv(), ['build', '--wheel', '--quiet', '--out-dir', outDir, source], {
    env: { ...process.env, UV_CACHE_DIR: path.join(root, '.tools', 'uv-cache') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wheel = fs.readdirSync(outDir).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`uv build made no wheel of ${source}`);
  return path.join(outDir, wheel);
}
