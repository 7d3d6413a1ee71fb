// The embedded MLflow tracking server `djobs dev` starts: SQLite backend and artifact store under
// DJOBS_HOME, proxied artifacts (clients need no access to the store); and the project-local
// MLflow environment it runs with, installed from PyPI when missing (scripts/ensure-mlflow.cjs).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root';
import { freePort, isPortFree } from './dev-server';

/** Install MLflow into the project (once; concurrent callers wait for the first) and return its python. */
export function ensureMlflow(): string {
  const res = spawnSync(process.execPath, [path.join(projectRoot(), 'scripts', 'ensure-mlflow.cjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (res.status !== 0) throw new Error('could not install MLflow (scripts/ensure-mlflow.cjs failed)');
  return res.stdout.trim();
}

/** Files of the embedded tracking server under the data directory. */
export function mlflowPaths(home: string) {
  const dir = path.join(home, 'mlflow');
  return {
    dir,
    backendStoreUri: `sqlite:///${path.join(dir, 'mlflow.db')}`,
    artifacts: path.join(dir, 'artifacts'),
    log: path.join(dir, 'server.log'),
  };
}

export interface MlflowServer {
  url: string;
  /** The server's process group (and its leader, the watchdog that ends the group with this process). */
  pid: number;
  /** Resolves once the server answers /health (rejects if it exits or the deadline passes). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface MlflowServerOptions {
  python: string;
  home: string;
  /** When busy (or 0) a free port is used. @default 5000 */
  port?: number;
  /** Where artifacts go (a directory or an s3:// URI). @default <home>/mlflow/artifacts */
  artifactsDestination?: string;
  /** More environment for the server (e.g. MLFLOW_S3_ENDPOINT_URL). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for /health. @default 120 s (the first start migrates the database) */
  startTimeoutMs?: number;
}

/**
 * The group leader `mlflow server` runs under: it starts the server in its own process group and
 * reads its stdin, a pipe whose only writer is the process that started it. End of file means that
 * process is gone however it ended (SIGKILL included, where no exit handler runs): the whole group
 * (the server and the uvicorn workers it spawned, which outlive it when it alone is killed) gets
 * SIGTERM, then SIGKILL. Otherwise it lives and exits as the server does.
 */
const GROUP_WATCHDOG = `
import os, signal, subprocess, sys, threading
server = subprocess.Popen([sys.executable, "-m", "mlflow", "server", *sys.argv[1:]], stdin=subprocess.DEVNULL)
stopping = threading.Event()
exited = threading.Event()
def follow():
    code = server.wait()
    exited.set()
    if not stopping.is_set():
        os._exit(code if code >= 0 else 128 - code)
threading.Thread(target=follow, daemon=True).start()
# A stop of the group (SIGTERM to it) is the server's to answer; this exits when the server does.
signal.signal(signal.SIGTERM, lambda *_: None)
while sys.stdin.buffer.read(65536):
    pass
stopping.set()
os.killpg(0, signal.SIGTERM)
exited.wait(5)
os.killpg(0, signal.SIGKILL)
`;

/**
 * Start `mlflow server`. Returns at once with its URL (the first start migrates the database and
 * takes tens of seconds: callers await `ready` only when they need it).
 */
export async function startMlflowServer(opts: MlflowServerOptions): Promise<MlflowServer> {
  const wanted = opts.port ?? 5000;
  const port = wanted && (await isPortFree(wanted)) ? wanted : await freePort();
  const paths = mlflowPaths(opts.home);
  fs.mkdirSync(paths.dir, { recursive: true });
  const args = [
    '-c',
    GROUP_WATCHDOG,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    '1',
    '--backend-store-uri',
    paths.backendStoreUri,
    '--artifacts-destination',
    opts.artifactsDestination ?? paths.artifacts,
  ];
  const log = fs.openSync(paths.log, 'a');
  const child = spawn(opts.python, args, {
    // stdin: the pipe whose end of file tells the group's watchdog that this process is gone.
    stdio: ['pipe', log, log],
    // MLflow's job execution (huey consumers for server-side jobs) is not used by durable-jobs: off,
    // so the server is one process group of a few workers instead of a dozen.
    env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false', ...opts.env },
    // Its own process group (led by the watchdog): the server's workers go with it on stop.
    detached: true,
  });
  fs.closeSync(log);
  child.stdin!.on('error', () => undefined); // nothing is written; the pipe only has to stay open
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    child.stdin!.destroy();
    exited = `mlflow server exited (${signal ?? code}); see ${paths.log}`;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
    kill('SIGKILL'); // workers that outlive the server (they may ignore SIGTERM) go with the group
  };
  const url = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
    let last: unknown;
    for (;;) {
      if (exited) throw new Error(exited);
      try {
        if ((await fetch(`${url}/health`)).ok) return;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`mlflow server did not answer on ${url}: ${String(last)}; see ${paths.log}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  ready.catch(() => undefined); // callers that never await it must not see an unhandled rejection
  return { url, pid: child.pid!, ready, stop };
}
