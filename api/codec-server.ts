// Temporal's remote codec protocol (https://docs.temporal.io/production-deployment/data-encryption):
// POST <endpoint>/encode and <endpoint>/decode with `{ payloads: [{ metadata, data }] }`, bytes as
// base64. The Temporal Web UI and `temporal` CLI call it to show decrypted payloads. It uses the
// client's own codec, so it decrypts exactly what this API's connection can.
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload } from '@temporalio/common';
import { ErrorCode } from '../client';
import { authenticate } from './auth';
import { ApiError, badRequest } from './errors';
import type { ApiDeps } from './routes';

export const CODEC_PATH = '/codec';

export interface CodecServerOptions {
  /** Browser origins allowed to call it (the Web UI's), e.g. http://localhost:8233. */
  corsOrigins?: string[];
  /**
   * A secret path segment for the local dev Web UI, which has no login and so cannot send a
   * bearer token: `<CODEC_PATH>/ui/<key>` is its endpoint (`djobs dev` passes it to the UI).
   */
  uiKey?: string;
  /**
   * The codec token (DJOBS_CODEC_TOKEN_FILE): a credential that decodes and opens nothing else, for
   * a Temporal Web UI that cannot sign its users in to this API (the compose's). Accepted as a
   * bearer token on `<CODEC_PATH>/decode` and as the key of `<CODEC_PATH>/ui/<key>/decode`, from
   * any address; refused on encode, and unknown to every other endpoint (it is no principal's).
   */
  decodeToken?: string;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Registers the codec routes; the caller's auth hook must leave `CODEC_PATH` to them. */
export function registerCodecServer(
  app: FastifyInstance,
  { client, tokens }: ApiDeps,
  opts: CodecServerOptions = {}
): void {
  const origins = new Set(opts.corsOrigins ?? []);

  const cors = (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (!origin || !origins.has(origin)) return;
    void reply.header('access-control-allow-origin', origin);
    void reply.header('vary', 'Origin');
    // No credentials (cookies): the UI sends a bearer token, or uses the dev UI's key path.
    void reply.header('access-control-allow-methods', 'POST, OPTIONS');
    void reply.header('access-control-allow-headers', 'authorization, content-type, x-namespace');
  };
  const isDecodeToken = (given: string | undefined) =>
    opts.decodeToken !== undefined && given !== undefined && sameSecret(given, opts.decodeToken);
  const decodeOnly = (direction: 'encode' | 'decode') => {
    if (direction !== 'decode')
      throw new ApiError(ErrorCode.PERMISSION_DENIED, 'The codec token may decode payloads only, not encode them.');
  };
  // Only workspace admins may decode, and the codec token: a payload may come from any job,
  // whatever its grants.
  const requireAdmin = (req: FastifyRequest, direction: 'encode' | 'decode') => {
    if (isDecodeToken(/^Bearer\s+(.+)$/i.exec(req.headers.authorization?.trim() ?? '')?.[1]?.trim()))
      return decodeOnly(direction);
    const who = authenticate(req.headers.authorization, tokens);
    if (!who.admin)
      throw new ApiError(
        ErrorCode.PERMISSION_DENIED,
        `${who.name} is not a workspace admin and cannot use the codec server.`
      );
  };
  // The dev UI's key path is a secret only as far as the UI's settings are (they are unauthenticated,
  // on loopback): it answers loopback clients only, as the dev UI is one.
  const requireUiKey = (key: string, from: string | undefined, direction: 'encode' | 'decode') => {
    if (isDecodeToken(key)) return decodeOnly(direction);
    const expected = Buffer.from(opts.uiKey ?? '');
    const given = Buffer.from(key);
    if (!opts.uiKey || given.length !== expected.length || !timingSafeEqual(given, expected) || !isLoopback(from))
      throw new ApiError(ErrorCode.UNAUTHENTICATED, 'Invalid codec endpoint.');
  };
  const handle = (direction: 'encode' | 'decode') => async (req: FastifyRequest, reply: FastifyReply) => {
    cors(req, reply);
    const payloads = parsePayloads(req.body);
    let out: Payload[];
    try {
      out = direction === 'encode' ? await client.encodePayloads(payloads) : await client.decodePayloads(payloads);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    return { payloads: out.map(toJson) };
  };

  for (const direction of ['encode', 'decode'] as const) {
    app.options(`${CODEC_PATH}/${direction}`, async (req, reply) => (cors(req, reply), reply.status(204).send()));
    app.post(`${CODEC_PATH}/${direction}`, async (req, reply) => {
      requireAdmin(req, direction);
      return handle(direction)(req, reply);
    });
    app.options(
      `${CODEC_PATH}/ui/:key/${direction}`,
      async (req, reply) => (cors(req, reply), reply.status(204).send())
    );
    app.post(`${CODEC_PATH}/ui/:key/${direction}`, async (req, reply) => {
      requireUiKey((req.params as { key: string }).key, req.socket.remoteAddress, direction);
      return handle(direction)(req, reply);
    });
  }
}

/** Compared as digests: equal lengths, and neither secret's length shows in the time taken. */
const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(Buffer.from(hash('sha256', given), 'hex'), Buffer.from(hash('sha256', expected), 'hex'));

const isLoopback = (address: string | undefined): boolean =>
  address !== undefined && (/^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address));

function parsePayloads(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | undefined)?.payloads;
  if (!Array.isArray(list))
    throw badRequest('Expected a body {"payloads": [{"metadata": {...}, "data": "<base64>"}]}.');
  return list.map((p: JsonPayload, i) => {
    if (typeof p !== 'object' || p === null) throw badRequest(`payloads[${i}]: expected an object`);
    return {
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data ?? '', 'base64'),
    };
  });
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/** The codec server's own requests, which it authenticates itself. */
export const isCodecRequest = (url: string): boolean => url === CODEC_PATH || url.startsWith(`${CODEC_PATH}/`);
