// Where the start of an attempt goes: named moments of one attempt on the system's monotonic
// clock (CLOCK_MONOTONIC: process.hrtime's and Python's time.monotonic_ns), marked by the worker
// and, when the attempt's environment names a trace file (START_TRACE_VARIABLE), by the fork
// server's processes, which append theirs to that file as JSON lines ({"moment", "ns"}) before the
// attempt ends. The bench's Python section asks for it to print the breakdown of a no-op task.
import fs from 'node:fs';

/** The attempt environment variable naming the file the forked processes write their moments to. */
export const START_TRACE_VARIABLE = 'DJOBS_START_TRACE';

export interface Moment {
  moment: string;
  ns: bigint;
}

export class AttemptTrace {
  readonly moments: Moment[] = [];

  constructor(
    /** Where the forked processes write their moments. */
    readonly file: string
  ) {}

  mark(moment: string): void {
    this.moments.push({ moment, ns: process.hrtime.bigint() });
  }

  /** Every moment, the worker's and the forked processes', in time order. */
  all(): Moment[] {
    const forked = fs.existsSync(this.file)
      ? fs
          .readFileSync(this.file, 'utf8')
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => {
            const { moment, ns } = JSON.parse(l) as { moment: string; ns: number | string };
            return { moment, ns: BigInt(ns) };
          })
      : [];
    // A supervisor forked ahead of the attempt (the fork server's spare) marked its fork before the
    // attempt began: not part of the attempt's time.
    const since = this.moments[0]?.ns ?? 0n;
    return [...this.moments, ...forked.filter((m) => m.ns >= since)].sort((a, b) =>
      a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0
    );
  }
}
