// Errors built from facts, each with a stable Databricks error code. The HTTP status for each
// code is decided here and nowhere else (the REST API and the CLI's exit codes both use it).
import type { SpecProblem } from '../core';

export const ErrorCode = {
  INVALID_PARAMETER_VALUE: 'INVALID_PARAMETER_VALUE',
  /** The request itself cannot be read (not JSON, not an object). */
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  REQUEST_LIMIT_EXCEEDED: 'REQUEST_LIMIT_EXCEEDED',
  ENDPOINT_NOT_FOUND: 'ENDPOINT_NOT_FOUND',
  RESOURCE_DOES_NOT_EXIST: 'RESOURCE_DOES_NOT_EXIST',
  RESOURCE_ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  INVALID_STATE: 'INVALID_STATE',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  TEMPORAL_UNAVAILABLE: 'TEMPORARILY_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one table from error code to HTTP status (a Record: a new code fails compilation until mapped). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  MALFORMED_REQUEST: 400,
  REQUEST_LIMIT_EXCEEDED: 413,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 409,
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

export class DjobsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'DjobsError';
  }
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
