// multipart/form-data bodies, as the Databricks SDKs send workspace imports and DBFS puts (a file
// part beside plain fields). Small bodies only (the routes' body limit): parsed from one buffer.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../client';
import { ApiError } from './errors';
import { requestParams, type Params } from './request-params';

export type FormFields = Record<string, string | Buffer>;

/** The parts of a multipart body by name: file parts as bytes, other parts as text. */
export function parseMultipart(body: Buffer, contentType: string): FormFields {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2]?.trim();
  if (!boundary) throw new ApiError(ErrorCode.MALFORMED_REQUEST, 'A multipart body without a boundary.');
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: FormFields = {};
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // past CRLF, before the CRLF of the next delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const isFile = /filename="/i.test(headers);
      if (name !== undefined) fields[name] = isFile ? Buffer.from(content) : content.toString('utf8');
    }
    at = next;
  }
  return fields;
}

const MULTIPART = 'multipart/form-data';

/** Accept multipart bodies on the routes of `scope` (an encapsulated plugin): `req.body` is the parts. */
export function acceptMultipart(scope: FastifyInstance): void {
  scope.addContentTypeParser(MULTIPART, { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, parseMultipart(body as Buffer, String(req.headers['content-type'])));
    } catch (err) {
      done(err as ApiError, undefined);
    }
  });
}

/** A request's parameters: its query and its form parts, or its query and JSON body (`requestParams`). */
export async function formOrJsonParams(req: FastifyRequest, bodyLimit: number): Promise<Params> {
  if (String(req.headers['content-type'] ?? '').startsWith(MULTIPART))
    return { ...(req.query as Params), ...(req.body as FormFields) };
  return requestParams(req, bodyLimit);
}
