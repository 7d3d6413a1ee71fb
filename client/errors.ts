// Errors built from facts, each with a stable Databricks error code. The HTTP status for each
// code is decided here and nowhere else (the REST API and the CLI's exit codes both use it).
import type { SpecProblem } from '../core';
import { DjobsError, ErrorCode } from '../core/errors';

export { DjobsError, ErrorCode };

/** The one table from error code to HTTP status (a Record: a new code fails compilation until mapped). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  MALFORMED_REQUEST: 400,
  REQUEST_LIMIT_EXCEEDED: 413,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  DIRECTORY_NOT_EMPTY: 400,
  IO_ERROR: 400,
  MAX_READ_SIZE_EXCEEDED: 400,
  MAX_BLOCK_SIZE_EXCEEDED: 400,
  INVALID_STATE: 400,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

/** gRPC status codes Temporal's services answer with (https://grpc.io/docs/guides/status-codes/). */
export const GrpcStatus = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  UNAVAILABLE: 14,
} as const;

/** Whether `err` means Temporal could not be reached, told by name and code (never by message text). */
export function isTemporalUnreachable(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown } | undefined;
  return (
    e?.name === 'ServiceError' ||
    e?.name === 'TransportError' ||
    e?.code === GrpcStatus.UNAVAILABLE ||
    e?.code === 'ECONNREFUSED'
  );
}

/** A job spec failed validation; `problems` holds every problem with its JSON path. */
export class SpecValidationError extends DjobsError {
  constructor(
    readonly problems: SpecProblem[],
    readonly source?: string
  ) {
    super(
      ErrorCode.INVALID_PARAMETER_VALUE,
      `${source ? `${source}: ` : ''}invalid job settings (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')
    );
    this.name = 'SpecValidationError';
  }
}

export class NotFoundError extends DjobsError {
  constructor(kind: 'Job' | 'Run', id: number | string) {
    super(ErrorCode.RESOURCE_DOES_NOT_EXIST, `${kind} ${id} does not exist.`);
    this.name = 'NotFoundError';
  }
}

export class InvalidStateError extends DjobsError {
  constructor(message: string) {
    super(ErrorCode.INVALID_STATE, message);
    this.name = 'InvalidStateError';
  }
}

export class TemporalUnavailableError extends DjobsError {
  constructor(address: string, cause?: unknown) {
    super(
      ErrorCode.TEMPORAL_UNAVAILABLE,
      `Cannot reach Temporal at ${address}: ${cause instanceof Error ? cause.message : String(cause)}`
    );
    this.name = 'TemporalUnavailableError';
  }
}
