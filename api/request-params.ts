// The parameters of a request, read as Databricks reads them: from the query string and from a
// JSON body, on every method. Clients send GET parameters either way: the Airflow provider's async
// hook sends `GET jobs/runs/get` with the body `{"run_id": N}` and no query string. Fastify parses
// bodies only for methods that usually have one, so a GET body is read here from the stream.
// The coercers below read one parameter each, as Databricks does (a query string gives strings
// where a JSON body gives numbers and booleans), and refuse a wrong one with a 400 naming it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { describeValue, formatPath, refusedFieldProblems, tooDeepAt, type ObjectName } from '../core';
import { ErrorCode, SpecValidationError } from '../client';
import { ApiError, badRequest } from './errors';

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

/**
 * Databricks reads every request body as JSON whatever its Content-Type says: the legacy
 * databricks-cli sends `text/json`, curl users often send none or form types.
 */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as ApiError, undefined);
    }
  });
}

/** An integer parameter (a number, or a string of one), within bounds; `def` when absent. */
export function int(
  v: unknown,
  name: string,
  opts: { required?: boolean; min?: number; max?: number; def?: number } = {}
): number | undefined {
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw badRequest(`Missing required field: ${name}`);
    return opts.def;
  }
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n))
    throw badRequest(`Invalid value for ${name}: expected an integer, found ${JSON.stringify(v)}`);
  if (opts.min !== undefined && n < opts.min)
    throw badRequest(`Invalid value for ${name}: must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max)
    throw badRequest(`Invalid value for ${name}: must be at most ${opts.max}`);
  return n;
}

/** A boolean parameter: true or "true"; anything else is false. */
export const bool = (v: unknown): boolean => v === true || v === 'true';

const scalar = (x: unknown): x is string | number | boolean =>
  typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

/** An object of strings (numbers and booleans are taken as their text), e.g. job_parameters. */
export function stringMap(v: unknown, name: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw badRequest(`Invalid value for ${name}: expected an object of strings`);
  const bad = Object.entries(v).filter(([, x]) => !scalar(x));
  if (bad.length > 0)
    throw badRequest(
      bad.map(([k, x]) => `Invalid value for ${name}.${k}: expected a string, found ${describeValue(x)}`).join('; ')
    );
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

export function optionalString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw badRequest(`Invalid value for ${name}: expected a string, found ${describeValue(v)}`);
  return v;
}

export function stringList(v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw badRequest(`Invalid value for ${name}: expected an array of strings, found ${describeValue(v)}`);
  return v;
}

export function optionalObject(v: unknown, name: string): Params | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw badRequest(`Invalid value for ${name}: expected an object, found ${describeValue(v)}`);
  return v as Params;
}

/**
 * Refuses a request's refused fields (core/schema/field-classes.ts), every one at once with its
 * path and reason. A query string's "false" is false, as `bool` reads it: not given.
 */
export function refuseFields(object: ObjectName, p: Params): void {
  const given = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v === 'false' ? false : v]));
  const problems = refusedFieldProblems(object, given);
  if (problems.length > 0) throw new SpecValidationError(problems, `${object} request`);
}

/** One of `values`, or undefined when absent. */
export function oneOf<const T extends string>(v: unknown, name: string, values: readonly T[]): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    throw badRequest(`Invalid value for ${name}: expected one of ${values.join(', ')}, found ${describeValue(v)}`);
  return v as T;
}
