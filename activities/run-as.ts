// Whom an attempt runs as: the `run_as` principal of its run, from the run's memo (a child run, a
// for_each iteration or a run_job_task run, takes its parent's). Read once per run execution by a
// worker: a run's memo is written when it starts.
import type { Client } from '@temporalio/client';

/** A run whose principal cannot be told: nothing that depends on it may happen. */
export class RunAsUnknownError extends Error {
  constructor(readonly workflowId: string) {
    super(`Cannot tell which principal run ${workflowId} runs as.`);
    this.name = 'RunAsUnknownError';
  }
}

export async function runAsOf(client: Client, workflowId: string): Promise<string> {
  let id: string | undefined = workflowId;
  for (let depth = 0; id && depth < 10; depth++) {
    const d = await client.workflow.getHandle(id).describe();
    const runAs = d.memo?.run_as_user_name;
    if (typeof runAs === 'string') return runAs;
    id = d.parentExecution?.workflowId ?? undefined;
  }
  throw new RunAsUnknownError(workflowId);
}

const MAX_CACHED = 1000;
const cached = new Map<string, Promise<string>>();

/** runAsOf, asked once per run execution (`workflowId` and its `runId`) by this worker. */
export function cachedRunAsOf(client: Client, workflowId: string, runId: string): Promise<string> {
  const key = `${workflowId}\n${runId}`;
  let found = cached.get(key);
  if (!found) {
    found = runAsOf(client, workflowId);
    found.catch(() => cached.delete(key));
    if (cached.size >= MAX_CACHED) cached.delete(cached.keys().next().value!);
    cached.set(key, found);
  }
  return found;
}
