// Bearer tokens → principals. No token, no access. Principals come from a config file (users,
// service principals, their groups and tokens) plus the one admin token of `djobs api`/`djobs dev`.
import { hash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADMINS_GROUP, ALL_USERS_GROUP, type Principal, type PrincipalDirectory } from '../core';
import { ErrorCode } from '../client';
import { readPrincipalsFile } from '../config/principals-file';
import { ApiError } from './errors';

export type { Principal };

/**
 * token → principal, tokens kept as SHA-256 digests; and the directory of every principal the
 * API knows (those without a token too: a service principal that only jobs run as), with the
 * `servicePrincipal/user` role holders of each service principal. Tokens from configuration never
 * expire; web UI sessions (api/sign-in.ts) are added with an expiry and end then, or when removed.
 */
export class TokenMap implements PrincipalDirectory {
  private readonly byDigest = new Map<string, Principal>();
  private readonly expiries = new Map<string, number>();
  private readonly known = new Map<string, Principal>();
  private readonly spUsers = new Map<string, readonly string[]>();

  // The one-shot digest: every request hashes its token, and a Hash object per request costs 3× as much.
  static sha256 = (token: string): string => hash('sha256', token, 'hex');

  add(token: { plain: string } | { sha256: string }, principal: Principal): void {
    const digest = 'plain' in token ? TokenMap.sha256(token.plain) : token.sha256.toLowerCase();
    const other = this.byDigest.get(digest);
    if (other && other.name !== principal.name)
      throw new Error(`The same token is configured for ${other.name} and ${principal.name}.`);
    this.byDigest.set(digest, principal);
    this.register(principal);
  }

  /** A principal the directory knows, with the holders of its servicePrincipal/user role. */
  register(principal: Principal, servicePrincipalUsers: readonly string[] = []): void {
    this.known.set(`${principal.kind}:${principal.name}`, principal);
    if (servicePrincipalUsers.length > 0) this.spUsers.set(principal.name, servicePrincipalUsers);
  }

  find(kind: 'user' | 'service_principal', name: string): Principal | undefined {
    return this.known.get(`${kind}:${name}`);
  }

  groupExists(name: string): boolean {
    if (name === ALL_USERS_GROUP || name === ADMINS_GROUP) return true;
    for (const p of this.known.values()) if (p.groups.includes(name)) return true;
    return false;
  }

  holdsServicePrincipalUser(who: Principal, name: string): boolean {
    const holders = this.spUsers.get(name) ?? [];
    return holders.includes(who.name) || who.groups.some((g) => holders.includes(g));
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
  for (const { principal, tokens: plain, tokenSha256, servicePrincipalUsers } of readPrincipalsFile(file)) {
    tokens.register(principal, servicePrincipalUsers);
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

/** How many failed authentications a client address may make in a window before it is answered 429. */
export interface FailedAuthLimit {
  /** @default 30 */
  max: number;
  /** @default 60000 (one minute) */
  windowMs: number;
}

export const DEFAULT_FAILED_AUTH_LIMIT: FailedAuthLimit = { max: 30, windowMs: 60_000 };

/**
 * Every request but the public ones (`isPublic`: the web UI's files, the codec server, which
 * authenticates itself) carries a bearer token; its principal is the request's (`principalOf`).
 * Failed authentications are counted per client address (@fastify/rate-limit's store): past the
 * limit they are answered 429 with Retry-After, and logged, so tokens cannot be guessed at speed.
 * A request with a valid token is never counted nor slowed.
 */
export async function addAuthentication(
  app: FastifyInstance,
  tokens: TokenMap,
  isPublic: (url: string) => boolean,
  limit: FailedAuthLimit = DEFAULT_FAILED_AUTH_LIMIT
): Promise<void> {
  await app.register(rateLimit, { global: false, max: limit.max, timeWindow: limit.windowMs });
  const countFailure = app.createRateLimit();
  app.decorateRequest('principal', null);
  // A callback hook (not an async one): it runs on every request; only a failure awaits the count.
  app.addHook('onRequest', (req, reply, done) => {
    if (isPublic(req.url)) return done();
    try {
      (req as unknown as { principal: Principal }).principal = authenticate(req.headers.authorization, tokens);
    } catch (err) {
      countFailure(req).then(
        (count) => {
          if (!count.isAllowed && count.isExceeded) {
            req.log.warn(
              { client: count.key, failures: count.max - count.remaining },
              'too many failed authentications'
            );
            void reply.header('retry-after', String(count.ttlInSeconds));
            return done(
              new ApiError(
                ErrorCode.REQUEST_LIMIT_EXCEEDED,
                `Too many failed authentications from this address: retry after ${count.ttlInSeconds} seconds.`,
                429
              )
            );
          }
          done(err as Error);
        },
        (countErr: unknown) => done(countErr as Error)
      );
      return;
    }
    done();
  });
}

/** The principal `addAuthentication` found for a request. */
export const principalOf = (req: FastifyRequest): Principal => (req as unknown as { principal: Principal }).principal;
