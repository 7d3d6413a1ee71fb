// Triggers that are workflows: a file-arrival watcher and a continuous-job supervisor, one per job
// (djobs-watch-<job_id>, djobs-continuous-<job_id>). Each keeps its memory in its own durable
// state, so a killed worker or server neither loses nor repeats a trigger: a run's id is derived
// from the trigger's sequence number and its start is a command in history. Runs they start are
// ordinary job runs (through the job's slot gate), abandoned children that outlive the trigger.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  KnownListing,
  continuousBackoffMs,
  markTriggered,
  newFileArrivalState,
  observeFiles,
  watchesNewLocation,
  type ArrivedFile,
  type FileArrivalState,
} from '../core/model';
import type { ContinuousConfig, FileArrivalConfig, JobRunOptions, TriggerActivities } from './definitions';
import { driveTrigger, triggerControls, waitToPoll } from './trigger-loop';
import { TRIGGER_RUN_PATCHES, startJobRun } from './trigger-runs';
import { decidePatches, isPatched } from './patches';

/** patched() id of listings as changes since the watcher's last (absent from older histories). */
const LISTING_CHANGES_PATCH = 'file-arrival-listing-changes';

// ---------------------------------------------------------------- file arrival

export interface FileArrivalInput {
  jobId: number;
  config: FileArrivalConfig;
  options?: JobRunOptions;
  state?: FileArrivalState;
}

export async function fileArrivalWatcher(input: FileArrivalInput): Promise<void> {
  decidePatches([...TRIGGER_RUN_PATCHES, LISTING_CHANGES_PATCH]);
  const state = input.state ?? newFileArrivalState();
  // Polls carry only the changes since the listing held here.
  const known = new KnownListing();
  const controls = triggerControls<FileArrivalConfig>(
    input.config,
    () => state,
    (next, previous) => {
      if (!watchesNewLocation(previous, next)) return;
      Object.assign(state, newFileArrivalState());
      known.forget();
    }
  );
  const { listArrivedFiles, listArrivedFileChanges } = proxyActivities<TriggerActivities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1s', maximumInterval: '1 minute' },
  });
  // Watchers from before this recorded the whole listing on every poll.
  const listChanges = isPatched(LISTING_CHANGES_PATCH);
  const listFiles = async (): Promise<ArrivedFile[]> => {
    if (!listChanges) return listArrivedFiles(controls.config.url);
    const url = controls.config.url;
    const digest = known.digest;
    const change = await listArrivedFileChanges({
      url,
      watcher: workflowInfo().workflowId,
      ...(digest !== undefined ? { since: digest } : {}),
    });
    if (url !== controls.config.url) return listFiles(); // moved while listing: the new location counts
    return known.apply(change) ?? listFiles();
  };

  const goOn = await driveTrigger(controls, async () => {
    const files = await listFiles();
    const now = Date.now();
    const arrived = observeFiles(state, files, now, controls.config);
    if (arrived.length > 0) {
      const started = await startJobRun(
        input.jobId,
        `file-arrival/${state.triggers + 1}`,
        'FILE_ARRIVAL',
        input.options,
        {
          triggerInfo: { file_arrival: { location: controls.config.url, files: arrived } },
          wait: false,
        }
      );
      if ('missing' in started) return 'job-deleted';
      markTriggered(state, arrived, now);
    }
    return waitToPoll(controls.config);
  });
  if (goOn) await continueAsNew<typeof fileArrivalWatcher>({ ...input, config: controls.config, state });
}

// ---------------------------------------------------------------- continuous

export interface ContinuousInput {
  jobId: number;
  config: ContinuousConfig;
  options?: JobRunOptions;
  state?: { runs: number; failures: number };
}

export async function continuousJob(input: ContinuousInput): Promise<void> {
  decidePatches(TRIGGER_RUN_PATCHES);
  const state = input.state ?? { runs: 0, failures: 0 };
  const controls = triggerControls<ContinuousConfig>(input.config, () => state);
  const goOn = await driveTrigger(controls, async () => {
    state.runs++;
    const started = await startJobRun(input.jobId, `continuous/${state.runs}`, 'CONTINUOUS', input.options, {
      wait: true,
    });
    if ('missing' in started) return 'job-deleted';
    // A failed, timed-out or skipped run (another run holds the job's slot) backs off; a run that
    // succeeded or was canceled by a user is followed at once.
    const result = started.state?.result;
    const backOff = started.failed ? result !== 'CANCELED' : result === 'MAXIMUM_CONCURRENT_RUNS_REACHED';
    state.failures = backOff ? state.failures + 1 : 0;
    const wait = continuousBackoffMs(controls.config, state.failures);
    return wait > 0 ? { waitMs: wait, untilReconfigured: false } : 'next';
  });
  if (goOn) await continueAsNew<typeof continuousJob>({ ...input, config: controls.config, state });
}
