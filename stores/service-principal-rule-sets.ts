// The rule sets of service principals (who holds roles/servicePrincipal.user and .manager on
// each: core/access/service-principal-roles.ts), kept in Temporal as paused schedules
// `djobs-service-principal-rule-set-<name>` (stores/schedule-records.ts), each with a version
// that read-modify-write checks (the API's etag). A service principal without a record has an
// empty rule set at version 0.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { DjobsError, ErrorCode } from '../core/errors';
import { ScheduleRecords, recordKind } from './schedule-records';

const RuleSetRecord = z.object({
  service_principal: z.string(),
  version: z.number().int().nonnegative(),
  grant_rules: z.array(z.object({ role: z.string(), principals: z.array(z.string()) })),
});
export type RuleSetRecord = z.infer<typeof RuleSetRecord>;

export class ServicePrincipalRuleSets {
  private readonly records: ScheduleRecords<RuleSetRecord>;

  constructor(temporal: Client) {
    this.records = new ScheduleRecords(temporal, recordKind('service principal rule set', RuleSetRecord));
  }

  /** The service principal's rule set (empty, version 0, when none was ever stored). */
  async read(servicePrincipal: string): Promise<RuleSetRecord> {
    return (
      (await this.records.read(servicePrincipal)) ?? {
        service_principal: servicePrincipal,
        version: 0,
        grant_rules: [],
      }
    );
  }

  /**
   * Replaces the grant rules of a rule set read at `version`; a rule set changed since is refused
   * (RESOURCE_CONFLICT), so that two read-modify-writes cannot lose one of them.
   */
  async replace(
    servicePrincipal: string,
    version: number,
    grantRules: RuleSetRecord['grant_rules']
  ): Promise<RuleSetRecord> {
    const conflict = (found: number) =>
      new DjobsError(
        ErrorCode.RESOURCE_CONFLICT,
        `The rule set of service principal ${servicePrincipal} changed since the etag given was read (version ${version}, now ${found}): read it again and retry.`
      );
    const changed = await this.records.change(servicePrincipal, (r) => {
      if (r.version !== version) throw conflict(r.version);
      r.version += 1;
      r.grant_rules = grantRules;
    });
    if (changed) return changed;
    if (version !== 0) throw conflict(0);
    const record = { service_principal: servicePrincipal, version: 1, grant_rules: grantRules };
    if (await this.records.create(servicePrincipal, record)) return record;
    // Another writer made the first version meanwhile.
    throw conflict(1);
  }
}
