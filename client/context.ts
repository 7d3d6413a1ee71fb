// What the client's parts (jobs.ts, the run-*.ts verb groups, run-output.ts) share: the
// Temporal client, the options the facade was made with, and the few facts derived from them.
import { userInfo } from 'node:os';
import type { Client, TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import {
  canonicalJson,
  jobScheduleId,
  runPageUrl,
  runWorkflowId,
  validateJobSettings,
  type JobSettings,
  type RunAsIdentity,
  type TriggerTiming,
} from '../core';
import { keyRingOf } from '../encryption/data-converter';
import { sealIdentity } from '../encryption/sealed-identity';
import type { JobRunOptions } from '../workflows/definitions';
import { SpecValidationError } from './errors';

export interface DurableJobsClientOptions {
  /** Temporal frontend, host:port. @default '127.0.0.1:7233' */
  address?: string;
  /** @default 'default' */
  namespace?: string;
  /** Task queue of the job-run workflows (what `djobs worker` serves). @default 'djobs' */
  taskQueue?: string;
  /** Base URL of the Temporal Web UI (its run pages are `run_page_url` without a web UI). @default 'http://localhost:8233' */
  uiUrl?: string;
  /**
   * Base URL of the durable-jobs web UI (`djobs api`/`djobs dev` serve it at `/`): `run_page_url`
   * is its run page, `<webUiUrl>/#/runs/<run_id>`, and each run's details in the Temporal UI link
   * to it. Unset: `run_page_url` is the run's Temporal UI page.
   */
  webUiUrl?: string;
  /** Options applied to every run this client starts (parallelism, heartbeat timeout). */
  runOptions?: JobRunOptions;
  /** Who creates jobs and runs (Databricks `creator_user_name`). */
  user?: string;
  /** Timing of triggers (file arrival, continuous, periodic). */
  triggers?: Partial<TriggerTiming>;
  /**
   * How long a job (settings, owner and grants), read for a permission check or a run-now, is
   * reused. Changes made through this client take effect at once; changes made by another process
   * (a second API replica) are seen within this time. 0 reads it on every use. @default 1000
   */
  jobAccessCacheMs?: number;
  /**
   * How many runs' last-read states are kept (least recently used go first). A state is reused only
   * while its workflow execution and history length are unchanged, so it is never stale; 0 reads
   * every run afresh. @default 1000
   */
  runCacheEntries?: number;
  /** Payload codec and failure converter (`djobsDataConverter`); default: plain payloads. */
  dataConverter?: DataConverter;
  /** TLS or mTLS to the Temporal frontend (`temporalTls`). */
  tls?: TLSConfig;
}

export type { TriggerTiming } from '../core';

const DEFAULT_TRIGGER_TIMING: TriggerTiming = {
  timeScale: 1,
  fileArrivalPollSeconds: 10,
  continuousBackoffSeconds: 10,
  continuousBackoffMaxSeconds: 600,
  modelPollSeconds: 60,
};

export class ClientContext {
  readonly namespace: string;
  readonly taskQueue: string;
  readonly uiUrl: string;

  constructor(
    readonly temporal: Client,
    readonly options: DurableJobsClientOptions
  ) {
    this.namespace = options.namespace ?? 'default';
    this.taskQueue = options.taskQueue ?? 'djobs';
    this.uiUrl = (options.uiUrl ?? 'http://localhost:8233').replace(/\/$/, '');
  }

  get triggerTiming(): TriggerTiming {
    return { ...DEFAULT_TRIGGER_TIMING, ...this.options.triggers };
  }

  /** Options every run this client starts carries, when any were given. */
  get runOptions(): { options?: JobRunOptions } {
    return this.options.runOptions ? { options: this.options.runOptions } : {};
  }

  defaultUser(): string {
    return this.options.user ?? userInfo().username;
  }

  /**
   * The identity a run of these settings acts as, sealed with this client's key ring (a plain
   * claim when it does not encrypt): the worker runs nothing whose identity it cannot open.
   */
  sealIdentity(runAs: RunAsIdentity, settings: JobSettings): string {
    return sealIdentity(keyRingOf(this.temporal.options.loadedDataConverter), runAs, canonicalJson(settings));
  }

  /** The Temporal Web UI page of this client's namespace. */
  namespaceUrl(): string {
    return `${this.uiUrl}/namespaces/${encodeURIComponent(this.namespace)}`;
  }

  /**
   * The run's page (with `taskKey`, that task's pane of it): in the jobs web UI when this client
   * knows it, else in the Temporal UI.
   */
  runPageUrl(runId: number, taskKey?: string): string {
    return runPageUrl(
      {
        temporalUiUrl: this.uiUrl,
        namespace: this.namespace,
        ...(this.options.webUiUrl ? { webUiUrl: this.options.webUiUrl } : {}),
      },
      runId,
      taskKey
    );
  }

  /** The job's page: in the jobs web UI when this client knows it, else its schedule in the Temporal UI. */
  jobPageUrl(jobId: number): string {
    const web = this.options.webUiUrl?.replace(/\/$/, '');
    return web ? `${web}/#/jobs/${jobId}` : `${this.namespaceUrl()}/schedules/${jobScheduleId(jobId)}`;
  }

  /** The run's workflow page in the Temporal Web UI. */
  temporalRunUrl(runId: number): string {
    return `${this.namespaceUrl()}/workflows/${runWorkflowId(runId)}`;
  }

  /** A line for the run's details in the Temporal UI linking back to its web UI page, if known. */
  webUiLink(runId: number): string {
    return this.options.webUiUrl ? `\n\n[Open run ${runId} in durable-jobs](${this.runPageUrl(runId)})` : '';
  }

  validate(settings: unknown): JobSettings {
    const result = validateJobSettings(settings);
    if (!result.ok) throw new SpecValidationError(result.errors);
    return result.settings;
  }
}
