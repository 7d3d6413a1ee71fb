// Shared plumbing of every command: `-o json`, error reporting with exit codes, sessions.
import type { Command } from 'commander';
import { DjobsError, GrpcStatus } from '../client/errors';
import { ExitCode, exitCodeFor } from './exit-codes';
import { openSession, type Session } from './session';

export type OutputFormat = 'text' | 'json';

export function outputFormat(cmd: Command): OutputFormat {
  const o = cmd.optsWithGlobals<{ output?: string }>().output;
  return o === 'json' ? 'json' : 'text';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Errors that mean Temporal could not be reached, told by name and code (never by message text). */
function cannotReachTemporal(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown } | undefined;
  return (
    e?.name === 'ServiceError' ||
    e?.name === 'TransportError' ||
    e?.code === GrpcStatus.UNAVAILABLE ||
    e?.code === 'ECONNREFUSED'
  );
}

/** Run a command body, turning errors into a message on stderr and the documented exit code. */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? ExitCode.SUCCESS;
  } catch (err) {
    if (err instanceof DjobsError) {
      process.stderr.write(`Error: ${err.message}\n`);
      process.exitCode = exitCodeFor(err);
      return;
    }
    const e = err as Error;
    if (cannotReachTemporal(err)) {
      process.stderr.write(`Error: cannot reach Temporal: ${e.message}\n`);
      process.exitCode = ExitCode.TEMPORAL_UNAVAILABLE;
      return;
    }
    process.stderr.write(`Error: ${e?.stack ?? String(err)}\n`);
    process.exitCode = ExitCode.RUN_FAILED;
  }
}

export async function withSession<T>(needsWorker: boolean, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await openSession({ needsWorker });
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

export function parseId(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new DjobsError('INVALID_PARAMETER_VALUE', `${what} must be a positive integer, found "${value}".`);
  return n;
}
