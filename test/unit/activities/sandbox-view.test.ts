// The task sandbox's view (activities/sandbox/view.ts), the uids of principals (uids.ts) and the
// warehouses' directories (warehouses.ts), without running a task: what the allowlists let
// through, what is hidden wherever a given path would show it, the order and pruning of mounts.
// What a running task then sees: test/integration/sandbox.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_PRINCIPAL, principalKey, TaskUids, warehouseKey } from '../../../activities/sandbox/uids';
import { sandboxSpec, sandboxView, type Mount, type ViewRequest } from '../../../activities/sandbox/view';
import { warehouseFile, warehousePath } from '../../../activities/warehouses';
import { DEFAULT_SANDBOX } from '../../../config/sandbox';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-view-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function dir(...parts: string[]): string {
  const d = path.join(root, ...parts);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

function request(over: Partial<ViewRequest> = {}): ViewRequest {
  const home = dir('home');
  const scratch = dir('home', 'scratch', 'a1');
  return {
    settings: DEFAULT_SANDBOX,
    dataDir: home,
    principal: { kind: 'user', name: 'alice@example.com' },
    uid: 1_000_000_007,
    scratch: { dir: scratch, home: dir('home', 'scratch', 'a1', 'home'), tmp: dir('home', 'scratch', 'a1', 'tmp') },
    code: [path.join(dir('code'), 'nb.py')],
    cwd: dir('code'),
    python: { executable: process.execPath, prefixes: [] },
    taskEnv: {},
    runContext: {},
    workerEnv: { PATH: '/usr/bin:/bin' },
    ...over,
  };
}

const binds = (mounts: Mount[]) =>
  mounts.flatMap((m) => (m.kind === 'ro' || m.kind === 'rw' || m.kind === 'owner' ? [[m.kind, m.target]] : []));

describe('the environment', () => {
  it('lets through the allowlist, the operator’s names, the task’s own and the run context, nothing else', () => {
    const view = sandboxView(
      request({
        settings: { ...DEFAULT_SANDBOX, passEnv: ['CORP_PROXY'] },
        python: { executable: '/opt/py/bin/python3', prefixes: [] },
        workerEnv: {
          PATH: '/usr/bin:/bin',
          LANG: 'C.UTF-8',
          PYTHONPATH: '/opt/lib',
          MLFLOW_TRACKING_URI: 'http://mlflow',
          MLFLOW_TRACKING_TOKEN: 'worker-mlflow-token',
          DJOBS_API_TOKEN: 'worker-api-token',
          DJOBS_ENCRYPTION_KEYS: 'k1:worker-key',
          DJOBS_HOME: '/var/lib/djobs',
          AWS_SECRET_ACCESS_KEY: 'worker-aws-secret',
          CORP_PROXY: 'http://proxy',
        },
        taskEnv: { GREETING: 'hi' },
        runContext: { DJOBS_RUN_ID: '7', DJOBS_PARAMS: '{}', DJOBS_ANYTHING_ELSE: 'no' },
      })
    );
    expect(view.env).toEqual({
      LANG: 'C.UTF-8',
      PYTHONPATH: '/opt/lib',
      MLFLOW_TRACKING_URI: 'http://mlflow',
      CORP_PROXY: 'http://proxy',
      PATH: '/opt/py/bin:/usr/bin:/bin', // the task's Python first
      HOME: view.env.HOME,
      TMPDIR: view.env.TMPDIR,
      USER: 'alice-example.com',
      LOGNAME: 'alice-example.com',
      GREETING: 'hi',
      PYTHONUNBUFFERED: '1',
      DJOBS_RUN_ID: '7',
      DJOBS_PARAMS: '{}',
    });
    expect(view.env.HOME).toBe(path.join(root, 'home', 'scratch', 'a1', 'home'));
  });

  it('is the same allowlist without the sandbox, where the task runs as the worker’s user in its files', () => {
    const view = sandboxView(
      request({ settings: { ...DEFAULT_SANDBOX, enabled: false }, workerEnv: { PATH: '/bin', DJOBS_API_TOKEN: 'x' } })
    );
    expect(view.kind).toBe('none');
    expect(view.env.DJOBS_API_TOKEN).toBeUndefined();
    expect([view.mounts, view.base, sandboxSpec(view)]).toEqual([[], [], undefined]);
    expect(view.uid).toBe(process.getuid!());
  });
});

describe('the files', () => {
  it('show the job’s code read-only, the scratch directory read-write, and hide DJOBS_HOME under a path that shows it', () => {
    const code = dir('shows-home');
    const home = dir('shows-home', 'djobs-home');
    const scratch = dir('shows-home', 'djobs-home', 'scratch', 'x');
    const view = sandboxView(
      request({
        dataDir: home,
        code: [path.join(code, 'nb.py')],
        scratch: { dir: scratch, home: scratch, tmp: scratch },
        cwd: code,
      })
    );
    const attempt = binds(view.mounts);
    expect(attempt).toContainEqual(['ro', code]);
    expect(attempt).toContainEqual(['rw', scratch]);
    // The mask comes after the code (which shows DJOBS_HOME) and before the scratch directory in it.
    const order = view.mounts.map((m) => m.target);
    expect(view.mounts.find((m) => m.target === home)).toEqual({
      kind: 'tmpfs',
      target: home,
      mode: 0o755,
      readOnly: true,
    });
    expect(order.indexOf(code)).toBeLessThan(order.indexOf(home));
    expect(order.indexOf(home)).toBeLessThan(order.indexOf(scratch));
    expect(view.cwd).toBe(code);
  });

  it('gives no path inside DJOBS_HOME or a hidden file, whatever leads there, and no path that would cover /proc', () => {
    const home = dir('home');
    const secrets = dir('secrets');
    const keyFile = path.join(secrets, 'keys');
    fs.writeFileSync(keyFile, 'k1:x\n');
    const link = path.join(root, 'link-to-home');
    if (!fs.existsSync(link)) fs.symlinkSync(home, link);
    const view = sandboxView(
      request({
        settings: { ...DEFAULT_SANDBOX, hidden: [keyFile], readWrite: [secrets] },
        code: [path.join(home, 'nb.py'), path.join(link, 'other.py'), '/nb.py'],
        cwd: home,
      })
    );
    const targets = binds(view.mounts).map(([, t]) => t);
    expect(targets).not.toContain(home);
    expect(targets).not.toContain(link);
    expect(targets).not.toContain('/');
    expect(view.mounts).toContainEqual({ kind: 'owner', source: secrets, target: secrets });
    expect(view.mounts).toContainEqual({ kind: 'file', target: keyFile, content: '' });
    // A working directory the view does not show: the scratch directory.
    expect(view.cwd).toBe(request().scratch.dir);
  });

  it('leaves out a read-only bind a read-write path already shows, and keeps the writable one', () => {
    const volume = dir('volume');
    const code = dir('volume', 'job');
    const view = sandboxView(
      request({ settings: { ...DEFAULT_SANDBOX, readWrite: [volume] }, code: [path.join(code, 'nb.py')], cwd: code })
    );
    const attempt = binds(view.mounts);
    expect(attempt).toContainEqual(['owner', volume]);
    expect(attempt.filter(([, t]) => t === code)).toEqual([]);
    expect(view.cwd).toBe(code);
  });

  it('builds the base (the system, runtimes, /tmp, /dev, /proc) apart from the attempt’s mounts', () => {
    const view = sandboxView(request());
    const base = view.base.map((m) => [m.kind, m.target]);
    for (const expected of [
      ['ro', '/usr'],
      ['ro', '/etc'],
      ['tmpfs', '/tmp'],
      ['dev', '/dev'],
      ['proc', '/proc'],
    ])
      expect(base).toContainEqual(expected);
    for (const m of view.base) expect(['owner', 'rw', 'file']).not.toContain(m.kind); // nothing of one attempt
    expect(view.mounts.map((m) => m.target)).toEqual(expect.arrayContaining(['/etc/passwd', '/etc/group']));
    const passwd = view.mounts.find((m) => m.target === '/etc/passwd');
    expect(passwd?.kind === 'file' && passwd.content.trimEnd().split('\n').at(-1)).toBe(
      `alice-example.com:x:1000000007:1000000007::${request().scratch.home}:/bin/sh`
    );
  });
});

describe('the uids of principals', () => {
  it('are one per principal, from the base, kept across workers of a data directory, in a private file', () => {
    const home = dir('uids');
    const a = new TaskUids(home, 5_000_000);
    expect([a.uidOf('alice'), a.uidOf('bob'), a.uidOf('alice')]).toEqual([5_000_000, 5_000_001, 5_000_000]);
    const b = new TaskUids(home, 5_000_000);
    expect([b.uidOf('bob'), b.uidOf('carol\nnot a line')]).toEqual([5_000_001, 5_000_002]);
    expect(new TaskUids(home, 5_000_000).uidOf('carol\nnot a line')).toBe(5_000_002);
    expect(fs.statSync(a.file).mode & 0o777).toBe(0o600);
  });

  it('are named by the principal’s kind too: a user, a service principal and a warehouse of one name are three uids', () => {
    const uids = new TaskUids(dir('uids-kinds'), 6_000_000);
    const keys = [
      principalKey({ kind: 'user', name: 'etl' }),
      principalKey({ kind: 'service_principal', name: 'etl' }),
      warehouseKey('etl'),
      principalKey(undefined),
    ];
    expect(keys).toEqual(['user:etl', 'service_principal:etl', 'warehouse:etl', ANONYMOUS_PRINCIPAL]);
    expect(keys.map((k) => uids.uidOf(k))).toEqual([6_000_000, 6_000_001, 6_000_002, 6_000_003]);
  });
});

describe('warehouses', () => {
  it('are a directory each, named by an identifier, the earlier layout moved in', () => {
    const home = dir('wh');
    fs.mkdirSync(path.join(home, 'warehouses'));
    fs.writeFileSync(path.join(home, 'warehouses', 'sales.duckdb'), 'old');
    const file = warehouseFile(home, 'sales');
    expect(file).toBe(path.join(home, 'warehouses', 'sales', 'sales.duckdb'));
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(warehousePath(home, undefined)).toBe(path.join(home, 'warehouses', 'default', 'default.duckdb'));
    expect(() => warehousePath(home, '../../etc')).toThrow(
      'warehouse_id: expected a warehouse id of 1 to 64 letters, digits, "_" and "-", found "../../etc"'
    );
  });

  it('are their group’s to write, what is in them too, for the tasks of every principal that uses them', () => {
    const home = dir('wh-group');
    const file = warehouseFile(home, 'shared', 4_000_123);
    fs.writeFileSync(file, 'db', { mode: 0o600 });
    warehouseFile(home, 'shared', 4_000_123);
    const dirStat = fs.statSync(path.dirname(file));
    expect([dirStat.gid, dirStat.mode & 0o7777]).toEqual([4_000_123, 0o2770]);
    const fileStat = fs.statSync(file);
    expect([fileStat.gid, fileStat.mode & 0o777]).toEqual([4_000_123, 0o660]);
  });
});
