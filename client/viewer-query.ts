// Narrowing Temporal's listings to what a principal may see: schedules carry their job's viewer
// keywords (`DjobsViewers`), and so do runs, as of the access they started with. The listing is
// a prefilter only; callers still judge each listed job or run exactly, because the index follows
// a change a moment later and a run's keywords do not follow later changes of its job's access.
import { jobViewerKeywords, type JobAccess } from '../core';
import { DjobsJobId, DjobsRunId, DjobsViewers } from '../workflows/search-attributes';

/** A string literal of Temporal's list filter. */
export const quoteQueryValue = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Records (schedules or runs) that name one of the keywords `visibleTo` (a principal's
 * `viewerKeywordsOf`), that name none at all (saved before viewers were indexed, judged by the
 * caller), or that belong to one of `jobIds`.
 */
export function viewersClause(visibleTo: readonly string[], jobIds: readonly number[]): string {
  return (
    `(${DjobsViewers.name} IN (${visibleTo.map(quoteQueryValue).join(', ')}) OR ${DjobsViewers.name} IS NULL` +
    (jobIds.length > 0 ? ` OR ${DjobsJobId.name} IN (${jobIds.join(', ')})` : '') +
    ')'
  );
}

/**
 * Runs that name one of the keywords `visibleTo`, that belong to one of `jobIds`, or that the
 * product started before runs carried their viewers (no `DjobsViewers`, but a run or job id
 * indexed: judged by the caller). A `jobRun` execution with none of these was not started by
 * durable-jobs' client, schedules or workflows (a raw Temporal start, as the bench's own
 * sections make), which record access only beside a run id: it is listed to admins alone, and
 * leaving it out keeps a non-admin's listing to one round trip however many the namespace holds.
 */
export function runViewersClause(visibleTo: readonly string[], jobIds: readonly number[]): string {
  const started = `(${DjobsRunId.name} IS NOT NULL OR ${DjobsJobId.name} IS NOT NULL)`;
  return (
    `(${DjobsViewers.name} IN (${visibleTo.map(quoteQueryValue).join(', ')})` +
    ` OR (${DjobsViewers.name} IS NULL AND ${started})` +
    (jobIds.length > 0 ? ` OR ${DjobsJobId.name} IN (${jobIds.join(', ')})` : '') +
    ')'
  );
}

/** The `DjobsViewers` search attribute of a schedule or run with this access. */
export const viewersAttribute = (access: JobAccess) => ({ key: DjobsViewers, value: jobViewerKeywords(access) });
