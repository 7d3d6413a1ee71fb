// Python attempts started by the worker's fork server keep everything a fresh interpreter gives
// them, under both containment mechanisms: their own arguments, cwd, environment, session and
// cgroup, output in the log, task values, exit codes and tracebacks, files left open flushed; nothing one attempt imports or
// sets reaches the next; timeout and cancel kill the tree; a killed fork server is restarted once,
// then the worker falls back to fresh interpreters, and attempts already running go on; a task can
// ask for a fresh interpreter; kill -9 of the worker kills every attempt and the fork server; a
// traced attempt (the bench's breakdown) has every moment of its start and end. Every attempt here
// runs in the task sandbox (the default): the fork server works inside it.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptTrace } from '../../activities/attempt-trace';
import type { ContainmentMechanism } from '../../activities/containment';
import { executeTaskAttempt } from '../../activities/execute';
import { PythonForkServers } from '../../activities/python-fork-servers';
import type { Task } from '../../core';
import { childrenOf } from '../helpers/dev-process';
import {
  alive,
  hostPid,
  job,
  latestByKey,
  resultsByKey,
  startEngine,
  startWorkerProcess,
  PYTHON_SELF,
  taskAlive,
  taskProcesses,
  waitFor,
  type Engine,
} from './harness';

/** Correctness bound for a run to end (not a performance target). */
const END_BOUND_MS = 60_000;

/**
 * A task that prints what it sees as one `FACTS {json}` line, then imports a module, sets a
 * builtin and an environment variable, writes to stderr and sets a task value: all of which the
 * next attempt must not see (but for the task value, which reaches it through the run).
 */
const PROBE = `import builtins, json, os, sys

facts = {
    "start": os.environ.get("DJOBS_PYTHON_START"),
    "argv": sys.argv,
    "cwd": os.getcwd(),
    "taskKey": os.environ.get("DJOBS_TASK_KEY"),
    "imported": "wave" in sys.modules,
    "builtin": hasattr(builtins, "djobs_test_leak"),
    "envLeak": os.environ.get("DJOBS_TEST_LEAK"),
    "preloaded": "fractions" in sys.modules,
    "ownSession": os.getsid(0) == os.getpgid(0) == os.getppid(),
    "cgroup": open("/proc/self/cgroup").read().strip(),
    # The string hash seed is chosen once per interpreter: the same in every fork of one fork
    # server, another in a fresh interpreter or a restarted server. (The server's pid is not in the
    # task's PID namespace.)
    "server": hash("djobs fork server"),
    "upstream": dbutils.jobs.taskValues.get("a", "seen", default=None),
}
print("FACTS " + json.dumps(facts))
import wave  # noqa: E402,F401
builtins.djobs_test_leak = 1
os.environ["DJOBS_TEST_LEAK"] = "1"
print("to stderr " + facts["taskKey"], file=sys.stderr)
dbutils.jobs.taskValues.set("seen", facts["taskKey"])
`;

interface Facts {
  start: string;
  argv: string[];
  cwd: string;
  taskKey: string;
  imported: boolean;
  builtin: boolean;
  envLeak: string | null;
  preloaded: boolean;
  ownSession: boolean;
  cgroup: string;
  server: number;
  upstream: string | null;
}

function factsIn(logs: string | undefined): Facts {
  const line = (logs ?? '').split('\n').find((l) => l.startsWith('FACTS '));
  if (!line) throw new Error(`no FACTS line in the log:\n${logs}`);
  return JSON.parse(line.slice('FACTS '.length)) as Facts;
}

function pyTask(
  task_key: string,
  python_file: string,
  opts: { parameters?: string[]; fresh?: boolean } = {},
  extra: Partial<Task> = {}
): Task {
  const { parameters, fresh } = opts;
  return {
    task_key,
    spark_python_task: {
      python_file,
      ...(parameters ? { parameters } : {}),
      ...(fresh ? { fresh_interpreter: true } : {}),
    },
    ...extra,
  };
}

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/**
 * The fork server an engine's worker runs now: the one live fork server of this process that was
 * not there `before` the engine's first Python attempt (earlier engines' servers outlive them).
 */
function theForkServer(before: Set<number>): number {
  const servers = childrenOf(process.pid, 'forkserver.py').filter((p) => !before.has(p) && alive(p));
  expect(servers).toHaveLength(1);
  return servers[0]!;
}

/** A Python task that starts `sleep` in a new session, writes which processes it and its child are, and sleeps. */
const spawnsAndSleeps = (pidFile: string) => `import os, subprocess, time
child = subprocess.Popen(["setsid", "sleep", "301.5"])
ns = os.readlink("/proc/self/ns/pid")
with open(${JSON.stringify(pidFile)} + ".tmp", "w") as f:
    f.write("%s %d %s %d" % (ns, child.pid, ns, os.getpid()))
os.rename(${JSON.stringify(pidFile)} + ".tmp", ${JSON.stringify(pidFile)})
time.sleep(300)
`;

describe.each<ContainmentMechanism>(['cgroup', 'subreaper'])('Python fork server: %s', (mechanism) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine(`fork server ${mechanism}`, {
      containment: mechanism,
      pythonForkServer: { preload: ['fractions'] },
    });
  });
  afterAll(() => engine?.stop());

  it('attempts are forks of one warm parent, each with its own argv, cwd, env, session, cgroup and log; nothing leaks to the next', async () => {
    const probeA = write(path.join(engine.workDir, 'one', 'probe_a.py'), PROBE);
    const probeB = write(path.join(engine.workDir, 'two', 'probe_b.py'), PROBE);
    const { run_id } = await engine.client.submitRun(
      job('isolation', [
        pyTask('a', probeA, { parameters: ['x', '1'] }),
        pyTask('b', probeB, { parameters: ['y'] }, { depends_on: [{ task_key: 'a' }] }),
        pyTask('fresh', probeA, { fresh: true }, { depends_on: [{ task_key: 'b' }] }),
      ])
    );
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(run.state.result_state).toBe('SUCCESS');
    const out = async (key: string) => (await engine.client.getRunOutput(run_id, key)).logs;
    const [a, b, fresh] = [factsIn(await out('a')), factsIn(await out('b')), factsIn(await out('fresh'))];
    expect(await out('b')).toContain('to stderr b');

    expect([a.start, b.start, fresh.start]).toEqual(['fork-server', 'fork-server', 'interpreter']);
    expect(b.server).toBe(a.server); // the same warm parent forked both
    expect(a.argv).toEqual([probeA, 'x', '1']);
    expect(b.argv).toEqual([probeB, 'y']);
    expect([a.cwd, b.cwd]).toEqual([path.dirname(probeA), path.dirname(probeB)]);
    expect([a.taskKey, b.taskKey, fresh.taskKey]).toEqual(['a', 'b', 'fresh']);
    // What attempt a imported, set as a builtin and put in its environment is not in b.
    for (const f of [a, b, fresh]) {
      expect({ imported: f.imported, builtin: f.builtin, envLeak: f.envLeak }).toEqual({
        imported: false,
        builtin: false,
        envLeak: null,
      });
      expect(f.ownSession).toBe(true);
      if (mechanism === 'cgroup') expect(f.cgroup).toContain('/djobs-attempts/');
      else expect(f.cgroup).not.toContain('/djobs-attempts/');
    }
    // Preloaded modules are in the forks only; a fresh interpreter imports what the task does.
    expect([a.preloaded, b.preloaded, fresh.preloaded]).toEqual([true, true, false]);
    expect([a.upstream, b.upstream, fresh.upstream]).toEqual([null, 'a', 'a']);
    const state = await engine.client.getRunState(run_id);
    expect(state.tasks.b!.taskValues).toEqual({ seen: 'b' });
    expect(state.tasks.b!.attempts.at(-1)!.containment).toBe(mechanism);
    expect(state.tasks.b!.attempts.at(-1)!.sandbox).toBe('namespaces');
  });

  it('exit codes, tracebacks and notebook.exit are those of a fresh interpreter', async () => {
    const dir = path.join(engine.workDir, 'exits');
    const files = {
      // Output before the traceback goes to stderr too: stdout and stderr are two streams, merged in arrival order.
      raises: write(
        path.join(dir, 'raises.py'),
        'import sys\nprint("before", file=sys.stderr)\nraise ValueError("boom 42")\n'
      ),
      exits: write(path.join(dir, 'exits.py'), 'import sys\nsys.exit(3)\n'),
      message: write(path.join(dir, 'message.py'), 'import sys\nsys.exit("a message")\n'),
      notebook: write(
        path.join(dir, 'notebook.py'),
        'import os\nprint("start", os.environ["DJOBS_PYTHON_START"])\n' +
          'dbutils.notebook.exit("the result")\nprint("never printed")\n'
      ),
      unclosed: write(path.join(dir, 'unclosed.py'), 'import sys\nf = open(sys.argv[1], "w")\nf.write("kept")\n'),
      thread: write(
        path.join(dir, 'thread.py'),
        'import threading, time, atexit\natexit.register(lambda: print("atexit ran"))\n' +
          'threading.Thread(target=lambda: (time.sleep(0.2), print("thread done"))).start()\n'
      ),
    };
    const unclosedOut = (fresh: boolean) => path.join(dir, `unclosed-${fresh}.txt`);
    for (const fresh of [false, true]) {
      const { run_id } = await engine.client.submitRun(
        job(
          `exits ${fresh}`,
          Object.entries(files).map(([key, file]) =>
            key === 'notebook'
              ? { task_key: key, notebook_task: { notebook_path: file, ...(fresh ? { fresh_interpreter: true } : {}) } }
              : pyTask(key, file, { fresh, ...(key === 'unclosed' ? { parameters: [unclosedOut(fresh)] } : {}) })
          )
        )
      );
      const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
      expect(resultsByKey(run)).toEqual({
        raises: 'FAILED',
        exits: 'FAILED',
        message: 'FAILED',
        notebook: 'SUCCESS',
        unclosed: 'SUCCESS',
        thread: 'SUCCESS',
      });
      const out = (key: string) => engine.client.getRunOutput(run_id, key);
      const raises = await out('raises');
      expect(raises.error).toBe('ValueError: boom 42');
      expect(raises.logs).toContain('before');
      expect(raises.logs).toContain('Traceback (most recent call last):');
      // The user's frames only, forked or fresh, as Databricks shows a traceback.
      expect(raises.logs).toContain(`File "${files.raises}", line`);
      for (const runner of ['forkserver.py', 'djobs_run.py', 'runpy', 'user_tracebacks.py'])
        expect(raises.logs).not.toContain(runner);
      expect((await out('exits')).error).toBe('Command exited with code 3');
      expect((await out('message')).logs).toContain('a message');
      const notebook = await out('notebook');
      expect(notebook.notebook_output).toEqual({ result: 'the result', truncated: false });
      expect(notebook.logs).not.toContain('never printed');
      expect(notebook.logs).toContain(`start ${fresh ? 'interpreter' : 'fork-server'}`);
      // A file the task left open is flushed at its exit, as by the interpreter's teardown.
      expect(fs.readFileSync(unclosedOut(fresh), 'utf8')).toBe('kept');
      // The interpreter waits for non-daemon threads, then runs atexit handlers.
      expect((await out('thread')).logs).toMatch(/thread done\n(.|\n)*atexit ran/);
    }
  });

  it('timeout and cancel kill the forked task and a child it started in a new session', async () => {
    for (const how of ['timeout', 'cancel'] as const) {
      const pidFile = path.join(engine.workDir, `${how}-pids`);
      const file = write(path.join(engine.workDir, how, 'sleeps.py'), spawnsAndSleeps(pidFile));
      const { run_id } = await engine.client.submitRun(
        job(how, [pyTask('t', file, {}, how === 'timeout' ? { timeout_seconds: 3 } : {})])
      );
      await waitFor(() => fs.existsSync(pidFile), 'the task and its child to start', END_BOUND_MS);
      const pids = taskProcesses(fs.readFileSync(pidFile, 'utf8'));
      expect(pids.every(taskAlive)).toBe(true);
      if (how === 'cancel') await engine.client.cancelRun(run_id);
      const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
      expect(latestByKey(run).t!.state.result_state).toBe(how === 'timeout' ? 'TIMEDOUT' : 'CANCELED');
      await waitFor(() => !pids.some(taskAlive), 'the task and its child to be killed', 10_000);
      if (how === 'timeout') {
        const state = await engine.client.getRunState(run_id);
        expect(state.tasks.t!.attempts.at(-1)!.containment).toBe(mechanism);
      }
    }
  });
});

describe('Python fork server: a killed server', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine('fork server killed');
  });
  afterAll(() => engine?.stop());

  const probe = () => write(path.join(engine.workDir, 'probe.py'), PROBE);
  const runProbe = async (name: string) => {
    const { run_id } = await engine.client.submitRun(job(name, [pyTask('p', probe())]));
    const run = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(run.state.result_state).toBe('SUCCESS');
    return factsIn((await engine.client.getRunOutput(run_id, 'p')).logs);
  };

  it('is started once more, then the worker falls back to fresh interpreters; running attempts go on', async () => {
    const earlier = new Set(childrenOf(process.pid, 'forkserver.py'));
    const first = await runProbe('first');
    expect(first.start).toBe('fork-server');

    // An attempt running while its fork server is killed finishes as if nothing happened.
    const gate = path.join(engine.workDir, 'gate');
    const pidFile = path.join(engine.workDir, 'waiting-pid');
    const waits = write(
      path.join(engine.workDir, 'waits.py'),
      `import os, time
open(${JSON.stringify(pidFile)} + ".tmp", "w").write(${PYTHON_SELF})
os.rename(${JSON.stringify(pidFile)} + ".tmp", ${JSON.stringify(pidFile)})
while not os.path.exists(${JSON.stringify(gate)}):
    time.sleep(0.05)
print("went on")
`
    );
    const { run_id } = await engine.client.submitRun(job('survives', [pyTask('w', waits)]));
    await waitFor(() => fs.existsSync(pidFile), 'the waiting task to start', END_BOUND_MS);
    const firstServer = theForkServer(earlier);
    process.kill(firstServer, 'SIGKILL');
    await waitFor(() => !alive(firstServer), 'the fork server to die', 10_000);
    expect(taskAlive(taskProcesses(fs.readFileSync(pidFile, 'utf8'))[0]!)).toBe(true);
    fs.writeFileSync(gate, '');
    const survived = await engine.client.waitForRun(run_id, { timeoutMs: END_BOUND_MS });
    expect(survived.state.result_state).toBe('SUCCESS');
    expect((await engine.client.getRunOutput(run_id, 'w')).logs).toContain('went on');

    const second = await runProbe('restarted');
    expect(second.start).toBe('fork-server');
    expect(second.server).not.toBe(first.server);
    const secondServer = theForkServer(earlier);
    expect(secondServer).not.toBe(firstServer);
    process.kill(secondServer, 'SIGKILL');
    await waitFor(() => !alive(secondServer), 'the restarted fork server to die', 10_000);

    const third = await runProbe('fallback');
    expect(third.start).toBe('interpreter');
    expect(third.imported).toBe(false);
  });
});

describe('Python fork server: kill -9 of the worker', () => {
  let engine: Engine;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    engine = await startEngine('fork server worker dies', { worker: false, heartbeatTimeoutSeconds: 3 });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await engine?.stop();
  });

  it.each<ContainmentMechanism>(['cgroup', 'subreaper'])(
    '%s: kills the forked attempt, its child and the fork server',
    async (mechanism) => {
      const pidFile = path.join(engine.workDir, `pids-${mechanism}`);
      const file = write(path.join(engine.workDir, mechanism, 'sleeps.py'), spawnsAndSleeps(pidFile));
      const { run_id } = await engine.client.submitRun(job(`worker dies ${mechanism}`, [pyTask('t', file)]));
      const worker = startWorkerProcess(engine, { DJOBS_CONTAINMENT: mechanism });
      workers.push(worker);
      await waitFor(() => fs.existsSync(pidFile), 'the task and its child to start', END_BOUND_MS);
      const [child, task] = taskProcesses(fs.readFileSync(pidFile, 'utf8')).map((p) => hostPid(p)!) as [number, number];
      // On the host: the task, its sandbox's init, the attempt's supervisor, the fork server.
      const parentOf = (pid: number) => {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      };
      const init = parentOf(task);
      const supervisor = parentOf(init);
      const server = parentOf(supervisor);
      expect(fs.readFileSync(`/proc/${server}/cmdline`, 'utf8')).toContain('forkserver.py');
      const all = [child, task, init, supervisor, server];
      expect(all.every(alive)).toBe(true);

      worker.kill('SIGKILL');
      await waitFor(() => !all.some(alive), 'the attempt and the fork server to die with the worker', 10_000);
      await engine.client.cancelRun(run_id);
    }
  );
});

describe.each<ContainmentMechanism>(['cgroup', 'subreaper'])('Python fork server: start trace, %s', (mechanism) => {
  it('a traced attempt has every moment of its start and end in causal order; the next one starts on a spare supervisor', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-start-trace-'));
    fs.chmodSync(dir, 0o755); // the task's code: its uid reads it as any other user
    const home = path.join(dir, 'home'); // DJOBS_HOME, which the task does not see
    fs.mkdirSync(home);
    const servers = new PythonForkServers();
    try {
      const file = write(path.join(dir, 'noop.py'), 'pass\n');
      const traced = async (n: number) => {
        const trace = new AttemptTrace(path.join(dir, `trace-${n}.jsonl`));
        const record = await executeTaskAttempt(
          {
            runId: 1,
            jobName: 'trace',
            taskRunId: 7,
            attemptNumber: n,
            jobParameters: {},
            upstreamTaskValues: {},
            task: { task_key: 't', spark_python_task: { python_file: file } },
          },
          {
            dataDir: home,
            signal: new AbortController().signal,
            pythonForkServers: servers,
            containment: mechanism,
            trace,
          }
        );
        trace.mark('worker: attempt ends');
        expect(record.exitCode).toBe(0);
        expect(record.containment).toBe(mechanism);
        expect(record.sandbox).toBe('namespaces');
        return trace.all().map((m) => m.moment);
      };
      const fromSpec = [
        'worker: spec sent',
        'supervisor: spec read',
        'sandbox: view built',
        'task: forked',
        'task: environment set',
        'task: user file starts',
        'task: user file ended',
        'task: exits',
        'supervisor: task reaped',
        'supervisor: attempt empty, reports',
        'worker: supervisor ended',
        'worker: output drained',
        'worker: log closed',
        'worker: attempt ends',
      ];
      // The first attempt waits for its supervisor's fork, and for its sandbox's init to build the
      // base of its view (meanwhile); the second finds the spare made during the first.
      const first = await traced(0);
      const base = first.indexOf('sandbox: base built');
      expect(base).toBeGreaterThan(first.indexOf('supervisor: forked'));
      expect(base).toBeLessThan(first.indexOf('sandbox: view built'));
      expect(first.filter((m) => m !== 'sandbox: base built')).toEqual([
        'worker: attempt starts',
        'fork server: request read',
        'supervisor: forked',
        ...fromSpec,
      ]);
      await waitFor(() => servers.servers[0]!.spareReady, 'the spare supervisor to connect', END_BOUND_MS);
      expect(await traced(1)).toEqual(['worker: attempt starts', ...fromSpec]);
    } finally {
      servers.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
