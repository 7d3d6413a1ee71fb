import { describe, expect, it } from 'vitest';
import { fireTimes, translateQuartzCron, wallTimeToInstants } from '../../../../core';

const calendars = (cron: string) => {
  const t = translateQuartzCron(cron);
  if (!t.ok) throw new Error(t.errors.join('; '));
  return t.calendars;
};
const iso = (ms: number) => new Date(ms).toISOString();

describe('fire times', () => {
  it('a wall time occurs once, never in the spring-forward gap, twice in the fall-back hour', () => {
    const at = (month: number, day: number, hour: number) =>
      wallTimeToInstants({ year: 2026, month, day, hour, minute: 30, second: 0 }, 'America/New_York').map(iso);
    expect(at(3, 7, 2)).toEqual(['2026-03-07T07:30:00.000Z']);
    expect(at(3, 8, 2)).toEqual([]);
    expect(at(11, 1, 1)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']);
    expect(at(11, 1, 2)).toEqual(['2026-11-01T07:30:00.000Z']);
  });

  it('honours the range bounds inclusively, time zones and Quartz day rules', () => {
    expect(
      fireTimes(
        calendars('0 0 6 * * ?'),
        'UTC',
        Date.parse('2026-11-01T06:00:00Z'),
        Date.parse('2026-11-03T06:00:00Z')
      ).map(iso)
    ).toEqual(['2026-11-01T06:00:00.000Z', '2026-11-02T06:00:00.000Z', '2026-11-03T06:00:00.000Z']);
    expect(
      fireTimes(
        calendars('0 15 10 L * ?'),
        'Asia/Kolkata',
        Date.parse('2026-01-01T00:00:00Z'),
        Date.parse('2026-04-01T00:00:00Z')
      ).map(iso)
    ).toEqual(['2026-01-31T04:45:00.000Z', '2026-02-28T04:45:00.000Z', '2026-03-31T04:45:00.000Z']);
    expect(
      fireTimes(
        calendars('0 0 12 ? * 6#3'),
        'Europe/Paris',
        Date.parse('2026-01-01T00:00:00Z'),
        Date.parse('2026-03-31T00:00:00Z')
      ).map(iso)
    ).toEqual(['2026-01-16T11:00:00.000Z', '2026-02-20T11:00:00.000Z', '2026-03-20T11:00:00.000Z']);
  });

  it('refuses an unbounded backfill', () => {
    expect(() =>
      fireTimes(calendars('* * * * * ?'), 'UTC', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-02T00:00:00Z'))
    ).toThrow('more than 1000 fire times between the two dates; backfill a shorter range');
  });
});
