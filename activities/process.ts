// Running one task attempt as a process tree: its own process group, so that a timeout or a
// cancel kills every descendant (SIGTERM, then SIGKILL after a grace period).
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  canceled: boolean;
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
  onStart?: (pid: number) => void;
  /** Time between SIGTERM and SIGKILL. @default 1000 */
  killGraceMs?: number;
}

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

export function runProcess(opts: RunProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let canceled = false;
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true, // its own process group: kill(-pid) reaches every descendant
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', reject);
      return;
    }
    opts.onStart?.(pid);
    child.stdout.on('data', opts.output);
    child.stderr.on('data', opts.output);

    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      killGroup(pid, 'SIGTERM');
      killTimer ??= setTimeout(() => killGroup(pid, 'SIGKILL'), opts.killGraceMs ?? 1000);
    };
    const timer = opts.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), terminate()), opts.timeoutMs) : undefined;
    const onAbort = () => {
      canceled = true;
      terminate();
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });

    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      // Background processes the task left behind die with it.
      killGroup(pid, 'SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      resolve({ exitCode, signal, timedOut, canceled });
    });
  });
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
