// One mapping from errors to the Databricks error body `{ error_code, message }` and HTTP status.
import { DjobsError, ErrorCode, HTTP_STATUS, SpecValidationError } from '../client/errors';

export interface ApiErrorBody {
  error_code: string;
  message: string;
  details?: { '@type': string; field_violations?: { field: string; description: string }[] }[];
}

/** An error the API raises itself; its HTTP status comes from the code (`HTTP_STATUS`). */
export class ApiError extends DjobsError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(ErrorCode.INVALID_PARAMETER_VALUE, message);

export function toApiError(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof SpecValidationError) {
    return {
      status: HTTP_STATUS[err.code],
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
    const code = e.statusCode === 413 ? ErrorCode.REQUEST_LIMIT_EXCEEDED : ErrorCode.MALFORMED_REQUEST;
    return { status: HTTP_STATUS[code], body: { error_code: code, message: e.message ?? 'Bad request' } };
  }
  return {
    status: HTTP_STATUS.INTERNAL_ERROR,
    body: { error_code: ErrorCode.INTERNAL_ERROR, message: 'Internal error; see the server log.' },
  };
}
