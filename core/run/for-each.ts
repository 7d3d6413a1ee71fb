// The bookkeeping of a for_each task's iterations as a pure state machine (the `forEachRun` child
// workflow, workflows/for-each.ts, only runs what it hands out): which iteration starts next, at
// most `concurrency` at once, the counts Databricks shows (`for_each_task.stats`), the first
// failures, and the drain for continue-as-new. Time and Temporal stay outside.
import type { ForEachStats } from './run-state';

/** What a for_each child carries into its next execution when it continues as new. */
export interface ForEachProgress {
  next: number;
  succeeded: number;
  failed: number;
  /** The first failures (index and error), at most MAX_FOR_EACH_FAILURES_KEPT. */
  failures: { index: number; error: string }[];
  /**
   * How each iteration ended, one character per index (S succeeded, F failed, . not yet): a
   * compact record that 10,000 iterations carry across continue-as-new (absent in older runs).
   */
  outcomes?: string;
  /** The last attempt number of each iteration that was retried, by index. */
  retried?: Record<number, number>;
}

/** A running iteration attempt (kept in the execution that runs it). */
export interface ActiveIteration {
  index: number;
  attempt: number;
  start_time: number;
}

/** The iterations of a for_each task run, as its workflow's query answers (`forEachIterationTasks` maps them). */
export interface ForEachIterationsView {
  total: number;
  outcomes: string;
  retried: Record<number, number>;
  active: ActiveIteration[];
}

/**
 * A for_each task's `inputs` text as the list of iterations, or undefined when it is not a JSON
 * array (validation reports that for literal inputs; the workflow, for inputs a reference filled).
 */
export function parseForEachInputs(text: string): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Databricks' limits on a for_each task's inputs: "Parameter arrays are limited to 10,000
 * characters, or 48 KB if you use task value references to pass them"
 * (https://docs.databricks.com/aws/en/jobs/for-each-lookup-example). Databricks documents no
 * separate count: the lengths bound it (an array of 10,000 characters holds at most 5,000 items).
 */
export const FOR_EACH_INPUTS_MAX_CHARACTERS = 10_000;
export const FOR_EACH_REFERENCED_INPUTS_MAX_BYTES = 48 * 1024;

const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ',');

/** The UTF-8 length of a string, counted without TextEncoder (the workflow sandbox calls this too). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * What is wrong with a for_each task's inputs by Databricks' limits, or undefined: a literal array
 * when the job is saved (`literal`), the text its references resolved to when the task runs.
 */
export function forEachInputsLimitProblem(text: string, source: 'literal' | 'resolved'): string | undefined {
  if (source === 'literal') {
    if (text.length <= FOR_EACH_INPUTS_MAX_CHARACTERS) return undefined;
    return `expected at most ${thousands(FOR_EACH_INPUTS_MAX_CHARACTERS)} characters (Databricks' limit on a for_each task's inputs array; pass lookup keys and read the details from a file), found ${thousands(text.length)}`;
  }
  const bytes = utf8Length(text);
  if (bytes <= FOR_EACH_REFERENCED_INPUTS_MAX_BYTES) return undefined;
  return `the inputs resolved to ${thousands(bytes)} bytes; Databricks' limit on a for_each task's inputs passed through a reference is 48 KiB (${thousands(FOR_EACH_REFERENCED_INPUTS_MAX_BYTES)} bytes)`;
}

/** Only the first failures are kept: 10,000 failed iterations must not fill the history. */
export const MAX_FOR_EACH_FAILURES_KEPT = 20;

/** Databricks caps a for_each task's concurrency at 100. */
const MAX_CONCURRENCY = 100;

export class ForEachIterations {
  private active = 0;
  private readonly running = new Map<number, ActiveIteration>();
  /** `ForEachProgress.outcomes` as an array while it changes. */
  private readonly outcomes: string[];
  private drainingNow = false;
  private readonly concurrency: number;
  private readonly p: ForEachProgress;

  constructor(
    private readonly total: number,
    concurrency: number,
    carried?: ForEachProgress
  ) {
    this.concurrency = Math.max(1, Math.min(MAX_CONCURRENCY, concurrency));
    this.p = carried ?? { next: 0, succeeded: 0, failed: 0, failures: [] };
    this.outcomes = [...(this.p.outcomes ?? '').padEnd(total, '.')];
  }

  /** The iterations to start now, in index order (none while draining). */
  launch(): number[] {
    const out: number[] = [];
    while (!this.drainingNow && this.active < this.concurrency && this.p.next < this.total) {
      out.push(this.p.next++);
      this.active++;
    }
    return out;
  }

  /** An attempt of iteration `index` started (runs/get shows it running). */
  attemptStarted(index: number, attempt: number, now: number): void {
    this.running.set(index, { index, attempt, start_time: now });
  }

  /** An iteration ended, after its retries: succeeded, or failed with the task's error. */
  ended(index: number, result: ({ ok: true } | { ok: false; error?: string }) & { attempt?: number }): void {
    this.active--;
    this.running.delete(index);
    this.outcomes[index] = result.ok ? 'S' : 'F';
    if (result.attempt) (this.p.retried ??= {})[index] = result.attempt;
    if (result.ok) this.p.succeeded++;
    else {
      this.p.failed++;
      if (this.p.failures.length < MAX_FOR_EACH_FAILURES_KEPT)
        this.p.failures.push({ index, error: result.error ?? 'failed' });
    }
  }

  /** An iteration stopped without a result (canceled, or crashed). */
  stopped(index?: number): void {
    this.active--;
    if (index !== undefined) this.running.delete(index);
  }

  /** Every iteration's progress, for runs/get (`forEachIterationTasks`). */
  view(): ForEachIterationsView {
    return {
      total: this.total,
      outcomes: this.outcomes.join(''),
      retried: this.p.retried ?? {},
      active: [...this.running.values()],
    };
  }

  /** Temporal suggested continue-as-new: start nothing more; running iterations finish. */
  drain(): void {
    this.drainingNow = true;
  }

  get draining(): boolean {
    return this.drainingNow;
  }
  /** Iterations that ended (the main loop waits for this to change). */
  get completed(): number {
    return this.p.succeeded + this.p.failed;
  }
  /** Every iteration ended. */
  get done(): boolean {
    return this.p.next >= this.total && this.active === 0;
  }
  /** Drained with iterations left: the rest runs in the next execution. */
  get mustContinue(): boolean {
    return this.drainingNow && this.active === 0 && this.p.next < this.total;
  }
  /** Nothing left running in this execution while draining. */
  get drained(): boolean {
    return this.drainingNow && this.active === 0;
  }
  progress(): ForEachProgress {
    return { ...this.p, outcomes: this.outcomes.join('') };
  }
  failures(): { index: number; error: string }[] {
    return this.p.failures;
  }

  stats(): ForEachStats {
    return {
      total_iterations: this.total,
      scheduled_iterations: this.total - this.p.next,
      active_iterations: this.active,
      completed_iterations: this.completed,
      succeeded_iterations: this.p.succeeded,
      failed_iterations: this.p.failed,
    };
  }
}

/** The for_each child's details in the Temporal UI: a table of its counts. */
export function forEachDetails(taskKey: string, runId: number, s: ForEachStats): string {
  return `**for_each ${taskKey}** of run ${runId}\n\n| total | active | succeeded | failed | waiting |\n|---|---|---|---|---|\n| ${s.total_iterations} | ${s.active_iterations} | ${s.succeeded_iterations} | ${s.failed_iterations} | ${s.scheduled_iterations} |`;
}
