// At most one embedded Temporal server per data directory: two servers on one SQLite file corrupt
// it. The lock is a file (DJOBS_HOME/server.lock) created atomically (link(2) of a complete temp
// file, which fails if the lock exists) holding the owner's pid, the server's pid and its state.
// A lock whose owner is dead (kill -9) is stale: it is taken over, and an orphaned server it names
// is stopped first.
import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from '../config';

export interface ServerLockState {
  /** The djobs process that owns the embedded server. */
  pid: number;
  /** `dev`: `djobs dev`, shared with other commands; `run`: one command's private server. */
  owner: 'dev' | 'run';
  state: 'starting' | 'ready';
  /** The `temporal` process, once started. */
  serverPid?: number;
  address?: string;
  uiUrl?: string;
  /** The MLflow tracking server `djobs dev` started, if any. */
  mlflowUrl?: string;
  /** The jobs web UI `djobs dev` serves with its REST API, if any. */
  webUiUrl?: string;
  since: number;
}

export interface ServerLock {
  /** Record the started server (its pid first, so a crash right after leaves no orphan behind). */
  update(
    fields: Partial<Pick<ServerLockState, 'state' | 'serverPid' | 'address' | 'uiUrl' | 'mlflowUrl' | 'webUiUrl'>>
  ): void;
  release(): void;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readState(file: string): ServerLockState | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ServerLockState;
  } catch {
    return undefined;
  }
}

/** Write `state` to a fresh temp file next to `file` and return its path. */
function writeTemp(file: string, state: ServerLockState): string {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  return tmp;
}

/** Take the lock if nobody holds it; undefined when it is held (by a live owner). */
export function tryAcquireServerLock(home: string, owner: ServerLockState['owner']): ServerLock | undefined {
  fs.mkdirSync(home, { recursive: true });
  const file = dataPaths(home).serverLock;
  let state: ServerLockState = { pid: process.pid, owner, state: 'starting', since: Date.now() };
  const tmp = writeTemp(file, state);
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return undefined;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const releaseOnExit = () => release();
  const release = () => {
    process.off('exit', releaseOnExit);
    if (readState(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  // A normal exit (even process.exit) leaves no lock behind; only kill -9 does, and that is stale.
  process.on('exit', releaseOnExit);
  return {
    update(fields) {
      state = { ...state, ...fields };
      fs.renameSync(writeTemp(file, state), file);
    },
    release,
  };
}

/**
 * The lock's state if its owner is alive. A stale lock (owner dead) is removed, after stopping
 * the orphaned `temporal` server it names, so that the next start can take it.
 */
export function readLiveServerLock(home: string): ServerLockState | undefined {
  const file = dataPaths(home).serverLock;
  const state = readState(file);
  if (!state) {
    // Unreadable: a torn write is impossible (it is always renamed or linked whole), so it is junk.
    if (fs.existsSync(file)) fs.rmSync(file, { force: true });
    return undefined;
  }
  if (pidAlive(state.pid)) return state;
  // Move it aside atomically, so that two processes cleaning up at once remove it only once.
  const aside = `${file}.stale.${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return undefined; // someone else took it away first
  }
  const moved = readState(aside);
  if (moved && pidAlive(moved.pid)) {
    // A fresh lock was taken between our read and the rename: put it back.
    try {
      fs.linkSync(aside, file);
    } finally {
      fs.rmSync(aside, { force: true });
    }
    return moved;
  }
  fs.rmSync(aside, { force: true });
  if (moved?.serverPid && pidAlive(moved.serverPid) && isTemporalServer(moved.serverPid, home)) {
    process.kill(moved.serverPid, 'SIGKILL');
  }
  return undefined;
}

/** Whether a pid is a `temporal server` on this data directory (not a recycled pid). */
function isTemporalServer(pid: number, home: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes('start-dev') && cmdline.some((a) => a.startsWith(path.resolve(home)));
  } catch {
    return false; // no /proc (macOS): leave it; its port is busy, so the next server picks another
  }
}
