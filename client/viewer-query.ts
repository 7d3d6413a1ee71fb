// Narrowing Temporal's listings to what a principal may see: schedules carry their job's viewer
// keywords (`DjobsViewers`), and so do runs, as of the access they started with. The listing is
// a prefilter only; callers still judge each listed job or run exactly, because the index follows
// a change a moment later and a run's keywords do not follow later changes of its job's access.
import { jobViewerKeywords, type JobAccess } from '../core';
import { DjobsJobId, DjobsViewers } from '../workflows/search-attributes';

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

/** The `DjobsViewers` search attribute of a schedule or run with this access. */
export const viewersAttribute = (access: JobAccess) => ({ key: DjobsViewers, value: jobViewerKeywords(access) });
