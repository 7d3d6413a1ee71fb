// Running one task attempt as a contained process tree. The worker starts the attempt's
// supervisor (runtime/supervisor.py), which starts the task and makes sure that everything the
// task starts, even in a new session or as a daemon, dies with the attempt, with the worker too.
// The worker sends the supervisor SIGTERM on a timeout or a cancel; the supervisor passes it on,
// and SIGKILLs what is left after the grace period.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { runtimeDir } from './commands';
import { cgroupPopulated, killCgroup, removeCgroup, type Containment, type ContainmentMechanism } from './containment';

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  canceled: boolean;
  containment: ContainmentMechanism;
}

export interface RunProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Combined stdout+stderr, in arrival order. */
  output: (chunk: Buffer) => void;
  /** 0 = none. */
  timeoutMs: number;
  signal: AbortSignal;
  /** The Python that runs the supervisor. */
  python: string;
  containment: Containment;
  /** The attempt's sandbox for runtime/sandbox.py (activities/sandbox/view.ts), or none. */
  sandbox?: Record<string, unknown> | undefined;
  /** Called with the supervisor's pid (its process group) and container once it started. */
  onStart?: (pid: number, containment: Containment) => void;
  /** Time between SIGTERM and SIGKILL. @default 1000 */
  killGraceMs?: number;
  /** Marks the moments of the attempt's start and end (activities/attempt-trace.ts). */
  trace?: (moment: string) => void;
}

/** How long output pipes may stay open after the attempt ended before they are cut. */
const OUTPUT_DRAIN_MS = 1000;

export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface SupervisorReport {
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  spawnError?: string;
  cgroupError?: string;
}

/** A started supervisor: where the attempt's output, its report and the supervisor's end arrive. */
export interface StartedSupervisor {
  /** The supervisor's pid, also its process group. */
  pid: number;
  stdout: Readable;
  stderr: Readable;
  /** The supervisor's JSON-lines report (runtime/supervisor.py). */
  report: Readable;
  /** The supervisor's own exit: a null code and signal when only the end of its report tells it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The container the attempt runs in when it is not the one asked for (a prestarted main process's). */
  containment?: Containment;
}

/** What starts an attempt's supervisor: a fresh interpreter by default, or the Python fork server. */
export type SupervisorStarter = (opts: RunProcessOptions) => Promise<StartedSupervisor>;

/** The supervisor as a fresh interpreter (`opts.python`) that execs the command. */
export function spawnSupervisor(opts: RunProcessOptions): Promise<StartedSupervisor> {
  return new Promise((resolve, reject) => {
    const supervisor = spawn(
      opts.python,
      [
        '-I',
        '-S',
        path.join(runtimeDir(), 'supervisor.py'),
        String(process.pid),
        String(opts.killGraceMs ?? 1000),
        opts.containment.cgroup ?? '',
        opts.sandbox ? JSON.stringify(opts.sandbox) : '',
        '--',
        opts.command,
        ...opts.args,
      ],
      {
        cwd: opts.cwd,
        env: opts.env,
        detached: true, // its own process group, apart from the worker's
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      }
    );
    const pid = supervisor.pid;
    if (pid === undefined) {
      supervisor.once('error', reject);
      return;
    }
    const [, stdout, stderr, report] = supervisor.stdio as unknown as [null, Readable, Readable, Readable];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, failed) => {
      supervisor.once('error', failed);
      supervisor.once('exit', (code, signal) => done({ code, signal }));
    });
    resolve({ pid, stdout, stderr, report, exited });
  });
}

export async function runProcess(
  opts: RunProcessOptions,
  start: SupervisorStarter = spawnSupervisor
): Promise<ProcessOutcome> {
  const supervisor = await start(opts);
  const containment = supervisor.containment ?? opts.containment;
  if (containment !== opts.containment && opts.containment.cgroup) removeCgroup(opts.containment.cgroup);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let canceled = false;
    const graceMs = opts.killGraceMs ?? 1000;
    const { cgroup } = containment;
    const { pid, stdout, stderr, report: reportPipe } = supervisor;
    opts.onStart?.(pid, containment);
    stdout.on('data', opts.output);
    stderr.on('data', opts.output);
    let reportText = '';
    reportPipe.setEncoding('utf8').on('data', (s: string) => (reportText += s));
    for (const s of [stdout, stderr, reportPipe]) s.resume(); // a fork server's connections wait paused
    const reportDone = closed(reportPipe);

    let backstop: NodeJS.Timeout | undefined;
    const terminate = () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return; // already gone
      }
      // A supervisor that does not end its attempt in time is killed with everything it contains.
      backstop ??= setTimeout(() => {
        if (cgroup) killCgroup(cgroup);
        killGroup(pid, 'SIGKILL');
      }, graceMs + 5000);
    };
    const timer = opts.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), terminate()), opts.timeoutMs) : undefined;
    const onAbort = () => {
      canceled = true;
      terminate();
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });

    const cleanUp = () => {
      clearTimeout(timer);
      clearTimeout(backstop);
      opts.signal.removeEventListener('abort', onAbort);
    };
    // Completion is the supervisor's end (the main process exited and the attempt is empty): its
    // exit or the end of its report channel, which only it holds, whichever comes first; never the
    // end of the output pipes, which a process that escaped every net could hold open forever.
    const unknownExit = { code: null, signal: null };
    Promise.race([supervisor.exited, reportDone.then(() => undefined)]).then(
      (exit) => {
        cleanUp();
        opts.trace?.('worker: supervisor ended');
        void (async () => {
          await Promise.race([reportDone, delay(OUTPUT_DRAIN_MS)]);
          await Promise.race([Promise.all([closed(stdout), closed(stderr)]), delay(OUTPUT_DRAIN_MS)]);
          opts.trace?.('worker: output drained');
          for (const s of [stdout, stderr, reportPipe]) s.destroy();
          if (cgroup) {
            if (cgroupPopulated(cgroup)) killCgroup(cgroup); // the supervisor itself was killed
            removeCgroup(cgroup);
          }
          const report = parseReport(reportText);
          if (report.spawnError !== undefined) {
            reject(new Error(report.spawnError));
            return;
          }
          const mechanism = report.cgroupError !== undefined ? 'subreaper' : containment.mechanism;
          const outcome = { timedOut, canceled, containment: mechanism } as const;
          if (report.exitCode !== undefined || report.signal !== undefined) {
            resolve({ exitCode: report.exitCode ?? null, signal: report.signal ?? null, ...outcome });
            return;
          }
          // No report: the supervisor itself was killed (its group goes with it), or could not run.
          killGroup(pid, 'SIGKILL');
          const { code, signal: sig } =
            exit ??
            (await Promise.race([supervisor.exited, delay(OUTPUT_DRAIN_MS).then(() => unknownExit)]).catch(
              () => unknownExit
            ));
          if (sig !== null) resolve({ exitCode: null, signal: sig, ...outcome });
          else
            reject(new Error(`the attempt's supervisor (${opts.python}) exited with code ${code} before starting it`));
        })();
      },
      (err: Error) => {
        cleanUp();
        reject(err);
      }
    );
  });
}

function parseReport(text: string): SupervisorReport {
  const report: SupervisorReport = {};
  for (const line of text.split('\n')) if (line.trim()) Object.assign(report, JSON.parse(line) as SupervisorReport);
  return report;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function closed(stream: Readable): Promise<void> {
  return stream.closed || stream.destroyed ? Promise.resolve() : new Promise((r) => stream.once('close', () => r()));
}

/** A bounded buffer keeping the last `max` bytes written to it. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.total += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max) this.size -= this.chunks.shift()!.length;
  }
  /** The last `max` bytes, cut at a UTF-8 character boundary. */
  text(): string {
    let buf = Buffer.concat(this.chunks);
    if (buf.length > this.max) buf = buf.subarray(buf.length - this.max);
    let start = 0;
    while (start < buf.length && start < 4 && (buf[start]! & 0xc0) === 0x80) start++;
    return buf.subarray(start).toString('utf8');
  }
  get truncated(): boolean {
    return this.total > this.max;
  }
}

export function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve) => stream.end(resolve));
}
