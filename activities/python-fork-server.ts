// The worker's Python fork server (runtime/forkserver.py): a warm interpreter with the task
// runtime and the preloaded modules imported, that forks each Python attempt's supervisor and main
// process instead of starting two interpreters. The attempt's output and report come back over a
// Unix socket of the worker (Node cannot hand pipes to a running process); its spec (cwd,
// environment, arguments) goes to the forked supervisor alone, never through the warm parent, so
// no attempt's secrets or state can reach the next. The supervisor of the next attempt is forked and
// connected ahead of it (the spare), so that an attempt's start is one message to it. Every task
// type starts here: a Python task runs in the fork, other commands are executed by it, and SQL and
// Node.js tasks find their Node.js main process started ahead too (a prestarted spare, kept per
// kind once an attempt of that kind ran), with its runtime loaded.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { runtimeDir } from './commands';
import { cgroupPopulated, createContainment, killCgroup, removeCgroup, type Containment } from './containment';
import { killGroup, type RunProcessOptions, type StartedSupervisor } from './process';

/** How long a new fork server may take to import its runtime and preloaded modules. */
const READY_TIMEOUT_MS = 120_000;
/** How long a forked supervisor may take to connect back before the attempt starts fresh. */
const CONNECT_TIMEOUT_MS = 30_000;

type Exit = { code: number | null; signal: NodeJS.Signals | null };
type StreamName = 'report' | 'stdout' | 'stderr';
const STREAMS: readonly StreamName[] = ['report', 'stdout', 'stderr'];

/** A supervisor forked for an attempt, or ahead of the next one (the spare). */
interface Launch {
  pid?: number;
  streams: Partial<Record<StreamName, net.Socket>>;
  /** Resolves once the supervisor is forked and connected: it then waits for its attempt's spec. */
  ready: Promise<StartedSupervisor>;
  resolve: (s: StartedSupervisor) => void;
  reject: (err: Error) => void;
  /** `ready` has settled. */
  settled: boolean;
  failed: boolean;
  /** The supervisor has exited. */
  ended: boolean;
  /** The container of a prestarted main process, made with it (the attempt that takes it uses it). */
  containment?: Containment;
  exited: (e: Exit) => void;
  exit: Promise<Exit>;
  /**
   * An attempt holds it. A spare's connections do not keep the worker's process alive (they are
   * unref'd, as the server's own handles are): `djobs dev` and `djobs worker` must exit on Ctrl-C
   * with a spare waiting; an attempt's connections do, until it ends.
   */
  held: boolean;
  /** Its processes start ahead of the attempt (supervisor.fork_ahead): its init, or its task host. */
  ahead?: boolean;
  /** Those are ready: its task host has loaded its runtime, its init has built the view's base. */
  loaded?: boolean;
  /** Stops watching the report connection for that, once an attempt takes the spare. */
  unwatch?: () => void;
}

/**
 * What a forked attempt runs: a Python task in the fork, a command the fork executes, or a SQL or
 * Node.js task in a Node.js task host started ahead (runtime/node/task-host.cjs: the SQL runner's
 * arguments, or a Node.js file and its arguments).
 */
export type ForkedTask = { python: string[] } | { exec: string[] } | { prestarted: PrestartKind; argv: string[] };

export type PrestartKind = 'sql' | 'node';

/** Variables that shape an interpreter as it starts (search path, locale, hash seed, libraries). */
export const isStartupVariable = (name: string): boolean =>
  /^(PYTHON|LC_|LANG$|LANGUAGE$|LD_PRELOAD$|LD_LIBRARY_PATH$)/.test(name);

/** An attempt forks only from a server started with the same startup variables. */
export function pythonStartupEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const startup = Object.entries(env).filter(
    (e): e is [string, string] => e[1] !== undefined && isStartupVariable(e[0])
  );
  return Object.fromEntries(startup.sort(([a], [b]) => (a < b ? -1 : 1)));
}

export class PythonForkServer {
  private readonly launches = new Map<string, Launch>();
  /**
   * The next attempt's supervisor, forked and connecting (or connected) ahead of it: one for
   * Python tasks and commands (`fork`), one per prestarted kind and sandbox (sql, node).
   */
  private readonly spares = new Map<string, Launch>();
  private dead = false;
  /** Settles when the server has exited (or was found dead). */
  readonly ended: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly socketServer: net.Server,
    private readonly socketDir: string,
    /** What the server imported beyond the runtime, and what it could not (module → error). */
    readonly preloaded: string[],
    readonly preloadErrors: Record<string, string>,
    events: AsyncIterator<Record<string, unknown>>
  ) {
    this.ended = (async () => {
      for (let e = await events.next(); !e.done; e = await events.next()) this.onEvent(e.value);
      this.die();
    })();
  }

  /** The server's pid. */
  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** The next Python attempt's supervisor is forked, connected and waiting for it. */
  get spareReady(): boolean {
    return this.spareReadyFor('fork');
  }

  /**
   * A spare for the next attempt of `kind` (`fork`: Python tasks and commands; or a prestarted
   * kind) is forked, connected, and (prestarted) has loaded its runtime.
   */
  spareReadyFor(kind: 'fork' | PrestartKind): boolean {
    return [...this.spares].some(
      ([key, l]) => key.split(':')[0] === kind && l.settled && !l.failed && !l.ended && (!l.ahead || l.loaded)
    );
  }

  /**
   * A fork server of `python` (the real interpreter) with `env` as its environment (its startup
   * variables; DJOBS_PYTHON_PRELOAD names the modules to import). Rejects if it does not get ready.
   */
  static async start(python: string, env: NodeJS.ProcessEnv): Promise<PythonForkServer> {
    const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-fork-'));
    const socketPath = path.join(socketDir, 's');
    let server: PythonForkServer | undefined;
    const socketServer = net.createServer((sock) => {
      readHeader(sock).then(
        ([token, name]) => {
          if (!server?.onConnection(token, name, sock)) sock.destroy();
        },
        () => sock.destroy()
      );
    });
    const cleanUp = () => {
      socketServer.close();
      fs.rmSync(socketDir, { recursive: true, force: true });
    };
    await new Promise<void>((resolve, reject) => {
      socketServer.once('error', reject);
      socketServer.listen(socketPath, resolve);
    });
    socketServer.unref();
    const child = spawn(python, [path.join(runtimeDir(), 'forkserver.py'), String(process.pid), socketPath], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.unref();
    child.stdin.on('error', () => {}); // a dead server: its end is seen on its events or its exit
    for (const s of [child.stdin, child.stdout]) (s as unknown as net.Socket).unref();
    const events = jsonLines(child.stdout)[Symbol.asyncIterator]();
    let timer: NodeJS.Timeout | undefined;
    try {
      const ready = await Promise.race([
        events.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the Python fork server did not start in time')), READY_TIMEOUT_MS);
          child.once('error', reject);
        }),
      ]);
      if (ready.done || ready.value.ready !== true)
        throw new Error('the Python fork server exited before it was ready');
      const { preloaded, preloadErrors } = ready.value as {
        preloaded: string[];
        preloadErrors: Record<string, string>;
      };
      server = new PythonForkServer(child, socketServer, socketDir, preloaded, preloadErrors, events);
      return server;
    } catch (err) {
      child.kill('SIGKILL');
      cleanUp();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Start an attempt as a fork: a Python one (`python djobs_run.py ARGS...`: `{ python: ARGS }`)
   * runs in the fork itself; any other command (`{ exec: [COMMAND, ...ARGS] }`) is executed by the
   * forked main process, in place of a fresh supervisor interpreter. Resolves once its supervisor
   * runs, is connected and has its spec; rejects, before any task code ran, if that fails. The
   * supervisor is the spare forked after the previous attempt, when it is ready: the fork, the
   * connections and their round trips are then off the attempt's path, which only sends the spec.
   * A new spare is forked at once.
   */
  launch(opts: RunProcessOptions, task: ForkedTask): Promise<StartedSupervisor> {
    if (this.dead) return Promise.reject(new Error('the Python fork server is not running'));
    const ahead = aheadFor('prestarted' in task ? task.prestarted : 'fork', opts);
    let launch = this.spares.get(ahead.key);
    this.spares.delete(ahead.key);
    if (!launch || launch.failed || launch.ended) {
      if (launch) this.discard(launch);
      launch = this.fork(true, ahead.make());
    } else {
      launch.held = true;
      launch.unwatch?.();
      for (const s of Object.values(launch.streams)) s.ref();
    }
    this.spares.set(ahead.key, this.fork(false, ahead.make()));
    const taken = launch;
    return taken.ready.then((started) => {
      const spec = {
        ...('python' in task ? { argv: task.python } : 'exec' in task ? { exec: task.exec } : { argv: task.argv }),
        cwd: opts.cwd,
        env: opts.env,
        cgroup: opts.containment.cgroup ?? '',
        graceMs: opts.killGraceMs ?? 1000,
        ...(opts.sandbox ? { sandbox: opts.sandbox } : {}),
      };
      opts.trace?.('worker: spec sent');
      taken.streams.report!.write(`${JSON.stringify(spec)}\n`);
      return { ...started, ...(taken.containment ? { containment: taken.containment } : {}) };
    });
  }

  /** Fork a supervisor, which connects and then waits for its attempt's spec. */
  private fork(held: boolean, ahead?: Ahead): Launch {
    const token = randomBytes(16).toString('hex');
    let exited!: (e: Exit) => void;
    const exit = new Promise<Exit>((r) => (exited = r));
    let resolve!: (s: StartedSupervisor) => void;
    let reject!: (err: Error) => void;
    const ready = new Promise<StartedSupervisor>((res, rej) => ((resolve = res), (reject = rej)));
    ready.catch(() => {}); // a spare's failure matters only to the attempt that takes it, which sees it
    const launch: Launch = {
      streams: {},
      ready,
      resolve,
      reject,
      settled: false,
      failed: false,
      ended: false,
      exited,
      exit,
      held,
      ...(ahead ? { containment: ahead.containment, ahead: true } : {}),
    };
    this.launches.set(token, launch);
    const timer = setTimeout(
      () => this.fail(token, new Error('the forked attempt did not connect in time')),
      CONNECT_TIMEOUT_MS
    );
    timer.unref();
    void exit.then(() => {
      clearTimeout(timer);
      launch.ended = true;
      this.fail(token, new Error('the forked attempt ended before it connected'));
      this.launches.delete(token);
    });
    if (!this.dead)
      this.child.stdin!.write(`${JSON.stringify({ token, ...(ahead ? { ahead: ahead.request } : {}) })}\n`);
    return launch;
  }

  /** A spare no attempt took: its supervisor exits when its connections close (or is killed). */
  private discard(launch: Launch): void {
    for (const s of Object.values(launch.streams)) s.destroy();
    if (launch.pid !== undefined && !launch.ended) killGroup(launch.pid, 'SIGKILL');
    const cgroup = launch.containment?.cgroup;
    if (cgroup) {
      killCgroup(cgroup);
      void removeWhenEmpty(cgroup);
    }
  }

  /** Stop the server; attempts already started go on, watched by their supervisors. */
  stop(): void {
    this.child.kill('SIGKILL');
    this.die();
  }

  private fail(token: string, err: Error): void {
    const launch = this.launches.get(token);
    if (!launch || launch.settled) return;
    launch.settled = true;
    launch.failed = true;
    for (const s of Object.values(launch.streams)) s.destroy();
    if (launch.pid !== undefined) killGroup(launch.pid, 'SIGKILL');
    launch.reject(err);
  }

  private onEvent(event: Record<string, unknown>): void {
    const launch = typeof event.token === 'string' ? this.launches.get(event.token) : undefined;
    if (!launch) return;
    if (typeof event.pid === 'number') {
      launch.pid = event.pid;
      this.startedIfReady(launch);
    } else if ('exitCode' in event) {
      launch.exited({ code: event.exitCode as number | null, signal: event.signal as NodeJS.Signals | null });
    }
  }

  private onConnection(token: string, name: string, sock: net.Socket): boolean {
    const launch = this.launches.get(token);
    if (!launch || launch.settled || !isStream(name) || launch.streams[name]) return false;
    launch.streams[name] = sock;
    if (!launch.held) sock.unref();
    sock.on('error', () => {}); // a killed attempt may reset its connections; its end is its report's
    if (name === 'report' && launch.ahead && !launch.held) this.watchLoaded(launch, sock);
    this.startedIfReady(launch);
    return true;
  }

  /**
   * A spare started ahead says `{"loaded": true}` on its report connection once its init has built
   * the base of the view and its task host has loaded its runtime (spareReadyFor). What is read
   * meanwhile goes back into the connection for the attempt that takes the spare (runProcess reads
   * the whole report).
   */
  private watchLoaded(launch: Launch, sock: net.Socket): void {
    const seen: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      seen.push(chunk);
      if (Buffer.concat(seen).includes('"loaded"')) launch.loaded = true;
    };
    launch.unwatch = () => {
      sock.off('data', onData);
      sock.pause();
      if (seen.length > 0) sock.unshift(Buffer.concat(seen));
      launch.unwatch = undefined;
    };
    sock.on('data', onData);
    sock.resume();
  }

  private startedIfReady(launch: Launch): void {
    const { report, stdout, stderr } = launch.streams;
    if (launch.settled || !report || !stdout || !stderr || launch.pid === undefined) return;
    launch.settled = true;
    launch.resolve({ pid: launch.pid, stdout, stderr, report, exited: launch.exit });
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    for (const spare of this.spares.values()) this.discard(spare);
    this.spares.clear();
    this.socketServer.close();
    fs.rmSync(this.socketDir, { recursive: true, force: true });
    for (const [token, launch] of this.launches) {
      this.fail(token, new Error('the Python fork server exited'));
      // No server to say when a supervisor exits: the end of its report channel tells it.
      const { report } = launch.streams;
      if (report) void closed(report).then(() => launch.exited({ code: null, signal: null }));
    }
  }
}

/** What a spare starts ahead of its attempt (supervisor.fork_ahead), and the container made for it. */
interface Ahead {
  containment: Containment;
  request: Record<string, unknown>;
}

/**
 * How the next attempt like `opts` of `kind` starts: `key` names its spare. A sandboxed attempt's
 * init and the base of its view are made ahead of it (the base is every attempt's of the worker);
 * a SQL or Node.js attempt's task host too, sandboxed or not; in a container of the attempt's
 * mechanism made for the spare. `make` gives nothing when nothing starts ahead (a Python attempt
 * or a command without the sandbox: the supervisor forks the main process once the spec came).
 */
function aheadFor(
  kind: 'fork' | PrestartKind,
  opts: RunProcessOptions
): { key: string; make: () => Ahead | undefined } {
  const sandbox = opts.sandbox;
  const command =
    kind === 'fork'
      ? undefined
      : {
          argv: [process.execPath, path.join(runtimeDir(), 'node', 'task-host.cjs'), kind],
          env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
        };
  if (!sandbox && !command) return { key: kind, make: () => undefined };
  const request = {
    sandboxed: sandbox !== undefined,
    network: (sandbox?.network as boolean | undefined) ?? true,
    ...(sandbox ? { base: sandbox.base } : {}),
    ...(command ? { command } : {}),
  };
  const mechanism = opts.containment.mechanism;
  return {
    key: `${kind}:${JSON.stringify(request)}`,
    make: () => {
      const containment = createContainment(`spare-${randomBytes(6).toString('hex')}`, mechanism);
      return { containment, request: { ...request, cgroup: containment.cgroup ?? '' } };
    },
  };
}

/** Remove a spare's emptied cgroup: its processes die with the supervisor, not at once. */
async function removeWhenEmpty(cgroup: string): Promise<void> {
  for (let i = 0; i < 100 && cgroupPopulated(cgroup); i++) await new Promise((r) => setTimeout(r, 50).unref());
  removeCgroup(cgroup);
}

const isStream = (name: string): name is StreamName => (STREAMS as readonly string[]).includes(name);

function closed(stream: Readable): Promise<void> {
  return stream.closed || stream.destroyed ? Promise.resolve() : new Promise((r) => stream.once('close', () => r()));
}

/** The first line of a connection ("TOKEN NAME"); the rest stays in the stream. */
function readHeader(sock: net.Socket): Promise<[string, string]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > 256) done(new Error('no header'));
        return;
      }
      done();
      sock.pause();
      if (nl + 1 < buf.length) sock.unshift(buf.subarray(nl + 1));
      const [token = '', name = ''] = buf.subarray(0, nl).toString().split(' ');
      resolve([token, name]);
    };
    const onEnd = () => done(new Error('closed before its header'));
    const done = (err?: Error) => {
      sock.off('data', onData);
      sock.off('close', onEnd);
      sock.off('error', onEnd);
      if (err) reject(err);
    };
    sock.on('data', onData);
    sock.once('close', onEnd);
    sock.once('error', onEnd);
  });
}

/** JSON lines of a stream, one object each. */
async function* jsonLines(stream: Readable): AsyncGenerator<Record<string, unknown>> {
  let buf = '';
  for await (const chunk of stream) {
    buf += String(chunk);
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) yield JSON.parse(line) as Record<string, unknown>;
    }
  }
}
