import { describe, expect, it } from 'vitest';
import { describeQuartzCron, jobTriggerInWords, localTime, nextFireTime } from '../../../../core';

describe('describeQuartzCron', () => {
  it.each([
    ['0 0 */6 * * ?', 'UTC', 'every 6 hours, UTC'],
    ['0 0 0/1 * * ?', 'UTC', 'every hour, UTC'],
    ['0 30 */2 * * ?', 'UTC', 'every 2 hours at minute 30, UTC'],
    ['0 0 * * * ?', 'UTC', 'every hour, UTC'],
    ['0 5 * * * ?', 'UTC', 'every hour at minute 5, UTC'],
    ['0 */15 * * * ?', 'UTC', 'every 15 minutes, UTC'],
    ['0 * * * * ?', 'UTC', 'every minute, UTC'],
    ['*/10 * * * * ?', 'UTC', 'every 10 seconds, UTC'],
    ['* * * * * ?', 'UTC', 'every second, UTC'],
    ['0 30 9 * * ?', 'Europe/Paris', 'every day at 09:30, Europe/Paris'],
    ['0 30 9 ? * MON-FRI', 'UTC', 'on weekdays at 09:30, UTC'],
    ['0 0 12 ? * MON,WED', 'UTC', 'on Mondays, Wednesdays at 12:00, UTC'],
    ['0 0 7 ? * 1', 'UTC', 'on Sundays at 07:00, UTC'],
    ['0 0 0 1 * ?', 'UTC', 'on the 1st of every month at 00:00, UTC'],
    ['0 0 6 22 * ?', 'UTC', 'on the 22nd of every month at 06:00, UTC'],
    ['0 15 10 L * ?', 'UTC', 'on the last day of every month at 10:15, UTC'],
    // No sentence fits: the expression itself.
    ['0 0 0 ? * 2#1', 'UTC', 'cron 0 0 0 ? * 2#1, UTC'],
    ['0 0 0 29 2 ?', 'UTC', 'cron 0 0 0 29 2 ?, UTC'],
    ['0 0 0 * * ? 2030', 'UTC', 'cron 0 0 0 * * ? 2030, UTC'],
  ])('%s in %s reads "%s"', (expr, tz, words) => {
    expect(describeQuartzCron(expr, tz)).toBe(words);
  });
});

describe('nextFireTime', () => {
  const now = Date.UTC(2026, 10, 29, 19, 22, 9); // a Sunday
  it.each([
    ['0 0 */6 * * ?', 'UTC', Date.UTC(2026, 10, 30, 0, 0, 0)],
    ['*/10 * * * * ?', 'UTC', Date.UTC(2026, 10, 29, 19, 22, 10)],
    ['0 */15 * * * ?', 'UTC', Date.UTC(2026, 10, 29, 19, 30, 0)],
    ['0 30 9 ? * MON-FRI', 'Europe/Paris', Date.UTC(2026, 10, 30, 8, 30, 0)],
    ['0 0 0 1 * ?', 'UTC', Date.UTC(2026, 11, 1, 0, 0, 0)],
    ['0 0 0 29 2 ?', 'UTC', undefined], // next 29 February is more than a year away
  ])('%s in %s', (expr, tz, next) => {
    expect(nextFireTime(expr, tz, now)).toBe(next);
  });
});

describe('localTime', () => {
  it.each([
    [Date.UTC(2026, 0, 15, 11, 30), 'America/New_York', '2026-01-15 06:30:00 -05:00'],
    [Date.UTC(2026, 6, 15, 10, 30), 'America/New_York', '2026-07-15 06:30:00 -04:00'],
    [Date.UTC(2026, 0, 15, 1, 0), 'Asia/Kolkata', '2026-01-15 06:30:00 +05:30'],
    [Date.UTC(2026, 0, 15, 6, 30), 'UTC', '2026-01-15 06:30:00 +00:00'],
  ])('%s in %s', (instant, tz, text) => {
    expect(localTime(instant, tz)).toBe(text);
  });
});

describe('jobTriggerInWords', () => {
  it.each([
    [
      { schedule: { quartz_cron_expression: '0 30 6 * * ?', timezone_id: 'Europe/Berlin' } },
      'every day at 06:30, Europe/Berlin',
      false,
    ],
    [
      { schedule: { quartz_cron_expression: '0 30 6 * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' } },
      'every day at 06:30, UTC',
      true,
    ],
    [{ trigger: { periodic: { interval: 4, unit: 'HOURS' } } }, 'every 4 hours', false],
    [
      { trigger: { file_arrival: { url: '/data/in/' }, pause_status: 'PAUSED' } },
      'when files arrive in /data/in/',
      true,
    ],
    [{ continuous: {} }, 'continuously', false],
    [{}, 'manually', undefined],
  ] as [Parameters<typeof jobTriggerInWords>[0], string, boolean | undefined][])('%j', (settings, words, paused) => {
    expect(jobTriggerInWords(settings)).toEqual({ words, paused });
  });
});
