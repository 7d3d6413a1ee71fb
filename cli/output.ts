// Shared plumbing of every command: `-o json`, error reporting with exit codes, sessions.
import type { Command } from 'commander';
import { DjobsError, isTemporalUnreachable, type DurableJobsClient } from '../client';
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
    if (isTemporalUnreachable(err)) {
      process.stderr.write(`Error: cannot reach Temporal: ${e.message}\n`);
      process.exitCode = ExitCode.TEMPORAL_UNAVAILABLE;
      return;
    }
    process.stderr.write(`Error: ${e?.stack ?? String(err)}\n`);
    process.exitCode = ExitCode.RUN_FAILED;
  }
}

/**
 * Run a long-lived command (`worker`, `api`, `dev`): as `runCommand`, then the process exits with
 * the code, so that nothing left open (a connection, a runtime thread, a timer) keeps a failed
 * start or a stopped service alive under its supervisor.
 */
export async function runService(body: () => Promise<number | void>): Promise<void> {
  await runCommand(body);
  process.exit(process.exitCode ?? ExitCode.SUCCESS);
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

/** Standard input to its end (secret values and request bodies kept out of shell history). */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The runner of a command group over one of the client's record stores (`open` picks it): the body's result is printed as JSON (`-o json`, or when there is no text
 * form) or as the text form; an undefined result prints nothing.
 */
export function storeCommandRunner<S>(open: (client: DurableJobsClient) => S) {
  return (cmd: Command, body: (store: S) => Promise<unknown>, text?: (result: never) => string) =>
    runCommand(() =>
      withSession(false, async ({ client }) => {
        const result = await body(open(client));
        if (result === undefined) return;
        if (outputFormat(cmd) === 'json' || !text) printJson(result);
        else process.stdout.write(text(result as never));
      })
    );
}
