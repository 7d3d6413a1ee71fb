// What `{{job.*}}`, `{{tasks.*}}` and `{{task.*}}` references see in a running job: the facts of
// the run and of the tasks a task names, taken from the run's state when an attempt starts.
// Building the facts is O(tasks), so the tasks each task names are found once and cached.
import type { Task } from '../schema';
import { TaskResultState } from '../dag/states';
import { latestAttempt, type AttemptState, type RunState } from '../run/run-state';
import type { ReferenceContext, TaskReferenceFacts } from './resolve';

export class RunReferences {
  private readonly byKey: ReadonlyMap<string, Task>;
  private readonly withReferences = new Map<string, boolean>();
  private readonly referenced = new Map<string, Task[]>();

  constructor(
    readonly job: ReferenceContext['job'],
    tasks: readonly Task[]
  ) {
    this.byKey = new Map(tasks.map((t) => [t.task_key, t]));
  }

  /** Whether a task contains any `{{` at all: most do not, and then nothing needs resolving. */
  hasReferences(task: Task): boolean {
    let has = this.withReferences.get(task.task_key);
    if (has === undefined) this.withReferences.set(task.task_key, (has = JSON.stringify(task).includes('{{')));
    return has;
  }

  /** The context a task's references resolve against when `attempt` starts. */
  context(state: RunState, task: Task, attempt: AttemptState): ReferenceContext {
    const facts: Record<string, TaskReferenceFacts> = {};
    for (const t of this.tasksReferencedBy(task)) {
      const tr = state.tasks[t.task_key]!;
      const last = latestAttempt(tr);
      const ran = tr.attempts.filter((a) => a.start_time > 0).length;
      if (ran === 0 && !last.result) continue;
      facts[t.task_key] = {
        runId: last.run_id,
        ...(last.result ? { resultState: last.result.toLowerCase() } : {}),
        ...(last.result && last.result !== TaskResultState.SUCCESS && last.result !== TaskResultState.EXCLUDED
          ? { errorCode: last.internalError ? 'INTERNAL_ERROR' : last.result }
          : {}),
        executionCount: ran,
        ...(t.notebook_task ? { notebookPath: t.notebook_task.notebook_path } : {}),
        values: tr.taskValues ?? {},
      };
    }
    return {
      job: this.job,
      task: {
        name: task.task_key,
        runId: attempt.run_id,
        executionCount: attempt.attempt_number + 1,
        ...(task.notebook_task ? { notebookPath: task.notebook_task.notebook_path } : {}),
      },
      tasks: facts,
    };
  }

  /** The tasks a task's `{{tasks.<key>.…}}` references name. */
  private tasksReferencedBy(task: Task): Task[] {
    let found = this.referenced.get(task.task_key);
    if (!found) {
      const keys = new Set([...JSON.stringify(task).matchAll(/tasks\.`?([\w-]+)`?\./g)].map((m) => m[1]!));
      found = [...keys].map((k) => this.byKey.get(k)).filter((t): t is Task => t !== undefined);
      this.referenced.set(task.task_key, found);
    }
    return found;
  }
}
