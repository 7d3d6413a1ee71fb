// The task activity: one attempt of one task. Every failure of the task itself is final for this
// attempt (non-retryable); the workflow decides retries. Temporal retries only lost workers.
import os from 'node:os';
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { TaskFailureType, type TaskAttemptInput, type TaskAttemptRecord } from '../spec';
import { AttemptFailure, executeTaskAttempt } from './execute';
import { groupAlive, killGroup } from './process';
import { groupsFromPrincipalsFile, runWithSecrets } from './secrets';

export { executeTaskAttempt, AttemptFailure } from './execute';

interface AttemptHeartbeat {
  pid?: number;
  host?: string;
}

export interface ActivityDeps {
  dataDir: string;
  python?: string;
  /** Principals file (DJOBS_API_PRINCIPALS): the groups secret ACLs are checked against. */
  principalsFile?: string;
}

export function createActivities(deps: ActivityDeps) {
  const groupsOf = groupsFromPrincipalsFile(deps.principalsFile);
  return {
    async runTaskAttempt(input: TaskAttemptInput): Promise<TaskAttemptRecord> {
      killOrphanOfLostAttempt(activityInfo().heartbeatDetails as AttemptHeartbeat | undefined);
      let details: AttemptHeartbeat = { host: os.hostname() };
      heartbeat(details);
      const beat = setInterval(() => heartbeat(details), 500);
      try {
        return await runWithSecrets(input, { dataDir: deps.dataDir, groupsOf }, (resolved, secrets) =>
          executeTaskAttempt(resolved, {
            ...secrets,
            dataDir: deps.dataDir,
            signal: cancellationSignal(),
            ...(deps.python ? { python: deps.python } : {}),
            onStart: (pid) => {
              details = { pid, host: os.hostname() };
              heartbeat(details);
            },
          })
        );
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        switch (err.kind) {
          case 'CANCELED':
            throw new CancelledFailure('Task attempt canceled; its processes were killed.');
          case 'FAILED':
            throw ApplicationFailure.create({
              type: TaskFailureType.TASK_FAILED,
              message: err.message,
              nonRetryable: true,
              details: [err.record],
            });
          case 'TIMEDOUT':
            throw ApplicationFailure.create({
              type: TaskFailureType.TASK_TIMED_OUT,
              message: err.message,
              nonRetryable: true,
              details: [err.record],
            });
          case 'INVALID':
            throw ApplicationFailure.create({
              type: TaskFailureType.TASK_INVALID,
              message: err.message,
              nonRetryable: true,
              details: [err.record],
            });
        }
      } finally {
        clearInterval(beat);
      }
    },
  };
}

/**
 * A worker killed with -9 leaves its task's detached process group running. The next attempt of
 * that task (on this host) kills it first, so a task never runs twice at once.
 */
function killOrphanOfLostAttempt(previous: AttemptHeartbeat | undefined): void {
  if (!previous?.pid || previous.host !== os.hostname()) return;
  if (groupAlive(previous.pid)) killGroup(previous.pid, 'SIGKILL');
}
