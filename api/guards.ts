// Permission checks of the Jobs API, judged before a route runs. Permission comes before
// existence, as on Databricks: a non-admin asking about a missing job or run gets 403, so ids
// cannot be probed; an admin gets the handler's 404.
import { ErrorCode, NotFoundError, type DurableJobsClient } from '../client';
import {
  accessControlListProblems,
  allows,
  effectiveLevel,
  type AccessControlEntry,
  type JobAccess,
  type PermissionLevel,
  type Principal,
} from '../core';
import { ApiError, badRequest } from './errors';
import type { Params } from './request-params';

/** What a route needs: any signed-in principal, or a level on the job or run its parameters name. */
export type Guard = { on: 'anyone' } | { on: 'job'; level: PermissionLevel } | { on: 'run'; level: PermissionLevel };

export const denied = (who: Principal, level: PermissionLevel, what: string) =>
  new ApiError(ErrorCode.PERMISSION_DENIED, `${who.name} does not have ${level} permission on ${what}.`);

/** Whether a principal holds `level` under `access` (undefined: a job or run it cannot know). */
export const holds = (who: Principal, access: JobAccess | undefined, level: PermissionLevel): boolean =>
  allows(effectiveLevel(who, access), level);

/** An access_control_list from a request body, checked (every problem, with its path). */
export function aclFrom(v: unknown, path = 'access_control_list'): AccessControlEntry[] {
  const problems = accessControlListProblems(v, path);
  if (problems.length > 0) throw badRequest(problems.join('; '));
  return (v as AccessControlEntry[] | undefined) ?? [];
}

/** Only admins may make a job run as someone else. */
export function checkRunAs(who: Principal, settings: Params | undefined): void {
  const runAs = settings?.run_as as Record<string, unknown> | undefined;
  if (!runAs || who.admin) return;
  const name = runAs.user_name ?? runAs.service_principal_name ?? runAs.group_name;
  const kindOk = who.kind === 'user' ? runAs.user_name !== undefined : runAs.service_principal_name !== undefined;
  if (name !== who.name || !kindOk)
    throw new ApiError(
      ErrorCode.PERMISSION_DENIED,
      `${who.name} cannot set run_as to ${String(name)}: only admins can.`
    );
}

/** The checks that read a job's or a run's access through the client. */
export class AccessGuards {
  constructor(private readonly client: DurableJobsClient) {}

  /** A job's access, or undefined when it does not exist (then only admins learn that). */
  async jobAccess(jobId: number): Promise<JobAccess | undefined> {
    try {
      return await this.client.getJobAccess(jobId);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async requireJob(who: Principal, jobId: number, level: PermissionLevel): Promise<void> {
    if (who.admin) return;
    if (!holds(who, await this.jobAccess(jobId), level)) throw denied(who, level, `job ${jobId}`);
  }

  async requireRun(who: Principal, runId: number, level: PermissionLevel): Promise<void> {
    if (who.admin) return;
    let access: JobAccess | undefined;
    try {
      access = (await this.client.getRunAccess(runId)).access;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (!holds(who, access, level)) throw denied(who, level, `run ${runId}`);
  }
}
