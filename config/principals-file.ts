// The principals file (`djobs api --principals FILE` or DJOBS_API_PRINCIPALS, YAML or JSON): users
// and service principals, their groups and tokens. The API reads it for tokens; the task activity
// reads it for the groups of the principal a run runs as, when it checks a secret's READ.
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ADMINS_GROUP, type Principal } from '../core';

const Tokens = {
  tokens: z.array(z.string().min(16, 'tokens must be at least 16 characters')).default([]),
  token_sha256: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits')).default([]),
  groups: z.array(z.string().min(1)).default([]),
};

export const PrincipalsFile = z.strictObject({
  users: z.array(z.strictObject({ user_name: z.string().min(1), ...Tokens })).default([]),
  service_principals: z
    .array(
      z.strictObject({
        service_principal_name: z.string().min(1),
        ...Tokens,
        /**
         * Users, service principals and groups holding Databricks' `servicePrincipal/user` role on
         * it: they may name it in a job's run_as.
         */
        service_principal_users: z.array(z.string().min(1)).default([]),
      })
    )
    .default([]),
});
export type PrincipalsFile = z.infer<typeof PrincipalsFile>;

/** One principal of the file with the tokens that authenticate it (plain, or as SHA-256 digests). */
export interface ConfiguredPrincipal {
  principal: Principal;
  tokens: string[];
  tokenSha256: string[];
  /** A service principal's `servicePrincipal/user` holders (names of principals or groups). */
  servicePrincipalUsers: string[];
}

/** Read a principals file; every problem is reported with its path. */
export function readPrincipalsFile(file: string): ConfiguredPrincipal[] {
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
  return entries.map((e) => ({
    principal: { name: e.name, kind: e.kind, groups: e.groups, admin: e.groups.includes(ADMINS_GROUP) },
    tokens: e.tokens,
    tokenSha256: e.token_sha256,
    servicePrincipalUsers: 'service_principal_users' in e ? e.service_principal_users : [],
  }));
}
