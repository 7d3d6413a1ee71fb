// Bearer tokens → principals. No token, no access. Principals come from a config file (users,
// service principals, their groups and tokens) plus the one admin token of `djobs api`/`djobs dev`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ADMINS_GROUP, type Principal } from '../core';
import { ErrorCode } from '../client/errors';
import { ApiError } from './errors';

export type { Principal };

/** token → principal; tokens are kept as SHA-256 digests. */
export class TokenMap {
  private readonly byDigest = new Map<string, Principal>();

  static sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

  add(token: { plain: string } | { sha256: string }, principal: Principal): void {
    const digest = 'plain' in token ? TokenMap.sha256(token.plain) : token.sha256.toLowerCase();
    const other = this.byDigest.get(digest);
    if (other && other.name !== principal.name)
      throw new Error(`The same token is configured for ${other.name} and ${principal.name}.`);
    this.byDigest.set(digest, principal);
  }

  lookup(token: string): Principal | undefined {
    // Looked up by digest: the secret itself is never compared byte by byte.
    return this.byDigest.get(TokenMap.sha256(token));
  }

  get size(): number {
    return this.byDigest.size;
  }
}

/** The built-in administrator behind DJOBS_API_TOKEN. */
export const adminPrincipal = (): Principal => ({ name: 'admin', kind: 'user', groups: [ADMINS_GROUP], admin: true });

const Tokens = {
  tokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([]),
  token_sha256: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits')).default([]),
  groups: z.array(z.string().min(1)).default([]),
};

/** The principals file (`djobs api --principals FILE` or DJOBS_API_PRINCIPALS), YAML or JSON. */
export const PrincipalsFile = z.strictObject({
  users: z.array(z.strictObject({ user_name: z.string().min(1), ...Tokens })).default([]),
  service_principals: z.array(z.strictObject({ service_principal_name: z.string().min(1), ...Tokens })).default([]),
});
export type PrincipalsFile = z.infer<typeof PrincipalsFile>;

/** Read a principals file into `tokens`; every problem is reported with its path. */
export function loadPrincipals(file: string, tokens: TokenMap): void {
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the principals file ${file}: ${(err as Error).message}`);
  }
  const parsed = PrincipalsFile.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid principals file ${file}:\n  ${problems.join('\n  ')}`);
  }
  const entries = [
    ...parsed.data.users.map((u) => ({ ...u, name: u.user_name, kind: 'user' as const })),
    ...parsed.data.service_principals.map((s) => ({
      ...s,
      name: s.service_principal_name,
      kind: 'service_principal' as const,
    })),
  ];
  for (const e of entries) {
    const principal: Principal = {
      name: e.name,
      kind: e.kind,
      groups: e.groups,
      admin: e.groups.includes(ADMINS_GROUP),
    };
    for (const t of e.tokens) tokens.add({ plain: t }, principal);
    for (const t of e.token_sha256) tokens.add({ sha256: t }, principal);
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
