// Databricks secret scopes stored in Temporal, the system of record (docs/security.md): one paused
// Schedule per scope (`djobs-secret-scope-<scope>`, never fires) whose action carries the scope's
// ACLs and its secrets. The record is a payload, so the payload codec encrypts it; every value is
// sealed once more on its own, so whoever may decode payloads (the codec server) still sees none.
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import {
  SecretPermission,
  scopeNameProblem,
  secretAllows,
  secretKeyProblem,
  secretPermissionOf,
  type Principal,
  type SecretAcl,
} from '../core';
import { keyRingOf } from '../encryption/data-converter';
import type { KeyRing } from '../encryption/key-ring';
import { openSecret, sealSecret } from '../encryption/sealed-secret';
import { DjobsError, ErrorCode } from './errors';

interface ScopeRecord {
  scope: string;
  acls: SecretAcl[];
  secrets: Record<string, { sealed: string; last_updated_timestamp: number }>;
}

const SCOPE_PREFIX = 'djobs-secret-scope-';
/** Databricks: a secret value is at most 128 KiB. */
const MAX_SECRET_BYTES = 128 * 1024;

const scopeId = (scope: string) => `${SCOPE_PREFIX}${scope}`;
const missingScope = (scope: string) =>
  new DjobsError(ErrorCode.RESOURCE_DOES_NOT_EXIST, `Scope ${scope} does not exist!`);
const invalid = (message: string) => new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, message);

export class SecretsClient {
  /** Writes of this process, one at a time: each rewrites its scope's record. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly temporal: Client,
    private readonly ring: KeyRing | undefined
  ) {}

  /** Secrets over a Temporal client, with the key ring of its payload codec. */
  static of(temporal: Client): SecretsClient {
    return new SecretsClient(temporal, keyRingOf(temporal.options.loadedDataConverter));
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
    try {
      await this.temporal.schedule.create({
        scheduleId: scopeId(scope),
        spec: {},
        action: {
          type: 'startWorkflow',
          workflowType: 'djobsSecretScope',
          taskQueue: 'djobs-secret-scopes-never-run',
          args: [{ scope, acls, secrets: {} } satisfies ScopeRecord],
        },
        state: { paused: true, note: 'durable-jobs secret scope: a record, never runs' },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning)
        throw new DjobsError(ErrorCode.RESOURCE_ALREADY_EXISTS, `Scope ${scope} already exists!`);
      throw err;
    }
  }

  async deleteScope(scope: string): Promise<void> {
    await this.read(scope);
    await this.temporal.schedule.getHandle(scopeId(scope)).delete();
  }

  async listScopes(): Promise<{ name: string; backend_type: 'DATABRICKS' }[]> {
    const out: { name: string; backend_type: 'DATABRICKS' }[] = [];
    for await (const s of this.temporal.schedule.list())
      if (s.scheduleId.startsWith(SCOPE_PREFIX))
        out.push({ name: s.scheduleId.slice(SCOPE_PREFIX.length), backend_type: 'DATABRICKS' });
    return out.sort((a, b) => a.name.localeCompare(b.name));
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

  private requireRing(): KeyRing {
    if (!this.ring)
      throw new DjobsError(ErrorCode.INVALID_STATE, 'Secrets need payload encryption: DJOBS_ENCRYPTION is off.');
    return this.ring;
  }

  private async read(scope: string): Promise<ScopeRecord> {
    if (scopeNameProblem(scope)) throw missingScope(scope);
    try {
      const d = await this.temporal.schedule.getHandle(scopeId(scope)).describe();
      return d.action.type === 'startWorkflow' ? (d.action.args?.[0] as ScopeRecord) : { scope, acls: [], secrets: {} };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw missingScope(scope);
      throw err;
    }
  }

  /** Read-modify-write of a scope's record; this process's writes are serialized. */
  private change(scope: string, edit: (r: ScopeRecord) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const record = await this.read(scope);
      edit(record);
      await this.temporal.schedule.getHandle(scopeId(scope)).update((prev) => ({
        ...prev,
        action: { ...prev.action, args: [record] },
      }));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
