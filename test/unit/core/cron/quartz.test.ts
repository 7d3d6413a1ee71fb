import { describe, expect, it } from 'vitest';
import { calendarsMatch, isValidTimeZone, quartzMatches, translateQuartzCron, type DateParts } from '../../../../core';

function partsOf(ms: number): DateParts {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

describe('translateQuartzCron', () => {
  it('translates the seed schedule 0 0 */6 * * ? to hours 0, 6, 12, 18', () => {
    const t = translateQuartzCron('0 0 */6 * * ?');
    expect(t).toMatchObject({ ok: true });
    if (!t.ok) return;
    expect(t.calendars).toEqual([
      { second: [0], minute: [0], hour: [0, 6, 12, 18], dayOfMonth: '*', month: '*', dayOfWeek: '*', year: '*' },
    ]);
  });

  it('maps Quartz weekdays (1 = Sunday) and names', () => {
    const t = translateQuartzCron('0 30 2 ? * MON-FRI');
    expect(t.ok && t.calendars[0]!.dayOfWeek).toEqual([{ start: 'MONDAY', end: 'FRIDAY' }]);
    const n = translateQuartzCron('0 0 9 ? * 1,7');
    expect(n.ok && n.calendars[0]!.dayOfWeek).toEqual(['SUNDAY', 'SATURDAY']);
  });

  const errors: [string, string[]][] = [
    [
      '0 0 * * *',
      [
        'expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 5: Quartz cron starts with a seconds field and has "?" in day-of-month or day-of-week, e.g. "0 0 0 * * ?"',
      ],
    ],
    [
      '30 6 * * *',
      [
        'expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 5: Quartz cron starts with a seconds field and has "?" in day-of-month or day-of-week, e.g. "0 30 6 * * ?"',
      ],
    ],
    [
      // Unix weekdays 1-5 (Monday to Friday) are Quartz's 2-6; 0 and 7 (Sunday) are 1.
      '0 9 * * 1-5',
      [
        'expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 5: Quartz cron starts with a seconds field and has "?" in day-of-month or day-of-week, e.g. "0 0 9 ? * 2-6"',
      ],
    ],
    [
      '0 9 * * 0,7',
      [
        'expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 5: Quartz cron starts with a seconds field and has "?" in day-of-month or day-of-week, e.g. "0 0 9 ? * 1"',
      ],
    ],
    [
      '15 3 1 * *',
      [
        'expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 5: Quartz cron starts with a seconds field and has "?" in day-of-month or day-of-week, e.g. "0 15 3 1 * ?"',
      ],
    ],
    [
      // Unix fires on the 1st or on Mondays: no one Quartz expression does, so no example is given.
      '0 0 1 * 1',
      [
        'expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 5: Quartz cron starts with a seconds field and has "?" in day-of-month or day-of-week',
      ],
    ],
    [
      '0 0 0 * * * * *',
      ['expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 8'],
    ],
    ['0 0 12 * * *', ['fields day-of-month and day-of-week: "*" and "*" — Quartz needs "?" in exactly one of them']],
    ['0 0 12 ? * ?', ['fields day-of-month and day-of-week: both are "?" — exactly one of them must be "?"']],
    ['60 0 12 * * ?', ['field seconds: "60" — 60 is out of range 0-59']],
    ['0 0 25 * * ?', ['field hours: "25" — 25 is out of range 0-23']],
    [
      '0 0 12 * FOO ?',
      [
        'field month: "FOO" — expected a number or a name (JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, NOV, DEC), found "FOO"',
      ],
    ],
    ['0 0 12 ? * 5#6', ['field day-of-week: "5#6" — a month has at most 5 of any weekday, found #6']],
    [
      '0 0 12 30W * ?',
      [
        'field day-of-month: "30W" — the nearest-weekday day must be 1-27 (28-31 depend on the month length in ways a calendar spec cannot express exactly), found 30',
      ],
    ],
    ['0 0 12 * * ? 1999', ['field year: "1999" — Temporal schedules support years 2000-2100 only']],
    [
      '0 0 12 10-5 * ?',
      ['field day-of-month: "10-5" — range start 10 is after its end 5 (wrap-around ranges are not supported)'],
    ],
    ['0 0/0 12 * * ?', ['field minutes: "0/0" — expected a positive step after "/", found "0"']],
  ];
  for (const [expr, expected] of errors) {
    it(`rejects "${expr}"`, () => expect(translateQuartzCron(expr)).toEqual({ ok: false, errors: expected }));
  }

  it('reports every problem at once', () => {
    const t = translateQuartzCron('61 61 25 * * ?');
    expect(t.ok ? [] : t.errors).toHaveLength(3);
  });
});

describe('translation fires exactly when Quartz fires', () => {
  const expressions = [
    '0 0 */6 * * ?',
    '0 15 10 ? * MON-FRI',
    '0 0 12 1/5 * ?',
    '0 30 8 L * ?',
    '0 30 8 L-3 * ?',
    '0 0 9 LW * ?',
    '0 0 9 15W * ?',
    '0 0 9 1W * ?',
    '0 0 9 27W * ?',
    '0 0 18 ? * 6L',
    '0 0 18 ? * FRIL',
    '0 0 10 ? * 2#1',
    '0 0 10 ? * 5#5',
    '0 0 10 ? * SUN#3',
    '0 0 0 29 2 ?',
    '0 0 0 ? * L',
    '0 10,40 3-5 ? JAN,JUL,DEC 1-3,7',
    '0 0 6 * * ? 2024',
    '0 0 6 L 2 ? 2024-2025',
    '0 0 23 31 * ?',
  ];
  // Every 5 minutes (every minute field above is a multiple of 5) at second 0 over 15 months that
  // include the leap day of 2024, in UTC date arithmetic.
  const start = Date.UTC(2023, 11, 1);
  const end = Date.UTC(2025, 2, 1);
  for (const expr of expressions) {
    it(expr, () => {
      const t = translateQuartzCron(expr);
      expect(t.ok, JSON.stringify(t)).toBe(true);
      if (!t.ok) return;
      let fired = 0;
      for (let ms = start; ms < end; ms += 300_000) {
        const p = partsOf(ms);
        const want = quartzMatches(expr, p);
        const got = calendarsMatch(t.calendars, p);
        if (want !== got) throw new Error(`${expr} at ${new Date(ms).toISOString()}: quartz ${want}, calendars ${got}`);
        if (want) fired++;
      }
      expect(fired).toBeGreaterThan(0);
    });
  }

  it('seconds fields are honoured', () => {
    const expr = '*/20 0 12 1 1 ?';
    const t = translateQuartzCron(expr);
    if (!t.ok) throw new Error('not ok');
    for (let ms = Date.UTC(2025, 0, 1, 11, 59); ms < Date.UTC(2025, 0, 1, 12, 2); ms += 1000) {
      expect(calendarsMatch(t.calendars, partsOf(ms))).toBe(quartzMatches(expr, partsOf(ms)));
    }
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA ids and UTC', () => {
    for (const tz of ['UTC', 'America/New_York', 'Europe/Paris', 'Etc/GMT+3']) expect(isValidTimeZone(tz)).toBe(true);
  });
  it('rejects unknown ids', () => {
    for (const tz of ['Mars/Olympus', 'EST5EDT6', '']) expect(isValidTimeZone(tz)).toBe(false);
  });
});
