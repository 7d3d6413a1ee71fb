// The worker's sandbox probe (runtime/sandbox.py --probe) when the attempt's init runs to its end
// before its supervisor goes on: on a loaded machine the scheduler may run the forked init first,
// and a supervisor that then failed to hold the init's mount namespace (its /proc/PID/ns links are
// gone once it has exited) made the worker refuse to start. Here the supervisor is made to wait
// until the init has exited (waitid with WNOWAIT: it stays to be reaped) before it looks.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runtimeDir } from '../../activities/commands';
import { DEFAULT_TASK_UID_BASE } from '../../config/sandbox';

const PROBE_AFTER_INIT_EXITED = `
import os, sys
sys.path.insert(0, sys.argv[1])
import sandbox, supervisor

real_open = os.open

def open_after_exit(path, *args, **kwargs):
    if path.startswith("/proc/") and path.endswith("/ns/mnt"):
        os.waitid(os.P_PID, int(path.split("/")[2]), os.WEXITED | os.WNOWAIT)
    return real_open(path, *args, **kwargs)

supervisor.os.open = open_after_exit
print(sandbox.json.dumps(sandbox.probe(int(sys.argv[2]))))
`;

describe('sandbox probe', () => {
  it('succeeds when the init has already exited before its supervisor holds its namespace', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'python3',
        ['-I', '-S', '-c', PROBE_AFTER_INIT_EXITED, runtimeDir(), String(DEFAULT_TASK_UID_BASE)],
        { timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout))
      )
    );
    expect(JSON.parse(out)).toEqual({ ok: true });
  });
});
