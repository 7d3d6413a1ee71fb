// The parameters of a request, read as Databricks reads them: from the query string and from a
// JSON body, on every method. Clients send GET parameters either way: the Airflow provider's async
// hook sends `GET jobs/runs/get` with the body `{"run_id": N}` and no query string. Fastify parses
// bodies only for methods that usually have one, so a GET body is read here from the stream.
import type { FastifyRequest } from 'fastify';
import { formatPath, tooDeepAt } from '../core';
import { ErrorCode } from '../client/errors';
import { ApiError } from './errors';

/** Deeper request bodies are refused before any handler walks them (recursion would overflow). */
const MAX_BODY_DEPTH = 64;

export type Params = Record<string, unknown>;

/** A request body as JSON whatever its Content-Type (the legacy databricks-cli sends `text/json`). */
export function parseJsonBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch (err) {
    throw new ApiError(ErrorCode.MALFORMED_REQUEST, `The request body is not JSON: ${(err as Error).message}`);
  }
}

function checkObject(body: unknown): Params | undefined {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
    throw new ApiError(ErrorCode.MALFORMED_REQUEST, 'The request body must be a JSON object.');
  const deep = tooDeepAt(body, MAX_BODY_DEPTH);
  if (deep)
    throw new ApiError(
      ErrorCode.MALFORMED_REQUEST,
      `The request body is nested more than ${MAX_BODY_DEPTH} levels deep at ${formatPath(deep)}.`
    );
  return body as Params | undefined;
}

/** The body of a GET (or HEAD) request, which Fastify leaves unread: at most `limit` bytes. */
async function readUnparsedBody(req: FastifyRequest, limit: number): Promise<unknown> {
  const raw = req.raw;
  const declared = Number(raw.headers['content-length'] ?? 0);
  if (!(declared > 0) && raw.headers['transfer-encoding'] === undefined) return undefined;
  if (declared > limit) throw new ApiError(ErrorCode.REQUEST_LIMIT_EXCEEDED, 'Request body is too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(ErrorCode.REQUEST_LIMIT_EXCEEDED, 'Request body is too large');
    chunks.push(chunk as Buffer);
  }
  return parseJsonBody(Buffer.concat(chunks).toString('utf8'));
}

/** Query string and JSON body merged (the body wins on a name given twice). */
export async function requestParams(req: FastifyRequest, bodyLimitBytes: number): Promise<Params> {
  const body = req.method === 'GET' || req.method === 'HEAD' ? await readUnparsedBody(req, bodyLimitBytes) : req.body;
  return { ...(req.query as Params), ...(checkObject(body) ?? {}) };
}

/** The JSON-object body of a request that has one (PUT/PATCH of permissions). */
export function requestBody(req: FastifyRequest): Params | undefined {
  return checkObject(req.body);
}
