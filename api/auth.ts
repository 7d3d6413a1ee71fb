// Bearer tokens → principals. No token, no access. Principals come from a config file (users,
// service principals, their groups and tokens) plus the one admin token of `djobs api`/`djobs dev`.
import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADMINS_GROUP, type Principal } from '../core';
import { ErrorCode } from '../client';
import { readPrincipalsFile } from '../config/principals-file';
import { ApiError } from './errors';

export type { Principal };

/**
 * token → principal; tokens are kept as SHA-256 digests. Tokens from configuration never expire;
 * web UI sessions (api/sign-in.ts) are added with an expiry and end then, or when removed.
 */
export class TokenMap {
  private readonly byDigest = new Map<string, Principal>();
  private readonly expiries = new Map<string, number>();

  // The one-shot digest: every request hashes its token, and a Hash object per request costs 3× as much.
  static sha256 = (token: string): string => hash('sha256', token, 'hex');

  add(token: { plain: string } | { sha256: string }, principal: Principal): void {
    const digest = 'plain' in token ? TokenMap.sha256(token.plain) : token.sha256.toLowerCase();
    const other = this.byDigest.get(digest);
    if (other && other.name !== principal.name)
      throw new Error(`The same token is configured for ${other.name} and ${principal.name}.`);
    this.byDigest.set(digest, principal);
  }

  /** A token that stops working at `expiresAt` (epoch ms): a web UI session. */
  addExpiring(plain: string, principal: Principal, expiresAt: number): void {
    this.add({ plain }, principal);
    this.expiries.set(TokenMap.sha256(plain), expiresAt);
  }

  remove(plain: string): void {
    const digest = TokenMap.sha256(plain);
    this.byDigest.delete(digest);
    this.expiries.delete(digest);
  }

  /** Forget every expiring token (the sessions), e.g. when the admin token is rotated. */
  removeExpiring(): void {
    for (const digest of this.expiries.keys()) this.byDigest.delete(digest);
    this.expiries.clear();
  }

  lookup(token: string): Principal | undefined {
    // Looked up by digest: the secret itself is never compared byte by byte.
    const digest = TokenMap.sha256(token);
    const principal = this.byDigest.get(digest);
    if (principal === undefined || this.expiries.size === 0) return principal;
    const expiresAt = this.expiries.get(digest);
    if (expiresAt === undefined || Date.now() < expiresAt) return principal;
    this.byDigest.delete(digest);
    this.expiries.delete(digest);
    return undefined;
  }

  get size(): number {
    return this.byDigest.size;
  }
}

/** The built-in administrator behind DJOBS_API_TOKEN. */
export const adminPrincipal = (): Principal => ({ name: 'admin', kind: 'user', groups: [ADMINS_GROUP], admin: true });

/** Read a principals file into `tokens`; every problem is reported with its path. */
export function loadPrincipals(file: string, tokens: TokenMap): void {
  for (const { principal, tokens: plain, tokenSha256 } of readPrincipalsFile(file)) {
    for (const t of plain) tokens.add({ plain: t }, principal);
    for (const t of tokenSha256) tokens.add({ sha256: t }, principal);
  }
}

export function authenticate(header: string | undefined, tokens: TokenMap): Principal {
  if (!header)
    throw new ApiError(
      ErrorCode.UNAUTHENTICATED,
      'Credential was not sent or was of an unsupported type for this API.'
    );
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  const principal = m ? tokens.lookup(m[1]!.trim()) : undefined;
  if (!principal) throw new ApiError(ErrorCode.UNAUTHENTICATED, 'Invalid access token.');
  return principal;
}

/**
 * Every request but the public ones (`isPublic`: the web UI's files, the codec server, which
 * authenticates itself) carries a bearer token; its principal is the request's (`principalOf`).
 */
export function addAuthentication(app: FastifyInstance, tokens: TokenMap, isPublic: (url: string) => boolean): void {
  app.decorateRequest('principal', null);
  // A callback hook (not an async one): it runs on every request.
  app.addHook('onRequest', (req, _reply, done) => {
    if (isPublic(req.url)) return done();
    try {
      (req as unknown as { principal: Principal }).principal = authenticate(req.headers.authorization, tokens);
    } catch (err) {
      return done(err as Error);
    }
    done();
  });
}

/** The principal `addAuthentication` found for a request. */
export const principalOf = (req: FastifyRequest): Principal => (req as unknown as { principal: Principal }).principal;
