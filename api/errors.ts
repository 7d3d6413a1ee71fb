// One mapping from errors to the Databricks error body `{ error_code, message }` and HTTP status.
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import { DjobsError, ErrorCode, HTTP_STATUS, SpecValidationError } from '../client';

export interface ApiErrorBody {
  error_code: string;
  message: string;
  details?: {
    '@type': string;
    field_violations?: { field: string; description: string }[];
    request_id?: string;
    serving_data?: string;
  }[];
}

/** An error the API raises itself; its HTTP status comes from its code (`HTTP_STATUS`). */
export class ApiError extends DjobsError {
  /** `status`: where Databricks answers this code with another status (429 for a rate limit). */
  constructor(
    code: ErrorCode,
    message: string,
    readonly status = HTTP_STATUS[code]
  ) {
    super(code, message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(ErrorCode.INVALID_PARAMETER_VALUE, message);

/**
 * The status and Databricks body of an error. A server error carries the request id (as
 * Databricks' google.rpc.RequestInfo detail) so that it can be found in the server log.
 */
export function toApiError(err: unknown, requestId = ''): { status: number; body: ApiErrorBody } {
  const { status, body } = statusAndBody(err, requestId);
  if (status < 500 || body.details) return { status, body };
  const info = { '@type': 'type.googleapis.com/google.rpc.RequestInfo', request_id: requestId, serving_data: '' };
  return { status, body: { ...body, details: [info] } };
}

function statusAndBody(err: unknown, requestId: string): { status: number; body: ApiErrorBody } {
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
  if (err instanceof DjobsError) {
    const status = err instanceof ApiError ? err.status : HTTP_STATUS[err.code];
    return { status, body: { error_code: err.code, message: err.message } };
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  // Fastify's own errors: malformed JSON, body too large.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = e.statusCode === 413 ? ErrorCode.REQUEST_LIMIT_EXCEEDED : ErrorCode.MALFORMED_REQUEST;
    return { status: HTTP_STATUS[code], body: { error_code: code, message: e.message ?? 'Bad request' } };
  }
  return {
    status: HTTP_STATUS.INTERNAL_ERROR,
    body: {
      error_code: ErrorCode.INTERNAL_ERROR,
      message: `Internal error; see the server log for request ${requestId}.`,
    },
  };
}

/** A Databricks error body with its HTTP headers, written raw on a socket the HTTP parser gave up on. */
function rawErrorResponse(status: number, statusText: string, body: ApiErrorBody): string {
  const json = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`
  );
}

/**
 * Fastify options so that requests the HTTP parser rejects (a wrong Content-Length, a malformed
 * header) and requests the router rejects (a malformed URL) get a Databricks body too.
 */
export function errorHandlingOptions(): Pick<FastifyServerOptions, 'clientErrorHandler' | 'frameworkErrors'> {
  return {
    clientErrorHandler: (err, socket) => {
      const tooLarge = (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW';
      if (socket.writable)
        socket.end(
          tooLarge
            ? rawErrorResponse(431, 'Request Header Fields Too Large', {
                error_code: 'REQUEST_LIMIT_EXCEEDED',
                message: 'The request headers are too large.',
              })
            : rawErrorResponse(HTTP_STATUS.MALFORMED_REQUEST, 'Bad Request', {
                error_code: ErrorCode.MALFORMED_REQUEST,
                message: `The request is not valid HTTP: ${err.message}`,
              })
        );
      else socket.destroy(err);
    },
    frameworkErrors: (err, _req, reply) => {
      void (reply as unknown as FastifyReply)
        .status(HTTP_STATUS.MALFORMED_REQUEST)
        .header('x-content-type-options', 'nosniff')
        .send({ error_code: ErrorCode.MALFORMED_REQUEST, message: err.message });
    },
  };
}

/** Every error gets its Databricks body; server errors are logged with their request id. */
export function addErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toApiError(err, req.id);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ status, error_code: body.error_code }, body.message);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(HTTP_STATUS.ENDPOINT_NOT_FOUND).send({
      error_code: ErrorCode.ENDPOINT_NOT_FOUND,
      message: `No API found for '${req.method} ${req.url.split('?')[0]}'`,
    });
  });
}
