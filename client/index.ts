/**
 * durable-jobs client: create Databricks-style jobs, start and follow runs, from service code.
 *
 * @example
 * ```ts
 * import { DurableJobsClient, loadJobSpecFile } from 'durable-jobs/client';
 *
 * const client = await DurableJobsClient.connect({ address: '127.0.0.1:7233' });
 * const { settings } = await loadJobSpecFile('examples/etl/job.json');
 * const { job_id } = await client.createJob(settings);
 * const { run_id } = await client.runNow(job_id, { jobParameters: { env: 'dev' } });
 * const run = await client.waitForRun(run_id);
 * console.log(run.state.result_state); // 'SUCCESS'
 * ```
 */
export { DurableJobsClient } from './jobs-client';
export type {
  DurableJobsClientOptions,
  Job,
  RunOutput,
  StartRunOptions,
  ListRunsOptions,
  RepairRunOptions,
  KeyUse,
  ReencryptReport,
} from './jobs-client';
export { loadJobSpecFile, resolveJobSpec, type LoadedSpec } from './spec-file';
export { fromChecks, temporalReadiness, type Readiness } from './readiness';
export {
  DEFAULT_RETENTION_DAYS,
  SETUP_COMMAND,
  TemporalNotSetUpError,
  checkTemporalSetup,
  setupNamespace,
  setupTemporal,
  type SetupReport,
} from './temporal-setup';
export { isSettledRunView, liveRunViewSource, type LiveRunViewSource } from './run-reads';
export { DEFAULT_POOL, getWorkerPool, listWorkerPools, type WorkerPool } from './worker-pools';
export type { SecretScopes } from '../stores/secret-scopes';
export type { NotificationDestinationStore } from '../stores/notification-destinations';
export type { Warehouses, WarehouseRecord } from '../stores/warehouses';
export type { ServicePrincipalRuleSets, RuleSetRecord } from '../stores/service-principal-rule-sets';
export type { WorkspaceAcls } from '../stores/workspace-acls';
export { djobsDataConverter } from '../encryption/data-converter';
export { parseKeyRing, type KeyRing } from '../encryption/key-ring';
export {
  DjobsError,
  ErrorCode,
  HTTP_STATUS,
  InvalidStateError,
  NotFoundError,
  SpecValidationError,
  TemporalUnavailableError,
  isTemporalUnreachable,
} from './errors';
export { UndecodableRecordError, readableOr } from './undecodable-records';
export type { JobSettings, Run, RunTask, RunState, Task } from '../core';
export { isRunTerminal } from '../core';
