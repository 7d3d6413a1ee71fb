// How a job starts, in words, for lists of jobs (the web UI's jobs page, `djobs jobs list`): its
// cron schedule, file arrival, periodic or continuous trigger, or by hand.
import type { JobSettings } from '../schema';
import { describeQuartzCron } from './describe';

export interface JobTriggerWords {
  /** "every day at 06:30, Europe/Berlin", "when files arrive in s3://…", "manually". */
  words: string;
  /** Whether that schedule or trigger is paused; undefined for a job run by hand only. */
  paused: boolean | undefined;
}

export function jobTriggerInWords(s: Pick<JobSettings, 'schedule' | 'trigger' | 'continuous'>): JobTriggerWords {
  if (s.schedule)
    return {
      words: describeQuartzCron(s.schedule.quartz_cron_expression, s.schedule.timezone_id),
      paused: s.schedule.pause_status === 'PAUSED',
    };
  if (s.trigger?.file_arrival)
    return { words: `when files arrive in ${s.trigger.file_arrival.url}`, paused: s.trigger.pause_status === 'PAUSED' };
  if (s.trigger?.periodic)
    return {
      words: `every ${s.trigger.periodic.interval} ${s.trigger.periodic.unit.toLowerCase()}`,
      paused: s.trigger.pause_status === 'PAUSED',
    };
  if (s.continuous) return { words: 'continuously', paused: s.continuous.pause_status === 'PAUSED' };
  return { words: 'manually', paused: undefined };
}
