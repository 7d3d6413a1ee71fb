// Whether this host can sandbox task attempts, asked once per worker process: the worker refuses
// to start when it cannot, unless it is told to run without the sandbox, and then says what that
// costs. Needs root (to mount, and to run tasks under other uids) and Linux namespaces (mount, PID,
// IPC; Linux 5.12+ for the mount API the view is built with).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { DjobsError, ErrorCode } from '../../core/errors';
import { runtimeDir } from '../commands';
import { DEFAULT_TASK_UID_BASE, NO_SANDBOX_LOSES } from '../../config/sandbox';

export type SandboxSupport = { ok: true } | { ok: false; reason: string };

const probes = new Map<string, Promise<SandboxSupport>>();

/** Can `python` (the worker's real interpreter) build an attempt's sandbox here? */
export function sandboxSupport(python: string): Promise<SandboxSupport> {
  let probe = probes.get(python);
  if (!probe) {
    probe = new Promise((resolve) => {
      if (process.platform !== 'linux') return resolve({ ok: false, reason: `this is ${process.platform}, not Linux` });
      if (process.getuid?.() !== 0)
        return resolve({
          ok: false,
          reason: `the worker runs as uid ${process.getuid?.()}, not root: it can neither mount a task's view nor run tasks as other users`,
        });
      execFile(
        python,
        ['-I', '-S', path.join(runtimeDir(), 'sandbox.py'), '--probe', String(DEFAULT_TASK_UID_BASE)],
        { timeout: 30_000 },
        (err, out, stderr) => {
          try {
            if (err) throw new Error(String(stderr).trim() || err.message);
            resolve(JSON.parse(String(out)) as SandboxSupport);
          } catch (e) {
            resolve({ ok: false, reason: `the probe failed: ${(e as Error).message}` });
          }
        }
      );
    });
    probes.set(python, probe);
  }
  return probe;
}

/** What a worker says when it cannot sandbox and was not told to run without (a bad setting: exit code 2). */
export class SandboxUnavailableError extends DjobsError {
  constructor(reason: string) {
    super(
      ErrorCode.INVALID_STATE,
      `This host cannot sandbox task attempts: ${reason}. Run the worker as root on Linux 5.12 or later, or ` +
        `start it with --no-sandbox (DJOBS_SANDBOX=off) to run tasks without one: ${NO_SANDBOX_LOSES}`
    );
    this.name = 'SandboxUnavailableError';
  }
}
