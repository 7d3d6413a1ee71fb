// The model trigger (Databricks `trigger.model`), one workflow per job (djobs-model-watch-<job_id>):
// polls the MLflow Model Registry and starts a run when a model is created, a version becomes
// READY or a watched alias is set. Like the file-arrival watcher it keeps what it has seen in its
// durable state and derives each run's id from its trigger count, so a killed worker or server
// neither loses nor repeats an update.
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { markModelsTriggered, newModelTriggerState, observeModels } from '../core';
import {
  configureTriggerSignal,
  getTriggerStateQuery,
  stopTriggerSignal,
  type ModelRegistryActivities,
  type ModelTriggerConfig,
  type ModelTriggerInput,
} from './definitions';
import { ITERATIONS_PER_EXECUTION, startJobRun } from './triggers';

/** What is watched: a change of it starts from what the registry holds then, like a new trigger. */
const watchKey = (c: ModelTriggerConfig) => JSON.stringify([c.scope, c.condition, [...c.aliases].sort()]);

export async function modelTriggerWatcher(input: ModelTriggerInput): Promise<void> {
  let config = input.config;
  let stopped = false;
  let reconfigured = false;
  let state = input.state ?? newModelTriggerState();
  setHandler(configureTriggerSignal, (c) => {
    const next = c as ModelTriggerConfig;
    if (watchKey(next) !== watchKey(config)) state = { ...newModelTriggerState(), triggers: state.triggers };
    config = next;
    reconfigured = true;
  });
  setHandler(stopTriggerSignal, () => {
    stopped = true;
  });
  setHandler(getTriggerStateQuery, () => ({ config, state }));
  const { listRegisteredModels } = proxyActivities<ModelRegistryActivities>({
    startToCloseTimeout: '2 minutes',
    // An unreachable tracking server is retried (visible as the activity's last failure in the UI).
    retry: { initialInterval: '1s', maximumInterval: '1 minute' },
  });

  for (let i = 0; i < ITERATIONS_PER_EXECUTION && !workflowInfo().continueAsNewSuggested; i++) {
    if (stopped) return;
    if (config.paused) {
      await condition(() => stopped || !config.paused);
      continue;
    }
    const watched = watchKey(config);
    const models = await listRegisteredModels(config.scope);
    if (watchKey(config) !== watched) continue; // reconfigured while reading: read the new scope
    const now = Date.now();
    const updates = observeModels(state, models, now, config);
    if (updates.length > 0) {
      const started = await startJobRun(input.jobId, `model/${state.triggers + 1}`, 'MODEL', input.options, {
        triggerInfo: { model: { condition: config.condition, updates } },
        wait: false,
      });
      if ('missing' in started) return; // the job was deleted
      markModelsTriggered(state, updates, now);
      // More updates than one run takes: the next batch goes at the next poll.
    }
    reconfigured = false;
    await condition(() => stopped || reconfigured, config.pollMs);
  }
  await continueAsNew<typeof modelTriggerWatcher>({ ...input, config, state });
}
