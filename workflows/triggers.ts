// Triggers that are workflows: a file-arrival watcher and a continuous-job supervisor, one per job
// (djobs-watch-<job_id>, djobs-continuous-<job_id>). Each keeps its memory in its own durable
// state, so a killed worker or server neither loses nor repeats a trigger: a run's id is derived
// from the trigger's sequence number and its start is a command in history. Runs they start are
// ordinary job runs (through the job's slot gate), abandoned children that outlive the trigger.
import {
  ParentClosePolicy,
  condition,
  continueAsNew,
  executeChild,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  applyListingChange,
  continuousBackoffMs,
  markTriggered,
  newFileArrivalState,
  observeFiles,
  runIdFromString,
  runWorkflowId,
  type ArrivedFile,
  type FileArrivalState,
  type JobSettings,
  type RunState,
  type TriggerInfo,
  type TriggerType,
} from '../core';
import {
  configureTriggerSignal,
  getTriggerStateQuery,
  stopTriggerSignal,
  type ContinuousConfig,
  type FileArrivalConfig,
  type JobRunOptions,
  type PlanningActivities,
  type TriggerActivities,
} from './definitions';
import { jobRun } from './job-run';
import { DjobsJobId, DjobsJobName, DjobsRunId, DjobsTrigger, NOT_YET_ADMITTED } from './search-attributes';

/** patched() id of listings as changes since the watcher's last (absent from older histories). */
const LISTING_CHANGES_PATCH = 'file-arrival-listing-changes';

/** Loop iterations (polls or runs) per execution before continuing as new with the state. */
export const ITERATIONS_PER_EXECUTION = 200;

const { loadJobSettings } = proxyLocalActivities<PlanningActivities>({ startToCloseTimeout: '30s' });

type Started = { missing: true } | { runId: number; state?: RunState; failed?: boolean };

/** Start (and with `wait`, follow) one run of a job with its current settings. */
export async function startJobRun(
  jobId: number,
  key: string,
  trigger: TriggerType,
  options: JobRunOptions | undefined,
  extra: { triggerInfo?: TriggerInfo; wait: boolean }
): Promise<Started> {
  const loaded = await loadJobSettings(jobId);
  if ('missing' in loaded) return { missing: true };
  const settings = loaded.settings as JobSettings;
  const runId = runIdFromString(`${workflowInfo().workflowId}/${key}`);
  const name = settings.name ?? 'Untitled';
  const child = {
    workflowId: runWorkflowId(runId),
    taskQueue: workflowInfo().taskQueue,
    args: [
      {
        runId,
        jobId,
        runName: name,
        settings,
        trigger,
        ...(extra.triggerInfo ? { triggerInfo: extra.triggerInfo } : {}),
        runType: 'JOB_RUN' as const,
        ...(options ? { options } : {}),
      },
    ] as [Parameters<typeof jobRun>[0]],
    memo: { ...loaded.memo, ...NOT_YET_ADMITTED.memo },
    typedSearchAttributes: [
      { key: DjobsJobId, value: jobId },
      { key: DjobsRunId, value: runId },
      { key: DjobsJobName, value: name },
      { key: DjobsTrigger, value: trigger },
      NOT_YET_ADMITTED.searchAttribute,
    ],
    staticSummary: `${name} · run ${runId} of job ${jobId} · ${trigger.toLowerCase()}`,
    // The run outlives this trigger workflow (continue-as-new, pause, job reset).
    parentClosePolicy: ParentClosePolicy.ABANDON,
  };
  if (!extra.wait) {
    await startChild(jobRun, child);
    return { runId };
  }
  try {
    return { runId, state: await executeChild(jobRun, child) };
  } catch (err) {
    const details = (err as { cause?: { details?: unknown[] } }).cause?.details;
    return { runId, failed: true, ...(details?.[0] ? { state: details[0] as RunState } : {}) };
  }
}

// ---------------------------------------------------------------- file arrival

export interface FileArrivalInput {
  jobId: number;
  config: FileArrivalConfig;
  options?: JobRunOptions;
  state?: FileArrivalState;
}

export async function fileArrivalWatcher(input: FileArrivalInput): Promise<void> {
  let config = input.config;
  let stopped = false;
  let reconfigured = false;
  const state = input.state ?? newFileArrivalState();
  // The location's listing as last applied, and its digest: polls then carry only changes. Kept
  // in memory (rebuilt on replay from history), not in the state: a new execution lists afresh.
  let listing: ArrivedFile[] | undefined;
  let digest: string | undefined;
  setHandler(configureTriggerSignal, (c) => {
    const next = c as FileArrivalConfig;
    // A new location starts from what is there now, like a new trigger.
    if (next.url !== config.url) {
      Object.assign(state, newFileArrivalState());
      listing = digest = undefined;
    }
    config = next;
    reconfigured = true;
  });
  setHandler(stopTriggerSignal, () => {
    stopped = true;
  });
  setHandler(getTriggerStateQuery, () => ({ config, state }));
  const { listArrivedFiles, listArrivedFileChanges } = proxyActivities<TriggerActivities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1s', maximumInterval: '1 minute' },
  });
  // Watchers from before this recorded the whole listing on every poll.
  const listChanges = patched(LISTING_CHANGES_PATCH);
  const listFiles = async (): Promise<ArrivedFile[]> => {
    if (!listChanges) return listArrivedFiles(config.url);
    const url = config.url;
    const change = await listArrivedFileChanges({
      url,
      watcher: workflowInfo().workflowId,
      ...(digest !== undefined ? { since: digest } : {}),
    });
    if (url !== config.url) return listFiles(); // moved while listing: the new location counts
    if ('since' in change && change.since !== digest) {
      listing = digest = undefined; // cannot happen (the lister answers our own digest); list afresh
      return listFiles();
    }
    listing = applyListingChange(listing, digest, change);
    digest = change.digest;
    return listing;
  };

  for (let i = 0; i < ITERATIONS_PER_EXECUTION && !workflowInfo().continueAsNewSuggested; i++) {
    if (stopped) return;
    if (config.paused) {
      await condition(() => stopped || !config.paused);
      continue;
    }
    const files = await listFiles();
    const now = Date.now();
    const arrived = observeFiles(state, files, now, config);
    if (arrived.length > 0) {
      const started = await startJobRun(
        input.jobId,
        `file-arrival/${state.triggers + 1}`,
        'FILE_ARRIVAL',
        input.options,
        {
          triggerInfo: { file_arrival: { location: config.url, files: arrived } },
          wait: false,
        }
      );
      if ('missing' in started) return; // the job was deleted
      markTriggered(state, arrived, now);
    }
    reconfigured = false;
    await condition(() => stopped || reconfigured, config.pollMs);
  }
  await continueAsNew<typeof fileArrivalWatcher>({ ...input, config, state });
}

// ---------------------------------------------------------------- continuous

export interface ContinuousInput {
  jobId: number;
  config: ContinuousConfig;
  options?: JobRunOptions;
  state?: { runs: number; failures: number };
}

export async function continuousJob(input: ContinuousInput): Promise<void> {
  let config = input.config;
  let stopped = false;
  const state = input.state ?? { runs: 0, failures: 0 };
  setHandler(configureTriggerSignal, (c) => {
    config = c as ContinuousConfig;
  });
  setHandler(stopTriggerSignal, () => {
    stopped = true;
  });
  setHandler(getTriggerStateQuery, () => ({ config, state }));

  for (let i = 0; i < ITERATIONS_PER_EXECUTION && !workflowInfo().continueAsNewSuggested; i++) {
    if (stopped) return;
    if (config.paused) {
      await condition(() => stopped || !config.paused);
      continue;
    }
    state.runs++;
    const started = await startJobRun(input.jobId, `continuous/${state.runs}`, 'CONTINUOUS', input.options, {
      wait: true,
    });
    if ('missing' in started) return;
    // A failed, timed-out or skipped run (another run holds the job's slot) backs off; a run that
    // succeeded or was canceled by a user is followed at once.
    const result = started.state?.result;
    const backOff = started.failed ? result !== 'CANCELED' : result === 'MAXIMUM_CONCURRENT_RUNS_REACHED';
    state.failures = backOff ? state.failures + 1 : 0;
    const wait = continuousBackoffMs(config, state.failures);
    if (wait > 0) await condition(() => stopped, wait);
  }
  await continueAsNew<typeof continuousJob>({ ...input, config, state });
}
