// What the API does for clients of the Jobs API 2.0 (the legacy databricks-cli, old Airflow
// operators): single-task settings become one-task jobs on the way in and are shown in the 2.0
// shape on /api/2.0, and run-now's legacy per-task parameters are read and checked.
import type { Job } from '../client';
import {
  fromSingleTaskFormat,
  readLegacyTaskParameters,
  toSingleTaskRun,
  toSingleTaskSettings,
  type LegacyTaskParameters,
  type Run,
} from '../core';
import { badRequest } from './errors';
import type { Params } from './request-params';

/** Settings as a request gives them, with the 2.0 single-task format turned into a one-task job. */
export const multiTaskSettings = (settings: unknown): unknown => fromSingleTaskFormat(settings);

/** jobs/get and jobs/list: a single-task job in the 2.0 shape on /api/2.0. */
export function jobForVersion(job: Job, version: string): Job {
  return version === '2.0' ? ({ ...job, settings: toSingleTaskSettings(job.settings) } as unknown as Job) : job;
}

/** runs/get: a run of a single-task job in the 2.0 shape on /api/2.0. */
export function runForVersion(run: Run, version: string): Run {
  return version === '2.0' ? (toSingleTaskRun(run) as unknown as Run) : run;
}

/** run-now's legacy per-task parameters, or undefined when it has none; a 400 naming every bad one. */
export function legacyTaskParameters(p: Params): LegacyTaskParameters | undefined {
  const { parameters, problems } = readLegacyTaskParameters(p);
  if (problems.length > 0) throw badRequest(problems.join('; '));
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}
