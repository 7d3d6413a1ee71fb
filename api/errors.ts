// One mapping from errors to the Databricks error body `{ error_code, message }` and HTTP status.
import { DjobsError, ErrorCode, HTTP_STATUS, SpecValidationError } from '../client/errors';

export interface ApiErrorBody {
  error_code: string;
  message: string;
  details?: { '@type': string; field_violations?: { field: string; description: string }[] }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, ErrorCode.INVALID_PARAMETER_VALUE, message);

export function toApiError(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof ApiError) return { status: err.status, body: { error_code: err.errorCode, message: err.message } };
  if (err instanceof SpecValidationError) {
    return {
      status: 400,
      body: {
        error_code: err.code,
        message: err.problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; '),
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            field_violations: err.problems.map((p) => ({ field: p.path, description: p.message })),
          },
        ],
      },
    };
  }
  if (err instanceof DjobsError)
    return { status: HTTP_STATUS[err.code], body: { error_code: err.code, message: err.message } };
  const e = err as { statusCode?: number; code?: string; message?: string };
  // Fastify's own errors: malformed JSON, body too large.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = e.statusCode === 413 ? 'REQUEST_LIMIT_EXCEEDED' : 'MALFORMED_REQUEST';
    return {
      status: e.statusCode === 413 ? 413 : 400,
      body: { error_code: code, message: e.message ?? 'Bad request' },
    };
  }
  return {
    status: 500,
    body: { error_code: ErrorCode.INTERNAL_ERROR, message: 'Internal error; see the server log.' },
  };
}
