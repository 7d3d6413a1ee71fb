// Whom an attempt acts as, one answer for everything that depends on it (its secrets, its
// warehouses' permissions, its sandbox uid): the identity its run's workflow opened from the
// API's seal (`openRunIdentity`, activities/planning.ts) and gave the attempt
// (`TaskAttemptInput.runAs`). A run whose identity cannot be opened runs no task at all. Only a
// run started before identities were sealed (its history has no `sealed-run-identity` marker)
// gives its attempts none: it acts, as it did when it started, as the `run_as` of its memo (a
// child run, a for_each iteration or a run_job_task run, takes its parent's).
import { activityInfo, getClient } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { RunAsIdentity, TaskAttemptInput } from '../core';

/** A run whose principal cannot be told: nothing that depends on it may happen. */
export class RunAsUnknownError extends Error {
  constructor(readonly workflowId: string) {
    super(`Cannot tell which principal run ${workflowId} runs as.`);
    this.name = 'RunAsUnknownError';
  }
}

/** Who the attempt acts as; throws RunAsUnknownError when its run says nobody (see above). */
export async function attemptIdentity(input: Pick<TaskAttemptInput, 'runAs'>): Promise<RunAsIdentity> {
  if (input.runAs) return input.runAs;
  const run = activityInfo().workflowExecution;
  const name = await cachedRunAsOf(getClient(), run?.workflowId ?? '(unknown)', run?.runId ?? '');
  return { kind: 'user', name };
}

async function runAsOf(client: Client, workflowId: string): Promise<string> {
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
function cachedRunAsOf(client: Client, workflowId: string, runId: string): Promise<string> {
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
