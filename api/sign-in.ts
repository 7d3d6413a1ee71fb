// Signing in to the web UI by link: a signed-in principal (the dev admin through `djobs ui`, any
// API user with their token) asks for a sign-in link; its one-time code, opened in a browser within
// a few minutes, is exchanged by the page for a session token of the same principal, which the
// page keeps like a typed token. The API token itself never appears in a URL. The code travels in
// the URL's fragment (`/#/sign-in?code=…`), which browsers send to no server, proxy log or
// Referer; only the page reads it and posts it here, once.
//
// Codes and sessions live in this API server's memory: a code works on the server that made it,
// and a restart signs every session out (the page then asks to sign in again). With `djobs dev` the
// admin token is kept in a file of the data directory, which an admin can rotate through the API
// (`djobs ui --rotate-token`); a rotation also ends every session and unused code.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../client';
import type { Principal } from '../core';
import { TokenMap, adminPrincipal } from './auth';
import { ApiError, badRequest } from './errors';

/** How long a sign-in code may wait to be opened. */
export const SIGN_IN_CODE_TTL_MS = 10 * 60_000;
/** How long a session lasts from sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;

/** Where links are minted (authenticated) and codes exchanged (not: the code is the credential). */
export const SIGN_IN_LINKS_PATH = '/api/2.0/djobs/sign-in-links';
export const SIGN_IN_EXCHANGE_PATH = '/ui/sign-in';
export const ADMIN_TOKEN_ROTATE_PATH = '/api/2.0/djobs/admin-token/rotate';

/** The page's route that exchanges `code`, relative to the web UI's address. */
export const signInLinkPath = (code: string) => `/#/sign-in?code=${encodeURIComponent(code)}`;

export interface SignInOptions {
  tokens: TokenMap;
  /**
   * The file holding the admin token (`djobs dev`'s, under DJOBS_HOME): only then may an admin
   * rotate it through the API, which writes the new one there.
   */
  adminTokenFile?: string;
  /** How long a sign-in code may wait to be opened. @default SIGN_IN_CODE_TTL_MS (10 minutes) */
  codeTtlMs?: number;
}

export const newToken = () => `djobs-${randomBytes(24).toString('hex')}`;

/** One-time codes waiting to be exchanged, by digest, each with its principal and deadline. */
class SignInCodes {
  private readonly pending = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  mint(principal: Principal, now = Date.now()): { code: string; expiresAt: number } {
    for (const [digest, c] of this.pending) if (c.expiresAt <= now) this.pending.delete(digest);
    const code = randomBytes(32).toString('base64url');
    const expiresAt = now + this.ttlMs;
    this.pending.set(TokenMap.sha256(code), { principal, expiresAt });
    return { code, expiresAt };
  }

  /** The principal of a code not used before and not expired; the code is spent either way. */
  redeem(code: string, now = Date.now()): Principal | undefined {
    const digest = TokenMap.sha256(code);
    const found = this.pending.get(digest);
    this.pending.delete(digest);
    return found && found.expiresAt > now ? found.principal : undefined;
  }

  clear(): void {
    this.pending.clear();
  }
}

const CODES = Symbol('sign-in codes');

/**
 * A sign-in code for `principal` from the server's own process (`djobs dev` prints a link at
 * start without a request to itself).
 */
export function mintSignInCode(app: FastifyInstance, principal: Principal): { code: string; expiresAt: number } {
  const codes = (app as unknown as { [CODES]?: SignInCodes })[CODES];
  if (!codes) throw new Error('This API server has no sign-in links (registerSignIn).');
  return codes.mint(principal);
}

export function registerSignIn(app: FastifyInstance, opts: SignInOptions): void {
  const codes = new SignInCodes(opts.codeTtlMs ?? SIGN_IN_CODE_TTL_MS);
  (app as unknown as { [CODES]: SignInCodes })[CODES] = codes;
  const principalOf = (req: FastifyRequest) => (req as unknown as { principal: Principal }).principal;

  // Whoever is signed in may have a link for themselves: it grants nothing their token does not.
  app.post(SIGN_IN_LINKS_PATH, async (req) => {
    const { code, expiresAt } = codes.mint(principalOf(req));
    const host = req.headers.host ?? 'localhost';
    return {
      url: `${req.protocol}://${host}${signInLinkPath(code)}`,
      code,
      expires_at: expiresAt,
    };
  });

  app.post(SIGN_IN_EXCHANGE_PATH, async (req, reply) => {
    const body = req.body as { code?: unknown } | undefined;
    if (typeof body?.code !== 'string' || body.code === '') throw badRequest('Missing required field: code');
    const principal = codes.redeem(body.code);
    if (!principal)
      throw new ApiError(
        ErrorCode.UNAUTHENTICATED,
        'This sign-in link was already used or has expired: ask for a new one (`djobs ui`).'
      );
    const session = newToken();
    const expiresAt = Date.now() + SESSION_TTL_MS;
    opts.tokens.addExpiring(session, principal, expiresAt);
    void reply.header('cache-control', 'no-store');
    return { token: session, expires_at: expiresAt };
  });

  const tokenFile = opts.adminTokenFile;
  if (tokenFile)
    app.post(ADMIN_TOKEN_ROTATE_PATH, async (req) => {
      if (!principalOf(req).admin)
        throw new ApiError(ErrorCode.PERMISSION_DENIED, 'Only an admin can rotate the admin token.');
      const old = readAdminTokenFile(tokenFile);
      const token = newToken();
      writeAdminTokenFile(tokenFile, token);
      if (old) opts.tokens.remove(old);
      opts.tokens.add({ plain: token }, adminPrincipal());
      opts.tokens.removeExpiring();
      codes.clear();
      return { token };
    });
}

/** The admin token kept in `file`, if there is one. */
export function readAdminTokenFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Written readable by its owner only: it is an admin credential. */
export function writeAdminTokenFile(file: string, token: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
