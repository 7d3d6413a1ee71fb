// Garbage collection by age of the worker's caches (task environments, Git checkouts): each entry
// is a directory whose modification time its users set when they use it (`markUsed`); those
// nobody used for the maximum age are removed, except one being built (its lock is held). A
// removal first renames the directory away, so no attempt starts in a half-removed one.
import fs from 'node:fs';
import path from 'node:path';
import { isLocked } from './dir-lock';

/** Say `dir` is in use now (read-only directories too: their owner may set their times). */
export function markUsed(dir: string): void {
  const now = new Date();
  fs.utimesSync(dir, now, now);
}

/** Make `dir` and what it holds writable by its owner, so it can be removed. */
function makeRemovable(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) makeRemovable(path.join(dir, entry.name));
}

/** Remove the entries of `root` unused for more than `maxAgeMs`; their names. */
export function removeUnused(root: string, maxAgeMs: number, now = Date.now()): string[] {
  const removed: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name.endsWith('.lock')) continue;
    const dir = path.join(root, entry.name);
    if (isLocked(dir)) continue;
    const used = fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs;
    if (used === undefined || now - used <= maxAgeMs) continue;
    const trash = path.join(root, `.removing-${entry.name}-${process.pid}`);
    try {
      fs.renameSync(dir, trash);
    } catch {
      continue; // another worker removed or took it first
    }
    makeRemovable(trash);
    fs.rmSync(trash, { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}

/** The maximum age of unused cache entries: DJOBS_ENVIRONMENT_MAX_AGE_DAYS days, 7 by default. */
export function maxUnusedAgeMs(): number {
  const days = Number(process.env.DJOBS_ENVIRONMENT_MAX_AGE_DAYS ?? 7);
  return (Number.isFinite(days) && days > 0 ? days : 7) * 24 * 3600 * 1000;
}
