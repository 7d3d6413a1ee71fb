/**
 * The task cannot run as specified (missing file, unsupported kind): never retried.
 * `terminationCode` is Databricks' code for why (core/run/termination.ts).
 */
export class TaskInvalidError extends Error {
  constructor(
    message: string,
    readonly terminationCode: 'RESOURCE_NOT_FOUND' | 'INVALID_RUN_CONFIGURATION' = 'INVALID_RUN_CONFIGURATION'
  ) {
    super(message);
    this.name = 'TaskInvalidError';
  }
}
