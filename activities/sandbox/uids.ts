// Which uid a task runs as: one per principal, never the worker's. The principal is the identity
// the run acts as, sealed by the API and opened by the run's workflow (activities/run-as.ts), never
// a field a task or a writer to Temporal could choose. The first time a principal's task runs on
// a host, the next free uid of the range (DJOBS_SANDBOX_UID_BASE, a million of them) is recorded
// for it in `<DJOBS_HOME>/sandbox-uids`, one `uid name` line per principal (`<kind>:<name>` as
// JSON), and it keeps that uid from then on: two principals never share a uid, so neither can
// touch the other's files, and a principal's files stay its own across runs and workers. Workers
// of one host share the file through their data directory; writers take a lock file.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WAREHOUSE_ID, type RunAsIdentity } from '../../core';
import { DEFAULT_TASK_UID_BASE, TASK_UID_COUNT } from '../../config/sandbox';

/** The principal of attempts that run as no principal (the bench, tests of one attempt). */
export const ANONYMOUS_PRINCIPAL = '(no principal)';

/**
 * A principal's name in the registry, its kind first: a user, a service principal and a
 * warehouse's group (warehouseKey) of one name are three uids.
 */
export const principalKey = (who: RunAsIdentity | undefined): string =>
  who ? `${who.kind}:${who.name}` : ANONYMOUS_PRINCIPAL;

/** The registry's name of a SQL warehouse's group (warehouses.ts). */
export const warehouseKey = (warehouseId: string | undefined): string =>
  `warehouse:${warehouseId ?? DEFAULT_WAREHOUSE_ID}`;

const LOCK_WAIT_MS = 10_000;

export class TaskUids {
  private readonly known = new Map<string, number>();
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly base = DEFAULT_TASK_UID_BASE
  ) {
    this.file = path.join(dataDir, 'sandbox-uids');
  }

  /** The uid (and gid, the same number) of `principal`'s tasks. */
  uidOf(principal: string): number {
    const known = this.known.get(principal);
    if (known !== undefined) return known;
    this.read();
    const found = this.known.get(principal);
    if (found !== undefined) return found;
    return this.withLock(() => {
      this.read(); // another worker may have added it meanwhile
      const again = this.known.get(principal);
      if (again !== undefined) return again;
      const used = new Set(this.known.values());
      let uid = this.base;
      while (used.has(uid)) uid++;
      if (uid >= this.base + TASK_UID_COUNT)
        throw new Error(`${this.file}: all ${TASK_UID_COUNT} task uids from ${this.base} are taken`);
      fs.appendFileSync(this.file, `${uid} ${JSON.stringify(principal)}\n`, { mode: 0o600 });
      this.known.set(principal, uid);
      return uid;
    });
  }

  private read(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      const space = line.indexOf(' ');
      if (space < 0) continue;
      const uid = Number(line.slice(0, space));
      const name = JSON.parse(line.slice(space + 1)) as string;
      if (Number.isInteger(uid)) this.known.set(name, uid);
    }
  }

  private withLock<T>(fn: () => T): T {
    const lock = `${this.file}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        fs.closeSync(fs.openSync(lock, 'wx', 0o600));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A lock older than the wait is left by a dead worker.
        const held = fs.statSync(lock, { throwIfNoEntry: false });
        if (held && (Date.now() > deadline || Date.now() - held.mtimeMs > LOCK_WAIT_MS))
          fs.rmSync(lock, { force: true });
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a few ms: the holder appends one line
      }
    }
    try {
      return fn();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}
