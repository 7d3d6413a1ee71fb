// The model trigger's side effect: reading the MLflow Model Registry of the worker's tracking
// server (MLFLOW_TRACKING_URI, else the server `djobs dev` started).
import { ApplicationFailure } from '@temporalio/common';
import { registeredModels } from '../mlflow/rest-api';
import type { ModelRegistryActivities } from '../workflows/definitions';

export function createModelRegistryActivities(deps: { mlflowTrackingUri?: string }): ModelRegistryActivities {
  return {
    async listRegisteredModels(scope: string) {
      const uri = process.env.MLFLOW_TRACKING_URI || deps.mlflowTrackingUri;
      if (!uri)
        throw ApplicationFailure.retryable(
          'No MLflow tracking server: set MLFLOW_TRACKING_URI for the workers (or run `djobs dev` with MLflow).',
          'MlflowNotConfigured'
        );
      return registeredModels(uri, scope);
    },
  };
}
