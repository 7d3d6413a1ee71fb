// What durable-jobs needs in a Temporal namespace, set up once by an operator (`djobs admin setup`)
// and only checked by every other process: workers, the API and the CLI start against a namespace
// that exists and has durable-jobs' search attributes, or refuse with the missing piece named.
// Registering a namespace or search attributes takes Temporal's operator rights, which a locked-down
// cluster gives to an operator, not to every worker.
import { Connection, type ConnectionLike, type TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { DjobsError, ErrorCode, GrpcStatus, TemporalUnavailableError } from './errors';
import { indexedValueTypes } from './search-attributes';

/** The command that sets a namespace up; every "not set up" message names it. */
export const SETUP_COMMAND = 'djobs admin setup';

/** How long closed runs stay in a namespace `djobs admin setup` creates. @default 30 days */
export const DEFAULT_RETENTION_DAYS = 30;

type AnyConnection = ConnectionLike | NativeConnection;

/** Temporal is reachable but the namespace lacks what durable-jobs needs (exit 3, HTTP 503). */
export class TemporalNotSetUpError extends DjobsError {
  constructor(
    readonly namespace: string,
    readonly missing: string
  ) {
    super(
      ErrorCode.TEMPORAL_UNAVAILABLE,
      `Temporal is not set up for durable-jobs: ${missing}. Run \`${SETUP_COMMAND}\` once, with Temporal operator rights (docs/operations.md).`
    );
    this.name = 'TemporalNotSetUpError';
  }
}

const isNotFound = (err: unknown) => (err as { code?: unknown }).code === GrpcStatus.NOT_FOUND;

/** The piece of setup the namespace lacks, in words; undefined when it has everything. */
export async function missingSetup(connection: AnyConnection, namespace: string): Promise<string | undefined> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (isNotFound(err)) return `namespace "${namespace}" does not exist`;
    throw err;
  }
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length > 0)
    return `search attribute${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not registered in namespace "${namespace}"`;
  return undefined;
}

/** Throws TemporalNotSetUpError naming what is missing. */
export async function checkTemporalSetup(connection: AnyConnection, namespace: string): Promise<void> {
  const missing = await missingSetup(connection, namespace);
  if (missing) throw new TemporalNotSetUpError(namespace, missing);
}

async function missingSearchAttributes(connection: AnyConnection, namespace: string): Promise<string[]> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(listed.customAttributes ?? {}));
  return ALL_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !known.has(name));
}

export interface SetupOptions {
  /** Retention of a namespace created now, or a new retention for an existing one when given. */
  retentionDays?: number;
  /** How long to wait for a namespace just created to be known to all of Temporal's services. @default 30 s */
  timeoutMs?: number;
}

export interface SetupReport {
  namespace: string;
  namespaceCreated: boolean;
  /** The namespace's retention after setup, in days. */
  retentionDays: number;
  searchAttributesAdded: string[];
}

/**
 * Creates the namespace (when missing) and registers the search attributes (those missing).
 * Idempotent: a second call changes nothing, and a concurrent one by another process is fine.
 */
export async function setupTemporal(
  connection: AnyConnection,
  namespace: string,
  opts: SetupOptions = {}
): Promise<SetupReport> {
  const days = opts.retentionDays;
  const retention = (d: number) => msToTs(d * 86_400_000);
  let namespaceCreated = false;
  let current: number | undefined;
  try {
    const desc = await connection.workflowService.describeNamespace({ namespace });
    current = Number(desc.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (current === undefined) {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: retention(days ?? DEFAULT_RETENTION_DAYS),
      });
      namespaceCreated = true;
    } catch (err) {
      if ((err as { code?: unknown }).code !== GrpcStatus.ALREADY_EXISTS) throw err;
    }
  } else if (days !== undefined && days !== current) {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: retention(days) },
    });
  }
  // A namespace just registered is unknown to the server's other services for a few seconds (each
  // caches namespaces): retry until every search attribute is listed, keeping the last error.
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let added: string[] | undefined;
  for (;;) {
    try {
      const missing = await missingSearchAttributes(connection, namespace);
      added ??= missing;
      if (missing.length === 0) break;
      const types = indexedValueTypes(ALL_SEARCH_ATTRIBUTES.filter((key) => missing.includes(key.name)));
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: types });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const desc = await connection.workflowService.describeNamespace({ namespace });
  return {
    namespace,
    namespaceCreated,
    retentionDays: Number(desc.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400,
    searchAttributesAdded: added,
  };
}

/** `setupTemporal` over a connection of its own to `address` (`djobs admin setup`, embedded servers, tests). */
export async function setupNamespace(
  o: { address: string; namespace?: string; tls?: TLSConfig } & SetupOptions
): Promise<SetupReport> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: o.address,
      connectTimeout: '5s',
      ...(o.tls ? { tls: o.tls } : {}),
    });
  } catch (err) {
    throw new TemporalUnavailableError(o.address, err);
  }
  try {
    return await setupTemporal(connection, o.namespace ?? 'default', o);
  } finally {
    await connection.close();
  }
}
