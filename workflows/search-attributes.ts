// Custom search attributes that make runs filterable in the Temporal UI, e.g.
// `DjobsJobId = 42 AND DjobsResultState = 'FAILED'`. Registered idempotently at worker/client start.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DjobsJobId = defineSearchAttributeKey('DjobsJobId', SearchAttributeType.INT);
export const DjobsRunId = defineSearchAttributeKey('DjobsRunId', SearchAttributeType.INT);
export const DjobsJobName = defineSearchAttributeKey('DjobsJobName', SearchAttributeType.KEYWORD);
export const DjobsTrigger = defineSearchAttributeKey('DjobsTrigger', SearchAttributeType.KEYWORD);
export const DjobsResultState = defineSearchAttributeKey('DjobsResultState', SearchAttributeType.KEYWORD);

/** True while a run waits in its job's queue (max_concurrent_runs reached, queue enabled). */
export const DjobsQueued = defineSearchAttributeKey('DjobsQueued', SearchAttributeType.BOOL);

export const ALL_SEARCH_ATTRIBUTES = [
  DjobsJobId,
  DjobsRunId,
  DjobsJobName,
  DjobsTrigger,
  DjobsResultState,
  DjobsQueued,
] as const;

/** Set by Temporal on runs started by a schedule: the nominal fire time ({{job.trigger.time.*}}). */
export const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME
);
