// The task sandbox (activities/sandbox/view.ts, runtime/sandbox.py), tried as a hostile task would:
// what a task can and cannot see and write, whose uid it runs as, that none of the worker's secrets
// (its API token, the principals file, the encryption keys) reaches its output whatever it does
// (`env`, /proc/1/environ, /proc/<worker>/environ, ptrace of the worker, reading DJOBS_HOME, a
// forked task's own /proc/self/environ: the environment the fork server started with),
// that a task of one principal cannot read another's scratch directory or logs, that the fork
// server forks inside it, that SQL tasks of two principals share a warehouse and see no other,
// that --no-network leaves a task its own loopback only, and that a worker that cannot sandbox
// refuses to start unless told --no-sandbox. Cancel, timeout and kill -9 of the worker inside the
// sandbox: test/integration/containment.test.ts, python-fork-server.test.ts and
// test/faults/containment-worker-death.test.ts, which all run sandboxed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalKey, TaskUids } from '../../activities/sandbox/uids';
import { RUN_CONTEXT } from '../../activities/sandbox/view';
import { DurableJobsClient, type JobSettings, type Task } from '../../client';
import { engineEnv, job, latestByKey, sh, useEngine, waitFor } from './harness';

/** Markers of the worker's secrets: none may appear in any task's output. */
const WORKER_TOKEN = 'worker-api-token-5c1e7f0b9d2a';
const PRINCIPALS_TOKEN = 'principals-file-token-8a64d0e2';
const KEY_MARKER = 'a2V5LW1hcmtlci1ub3QtYS1yZWFsLWtleS0wMDAwMDA=';

/** Correctness bound for a run to end (not a performance target). */
const END_BOUND_MS = 60_000;

describe('task sandbox', () => {
  const engine = useEngine('sandbox');
  const clients: DurableJobsClient[] = [];
  const as = async (user: string) => {
    const client = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      user,
    });
    clients.push(client);
    return client;
  };
  /** The uid a user's tasks run as (the registry names principals by kind and name). */
  const uidOfUser = (name: string) => new TaskUids(engine.dataDir).uidOf(principalKey({ kind: 'user', name }));
  let code: string;
  const saved = { token: process.env.DJOBS_API_TOKEN, principals: process.env.DJOBS_API_PRINCIPALS };

  beforeAll(() => {
    // The worker's secrets, where a worker keeps them: its environment (this process runs the
    // engine's worker), the principals file, the key file in DJOBS_HOME.
    process.env.DJOBS_API_TOKEN = WORKER_TOKEN;
    const principals = path.join(engine.workDir, 'principals.yaml');
    fs.writeFileSync(principals, `users:\n  - user_name: alice@example.com\n    tokens: [${PRINCIPALS_TOKEN}]\n`);
    process.env.DJOBS_API_PRINCIPALS = principals;
    fs.writeFileSync(path.join(engine.dataDir, 'encryption-keys'), `k1:${KEY_MARKER}\n`, { mode: 0o600 });
    code = path.join(engine.workDir, 'code');
    fs.mkdirSync(code, { mode: 0o755 });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    for (const [name, value] of [
      ['DJOBS_API_TOKEN', saved.token],
      ['DJOBS_API_PRINCIPALS', saved.principals],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  const run = async (client: DurableJobsClient, settings: JobSettings) => {
    const { run_id } = await client.submitRun(settings);
    return client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
  };
  const logsOf = async (client: DurableJobsClient, runId: number, key: string) =>
    (await client.getRunOutput(runId, key)).logs ?? '';
  const expectNoSecret = (text: string) => {
    for (const secret of [WORKER_TOKEN, PRINCIPALS_TOKEN, KEY_MARKER, process.env.DJOBS_ENCRYPTION_KEYS!])
      expect(text).not.toContain(secret);
  };

  it('a task runs as its principal’s own uid and sees only the allowlisted environment', async () => {
    const alice = await as('alice@example.com');
    const result = await run(alice, job('identity', [sh('t', 'id -u; id -g; id -G; echo "user $USER"; env')]));
    expect(result.state.result_state).toBe('SUCCESS');
    const logs = await logsOf(alice, result.run_id, 't');
    const [uid, gid, groups] = logs.split('\n');
    const expected = uidOfUser('alice@example.com');
    expect([Number(uid), Number(gid), groups]).toEqual([expected, expected, String(expected)]);
    expect(expected).not.toBe(process.getuid!());
    expect(logs).toContain('user alice-example.com\n');
    const names = logs
      .split('\n')
      .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
      .map((l) => l.slice(0, l.indexOf('=')));
    // The run context, the workspace view its worker computed for its principal (docs/workspace.md),
    // and the allowlist of the worker's own environment.
    const allowed = (name: string) =>
      (RUN_CONTEXT as readonly string[]).includes(name) ||
      /^DJOBS_(WORKSPACE_ROOT|WORKSPACE_REACH|LOCAL_FILES|CODE_ROOTS|NODE)$/.test(name) ||
      /^(PATH|HOME|TMPDIR|USER|LOGNAME|PWD|SHLVL|_|LANG|LANGUAGE|LC_[A-Z_]+|TZ|PYTHON[A-Z_]*|LD_LIBRARY_PATH|LD_PRELOAD|JAVA_HOME|MLFLOW_TRACKING_URI|MLFLOW_EXPERIMENT_NAME|MLFLOW_EXPERIMENT_ID)$/.test(
        name
      );
    expect(names.filter((n) => !allowed(n))).toEqual([]);
    expect(names).not.toContain('DJOBS_API_TOKEN');
    expect(names).not.toContain('DJOBS_HOME');
    expectNoSecret(logs);
    const attempt = (await alice.getRunState(result.run_id)).tasks.t!.attempts.at(-1)!;
    expect(attempt.sandbox).toBe('namespaces');
  });

  it('no secret of the worker reaches a task, whatever it reads: /proc, the worker, DJOBS_HOME, the principals file', async () => {
    const mallory = await as('mallory@example.com');
    const worker = process.pid;
    const ptrace = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for pid in (${worker}, 1):
    rc = libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
    print("ptrace", pid, rc, os.strerror(ctypes.get_errno()))
`;
    fs.writeFileSync(path.join(code, 'ptrace.py'), ptrace);
    const probes = [
      'cat /proc/1/environ',
      `cat /proc/${worker}/environ`,
      `cat /proc/${worker}/cmdline`,
      `ls ${engine.dataDir}`,
      `cat ${path.join(engine.dataDir, 'encryption-keys')}`,
      `cat ${path.join(engine.workDir, 'principals.yaml')}`,
      `ls ${path.join(engine.dataDir, 'logs')}`,
      'ls /proc',
      'cat /proc/self/mountinfo',
    ];
    const script = probes.map((p) => `echo "== ${p}"; ${p} 2>&1`).join('\n');
    const result = await run(
      mallory,
      job('hostile', [
        sh('probe', script),
        { task_key: 'ptrace', spark_python_task: { python_file: path.join(code, 'ptrace.py') } },
      ])
    );
    expect(result.state.result_state).toBe('SUCCESS');
    const logs = await logsOf(mallory, result.run_id, 'probe');
    // What each probe printed: the lines after its `== probe` line, up to the next.
    const sections = new Map<string, string>();
    let current = '';
    for (const line of logs.split('\n'))
      if (line.startsWith('== ')) sections.set((current = line.slice(3)), '');
      else sections.set(current, `${sections.get(current) ?? ''}${line}\n`);
    const section = (probe: string) => sections.get(probe)!;
    expect(section('cat /proc/1/environ')).toContain('Permission denied');
    expect(section(`cat /proc/${worker}/environ`)).toMatch(/No such file or directory|Permission denied/);
    // Of DJOBS_HOME only the attempt's own scratch directory exists, and the workspace root the
    // worker grants its principal (this worker has no principals file: every run is the local admin's).
    expect(section(`ls ${engine.dataDir}`).trim()).toBe('scratch\nworkspace');
    expect(section(`cat ${path.join(engine.dataDir, 'encryption-keys')}`)).toContain('No such file or directory');
    expect(section(`cat ${path.join(engine.workDir, 'principals.yaml')}`).trim()).toBe('');
    expect(section(`ls ${path.join(engine.dataDir, 'logs')}`)).toContain('No such file or directory');
    // Its own processes only: the shell, ls, and the sandbox's init (pid 1).
    const pids = section('ls /proc')
      .split('\n')
      .filter((l) => /^\d+$/.test(l));
    expect(pids.length).toBeLessThanOrEqual(3);
    expect(pids).toContain('1');
    const traced = await logsOf(mallory, result.run_id, 'ptrace');
    expect(traced).toMatch(new RegExp(`ptrace ${worker} -1 (No such process|Operation not permitted)`));
    expect(traced).toContain('ptrace 1 -1 Operation not permitted');
    expectNoSecret(logs + traced);
  });

  it('a task writes its scratch directory (HOME, TMPDIR, /tmp) and nothing else of the host', async () => {
    const mallory = await as('mallory@example.com');
    // Its job's directory, outside the test's read-write path: read-only to it.
    const jobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-sandbox-code-'));
    try {
      fs.chmodSync(jobDir, 0o755);
      const x = `sandbox-probe-${process.pid}`; // a name no other process on the host uses
      const tries = [
        `/usr/${x}`,
        `/${x}`,
        `/etc/${x}`,
        path.join(jobDir, x),
        path.join(engine.dataDir, x),
        `$HOME/${x}`,
        `$TMPDIR/${x}`,
        `/tmp/${x}`,
      ];
      const notebook = path.join(jobDir, 'writes.sh');
      fs.writeFileSync(
        notebook,
        tries.map((f) => `touch ${f} 2>/dev/null && echo 'wrote ${f}' || echo 'refused ${f}'`).join('\n')
      );
      const result = await run(mallory, job('writes', [{ task_key: 'w', notebook_task: { notebook_path: notebook } }]));
      expect(result.state.result_state).toBe('SUCCESS');
      const logs = await logsOf(mallory, result.run_id, 'w');
      expect(logs.split('\n').filter(Boolean)).toEqual([
        ...tries.slice(0, 5).map((f) => `refused ${f}`),
        ...tries.slice(5).map((f) => `wrote ${f}`),
      ]);
      for (const f of [...tries.slice(0, 5), `/tmp/${x}`]) expect(fs.existsSync(f)).toBe(false);
    } finally {
      fs.rmSync(jobDir, { recursive: true, force: true });
    }
  });

  it('a task of one principal cannot read another’s scratch directory or logs', async () => {
    const [alice, bob] = [await as('alice@example.com'), await as('bob@example.com')];
    const where = path.join(engine.workDir, 'bob-home');
    const gate = path.join(engine.workDir, 'bob-gate');
    const bobs = await bob.submitRun(
      job('bob waits', [
        sh(
          'b',
          `echo bob-secret-data > $HOME/data; echo "$HOME" > ${where}; echo bob-log-line; while [ ! -e ${gate} ]; do sleep 0.05; done`
        ),
      ])
    );
    const bobHome = await waitFor(
      () => (fs.existsSync(where) ? fs.readFileSync(where, 'utf8').trim() : undefined),
      'bob’s task to start',
      END_BOUND_MS
    );
    expect(fs.readFileSync(path.join(bobHome, 'data'), 'utf8')).toBe('bob-secret-data\n');
    const bobLog = path.join(engine.dataDir, 'logs', `run-${bobs.run_id}`);
    try {
      const result = await run(
        alice,
        job('alice looks', [
          sh(
            'a',
            [`ls ${path.join(engine.dataDir, 'scratch')} | wc -l`, `cat ${bobHome}/data`, `ls -R ${bobLog}`]
              .map((c) => `${c} 2>&1`)
              .join('\n')
          ),
        ])
      );
      const logs = await logsOf(alice, result.run_id, 'a');
      expect(logs.split('\n')[0]).toBe('1'); // its own scratch directory, not bob's
      expect(logs).toContain(`cat: ${bobHome}/data: No such file or directory`);
      expect(logs).toContain(`ls: cannot access '${bobLog}': No such file or directory`);
      expect(logs).not.toContain('bob-secret-data');
      expect(logs).not.toContain('bob-log-line');
      // Nor could it, were the directory shown: it is bob's uid's, mode 0700.
      const stat = fs.statSync(path.dirname(bobHome));
      expect([stat.uid, stat.mode & 0o777]).toEqual([uidOfUser('bob@example.com'), 0o700]);
    } finally {
      fs.writeFileSync(gate, '');
    }
    expect((await bob.waitForRun(bobs.run_id, { timeoutMs: END_BOUND_MS })).state.result_state).toBe('SUCCESS');
  });

  it('Python tasks fork from the fork server inside the sandbox, as their principal', async () => {
    const alice = await as('alice@example.com');
    const file = path.join(code, 'forked.py');
    fs.writeFileSync(
      file,
      'import json, os\nprint(json.dumps({"start": os.environ["DJOBS_PYTHON_START"], "uid": os.getuid(), "procs": len([p for p in os.listdir("/proc") if p.isdigit()]), "secrets": "DJOBS_SECRETS" in os.environ}))\n' +
        // What the process was started with (the fork server's environment, which is not the
        // worker's), read as a hostile task would: its /proc entries are root's until it makes
        // itself dumpable (PR_SET_DUMPABLE), which any process may.
        'import ctypes\nctypes.CDLL(None).prctl(4, 1, 0, 0, 0)\n' +
        'print(open("/proc/self/environ").read().replace("\\0", "\\n"))\n'
    );
    const task = (key: string): Task => ({ task_key: key, spark_python_task: { python_file: file } });
    const result = await run(
      alice,
      job('forked', [task('one'), { ...task('two'), depends_on: [{ task_key: 'one' }] }])
    );
    expect(result.state.result_state).toBe('SUCCESS');
    for (const key of ['one', 'two']) {
      const [first, ...environ] = (await logsOf(alice, result.run_id, key)).split('\n');
      expect(environ.filter((l) => l.startsWith('PATH='))).toHaveLength(1); // it was read
      expectNoSecret(environ.join('\n'));
      expect(environ.filter((l) => l.startsWith('DJOBS_API_'))).toEqual([]);
      const facts = JSON.parse(first!) as Record<string, unknown>;
      expect(facts).toEqual({
        start: 'fork-server',
        uid: uidOfUser('alice@example.com'),
        procs: 2, // the init and the task itself
        secrets: false,
      });
    }
  });

  it('SQL tasks of two principals share their warehouse and see no other', async () => {
    const [alice, bob] = [await as('alice@example.com'), await as('bob@example.com')];
    const sql = (key: string, query_text: string, warehouse_id?: string): Task => ({
      task_key: key,
      sql_task: { query: { query_text }, ...(warehouse_id ? { warehouse_id } : {}) },
    });
    // `other` is bob's warehouse (only he may use it: core/access/warehouse-permissions.ts); the
    // `default` one is everyone's. The sandbox keeps alice's tasks from its file even by path.
    await engine.client.warehouses.create({
      id: 'other',
      settings: { name: 'other' },
      creator_name: 'bob@example.com',
      access: { owner: { user_name: 'bob@example.com' }, grants: [] },
    });
    const other = path.join(engine.dataDir, 'warehouses', 'other', 'other.duckdb');
    expect(
      (await run(bob, job('bob other', [sql('o', 'CREATE TABLE secret AS SELECT 42 AS x', 'other')]))).state
        .result_state
    ).toBe('SUCCESS');
    expect(fs.existsSync(other)).toBe(true);
    expect(
      (await run(alice, job('alice writes', [sql('w', 'CREATE TABLE shared AS SELECT 1 AS n')]))).state.result_state
    ).toBe('SUCCESS');
    const bobs = await run(
      bob,
      job('bob writes', [sql('w', 'INSERT INTO shared VALUES (2); SELECT sum(n) AS total FROM shared')])
    );
    expect(bobs.state.result_state).toBe('SUCCESS');
    expect(await logsOf(bob, bobs.run_id, 'w')).toMatch(/total\s*\n-+\s*\n3/);
    const peek = await run(alice, job('alice peeks', [sql('p', `ATTACH '${other}' AS o; SELECT * FROM o.secret`)]));
    expect(latestByKey(peek).p!.state.result_state).toBe('FAILED');
    expect(await logsOf(alice, peek.run_id, 'p')).not.toContain('42');
  });

  it('the job’s directory is writable by the machine’s own user running its own jobs, read-only to others', async () => {
    const local = await as(os.userInfo().username);
    const alice = await as('alice@example.com');
    const dir = path.join(engine.workDir, 'own-job');
    fs.mkdirSync(dir, { mode: 0o755 });
    const notebook = path.join(dir, 'writes.sh');
    fs.writeFileSync(notebook, 'echo out > _output.txt && echo wrote || echo refused\n');
    const settings = job('own job', [{ task_key: 't', notebook_task: { notebook_path: notebook } }]);
    const mine = await run(local, settings);
    expect(await logsOf(local, mine.run_id, 't')).toBe('wrote\n');
    // Written as the directory's owner (the machine's own user), though the task ran as its own uid.
    expect(fs.statSync(path.join(dir, '_output.txt')).uid).toBe(process.getuid!());
    fs.rmSync(path.join(dir, '_output.txt'));
    // The same directory, for a principal that is not the machine's user: outside the test's
    // read-write path, it is read-only.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-sandbox-job-'));
    try {
      fs.chmodSync(elsewhere, 0o755);
      fs.copyFileSync(notebook, path.join(elsewhere, 'writes.sh'));
      const theirs = await run(
        alice,
        job('their job', [{ task_key: 't', notebook_task: { notebook_path: path.join(elsewhere, 'writes.sh') } }])
      );
      expect(await logsOf(alice, theirs.run_id, 't')).toContain('refused');
      expect(fs.existsSync(path.join(elsewhere, '_output.txt'))).toBe(false);
      const again = await run(
        local,
        job('my other job', [{ task_key: 't', notebook_task: { notebook_path: path.join(elsewhere, 'writes.sh') } }])
      );
      expect(await logsOf(local, again.run_id, 't')).toBe('wrote\n');
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('task sandbox without network', () => {
  const engine = useEngine('sandbox no network', { sandbox: { network: false } });
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    server = net.createServer((s) => s.end('host service\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('a task reaches only a loopback of its own, not the host’s services', async () => {
    const file = path.join(engine.workDir, 'net.py');
    fs.writeFileSync(
      file,
      `import socket
try:
    print(socket.create_connection(("127.0.0.1", ${port}), timeout=5).recv(100).decode().strip())
except OSError as e:
    print("host service unreachable:", type(e).__name__)
own = socket.socket(); own.bind(("127.0.0.1", 0)); own.listen()
c = socket.create_connection(own.getsockname()); a, _ = own.accept(); a.sendall(b"own loopback")
print(c.recv(100).decode())
`
    );
    const { run_id } = await engine.client.submitRun(
      job('offline', [{ task_key: 't', spark_python_task: { python_file: file } }])
    );
    const result = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(result.state.result_state).toBe('SUCCESS');
    expect((await engine.client.getRunOutput(run_id, 't')).logs).toBe(
      'host service unreachable: ConnectionRefusedError\nown loopback\n'
    );
  });
});

describe('a worker that cannot sandbox', () => {
  const engine = useEngine('sandbox refused', { worker: false });

  it('refuses to start unless told --no-sandbox, and says what tasks then lose', async () => {
    // Not root: it can neither mount a task's view nor give tasks other uids.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-nobody-'));
    fs.chownSync(home, 65534, 65534);
    const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
    const start = (args: string[]) => {
      const child = spawn(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'worker', ...args],
        {
          env: { ...engineEnv(engine), DJOBS_HOME: home },
          stdio: ['ignore', 'pipe', 'pipe'],
        }
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      return { child, output: () => output, exited: new Promise<number | null>((r) => child.once('exit', r)) };
    };
    try {
      const refused = start([]);
      expect(await refused.exited).not.toBe(0);
      expect(refused.output()).toContain(
        'This host cannot sandbox task attempts: the worker runs as uid 65534, not root'
      );
      expect(refused.output()).toContain('--no-sandbox');
      const unsandboxed = start(['--no-sandbox']);
      try {
        await waitFor(
          () => /djobs worker: .*task queue/.test(unsandboxed.output()),
          'the worker to start',
          END_BOUND_MS
        );
        expect(unsandboxed.output()).toContain(
          'djobs worker: tasks run without a sandbox: tasks then run as the worker’s own user'
        );
      } finally {
        unsandboxed.child.kill('SIGTERM');
        await unsandboxed.exited;
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
