/** The task cannot run as specified (missing file, unsupported kind): never retried. */
export class TaskInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskInvalidError';
  }
}
