// DurableJobsClient: the one door for service code (the CLI and the REST API too) into
// durable-jobs. It speaks Databricks shapes (Job, Run, RunOutput) and hides Temporal: a job is a
// Temporal Schedule whose action carries the job's settings (client/jobs.ts); a run is one `jobRun`
// workflow (client/run-starts.ts, run-reads.ts, run-control.ts, run-listing.ts); a run's output is read from its state and its log (client/run-output.ts);
// secret scopes and notification destinations are stores of their own (stores/). The Temporal
// client inside is not public: client/ modules reach it with `temporalClientOf`, which
// client/index.ts does not export.
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { JobAccess, Run, RunAsIdentity, RunState } from '../core';
import { NotificationDestinationStore } from '../stores/notification-destinations';
import { SecretScopes } from '../stores/secret-scopes';
import { Warehouses } from '../stores/warehouses';
import { ServicePrincipalRuleSets } from '../stores/service-principal-rule-sets';
import { WorkspaceAcls } from '../stores/workspace-acls';
import { ClientContext, type DurableJobsClientOptions } from './context';
import { TemporalUnavailableError } from './errors';
import {
  Jobs,
  type BundleJobListing,
  type CreateJobOptions,
  type Job,
  type ListJobsPageOptions,
  type StoredJob,
} from './jobs';
import { fileArrivalTriggerStateOf } from './job-triggers';
import { RunOutputs, type RunOutput } from './run-output';
import { RunControl } from './run-control';
import { RunListing, type ListRunsOptions } from './run-listing';
import { RunLookup } from './run-lookup';
import { RunReads } from './run-reads';
import { RunStarts, type RepairRunOptions, type StartRunOptions } from './run-starts';
import { checkTemporalSetup } from './temporal-setup';
import { temporalReadiness, type Readiness } from './readiness';
import { keyRingOf } from '../encryption/data-converter';
import { keyUsage, reencryptRecords, type KeyUse, type ReencryptReport } from './key-usage';

export type { DurableJobsClientOptions, TriggerTiming } from './context';
export type { BundleJobListing, CreateJobOptions, Job, ListJobsPageOptions } from './jobs';
export type { RunOutput } from './run-output';
export type { ListRunsOptions } from './run-listing';
export type { RepairRunOptions, StartRunOptions } from './run-starts';
export type { KeyUse, ReencryptReport } from './key-usage';

/** The Temporal client behind each DurableJobsClient (`temporalClientOf`). */
const temporalClients = new WeakMap<DurableJobsClient, Client>();

/**
 * The Temporal client behind a DurableJobsClient, for client/ modules (and tests that look at
 * what is stored in Temporal); not exported by client/index.ts, so api/ and cli/ cannot reach it.
 */
export function temporalClientOf(client: DurableJobsClient): Client {
  return temporalClients.get(client)!;
}

export class DurableJobsClient {
  readonly namespace: string;
  readonly taskQueue: string;
  /** Secret scopes (the Secrets API 2.0), kept in Temporal with their values sealed (stores/secret-scopes.ts). */
  readonly secretScopes: SecretScopes;
  /** Notification destinations, kept in Temporal with their secrets sealed (stores/notification-destinations.ts). */
  readonly notificationDestinations: NotificationDestinationStore;
  /** SQL warehouses' records: their owners and grants (stores/warehouses.ts). */
  readonly warehouses: Warehouses;
  /** Who holds roles/servicePrincipal.user and .manager on each service principal (stores/service-principal-rule-sets.ts). */
  readonly servicePrincipalRuleSets: ServicePrincipalRuleSets;
  /** Workspace object grants (the Permissions API of directories, notebooks and files; stores/workspace-acls.ts). */
  readonly workspaceAcls: WorkspaceAcls;
  private readonly temporal: Client;
  private readonly jobs: Jobs;
  private readonly starts: RunStarts;
  private readonly reads: RunReads;
  private readonly control: RunControl;
  private readonly listing: RunListing;
  private readonly outputs: RunOutputs;
  private readonly ctx: ClientContext;

  private constructor(temporal: Client, options: DurableJobsClientOptions) {
    this.temporal = temporal;
    temporalClients.set(this, temporal);
    this.secretScopes = SecretScopes.of(temporal);
    this.notificationDestinations = NotificationDestinationStore.of(temporal);
    this.warehouses = new Warehouses(temporal);
    this.servicePrincipalRuleSets = new ServicePrincipalRuleSets(temporal);
    this.workspaceAcls = WorkspaceAcls.of(temporal);
    const ctx = new ClientContext(temporal, options);
    this.ctx = ctx;
    this.namespace = ctx.namespace;
    this.taskQueue = ctx.taskQueue;
    this.jobs = new Jobs(ctx);
    const lookup = new RunLookup(ctx);
    this.reads = new RunReads(ctx, this.jobs, lookup);
    this.starts = new RunStarts(ctx, this.jobs, lookup, this.reads);
    this.control = new RunControl(ctx, lookup);
    this.listing = new RunListing(ctx, this.jobs);
    this.runPageUrl = (runId) => ctx.runPageUrl(runId);
    this.currentUser = () => ctx.defaultUser();
    this.jobPageUrl = (jobId) => ctx.jobPageUrl(jobId);
    this.temporalNamespaceUrl = () => ctx.namespaceUrl();
    this.outputs = new RunOutputs(
      (runId) => this.reads.getRunState(runId),
      (jobRunId, taskRunId) => this.reads.runningLogPath(jobRunId, taskRunId)
    );
  }

  /**
   * Connect to Temporal and check that the namespace is set up (it exists and has the search
   * attributes runs are indexed by): `TemporalNotSetUpError` otherwise, naming `djobs admin setup`.
   */
  static async connect(options: DurableJobsClientOptions = {}): Promise<DurableJobsClient> {
    const address = options.address ?? '127.0.0.1:7233';
    let connection: Connection;
    try {
      connection = await Connection.connect({
        address,
        connectTimeout: '5s',
        ...(options.tls ? { tls: options.tls } : {}),
      });
    } catch (err) {
      throw new TemporalUnavailableError(address, err);
    }
    const client = new Client({
      connection,
      namespace: options.namespace ?? 'default',
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    });
    try {
      await checkTemporalSetup(connection, options.namespace ?? 'default');
    } catch (err) {
      await connection.close();
      throw err;
    }
    return new DurableJobsClient(client, options);
  }

  /** Wrap an existing Temporal client (service code that already has one). */
  static fromClient(client: Client, options: DurableJobsClientOptions = {}): DurableJobsClient {
    return new DurableJobsClient(client, { ...options, namespace: client.options.namespace });
  }

  /** Per key id, the stored records and open workflows that still use it (`djobs admin keys`). */
  keyUsage(): Promise<KeyUse[]> {
    return keyUsage(this.ctx);
  }

  /** Stored records written again with the key ring's primary key (`djobs admin reencrypt`). */
  reencryptRecords(): Promise<ReencryptReport> {
    return reencryptRecords(this.ctx);
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /**
   * Whether this client can serve (the API's `GET /readyz`): Temporal answers, the namespace is
   * set up, and, when `expectKeyRing`, its data converter encrypts with a loaded key ring.
   */
  readiness(expectKeyRing: boolean): Promise<Readiness> {
    const ring = keyRingOf(this.temporal.options.loadedDataConverter);
    return temporalReadiness(this.temporal.connection, this.namespace, ring ?? (expectKeyRing ? undefined : 'off'));
  }

  /**
   * Payloads encoded as this client's data converter encodes them (encrypted when it encrypts):
   * Temporal's remote codec protocol (api/codec-server.ts).
   */
  async encodePayloads(payloads: Payload[]): Promise<Payload[]> {
    let out = payloads;
    for (const codec of this.temporal.options.loadedDataConverter.payloadCodecs) out = await codec.encode(out);
    return out;
  }

  /** Payloads decoded (decrypted) as this client's data converter decodes them. */
  async decodePayloads(payloads: Payload[]): Promise<Payload[]> {
    let out = payloads;
    for (const codec of [...this.temporal.options.loadedDataConverter.payloadCodecs].reverse())
      out = await codec.decode(out);
    return out;
  }

  /** Who this client acts as when a call names no one (the creator of the jobs it creates). */
  readonly currentUser: () => string;
  /** The run's page in the Temporal Web UI (Databricks `run_page_url`). */
  readonly runPageUrl: (runId: number) => string;
  /** The job's page: in the jobs web UI when this client knows it, else its schedule in the Temporal UI. */
  readonly jobPageUrl: (jobId: number) => string;
  /** The Temporal Web UI page of this client's namespace (the web UI links each run to it). */
  readonly temporalNamespaceUrl: () => string;

  // ---- jobs (client/jobs.ts)

  /** jobs/create: validates the settings, stores the job as a Temporal Schedule, returns its id. */
  createJob(settings: unknown, options: CreateJobOptions = {}): Promise<{ job_id: number }> {
    return this.jobs.createJob(settings, options);
  }
  /** jobs/get */
  getJob(jobId: number): Promise<Job> {
    return this.jobs.getJob(jobId);
  }
  /** jobs/get?include_trigger_state=true: `job` with its file-arrival trigger's `trigger_state`, when one watches. */
  async withTriggerState(job: Job): Promise<Job> {
    const state = await fileArrivalTriggerStateOf(this.ctx, job.job_id, job.settings);
    return state ? { ...job, trigger_state: state } : job;
  }
  /** A job with its access and the identity its runs act as (as recently read: `recentJob`). */
  describeJob(jobId: number): Promise<StoredJob> {
    return this.jobs.recentJob(jobId);
  }
  /** Who owns a job and who else may see, run or manage it (cached for `jobAccessCacheMs`). */
  getJobAccess(jobId: number): Promise<JobAccess> {
    return this.jobs.getJobAccess(jobId);
  }
  /** Store a job's new access (owner and grants); runs in flight keep the access they started with. */
  setJobAccess(jobId: number, access: JobAccess): Promise<void> {
    return this.jobs.setJobAccess(jobId, access);
  }
  /** jobs/list: every job, newest first. Listing is eventually consistent in Temporal. */
  listJobs(options: { name?: string; expandTasks?: boolean } = {}): Promise<Job[]> {
    return this.jobs.listJobs(options);
  }
  /**
   * jobs/list, one page of `limit` jobs (one Temporal round trip); `pageToken` continues from the
   * page before. `visibleTo`: only jobs whose owner or grants name one of these keywords
   * (`viewerKeywordsOf` a principal), filtered by the server.
   */
  listJobsPage(options: ListJobsPageOptions): Promise<{ jobs: Job[]; nextPageToken?: string }> {
    return this.jobs.listJobsPage(options);
  }
  /** Extension (bundles): the jobs of a bundle deployment (`deployment.metadata_file_path`), as Temporal's index has them. */
  listBundleJobs(metadataFilePath: string): Promise<BundleJobListing[]> {
    return this.jobs.listBundleJobs(metadataFilePath);
  }
  /** jobs/reset: replaces all settings. Runs already started keep the settings they started with. */
  resetJob(jobId: number, settings: unknown, options: { runAs?: RunAsIdentity } = {}): Promise<void> {
    return this.jobs.resetJob(jobId, settings, options);
  }
  /** jobs/delete: the job and its schedule go; runs in flight finish. */
  deleteJob(jobId: number): Promise<void> {
    return this.jobs.deleteJob(jobId);
  }
  /** The next times a job's schedule fires (empty when it has none or is paused). */
  nextScheduledRuns(jobId: number): Promise<Date[]> {
    return this.jobs.nextScheduledRuns(jobId);
  }

  // ---- runs (client/run-starts.ts, run-reads.ts, run-control.ts, run-listing.ts)

  /** jobs/run-now */
  runNow(jobId: number, options: StartRunOptions = {}): Promise<{ run_id: number }> {
    return this.starts.runNow(jobId, options);
  }
  /** Backfill: one run per fire time of the job's cron schedule in [from, to], oldest first. */
  backfillJob(
    jobId: number,
    options: { from: Date; to: Date; jobParameters?: Record<string, string>; user?: string }
  ): Promise<{ run_id: number; trigger_time: number }[]> {
    return this.starts.backfillJob(jobId, options);
  }
  /** runs/submit: a one-time run of settings that are not stored as a job. */
  submitRun(settings: unknown, options: StartRunOptions = {}): Promise<{ run_id: number }> {
    return this.starts.submitRun(settings, options);
  }
  /** runs/repair: run chosen tasks of a finished run again, inside the same run (same run_id). */
  repairRun(runId: number, options: RepairRunOptions): Promise<{ repair_id: number }> {
    return this.starts.repairRun(runId, options);
  }
  /** runs/get, in the Databricks `Run` shape. Accepts a job run id or a task run id. */
  getRun(runId: number): Promise<Run> {
    return this.reads.getRun(runId);
  }
  /** `getRun` for a caller who must first pass `check` on the run's access (it throws to refuse). */
  getRunIfAllowed(runId: number, check: (access: JobAccess | undefined) => void): Promise<Run> {
    return this.reads.getRunIfAllowed(runId, check);
  }
  /** The run's full state (attempt logs, task values): what `getRun` is derived from. */
  getRunState(runId: number): Promise<RunState> {
    return this.reads.getRunState(runId);
  }
  /** Who may see and manage a run: its job's current access, else the access it started with. */
  getRunAccess(runId: number): Promise<{ jobId?: number; access?: JobAccess }> {
    return this.reads.getRunAccess(runId);
  }
  /** Poll until the run is terminal; `onUpdate` sees every poll. */
  waitForRun(
    runId: number,
    options: { pollIntervalMs?: number; timeoutMs?: number; onUpdate?: (run: Run) => void } = {}
  ): Promise<Run> {
    return this.reads.waitForRun(runId, options);
  }
  /** Wait (at most `timeoutMs`) for a finished run's notification deliveries to end; false if they have not. */
  waitForNotifications(runId: number, options: { timeoutMs: number }): Promise<boolean> {
    return this.reads.waitForNotifications(runId, options);
  }
  /** runs/cancel: running task processes are killed; the run ends CANCELED. */
  cancelRun(runId: number): Promise<void> {
    return this.control.cancelRun(runId);
  }
  /** runs/delete: a finished run and its history go (every execution, repairs included). */
  deleteRun(runId: number): Promise<void> {
    return this.control.deleteRun(runId);
  }
  /** Extension: no new task starts until `resumeRun`; running tasks finish. */
  pauseRun(runId: number): Promise<void> {
    return this.control.pauseRun(runId);
  }
  /** Extension: start tasks again after `pauseRun`. */
  resumeRun(runId: number): Promise<void> {
    return this.control.resumeRun(runId);
  }
  /** runs/list from Temporal visibility (eventually consistent), newest first. */
  listRuns(options: ListRunsOptions = {}): Promise<Run[]> {
    return this.listing.listRuns(options);
  }

  // ---- run output (client/run-output.ts)

  /** runs/get-output for one task of a run: by task run id, or job run id plus task key. */
  getRunOutput(runId: number, taskKey?: string): Promise<RunOutput> {
    return this.outputs.getRunOutput(runId, taskKey);
  }
  /** runs/export: one HTML view per task of the run (or the one task of a task run id). */
  exportRun(runId: number): Promise<{ views: { name: string; type: 'NOTEBOOK'; content: string }[] }> {
    return this.outputs.exportRun(runId);
  }
}
