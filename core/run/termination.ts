// Databricks termination codes (`status.termination_details`, the SDK's TerminationCodeCode), each
// with the type Databricks gives it and the failure durable-jobs reports it for. docs/runs.md
// prints this table; runs/get chooses every code from it (core/run/databricks-run.ts).

export type TerminationType = 'SUCCESS' | 'INTERNAL_ERROR' | 'CLIENT_ERROR' | 'CLOUD_FAILURE';

/** Every code durable-jobs reports: its type, and when (the docs' wording). */
export const TERMINATION_CODES = {
  SUCCESS: { type: 'SUCCESS', when: 'The run or task succeeded.' },
  SUCCESS_WITH_FAILURES: {
    type: 'SUCCESS',
    when: 'The run succeeded, but tasks whose failure does not fail it (leaves after a run_if that passed) failed.',
  },
  RUN_EXECUTION_ERROR: {
    type: 'CLIENT_ERROR',
    when: "The task's own code failed: a non-zero exit, an uncaught exception, a failed query or dbt command; at run level, a run whose tasks failed.",
  },
  RESOURCE_NOT_FOUND: {
    type: 'CLIENT_ERROR',
    when: 'A notebook, file, dbt project or profile the task names does not exist, or its principal may not read it.',
  },
  INVALID_RUN_CONFIGURATION: {
    type: 'CLIENT_ERROR',
    when: 'The task cannot run as configured: an unsupported notebook format, a warehouse or path it may not use, a `{{…}}` reference that does not resolve, a called job that does not exist, a worker pool that runs no tasks, a command that cannot start.',
  },
  LIBRARY_INSTALLATION_ERROR: {
    type: 'CLIENT_ERROR',
    when: "Installing the task's libraries or its environment's dependencies failed.",
  },
  REPOSITORY_CHECKOUT_FAILED: { type: 'CLIENT_ERROR', when: "The job's `git_source` could not be checked out." },
  USER_CANCELED: { type: 'CLIENT_ERROR', when: 'A user canceled the run (or the task never ran because of it).' },
  CANCELED: { type: 'CLIENT_ERROR', when: "The platform stopped it: its `timeout_seconds` (or the job's) ran out." },
  SKIPPED: {
    type: 'CLIENT_ERROR',
    when: "The task never ran: an upstream task failed or was skipped, its `run_if` did not hold, or run-now's `only` left it out.",
  },
  DISABLED: { type: 'CLIENT_ERROR', when: 'The task is `disabled`.' },
  MAX_CONCURRENT_RUNS_EXCEEDED: {
    type: 'CLIENT_ERROR',
    when: "The run was skipped: the job's `max_concurrent_runs` were running and it does not queue.",
  },
  MAX_JOB_QUEUE_SIZE_EXCEEDED: { type: 'CLIENT_ERROR', when: "The run was skipped: the job's queue was full." },
  INTERNAL_ERROR: {
    type: 'INTERNAL_ERROR',
    when: 'durable-jobs itself failed to run the task (not its code): refer to the state message.',
  },
} as const satisfies Record<string, { type: TerminationType; when: string }>;

export type TerminationCode = keyof typeof TERMINATION_CODES;

/** The code and type of `code`; a code this table does not know (recorded by another release) is a client error. */
export function terminationOf(code: string): { code: string; type: TerminationType } {
  const known = (TERMINATION_CODES as Record<string, { type: TerminationType } | undefined>)[code];
  return { code, type: known?.type ?? 'CLIENT_ERROR' };
}

/** The docs table: code, type, when. */
export function terminationCodesTable(): string {
  const rows = Object.entries(TERMINATION_CODES).map(([code, { type, when }]) => `| \`${code}\` | ${type} | ${when} |`);
  return ['| code | type | when |', '|---|---|---|', ...rows].join('\n');
}
