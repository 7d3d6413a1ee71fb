// Databricks secret scopes stored in Temporal, the system of record (docs/security.md): one paused
// Schedule per scope (`djobs-secret-scope-<scope>`, never fires, stores/schedule-records.ts) whose
// action carries the scope's ACLs and its secrets. The record is a payload, so the payload codec
// encrypts it; every value is sealed once more on its own, so whoever may decode payloads (the
// codec server) still sees none. Read by the API and CLI, and by the task activity that resolves
// `{{secrets/…}}` references.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import {
  SecretPermission,
  scopeNameProblem,
  secretAllows,
  secretKeyProblem,
  secretPermissionOf,
  type Principal,
  type SecretAcl,
} from '../core';
import { DjobsError, ErrorCode } from '../core/errors';
import { openSecret, resealSecret, sealSecret, sealedSecretKeyId } from '../encryption/sealed-secret';
import { SealingRecordStore, recordKind, type SealedValues } from './schedule-records';

const ScopeRecord = z.object({
  scope: z.string(),
  acls: z.array(z.object({ principal: z.string(), permission: z.enum(SecretPermission) })),
  secrets: z.record(z.string(), z.object({ sealed: z.string(), last_updated_timestamp: z.number() })),
});
type ScopeRecord = z.infer<typeof ScopeRecord>;
const SCOPE_KIND = recordKind('secret scope', ScopeRecord);

/** A scope's secret values, each sealed with a key of the ring. */
export const SECRET_SCOPE_SEALS: SealedValues<ScopeRecord> = {
  kind: SCOPE_KIND,
  keyIds: (r) => Object.values(r.secrets).map((s) => sealedSecretKeyId(s.sealed)),
  reseal: (ring, r) => ({
    ...r,
    secrets: Object.fromEntries(
      Object.entries(r.secrets).map(([key, s]) => [key, { ...s, sealed: resealSecret(ring, r.scope, key, s.sealed) }])
    ),
  }),
};

/** Databricks: a secret value is at most 128 KiB. */
const MAX_SECRET_BYTES = 128 * 1024;

const missingScope = (scope: string) =>
  new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Scope ${scope} does not exist!`);
const invalid = (message: string) => new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, message);

export class SecretScopes extends SealingRecordStore<ScopeRecord> {
  constructor(temporal: Client) {
    super(temporal, SCOPE_KIND, 'Secrets need payload encryption: DJOBS_ENCRYPTION is off.');
  }

  /** secrets/scopes/create: the creator MANAGEs the scope; `users` too with initial_manage_principal. */
  async createScope(scope: string, creator: string, initialManagePrincipal?: string): Promise<void> {
    const problem = scopeNameProblem(scope);
    if (problem) throw invalid(problem);
    if (initialManagePrincipal !== undefined && initialManagePrincipal !== 'users')
      throw invalid('initial_manage_principal must be "users" when given.');
    this.requireRing();
    const acls: SecretAcl[] = [{ principal: creator, permission: SecretPermission.MANAGE }];
    if (initialManagePrincipal) acls.push({ principal: 'users', permission: SecretPermission.MANAGE });
    if (!(await this.records.create(scope, { scope, acls, secrets: {} })))
      throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `Scope ${scope} already exists!`);
  }

  async deleteScope(scope: string): Promise<void> {
    await this.read(scope);
    if (!(await this.records.delete(scope))) throw missingScope(scope);
  }

  async listScopes(): Promise<{ name: string; backend_type: 'DATABRICKS' }[]> {
    return (await this.records.names()).map((name) => ({ name, backend_type: 'DATABRICKS' as const }));
  }

  async putSecret(scope: string, key: string, value: Buffer): Promise<void> {
    const problem = secretKeyProblem(key);
    if (problem) throw invalid(problem);
    if (value.length > MAX_SECRET_BYTES)
      throw invalid(`Secret value is ${value.length} bytes; the limit is ${MAX_SECRET_BYTES} bytes (128 KiB).`);
    const ring = this.requireRing();
    await this.change(scope, (r) => {
      r.secrets[key] = { sealed: sealSecret(ring, scope, key, value), last_updated_timestamp: Date.now() };
    });
  }

  async deleteSecret(scope: string, key: string): Promise<void> {
    await this.change(scope, (r) => {
      if (!r.secrets[key])
        throw new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Secret ${key} does not exist in scope ${scope}!`);
      delete r.secrets[key];
    });
  }

  /** Keys and update times only: values never leave through the API. */
  async listSecrets(scope: string): Promise<{ key: string; last_updated_timestamp: number }[]> {
    const r = await this.read(scope);
    return Object.entries(r.secrets)
      .map(([key, s]) => ({ key, last_updated_timestamp: s.last_updated_timestamp }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async putAcl(scope: string, principal: string, permission: SecretPermission): Promise<void> {
    await this.change(scope, (r) => {
      r.acls = [...r.acls.filter((a) => a.principal !== principal), { principal, permission }];
    });
  }

  async deleteAcl(scope: string, principal: string): Promise<void> {
    await this.change(scope, (r) => {
      if (!r.acls.some((a) => a.principal === principal))
        throw new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `No ACL for ${principal} on scope ${scope}.`);
      r.acls = r.acls.filter((a) => a.principal !== principal);
    });
  }

  async listAcls(scope: string): Promise<SecretAcl[]> {
    return (await this.read(scope)).acls;
  }

  async getAcl(scope: string, principal: string): Promise<SecretAcl> {
    const acl = (await this.listAcls(scope)).find((a) => a.principal === principal);
    if (!acl) throw new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `No ACL for ${principal} on scope ${scope}.`);
    return acl;
  }

  /** What `who` may do on a scope (undefined: nothing). */
  async permissionOf(scope: string, who: Principal): Promise<SecretPermission | undefined> {
    return secretPermissionOf((await this.read(scope)).acls, who);
  }

  /** The value of a secret for a task running as `who`, who must hold READ on the scope. */
  async readValue(scope: string, key: string, who: Principal): Promise<string> {
    const r = await this.read(scope);
    if (!secretAllows(secretPermissionOf(r.acls, who), SecretPermission.READ))
      throw new DjobsError(
        ErrorCode.PERMISSION_DENIED,
        `${who.name} does not have READ permission on secret scope ${scope}.`
      );
    const s = r.secrets[key];
    if (!s) throw new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Secret ${key} does not exist in scope ${scope}!`);
    return openSecret(this.requireRing(), scope, key, s.sealed).toString('utf8');
  }

  /** Every secret `who` may READ, scope → key → value (for dbutils.secrets in a task). */
  async readableValues(who: Principal): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const { name } of await this.listScopes()) {
      const r = await this.read(name).catch(() => undefined);
      if (!r || !secretAllows(secretPermissionOf(r.acls, who), SecretPermission.READ)) continue;
      out[name] = Object.fromEntries(
        Object.entries(r.secrets).map(([key, s]) => [
          key,
          openSecret(this.requireRing(), name, key, s.sealed).toString('utf8'),
        ])
      );
    }
    return out;
  }

  private async read(scope: string): Promise<ScopeRecord> {
    if (scopeNameProblem(scope)) throw missingScope(scope);
    const record = await this.records.read(scope);
    if (!record) throw missingScope(scope);
    return record;
  }

  private async change(scope: string, edit: (r: ScopeRecord) => void): Promise<void> {
    if (scopeNameProblem(scope)) throw missingScope(scope);
    if (!(await this.records.change(scope, edit))) throw missingScope(scope);
  }
}
