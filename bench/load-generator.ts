// Driving HTTP load from a process of its own (bench/load-generator-process.ts), so that the server
// under test keeps its event loop to itself and the client's cost is not counted in its latency.
// One generator process serves every row of a section: its JIT and connections warm once.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** One row's load: `concurrency` loops, each sending the request again as soon as it is answered. */
export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  /** A POST body (JSON text); a GET without one. */
  body?: string;
  concurrency: number;
  /** Stop after this many seconds, or after this many requests in all (whichever comes first). */
  seconds?: number;
  requests?: number;
}

/** What the generator measured: every request's latency (ms), the wall time, and non-200 answers. */
export interface LoadReport {
  latencies: number[];
  seconds: number;
  errors: number;
  /** Answers by HTTP status (0: the connection failed). */
  statuses: Record<string, number>;
}

export class LoadGenerator {
  private constructor(private readonly child: ChildProcess) {}

  static start(): LoadGenerator {
    const child = fork(path.join(__dirname, 'load-generator-process.js'), [], { stdio: 'inherit' });
    return new LoadGenerator(child);
  }

  /** Run one load to its end (rows are measured one at a time). */
  run(spec: LoadSpec): Promise<LoadReport> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the load generator exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (answer: LoadReport | { failed: string }) => {
        this.child.off('exit', onExit);
        if ('failed' in answer) reject(new Error(`the load generator failed: ${answer.failed}`));
        else resolve(answer);
      });
      this.child.send(spec);
    });
  }

  close(): void {
    this.child.kill();
  }
}
