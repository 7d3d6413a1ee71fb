// Workspace object permissions kept in Temporal, the system of record: one paused Schedule
// (`djobs-workspace-acls-grants`, stores/schedule-records.ts) whose record holds every object's direct
// grants by workspace path. Grants are few (folders and notebooks shared on purpose), so one record
// read whole per check is cheaper than a read per ancestor; the files themselves live on disk
// (workspace/tree.ts). Read by the Workspace and Permissions APIs and by the task activity.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { WorkspacePermission, type WorkspaceGrant, type WorkspaceGrants } from '../core';
import { ScheduleRecords } from './schedule-records';

const Grant = z.strictObject({
  user_name: z.string().optional(),
  group_name: z.string().optional(),
  service_principal_name: z.string().optional(),
  permission_level: z.enum(WorkspacePermission),
});
const GrantsRecord = z.object({ grants: z.record(z.string(), z.array(Grant)) });
type GrantsRecord = z.infer<typeof GrantsRecord>;

const RECORD = 'grants';

export class WorkspaceAcls {
  private readonly records: ScheduleRecords<GrantsRecord>;

  constructor(temporal: Client) {
    this.records = new ScheduleRecords(temporal, {
      prefix: 'djobs-workspace-acls-',
      workflowType: 'djobsWorkspaceAcls',
      taskQueue: 'djobs-workspace-acls-never-run',
      note: 'durable-jobs workspace permissions: a record, never runs',
      schema: GrantsRecord,
    });
  }

  static of(temporal: Client): WorkspaceAcls {
    return new WorkspaceAcls(temporal);
  }

  /** Every object's direct grants. */
  async grants(): Promise<WorkspaceGrants> {
    return (await this.records.read(RECORD))?.grants ?? {};
  }

  /** Replaces the direct grants of one object (none: its entry goes). */
  async setGrants(objectPath: string, grants: readonly WorkspaceGrant[]): Promise<void> {
    const edit = (r: GrantsRecord) => {
      if (grants.length > 0) r.grants[objectPath] = [...grants];
      else delete r.grants[objectPath];
    };
    if (await this.records.change(RECORD, edit)) return;
    const fresh: GrantsRecord = { grants: {} };
    edit(fresh);
    if (await this.records.create(RECORD, fresh)) return;
    await this.records.change(RECORD, edit); // created meanwhile by another request
  }

  /** Forgets the grants of an object and everything below it (it was deleted). */
  async forget(objectPath: string): Promise<void> {
    const below = `${objectPath.replace(/\/$/, '')}/`;
    const current = await this.grants();
    if (!Object.keys(current).some((p) => p === objectPath || p.startsWith(below))) return;
    await this.records.change(RECORD, (r) => {
      for (const p of Object.keys(r.grants)) if (p === objectPath || p.startsWith(below)) delete r.grants[p];
    });
  }
}
