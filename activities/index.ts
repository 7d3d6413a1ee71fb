// The task activity: one attempt of one task. Every failure of the task itself is final for this
// attempt (non-retryable); the workflow decides retries. Temporal retries only lost workers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  LOST_LOG_TAIL_BYTES,
  TaskFailureType,
  UNENCRYPTED_PAYLOAD_REFUSED,
  isRefusedPayload,
  type LostAttemptWorker,
  type TaskAttemptInput,
  type TaskAttemptRecord,
} from '../core';
import { AttemptFailure, attemptLogPath, executeTaskAttempt } from './execute';
import { killCgroup, type ContainmentChoice } from './containment';
import { groupAlive, killGroup } from './process';
import { PythonForkServers, type PythonForkServerOptions } from './python-fork-servers';
import { attemptIdentity, RunAsUnknownError } from './run-as';
import { TaskUids } from './sandbox/uids';
import { DEFAULT_SANDBOX, type SandboxSettings } from './sandbox/view';
import { groupsFromPrincipalsFile, runWithSecrets } from './secrets';
import { TaskFiles, taskWorkspacePaths, type TaskFileAccess } from './task-files';
import { TaskInvalidError } from './commands';

export { executeTaskAttempt, AttemptFailure } from './execute';

/** Heartbeat details: the attempt to kill if this worker dies, and where the live log is. */
export interface AttemptHeartbeat {
  /** The attempt's supervisor (its process group). */
  pid?: number;
  host?: string;
  cgroup?: string;
  /** The attempt's task run id and log file, so `runs/get-output` can show a running attempt's log. */
  taskRunId?: number;
  logPath?: string;
  /** The worker (`pid@host`), when it beat (epoch ms), and its log's tail then: kept should it be lost. */
  process?: string;
  beatTime?: number;
  logTail?: string;
  /** Workers lost earlier on this attempt, carried from try to try. */
  lostBefore?: LostAttemptWorker[];
}

export interface ActivityDeps {
  dataDir: string;
  python?: string;
  /** @default DJOBS_CONTAINMENT, else auto */
  containment?: ContainmentChoice;
  mlflowTrackingUri?: string;
  /** Principals file (DJOBS_API_PRINCIPALS): the groups secret ACLs are checked against. */
  principalsFile?: string;
  /** The Python fork server (DJOBS_PYTHON_FORK_SERVER, DJOBS_PYTHON_PRELOAD). @default on, nothing preloaded */
  pythonForkServer?: PythonForkServerOptions;
  /** The task sandbox (DJOBS_SANDBOX and friends; activities/sandbox/view.ts). @default on */
  sandbox?: SandboxSettings;
  /** The workspace root (DJOBS_WORKSPACE_ROOT). @default `<dataDir>/workspace` */
  workspaceRoot?: string;
  /** Local folders every principal's task paths may name (DJOBS_CODE_ROOTS). */
  codeRoots?: string[];
}

export function createActivities(deps: ActivityDeps) {
  const groupsOf = groupsFromPrincipalsFile(deps.principalsFile);
  const pythonForkServers = new PythonForkServers(deps.pythonForkServer);
  const sandbox = deps.sandbox ?? DEFAULT_SANDBOX;
  const uids = new TaskUids(deps.dataDir, sandbox.uidBase);
  const taskFiles = new TaskFiles({
    workspaceRoot: deps.workspaceRoot ?? path.join(deps.dataDir, 'workspace'),
    codeRoots: deps.codeRoots ?? [],
    ...(deps.principalsFile ? { principalsFile: deps.principalsFile } : {}),
  });
  return {
    async runTaskAttempt(input: TaskAttemptInput): Promise<TaskAttemptRecord> {
      // An encrypting worker acts on no attempt written without the key (core/refused-payload.ts).
      if (isRefusedPayload(input))
        throw ApplicationFailure.create({
          type: UNENCRYPTED_PAYLOAD_REFUSED,
          nonRetryable: true,
          message: 'This task attempt was scheduled with an input that is not encrypted: it does not run.',
        });
      const previous = activityInfo().heartbeatDetails as AttemptHeartbeat | undefined;
      killOrphanOfLostAttempt(previous);
      const lostWorkers = lostBefore(input.taskRunId, previous);
      // The attempt runs as the identity its run acts as (run-as.ts): under that principal's uid,
      // with its view. A run older than sealed identities and without a memo: nobody's uid but its own.
      const runAs = await attemptIdentity(input).catch((err: unknown) => {
        if (err instanceof RunAsUnknownError) return undefined;
        throw err;
      });
      const where = { host: os.hostname(), taskRunId: input.taskRunId, logPath: attemptLogPath(deps.dataDir, input) };
      // Recorded on the attempt, whatever its outcome: which worker ran it.
      const worker = { host: os.hostname(), process: `${process.pid}@${os.hostname()}` };
      let details: AttemptHeartbeat = { ...where, process: worker.process, lostBefore: lostWorkers };
      // Each beat says when, and carries the log's tail (Temporal keeps the last beat that reached it).
      const beatNow = () => {
        details = { ...details, beatTime: Date.now(), logTail: logTailOf(where.logPath) };
        heartbeat(details);
      };
      beatNow();
      const beat = setInterval(beatNow, 500);
      try {
        const files = await taskFiles.forAttempt(input).catch((err: Error) => err);
        const record = await runWithSecrets(input, { dataDir: deps.dataDir, groupsOf }, (resolved, secrets) =>
          executeTaskAttempt(resolved, {
            ...secrets,
            env: { ...secrets.env, ...(files instanceof Error ? {} : files.env) },
            resolveFile: fileResolver(files),
            ...(files instanceof Error ? {} : { workspacePaths: taskWorkspacePaths(files) }),
            dataDir: deps.dataDir,
            signal: cancellationSignal(),
            ...(deps.python ? { python: deps.python } : {}),
            ...(deps.mlflowTrackingUri ? { mlflowTrackingUri: deps.mlflowTrackingUri } : {}),
            ...(deps.containment ? { containment: deps.containment } : {}),
            pythonForkServers,
            sandbox,
            ...(runAs ? { runAs } : {}),
            uids,
            onStart: (pid, containment) => {
              details = { ...details, pid, ...(containment.cgroup ? { cgroup: containment.cgroup } : {}) };
              beatNow();
            },
          })
        );
        return { ...record, worker, ...(lostWorkers.length ? { lostWorkers } : {}) };
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        err.record.worker = worker;
        if (lostWorkers.length) err.record.lostWorkers = lostWorkers;
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

/** The attempt's file resolver; when its principal could not be told, every file is refused with the reason. */
function fileResolver(files: TaskFileAccess | Error): TaskFileAccess['resolve'] {
  if (!(files instanceof Error)) return files.resolve;
  return (p, what) => {
    throw new TaskInvalidError(`${what} ${p} cannot be read: ${files.message}`);
  };
}

/**
 * The workers lost on this attempt so far: those the previous try knew of, and the previous try's
 * own when Temporal runs the attempt again (a heartbeat timeout: its worker was lost).
 */
function lostBefore(taskRunId: number, previous: AttemptHeartbeat | undefined): LostAttemptWorker[] {
  if (!previous || previous.taskRunId !== taskRunId || activityInfo().attempt <= 1) return [];
  return [
    ...(previous.lostBefore ?? []),
    {
      host: previous.host ?? '',
      process: previous.process ?? '',
      last_heard_time: previous.beatTime ?? 0,
      log_tail: previous.logTail ?? '',
    },
  ];
}

/** The last LOST_LOG_TAIL_BYTES of a log file ('' before it exists). */
function logTailOf(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, LOST_LOG_TAIL_BYTES);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The supervisor of an attempt kills its processes as soon as its worker dies. Should the
 * supervisor have been killed too, the next attempt of the task (on this host) kills what is left
 * first, so a task never runs twice at once.
 */
function killOrphanOfLostAttempt(previous: AttemptHeartbeat | undefined): void {
  if (!previous?.pid || previous.host !== os.hostname()) return;
  if (previous.cgroup) killCgroup(previous.cgroup);
  if (groupAlive(previous.pid)) killGroup(previous.pid, 'SIGKILL');
}
