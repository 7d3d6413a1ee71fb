// The model trigger (Databricks `trigger.model`), one workflow per job (djobs-model-watch-<job_id>):
// polls the MLflow Model Registry and starts a run when a model is created, a version becomes
// READY or a watched alias is set. Like the file-arrival watcher it keeps what it has seen in its
// durable state and derives each run's id from its trigger count, so a killed worker or server
// neither loses nor repeats an update.
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import {
  markModelsTriggered,
  newModelTriggerState,
  observeModels,
  reconfiguredModelState,
  sameModelWatch,
} from '../core/model';
import type { ModelRegistryActivities, ModelTriggerConfig, ModelTriggerInput } from './definitions';
import { driveTrigger, triggerControls, waitToPoll } from './trigger-loop';
import { decidePatches } from './patches';
import { TRIGGER_RUN_PATCHES, startJobRun } from './trigger-runs';

export async function modelTriggerWatcher(input: ModelTriggerInput): Promise<void> {
  decidePatches(TRIGGER_RUN_PATCHES);
  let state = input.state ?? newModelTriggerState();
  const controls = triggerControls<ModelTriggerConfig>(
    input.config,
    () => state,
    (next, previous) => {
      state = reconfiguredModelState(state, previous, next);
    }
  );
  const { listRegisteredModels } = proxyActivities<ModelRegistryActivities>({
    startToCloseTimeout: '2 minutes',
    // An unreachable tracking server is retried (visible as the activity's last failure in the UI).
    retry: { initialInterval: '1s', maximumInterval: '1 minute' },
  });

  const goOn = await driveTrigger(controls, async (watched) => {
    const models = await listRegisteredModels(watched.scope);
    if (!sameModelWatch(controls.config, watched)) return 'next'; // reconfigured while reading: read the new scope
    const now = Date.now();
    const updates = observeModels(state, models, now, controls.config);
    if (updates.length > 0) {
      const started = await startJobRun(input.jobId, `model/${state.triggers + 1}`, 'MODEL', input.options, {
        triggerInfo: { model: { condition: controls.config.condition, updates } },
        wait: false,
      });
      if ('missing' in started) return 'job-deleted';
      markModelsTriggered(state, updates, now);
      // More updates than one run takes: the next batch goes at the next poll.
    }
    return waitToPoll(controls.config);
  });
  if (goOn) await continueAsNew<typeof modelTriggerWatcher>({ ...input, config: controls.config, state });
}
