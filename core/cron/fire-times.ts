// The fire times of a translated cron schedule within a time range, computed as Temporal's
// scheduler fires them: each matching local wall time of each day becomes the instants at which
// it occurs, so a wall time in the spring-forward gap fires not at all and one in the repeated
// fall-back hour fires twice. Used by backfill; test/integration/triggers.test.ts proves the
// equivalence on both daylight-saving days against a real server.
import { calendarsMatch, daysInMonth, type CalendarSpecLike } from './quartz';

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset (ms) at an instant. */
export function offsetAt(instantMs: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(instantMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/**
 * Every instant at which a local wall time occurs: none in the hour skipped when clocks spring
 * forward, two in the hour repeated when they fall back, one otherwise.
 */
export function wallTimeToInstants(
  wall: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  timeZone: string
): number[] {
  const unix = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // Try the zone's offsets around that wall time, earliest instant first.
  const candidates = [
    ...new Set([
      offsetAt(unix - 86_400_000, timeZone),
      offsetAt(unix, timeZone),
      offsetAt(unix + 86_400_000, timeZone),
    ]),
  ]
    .map((o) => unix - o)
    .filter((instant) => instant + offsetAt(instant, timeZone) === unix)
    .sort((a, b) => a - b);
  return candidates;
}

const HOUR_MS = 3_600_000;
/** More than any daylight-saving shift of a zone's offset within a day. */
const DST_SLACK_MS = 2 * HOUR_MS + 60_000;

/** Every fire time in [fromMs, toMs], ascending; throws past `limit` (a backfill must be bounded). */
export function fireTimes(
  calendars: readonly CalendarSpecLike[],
  timeZone: string,
  fromMs: number,
  toMs: number,
  limit = 1000
): number[] {
  const out = new Set<number>();
  // Walk local calendar days, one day of margin either side for the zone's offset.
  for (let t = fromMs - DAY_MS; t <= toMs + DAY_MS; t += DAY_MS) {
    const offset = offsetAt(t, timeZone);
    const local = new Date(t + offset);
    const year = local.getUTCFullYear();
    const month = local.getUTCMonth() + 1;
    const day = local.getUTCDate();
    if (day > daysInMonth(month, year)) continue;
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    const at = (hour: number, minute: number, second: number) => ({ year, month, day, hour, minute, second, weekday });
    for (let hour = 0; hour < 24; hour++) {
      // An hour whose instants lie wholly outside the range (the day's offset, give or take a DST
      // shift) has no fire time in it: skip it before converting each of its seconds to instants.
      const hourStart = Date.UTC(year, month - 1, day, hour) - offset;
      if (hourStart + HOUR_MS + DST_SLACK_MS < fromMs || hourStart - DST_SLACK_MS > toMs) continue;
      if (!calendarsMatchPartial(calendars, at(hour, -1, -1))) continue;
      for (let minute = 0; minute < 60; minute++) {
        if (!calendarsMatchPartial(calendars, at(hour, minute, -1))) continue;
        for (let second = 0; second < 60; second++) {
          const near = hourStart + minute * 60_000 + second * 1000;
          if (near + DST_SLACK_MS < fromMs || near - DST_SLACK_MS > toMs) continue;
          if (!calendarsMatch(calendars, at(hour, minute, second))) continue;
          for (const instant of wallTimeToInstants({ year, month, day, hour, minute, second }, timeZone)) {
            if (instant < fromMs || instant > toMs) continue;
            out.add(instant);
            if (out.size > limit)
              throw new Error(`more than ${limit} fire times between the two dates; backfill a shorter range`);
          }
        }
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Could some second of this hour (minute = -1) or minute (second = -1) match? */
function calendarsMatchPartial(
  calendars: readonly CalendarSpecLike[],
  d: { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number }
): boolean {
  return calendars.some((c) => {
    const relaxed: CalendarSpecLike = {
      ...c,
      ...(d.minute < 0 ? { minute: '*' } : {}),
      ...(d.second < 0 ? { second: '*' } : {}),
    };
    return calendarsMatch([relaxed], {
      ...d,
      minute: Math.max(0, d.minute),
      second: Math.max(0, d.second),
    });
  });
}
