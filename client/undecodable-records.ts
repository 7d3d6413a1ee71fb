// A record djobs reads back from Temporal (a run's or a job's memo, a run's state) may not decode:
// it was encrypted with a key since removed from the key ring (DJOBS_ENCRYPTION_KEYS), or its bytes
// were altered, or they are not what their encoding says. One such record must not fail a listing
// for everyone, so listings decode each memo on its own and report the one that fails; a read of
// that very record answers an error naming why.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { ValueError } from '@temporalio/common';
import { decodeMapFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { DECRYPTION_FAILED } from '../encryption/aes-gcm-codec';
import type { ClientContext } from './context';
import { DjobsError, ErrorCode } from './errors';

/** A record of a run or a job that cannot be decoded; its message says which and why. */
export class UndecodableRecordError extends DjobsError {
  constructor(what: string, reason: string) {
    super(ErrorCode.INTERNAL_ERROR, unreadableMessage(what, reason));
    this.name = 'UndecodableRecordError';
  }
}

/** What a reader is told about a record (`Run 42`, `Job 7`) that cannot be decoded, and why. */
export const unreadableMessage = (what: string, reason: string) => `${what} cannot be read: ${reason}`;

/**
 * `read()`'s answer, or `unreadable(message)` when the record cannot be decoded: where a listing
 * expands what it lists, the one record that cannot be read stays as listed, saying why.
 */
export async function readableOr<T>(
  read: () => Promise<T>,
  unreadable: (message: string) => T | Promise<T>
): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof UndecodableRecordError) return unreadable(err.message);
    throw err;
  }
}

/** Whether `err` (or its cause) is the payload codec refusing a payload (aes-gcm-codec.ts). */
export function isDecryptionFailure(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause)
    if ((e as { type?: unknown }).type === DECRYPTION_FAILED) return true;
  return false;
}

/**
 * Whether `err` is a payload the data converter could not decode: the codec refusing it, or the
 * payload converter failing on it (no or an unknown encoding, `ValueError` and its
 * `PayloadConverterError`; bytes that claim to be JSON and are not, the `SyntaxError` of its
 * `JSON.parse`, the only parse a read of a record runs).
 */
export function isUndecodablePayload(err: unknown): boolean {
  return isDecryptionFailure(err) || err instanceof ValueError || err instanceof SyntaxError;
}

/**
 * `read()`, with a payload that cannot be decoded (a schedule's memo, action or arguments, a run's
 * result), or a memo that cannot be decoded at all, reported as `UndecodableRecordError` about `what`.
 */
export async function decodedRecord<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof UndecodableRecordError || !(err instanceof UndecodableMemoError || isUndecodablePayload(err)))
      throw err;
    throw new UndecodableRecordError(what, (err as Error).message);
  }
}

/** A memo that cannot be decoded, whatever the cause; its message is the decoder's. */
class UndecodableMemoError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'UndecodableMemoError';
  }
}

/**
 * A memo decoded; any failure (a missing key, altered bytes, a foreign encoding, bytes that are
 * not what their encoding says) is an `UndecodableMemoError`, which `decodedRecord` reports.
 */
export async function decodedMemo(
  ctx: ClientContext,
  fields: Record<string, temporal.api.common.v1.IPayload> | null | undefined,
  workflowId?: string
): Promise<Record<string, unknown> | undefined> {
  try {
    return await decodeMapFromPayloads(
      ctx.temporal.options.loadedDataConverter,
      fields,
      workflowId !== undefined ? { type: 'workflow', namespace: ctx.namespace, workflowId } : undefined
    );
  } catch (err) {
    throw new UndecodableMemoError(err);
  }
}

/** A memo decoded, or why it cannot be (`decodedMemo`'s failure, for listings). */
export async function decodeMemo(
  ctx: ClientContext,
  fields: Record<string, temporal.api.common.v1.IPayload> | null | undefined,
  workflowId?: string
): Promise<{ memo?: Record<string, unknown>; undecodable?: string }> {
  try {
    const memo = await decodedMemo(ctx, fields, workflowId);
    return memo ? { memo } : {};
  } catch (err) {
    return { undecodable: (err as Error).message };
  }
}

/** A listed workflow execution; `undecodable` says why its memo (then absent) could not be decoded. */
export type ListedExecution = WorkflowExecutionInfo & { undecodable?: string };

/**
 * `client.workflow.list`, page by page, except that a memo that cannot be decoded is reported on
 * its execution (`undecodable`) instead of ending the listing with an error. `nextPageSize`: the
 * size of the pages after the first (default `pageSize`).
 */
export async function* listExecutions(
  ctx: ClientContext,
  options: { query: string; pageSize?: number; nextPageSize?: number }
): AsyncGenerator<ListedExecution> {
  const converter = ctx.temporal.options.loadedDataConverter;
  let nextPageToken: Uint8Array = Buffer.alloc(0);
  do {
    const pageSize = nextPageToken.length > 0 ? (options.nextPageSize ?? options.pageSize) : options.pageSize;
    const page = await ctx.temporal.workflowService.listWorkflowExecutions({
      namespace: ctx.namespace,
      query: options.query,
      nextPageToken,
      ...(pageSize !== undefined ? { pageSize } : {}),
    });
    for (const raw of page.executions) {
      // A message of its own without the memo (fields left at their defaults stay on its prototype).
      const withoutMemo = temporal.api.workflow.v1.WorkflowExecutionInfo.create({ ...raw, memo: null });
      const info = await executionInfoFromRaw(withoutMemo, converter, raw, ctx.namespace);
      const { memo, undecodable } = await decodeMemo(ctx, raw.memo?.fields, info.workflowId);
      yield { ...info, memo, ...(undecodable !== undefined ? { undecodable } : {}) };
    }
    nextPageToken = page.nextPageToken;
  } while (nextPageToken.length > 0);
}
