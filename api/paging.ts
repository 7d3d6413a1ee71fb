// Databricks list pages and 2.2's task pages: the items of one page, `has_more`, and the token of
// the next page (api/page-tokens.ts). Empty fields are omitted, as Databricks omits them.
import type { Job, Run } from '../client';
import { badRequest } from './errors';
import { decodeOffsetToken, encodeOffsetToken } from './page-tokens';
import { int } from './request-params';

/** 2.2 returns at most this many tasks per jobs/get and runs/get page. */
const TASK_PAGE = 100;

/** Databricks refuses a (deprecated) list `offset` over 1000: deeper pages are for page_token. */
const MAX_LEGACY_OFFSET = 1000;

/** The legacy `offset` of jobs/list and runs/list: 0 when absent, at most 1000. */
export function legacyOffset(v: unknown): number {
  const offset = int(v, 'offset', { min: 0, def: 0 })!;
  if (offset > MAX_LEGACY_OFFSET)
    throw badRequest(
      `Invalid value for offset: ${offset} exceeded the value of ${MAX_LEGACY_OFFSET} allowed; use page_token to read further pages.`
    );
  return offset;
}

/** A Databricks list page: the items key is omitted when empty, and so is an empty next_page_token. */
export function listPage<K extends string, T>(
  key: K,
  all: readonly T[],
  offset: number,
  limit: number
): Partial<Record<K, T[]>> & { has_more: boolean; next_page_token?: string } {
  const items = all.slice(offset, offset + limit);
  const hasMore = all.length > offset + limit;
  return {
    ...(items.length > 0 ? { [key]: items } : {}),
    has_more: hasMore,
    ...(hasMore ? { next_page_token: encodeOffsetToken(offset + limit) } : {}),
  } as Partial<Record<K, T[]>> & { has_more: boolean; next_page_token?: string };
}

/** One 2.2 page of a tasks array: the slice, and has_more/next_page_token when more follow. */
function taskPage<T>(
  tasks: readonly T[],
  token: unknown
): { tasks: T[]; more: { has_more?: true; next_page_token?: string } } {
  const offset = decodeOffsetToken(token) ?? 0;
  const hasMore = tasks.length > offset + TASK_PAGE;
  return {
    tasks: tasks.slice(offset, offset + TASK_PAGE),
    more: hasMore ? { has_more: true, next_page_token: encodeOffsetToken(offset + TASK_PAGE) } : {},
  };
}

/**
 * runs/get on /api/2.2 pages `tasks` and a for_each task run's `iterations` (100 of each per
 * page, one token for both: an array with nothing more is empty on later pages, as Databricks
 * pages them); 2.0 and 2.1 return them all.
 */
export function pageRunTasks(run: Run, version: string, token: unknown): Run {
  if (version !== '2.2') return run;
  const { tasks, more } = taskPage(run.tasks, token);
  const iterations = run.iterations ? taskPage(run.iterations, token) : undefined;
  const paged = { ...more, ...iterations?.more };
  if (token === undefined && !paged.has_more)
    return { ...run, tasks, ...(iterations ? { iterations: iterations.tasks } : {}) };
  // A paged answer carries the other arrays Databricks pages too, empty past the first page: the
  // official SDK's get_run extends each of them with every later page's.
  const first = (decodeOffsetToken(token) ?? 0) === 0;
  return {
    ...run,
    tasks,
    ...(iterations ? { iterations: iterations.tasks } : {}),
    job_clusters: first ? (run.job_clusters ?? []) : [],
    job_parameters: first ? run.job_parameters : [],
    repair_history: first ? (run.repair_history ?? []) : [],
    ...paged,
  };
}

/** jobs/get on /api/2.2 pages `settings.tasks` the same way. */
export function pageJobTasks(job: Job, version: string, token: unknown): Job {
  if (version !== '2.2') return job;
  const { tasks, more } = taskPage(job.settings.tasks, token);
  return { ...job, settings: { ...job.settings, tasks }, ...more };
}
