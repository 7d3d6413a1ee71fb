// Databricks secret scope ACLs (Secrets API 2.0): READ < WRITE < MANAGE, granted to users, service
// principals or groups (`users` is everyone). Pure: names and validation; storage is stores/secret-scopes.ts.
import { ALL_USERS_GROUP, type Principal } from './permissions';

export const SecretPermission = { READ: 'READ', WRITE: 'WRITE', MANAGE: 'MANAGE' } as const;
export type SecretPermission = (typeof SecretPermission)[keyof typeof SecretPermission];

export interface SecretAcl {
  principal: string;
  permission: SecretPermission;
}

const RANK: Record<SecretPermission, number> = { READ: 1, WRITE: 2, MANAGE: 3 };

export const isSecretPermission = (v: unknown): v is SecretPermission =>
  typeof v === 'string' && Object.hasOwn(SecretPermission, v);

/** The strongest permission the principal holds on a scope; admins MANAGE every scope. */
export function secretPermissionOf(acls: readonly SecretAcl[], who: Principal): SecretPermission | undefined {
  if (who.admin) return SecretPermission.MANAGE;
  let best: SecretPermission | undefined;
  for (const acl of acls) {
    const applies =
      acl.principal === who.name || acl.principal === ALL_USERS_GROUP || who.groups.includes(acl.principal);
    if (applies && (!best || RANK[acl.permission] > RANK[best])) best = acl.permission;
  }
  return best;
}

export const secretAllows = (held: SecretPermission | undefined, needed: SecretPermission): boolean =>
  held !== undefined && RANK[held] >= RANK[needed];

/** Databricks: scope names are letters, digits, '-', '_', '.', '@', at most 128 characters. */
export function scopeNameProblem(scope: unknown): string | undefined {
  if (typeof scope !== 'string' || !/^[A-Za-z0-9_.@-]{1,128}$/.test(scope))
    return `Invalid scope name ${JSON.stringify(scope)}: expected 1-128 letters, digits, '-', '_', '.' or '@'.`;
  return undefined;
}

/** Databricks: keys are letters, digits, '-', '_', '.', at most 128 characters. */
export function secretKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(key))
    return `Invalid secret key ${JSON.stringify(key)}: expected 1-128 letters, digits, '-', '_' or '.'.`;
  return undefined;
}

/** `{{secrets/<scope>/<key>}}`, as Databricks writes secret references in parameters and env. */
export const SECRET_REFERENCE = /\{\{\s*secrets\/([A-Za-z0-9_.@-]{1,128})\/([A-Za-z0-9_.-]{1,128})\s*\}\}/g;

/** Databricks shows this in place of a secret value in logs and output. */
export const REDACTED = '[REDACTED]';

/** Replaces every occurrence of every value (longest first, so no value is half-redacted). */
export function redact(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...values].filter((x) => x.length > 0).sort((a, b) => b.length - a.length))
    out = out.split(v).join(REDACTED);
  return out;
}
