// A Quartz cron schedule in words ("every 6 hours, UTC") and its next fire time, for people
// reading a list of jobs. Common shapes get a sentence; anything else is shown as the expression.
import { fireTimes, offsetAt } from './fire-times';
import { calendarsMatch, translateQuartzCron } from './quartz';

const DAYS: Record<string, string> = {
  '1': 'Sunday',
  '2': 'Monday',
  '3': 'Tuesday',
  '4': 'Wednesday',
  '5': 'Thursday',
  '6': 'Friday',
  '7': 'Saturday',
  SUN: 'Sunday',
  MON: 'Monday',
  TUE: 'Tuesday',
  WED: 'Wednesday',
  THU: 'Thursday',
  FRI: 'Friday',
  SAT: 'Saturday',
};

const isAny = (f: string) => f === '*' || f === '?';
const isNumber = (f: string) => /^\d+$/.test(f);
/** `*\/n` or `0/n`: every n units from 0. */
const stepOf = (f: string): number | undefined => {
  const m = /^(?:\*|0)\/(\d+)$/.exec(f);
  return m ? Number(m[1]) : undefined;
};
const every = (n: number, unit: string) => (n === 1 ? `every ${unit}` : `every ${n} ${unit}s`);
const pad = (n: string) => n.padStart(2, '0');
const ordinal = (n: number) =>
  `${n}${n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th'}`;

function days(dow: string): string | undefined {
  if (/^(MON|2)-(FRI|6)$/i.test(dow)) return 'on weekdays';
  const names = dow.split(',').map((d) => DAYS[d.toUpperCase()]);
  if (names.some((n) => n === undefined)) return undefined;
  return `on ${names.map((n) => `${n}s`).join(', ')}`;
}

function phrase(parts: string[]): string | undefined {
  const [sec, min, hour, dom, mon, dow, year] = parts as [string, string, string, string, string, string, string?];
  if ((year !== undefined && !isAny(year)) || !isAny(mon)) return undefined;
  const anyDay = isAny(dom) && isAny(dow);
  if (anyDay) {
    const s = stepOf(sec);
    if (sec === '*' && min === '*' && hour === '*') return 'every second';
    if (s && min === '*' && hour === '*') return every(s, 'second');
    const m = stepOf(min);
    if (sec === '0' && min === '*' && hour === '*') return 'every minute';
    if (sec === '0' && m && hour === '*') return every(m, 'minute');
    const h = stepOf(hour);
    if (sec === '0' && isNumber(min) && hour === '*')
      return min === '0' ? 'every hour' : `every hour at minute ${Number(min)}`;
    if (sec === '0' && isNumber(min) && h)
      return `${every(h, 'hour')}${min === '0' ? '' : ` at minute ${Number(min)}`}`;
  }
  if (sec !== '0' || !isNumber(min) || !isNumber(hour)) return undefined;
  const at = `at ${pad(hour)}:${pad(min)}`;
  if (anyDay) return `every day ${at}`;
  if (isAny(dom)) {
    const d = days(dow);
    return d ? `${d} ${at}` : undefined;
  }
  if (isAny(dow) && isNumber(dom)) return `on the ${ordinal(Number(dom))} of every month ${at}`;
  if (isAny(dow) && dom === 'L') return `on the last day of every month ${at}`;
  return undefined;
}

/** "every 6 hours, UTC" for `0 0 *\/6 * * ?` in UTC; the expression itself when no sentence fits. */
export function describeQuartzCron(expression: string, timeZone = 'UTC'): string {
  const parts = expression.trim().split(/\s+/);
  const words = parts.length === 6 || parts.length === 7 ? phrase(parts) : undefined;
  return `${words ?? `cron ${expression.trim()}`}, ${timeZone}`;
}

/** `2026-12-08 06:30:00 +01:00`: an instant as the wall time of a time zone, with its offset from UTC. */
export function localTime(instant: number, timeZone: string): string {
  const offset = offsetAt(instant, timeZone);
  const wall = new Date(instant + offset).toISOString().slice(0, 19).replace('T', ' ');
  const minutes = Math.round(Math.abs(offset) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  return `${wall} ${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The first fire time after `now` (ms), or undefined when there is none within about a year. */
export function nextFireTime(expression: string, timeZone: string, now: number): number | undefined {
  const t = translateQuartzCron(expression);
  if (!t.ok) return undefined;
  // Frequent schedules: the next hour second by second (fireTimes would list days of them).
  const base = Math.floor(now / 1000) * 1000;
  for (let i = 1; i <= 3600; i++) {
    const instant = base + i * 1000;
    const local = new Date(instant + offsetAt(instant, timeZone));
    const parts = {
      year: local.getUTCFullYear(),
      month: local.getUTCMonth() + 1,
      day: local.getUTCDate(),
      hour: local.getUTCHours(),
      minute: local.getUTCMinutes(),
      second: local.getUTCSeconds(),
      weekday: local.getUTCDay(),
    };
    if (calendarsMatch(t.calendars, parts)) return instant;
  }
  // At most one fire an hour from here on: widening windows find the next one cheaply.
  for (const span of [86_400_000, 32 * 86_400_000, 400 * 86_400_000]) {
    const next = fireTimes(t.calendars, timeZone, base + 3_600_000, now + span, 100_000)[0];
    if (next !== undefined) return next;
  }
  return undefined;
}
