// Error codes of the Databricks REST API and the error that carries one. Pure, so that every layer
// (stores/ below the client, client/, api/, cli/) throws the same error; the HTTP status of each
// code is decided in one place, client/errors.ts.
export const ErrorCode = {
  INVALID_PARAMETER_VALUE: 'INVALID_PARAMETER_VALUE',
  /** The request itself cannot be read (not JSON, not an object). */
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  REQUEST_LIMIT_EXCEEDED: 'REQUEST_LIMIT_EXCEEDED',
  ENDPOINT_NOT_FOUND: 'ENDPOINT_NOT_FOUND',
  RESOURCE_DOES_NOT_EXIST: 'RESOURCE_DOES_NOT_EXIST',
  RESOURCE_ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  /** A read-modify-write whose read is stale (a rule set's etag). */
  RESOURCE_CONFLICT: 'RESOURCE_CONFLICT',
  /** Workspace API: a folder deleted without `recursive` is not empty. */
  DIRECTORY_NOT_EMPTY: 'DIRECTORY_NOT_EMPTY',
  /** DBFS API: e.g. a non-empty folder deleted without `recursive`. */
  IO_ERROR: 'IO_ERROR',
  /** DBFS API: a read or block over the 1 MB limit. */
  MAX_READ_SIZE_EXCEEDED: 'MAX_READ_SIZE_EXCEEDED',
  MAX_BLOCK_SIZE_EXCEEDED: 'MAX_BLOCK_SIZE_EXCEEDED',
  INVALID_STATE: 'INVALID_STATE',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  TEMPORAL_UNAVAILABLE: 'TEMPORARILY_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DjobsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'DjobsError';
  }
}
