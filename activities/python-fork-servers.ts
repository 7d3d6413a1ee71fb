// Which Python attempts start as forks, and of which fork server: one server per interpreter and
// startup environment, started on the first Python attempt of a worker. A server that fails to
// start or dies is started once more; after that the worker's Python attempts start fresh
// interpreters, as they do when the fork server is off or a task asks for a fresh interpreter.
import { PythonForkServer, pythonStartupEnv } from './python-fork-server';

/** A first start and one restart. */
const MAX_STARTS = 2;

export interface PythonForkServerOptions {
  /** Start Python attempts as forks of a warm interpreter. @default true */
  enabled?: boolean;
  /** Modules the warm interpreter imports (DJOBS_PYTHON_PRELOAD), e.g. ['pandas', 'numpy']. */
  preload?: string[];
}

interface Entry {
  current?: Promise<PythonForkServer | undefined>;
  starts: number;
}

export class PythonForkServers {
  private readonly entries = new Map<string, Entry>();
  private readonly started: PythonForkServer[] = [];

  constructor(private readonly opts: PythonForkServerOptions = {}) {}

  /** The running fork server for an attempt of `python` with environment `env`; undefined: start it fresh. */
  async serverFor(python: string, env: NodeJS.ProcessEnv): Promise<PythonForkServer | undefined> {
    if (this.opts.enabled === false) return undefined;
    const startup = pythonStartupEnv(env);
    const key = `${python}\n${JSON.stringify(startup)}`;
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { starts: 0 }));
    for (;;) {
      const pending = entry.current;
      if (pending) {
        const server = await pending;
        if (server?.alive) return server;
        if (entry.current !== pending) continue; // another attempt restarts it already
      }
      if (entry.starts >= MAX_STARTS) return undefined;
      entry.starts++;
      entry.current = this.start(python, startup);
    }
  }

  /** Every server this worker started, newest last. */
  get servers(): readonly PythonForkServer[] {
    return this.started;
  }

  stop(): void {
    for (const server of this.started) server.stop();
  }

  private async start(python: string, startup: Record<string, string>): Promise<PythonForkServer | undefined> {
    // Not the worker's environment: every attempt forked from the server (and its task's
    // /proc/self/environ, which shows the environment the process was started with) would have
    // the worker's tokens and keys in it. Its attempts' startup variables, where to find programs
    // and its user's home (Python's user site) only.
    const env: NodeJS.ProcessEnv = {
      ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      ...startup,
      DJOBS_PYTHON_PRELOAD: (this.opts.preload ?? []).join(','),
    };
    try {
      const server = await PythonForkServer.start(python, env);
      this.started.push(server);
      for (const [name, error] of Object.entries(server.preloadErrors))
        process.stderr.write(`djobs worker: DJOBS_PYTHON_PRELOAD: could not import ${name}: ${error}\n`);
      return server;
    } catch (err) {
      process.stderr.write(`djobs worker: the Python fork server did not start (${(err as Error).message})\n`);
      return undefined;
    }
  }
}
