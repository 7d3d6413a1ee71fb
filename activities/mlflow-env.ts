// What every task attempt gets so MLflow calls in it land in the right place with the right tags:
// the tracking server, an experiment per job, and on PYTHONPATH the run-context provider
// (runtime/python/mlflow_plugin) that tags each MLflow run with the job run, task run, task key
// and attempt it came from. What the worker's own environment sets wins over these defaults.
import path from 'node:path';
import { ensureExperiment } from '../mlflow/rest-api';
import { runtimeDir } from './commands';

export const mlflowPluginDir = (): string => path.join(runtimeDir(), 'python', 'mlflow_plugin');

/** The default experiment of a job's runs: one per job (one-time runs: one per run name). */
export function defaultExperimentName(job: { jobId?: number; jobName: string }): string {
  return job.jobId !== undefined ? `/djobs/${job.jobName} (job ${job.jobId})` : `/djobs/${job.jobName}`;
}

export function mlflowTaskEnv(
  job: { jobId?: number; jobName: string },
  base: NodeJS.ProcessEnv,
  trackingUri: string | undefined
): Record<string, string> {
  const env: Record<string, string> = {
    PYTHONPATH: [mlflowPluginDir(), base.PYTHONPATH].filter(Boolean).join(path.delimiter),
  };
  const uri = base.MLFLOW_TRACKING_URI || trackingUri;
  if (uri) env.MLFLOW_TRACKING_URI = uri;
  if (!base.MLFLOW_EXPERIMENT_NAME && !base.MLFLOW_EXPERIMENT_ID)
    env.MLFLOW_EXPERIMENT_NAME = defaultExperimentName(job);
  return env;
}

const ensured = new Set<string>();

/**
 * Create the task's experiment before the task starts (once per worker and experiment): parallel
 * tasks of a new job would otherwise race to create it. Best effort: an unreachable server is the
 * task's to report, with MLflow's own retries and message.
 */
export async function prepareExperiment(env: Record<string, string | undefined>): Promise<void> {
  const uri = env.MLFLOW_TRACKING_URI;
  const name = env.MLFLOW_EXPERIMENT_NAME;
  if (!uri || !name || ensured.has(`${uri}\n${name}`)) return;
  try {
    await ensureExperiment(uri, name);
    ensured.add(`${uri}\n${name}`);
  } catch {
    // left to the task
  }
}
