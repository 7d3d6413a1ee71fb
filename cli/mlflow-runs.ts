// The "MLflow runs" section of `djobs jobs get-run`: the MLflow runs the run's tasks produced,
// found in MLflow by their djobs.job_run_id tag (Temporal stays the record of the run itself).
import { mlflowRunsOfJobRun } from '../mlflow/rest-api';
import { table } from './render';

export async function mlflowRunsSection(trackingUri: string, jobRunId: number): Promise<string> {
  let runs;
  try {
    runs = await mlflowRunsOfJobRun(trackingUri, jobRunId);
  } catch (err) {
    return `MLflow runs: cannot read ${trackingUri}: ${(err as Error).message}\n`;
  }
  if (runs.length === 0) return '';
  const rows = runs.map((r) => [
    r.task_key,
    String(r.attempt_number),
    r.run_name,
    Object.entries(r.metrics)
      .map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`)
      .join(' '),
    r.url,
  ]);
  return `\nMLflow runs:\n${table(['TASK', 'ATTEMPT', 'MLFLOW RUN', 'METRICS', 'LINK'], rows)}\n`;
}
