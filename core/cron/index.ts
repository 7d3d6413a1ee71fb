export { translateQuartzCron, calendarsMatch, quartzMatches, daysInMonth, MONTH_NAMES, WEEKDAY_NAMES } from './quartz';
export type { CalendarSpecLike, CronTranslation, DateParts } from './quartz';

/** IANA time zone ids (and UTC/GMT/Etc/*), as the JVM ids Databricks accepts mostly are. */
export function isValidTimeZone(id: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: id });
    return true;
  } catch {
    return false;
  }
}
export { fireTimes, wallTimeToInstants } from './fire-times';
export { describeQuartzCron, localTime, nextFireTime } from './describe';
export { jobTriggerInWords, type JobTriggerWords } from './job-trigger';
