// A lock shared by every process that uses one directory (the attempts of a worker, and workers
// that share a data directory): a lock directory made with mkdir, which only one process can
// create. Its owner file names the holder; a lock whose holder died on this host, or which is
// older than any build, is taken over. Waiting polls without blocking the event loop, so an
// activity keeps heartbeating while it waits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock held longer than this belongs to a holder that is gone (a build never takes this long). */
const STALE_MS = 2 * 3600 * 1000;
const POLL_MS = 200;

interface Owner {
  pid: number;
  host: string;
}

function ownerGone(lock: string): boolean {
  let owner: Owner;
  try {
    owner = JSON.parse(fs.readFileSync(path.join(lock, 'owner.json'), 'utf8')) as Owner;
  } catch {
    // Made but its owner not yet written, or unreadable: judged by age alone.
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    return age > STALE_MS;
  }
  if (owner.host === os.hostname()) {
    try {
      process.kill(owner.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
  return age > STALE_MS;
}

/**
 * Run `work` holding `<target>.lock`, unless `done()` says there is nothing left to do (checked
 * before each try, so a waiter whose work another process did returns at once). Returns what
 * `work` returned, or undefined when it did not run.
 */
export async function withDirLock<T>(
  target: string,
  done: () => boolean,
  work: () => Promise<T>,
  signal?: AbortSignal
): Promise<T | undefined> {
  const lock = `${target}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    if (done()) return undefined;
    signal?.throwIfAborted();
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ownerGone(lock)) fs.rmSync(lock, { recursive: true, force: true });
      else await sleep(POLL_MS, undefined, signal ? { signal } : {});
    }
  }
  try {
    fs.writeFileSync(path.join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, host: os.hostname() }));
    if (done()) return undefined;
    return await work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Whether `<target>.lock` is held now (garbage collection leaves such a target alone). */
export const isLocked = (target: string): boolean => fs.existsSync(`${target}.lock`);
