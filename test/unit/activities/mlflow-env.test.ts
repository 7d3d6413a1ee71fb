// What every task attempt gets for MLflow: the tracking server, an experiment per job and the
// run-context provider on PYTHONPATH; the worker's own environment wins.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultExperimentName, mlflowPluginDir, mlflowTaskEnv } from '../../../activities/mlflow-env';

describe('mlflowTaskEnv', () => {
  const job = { jobId: 42, jobName: 'Churn' };
  it('sets the tracking server, the job experiment and the tagging plugin', () => {
    expect(mlflowTaskEnv(job, {}, 'http://127.0.0.1:5000')).toEqual({
      PYTHONPATH: mlflowPluginDir(),
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000',
      MLFLOW_EXPERIMENT_NAME: '/djobs/Churn (job 42)',
    });
    expect(defaultExperimentName({ jobName: 'one-off' })).toBe('/djobs/one-off');
    // The plugin declares its entry point where importlib.metadata finds it.
    expect(
      fs.readFileSync(path.join(mlflowPluginDir(), 'djobs_mlflow_context-1.0.0.dist-info', 'entry_points.txt'), 'utf8')
    ).toContain('[mlflow.run_context_provider]\ndjobs = djobs_mlflow_context:DjobsRunContext');
  });
  it('keeps what the worker environment sets, and sets no server when none is known', () => {
    expect(
      mlflowTaskEnv(
        job,
        { PYTHONPATH: '/x', MLFLOW_TRACKING_URI: 'http://elsewhere', MLFLOW_EXPERIMENT_ID: '7' },
        'http://127.0.0.1:5000'
      )
    ).toEqual({ PYTHONPATH: `${mlflowPluginDir()}${path.delimiter}/x`, MLFLOW_TRACKING_URI: 'http://elsewhere' });
    expect(mlflowTaskEnv(job, { MLFLOW_EXPERIMENT_NAME: 'mine' }, undefined)).toEqual({
      PYTHONPATH: mlflowPluginDir(),
    });
  });
});
