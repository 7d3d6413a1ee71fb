// Quartz cron (what Databricks `schedule.quartz_cron_expression` uses) translated into Temporal
// calendar specs. Temporal's own cron parser must never see Quartz text: it reads `#` as a
// comment and rejects `?`, `L` and `W`. Inside one calendar every field is ANDed (day-of-month
// AND day-of-week too); calendars are unioned. That is enough to express L, L-n, nW, LW, dL and
// d#n exactly, with one calendar per month-length class (and leap years listed explicitly).

export const MONTH_NAMES = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
export const WEEKDAY_NAMES = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type MonthName = (typeof MONTH_NAMES)[number];
export type WeekdayName = (typeof WEEKDAY_NAMES)[number];

type Loose<U> = U | { start: U; end?: U; step?: number };
/** Structurally the same as @temporalio/client's CalendarSpec (core/ imports no Temporal code). */
export interface CalendarSpecLike {
  second?: Loose<number> | Loose<number>[] | '*';
  minute?: Loose<number> | Loose<number>[] | '*';
  hour?: Loose<number> | Loose<number>[] | '*';
  dayOfMonth?: Loose<number> | Loose<number>[] | '*';
  month?: Loose<MonthName> | Loose<MonthName>[] | '*';
  year?: Loose<number> | Loose<number>[] | '*';
  dayOfWeek?: Loose<WeekdayName> | Loose<WeekdayName>[] | '*';
  comment?: string;
}

export type CronTranslation =
  { ok: true; calendars: CalendarSpecLike[]; description: string } | { ok: false; errors: string[] };

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Value of names[0]. */
  nameBase?: number;
}

const FIELDS: FieldDef[] = [
  { name: 'seconds', min: 0, max: 59 },
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    nameBase: 1,
  },
  { name: 'day-of-week', min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], nameBase: 1 },
  { name: 'year', min: 1970, max: 2099 },
];
/** Years Temporal's calendar specs support. */
const TEMPORAL_YEARS = { min: 2000, max: 2100 };

const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
export const daysInMonth = (month: number, year: number) =>
  [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;

type Parsed = { kind: 'any' } | { kind: 'values'; values: number[] };

function parseValue(token: string, f: FieldDef, errors: string[], whole: string): number | undefined {
  const upper = token.toUpperCase();
  if (f.names) {
    const i = f.names.indexOf(upper);
    if (i >= 0) return i + (f.nameBase ?? 0);
  }
  if (!/^\d+$/.test(token)) {
    errors.push(
      `field ${f.name}: "${whole}" — expected a number${f.names ? ` or a name (${f.names.join(', ')})` : ''}, found "${token}"`
    );
    return undefined;
  }
  const n = Number(token);
  if (n < f.min || n > f.max) {
    errors.push(`field ${f.name}: "${whole}" — ${n} is out of range ${f.min}-${f.max}`);
    return undefined;
  }
  return n;
}

/** Plain Quartz syntax: `*`, `?`, values, names, ranges, lists, steps. */
function parsePlain(text: string, f: FieldDef, errors: string[]): Parsed | undefined {
  if (text === '*' || text === '?') return { kind: 'any' };
  const values = new Set<number>();
  const before = errors.length;
  for (const item of text.split(',')) {
    if (item === '') {
      errors.push(`field ${f.name}: "${text}" — empty list item`);
      continue;
    }
    const [base, stepText, extra] = item.split('/');
    if (extra !== undefined) {
      errors.push(`field ${f.name}: "${item}" — more than one "/"`);
      continue;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        errors.push(`field ${f.name}: "${item}" — expected a positive step after "/", found "${stepText}"`);
        continue;
      }
      step = Number(stepText);
    }
    let lo: number | undefined;
    let hi: number | undefined;
    if (base === '*' || base === '?') {
      lo = f.min;
      hi = f.max;
    } else if (base!.includes('-')) {
      const [a, b] = base!.split('-');
      lo = parseValue(a!, f, errors, item);
      hi = parseValue(b!, f, errors, item);
      if (lo !== undefined && hi !== undefined && lo > hi) {
        errors.push(
          `field ${f.name}: "${item}" — range start ${lo} is after its end ${hi} (wrap-around ranges are not supported)`
        );
        continue;
      }
    } else {
      lo = parseValue(base!, f, errors, item);
      hi = stepText !== undefined ? f.max : lo;
    }
    if (lo === undefined || hi === undefined) continue;
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  if (errors.length > before) return undefined;
  return { kind: 'values', values: [...values].sort((a, b) => a - b) };
}

/** Compress sorted values into Temporal ranges; the full domain becomes '*'. */
function toRanges<U>(values: number[], f: { min: number; max: number }, map: (n: number) => U): Loose<U>[] | '*' {
  if (values.length === f.max - f.min + 1) return '*';
  const out: Loose<U>[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(i === j ? map(values[i]!) : { start: map(values[i]!), end: map(values[j]!) });
    i = j + 1;
  }
  return out;
}

const monthName = (m: number): MonthName => MONTH_NAMES[m - 1]!;
const weekdayName = (d: number): WeekdayName => WEEKDAY_NAMES[d - 1]!; // Quartz: 1 = Sunday

/** A day rule: which (day-of-month, weekdays) pairs fire, possibly per month class and year set. */
interface DayVariant {
  dayOfMonth?: number[];
  dayOfWeek?: number[];
  months?: number[];
  years?: number[];
}

const MONTHS_31 = [1, 3, 5, 7, 8, 10, 12];
const MONTHS_30 = [4, 6, 9, 11];
const WEEKDAYS = [2, 3, 4, 5, 6];
const FRIDAY = 6;
const MONDAY = 2;

/** Month classes by length, with the years each applies to (February splits on leap years). */
function monthClasses(years: number[]): { months: number[]; length: number; years?: number[] }[] {
  return [
    { months: MONTHS_31, length: 31 },
    { months: MONTHS_30, length: 30 },
    { months: [2], length: 28, years: years.filter((y) => !isLeap(y)) },
    { months: [2], length: 29, years: years.filter(isLeap) },
  ];
}

function specialDayOfMonth(text: string, years: number[], errors: string[]): DayVariant[] | undefined {
  const f = 'day-of-month';
  const per = (fn: (length: number) => DayVariant[]) =>
    monthClasses(years).flatMap((c) =>
      fn(c.length).map((v) => ({ ...v, months: c.months, ...(c.years ? { years: c.years } : {}) }))
    );
  if (text === 'L') return per((len) => [{ dayOfMonth: [len] }]);
  let m = /^L-(\d+)$/.exec(text);
  if (m) {
    const n = Number(m[1]);
    if (n > 27) {
      errors.push(`field ${f}: "${text}" — an offset from the last day must be at most 27, found ${n}`);
      return undefined;
    }
    return per((len) => [{ dayOfMonth: [len - n] }]);
  }
  if (text === 'LW') {
    return per((len) => [
      { dayOfMonth: [len], dayOfWeek: WEEKDAYS },
      { dayOfMonth: [len - 1], dayOfWeek: [FRIDAY] }, // the last day is a Saturday
      { dayOfMonth: [len - 2], dayOfWeek: [FRIDAY] }, // the last day is a Sunday
    ]);
  }
  m = /^(\d+)W$/.exec(text);
  if (m) {
    const n = Number(m[1]);
    if (n < 1 || n > 27) {
      errors.push(
        `field ${f}: "${text}" — the nearest-weekday day must be 1-27 (28-31 depend on the month length in ways a calendar spec cannot express exactly), found ${n}`
      );
      return undefined;
    }
    if (n === 1) {
      // Never crosses into the previous month: a Saturday 1st moves to Monday the 3rd.
      return [
        { dayOfMonth: [1], dayOfWeek: WEEKDAYS },
        { dayOfMonth: [2], dayOfWeek: [MONDAY] },
        { dayOfMonth: [3], dayOfWeek: [MONDAY] },
      ];
    }
    return [
      { dayOfMonth: [n], dayOfWeek: WEEKDAYS },
      { dayOfMonth: [n - 1], dayOfWeek: [FRIDAY] }, // n is a Saturday
      { dayOfMonth: [n + 1], dayOfWeek: [MONDAY] }, // n is a Sunday
    ];
  }
  if (/[LW]/i.test(text)) {
    errors.push(`field ${f}: "${text}" — expected L, L-n, nW or LW alone (not in a list or range)`);
    return undefined;
  }
  return undefined;
}

function specialDayOfWeek(text: string, years: number[], errors: string[]): DayVariant[] | undefined {
  const f = FIELDS[5]!;
  let m = /^([A-Za-z]+|\d+)#(\d+)$/.exec(text);
  if (m) {
    const d = parseValue(m[1]!, f, errors, text);
    const k = Number(m[2]);
    if (k < 1 || k > 5) {
      errors.push(`field day-of-week: "${text}" — a month has at most 5 of any weekday, found #${k}`);
      return undefined;
    }
    if (d === undefined) return undefined;
    return [{ dayOfWeek: [d], dayOfMonth: range(7 * (k - 1) + 1, Math.min(7 * k, 31)) }];
  }
  m = /^([A-Za-z]+|\d+)L$/.exec(text);
  if (m) {
    const d = parseValue(m[1]!, f, errors, text);
    if (d === undefined) return undefined;
    return monthClasses(years).map((c) => ({
      dayOfWeek: [d],
      dayOfMonth: range(c.length - 6, c.length),
      months: c.months,
      ...(c.years ? { years: c.years } : {}),
    }));
  }
  if (text === 'L') return [{ dayOfWeek: [7] }]; // Quartz: "L" alone in day-of-week means Saturday
  if (/[#L]/i.test(text.replace(/[A-Za-z]{3}/g, (w) => (f.names!.includes(w.toUpperCase()) ? '' : w)))) {
    errors.push(`field day-of-week: "${text}" — expected dL or d#n alone (not in a list or range)`);
  }
  return undefined;
}

/**
 * The Quartz expression a 5-field Unix cron expression means, for the error that refuses it: a
 * seconds field first, "?" in whichever day field Unix leaves unrestricted, and Unix weekday
 * numbers (0 or 7 = Sunday) as Quartz's (1 = Sunday). None when no one expression says it (Unix
 * fires on a day of the month *or* a weekday when both are set) or the result would be refused too.
 */
function quartzFromUnix([min, hour, dom, mon, dow]: string[]): string | undefined {
  if (dom !== '*' && dow !== '*') return undefined;
  const weekday = (item: string) => item.replace(/\d+/g, (n) => String((Number(n) % 7) + 1));
  const quartzDow =
    dow === '*' ? '?' : /^[\d,-]+$/.test(dow!) ? [...new Set(dow!.split(',').map(weekday))].join(',') : dow!;
  const quartz = `0 ${min} ${hour} ${dow === '*' ? dom : '?'} ${mon} ${quartzDow}`;
  return translateQuartzCron(quartz).ok ? quartz : undefined;
}

export function translateQuartzCron(expression: string): CronTranslation {
  const errors: string[] = [];
  const parts = expression.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 5) {
    const quartz = quartzFromUnix(parts);
    return {
      ok: false,
      errors: [
        `expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found 5: Quartz cron starts with a seconds field and has "?" in day-of-month or day-of-week${
          quartz ? `, e.g. "${quartz}"` : ''
        }`,
      ],
    };
  }
  if (parts.length < 6 || parts.length > 7) {
    return {
      ok: false,
      errors: [
        `expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), found ${parts.length}`,
      ],
    };
  }
  const [secT, minT, hourT, domT, monT, dowT, yearT] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const sec = parsePlain(secT, FIELDS[0]!, errors);
  const min = parsePlain(minT, FIELDS[1]!, errors);
  const hour = parsePlain(hourT, FIELDS[2]!, errors);
  const mon = parsePlain(monT, FIELDS[4]!, errors);
  const year = yearT === undefined ? ({ kind: 'any' } as Parsed) : parsePlain(yearT, FIELDS[6]!, errors);

  if ((domT === '?') === (dowT === '?')) {
    errors.push(
      domT === '?'
        ? 'fields day-of-month and day-of-week: both are "?" — exactly one of them must be "?"'
        : `fields day-of-month and day-of-week: "${domT}" and "${dowT}" — Quartz needs "?" in exactly one of them`
    );
  }
  let years = range(TEMPORAL_YEARS.min, TEMPORAL_YEARS.max);
  if (year?.kind === 'values') {
    years = year.values.filter((y) => y >= TEMPORAL_YEARS.min && y <= TEMPORAL_YEARS.max);
    if (years.length === 0) errors.push(`field year: "${yearT}" — Temporal schedules support years 2000-2100 only`);
  }
  const months = mon?.kind === 'values' ? mon.values : range(1, 12);

  let days: DayVariant[] = [{}];
  if (domT !== '?') {
    const special = specialDayOfMonth(domT, years, errors);
    if (special) days = special;
    else if (!/[LW]/i.test(domT)) {
      const p = parsePlain(domT, FIELDS[3]!, errors);
      if (p?.kind === 'values') days = [{ dayOfMonth: p.values }];
    }
  } else if (dowT !== '?') {
    const special = specialDayOfWeek(dowT, years, errors);
    if (special) days = special;
    else if (!/#|\dL$|^L$/i.test(dowT)) {
      const p = parsePlain(dowT, FIELDS[5]!, errors);
      if (p?.kind === 'values') days = [{ dayOfWeek: p.values }];
    }
  }
  if (errors.length > 0 || !sec || !min || !hour || !mon || !year) return { ok: false, errors };

  const calendars: CalendarSpecLike[] = [];
  const base: CalendarSpecLike = {
    second: sec.kind === 'any' ? '*' : toRanges(sec.values, FIELDS[0]!, (n) => n),
    minute: min.kind === 'any' ? '*' : toRanges(min.values, FIELDS[1]!, (n) => n),
    hour: hour.kind === 'any' ? '*' : toRanges(hour.values, FIELDS[2]!, (n) => n),
  };
  for (const v of days) {
    const ms = v.months ? months.filter((m) => v.months!.includes(m)) : months;
    const ys = v.years ? years.filter((y) => v.years!.includes(y)) : year.kind === 'values' ? years : undefined;
    if (ms.length === 0 || (ys && ys.length === 0)) continue;
    calendars.push({
      ...base,
      dayOfMonth: v.dayOfMonth ? toRanges(v.dayOfMonth, { min: 1, max: 31 }, (n) => n) : '*',
      month: toRanges(ms, { min: 1, max: 12 }, monthName),
      dayOfWeek: v.dayOfWeek ? toRanges(v.dayOfWeek, { min: 1, max: 7 }, weekdayName) : '*',
      year: ys ? toRanges(ys, { min: -1, max: -2 }, (n) => n) : '*',
    });
  }
  if (calendars.length === 0) return { ok: false, errors: [`"${expression}" never fires`] };
  return {
    ok: true,
    calendars,
    description: `Quartz "${parts.join(' ')}" as ${calendars.length} calendar spec${calendars.length > 1 ? 's' : ''}`,
  };
}

// ---- evaluators (for tests and previews): both work on broken-down local date parts ----

export interface DateParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

function matchLoose<U>(
  spec: Loose<U> | Loose<U>[] | '*' | undefined,
  value: U,
  index: (u: U) => number,
  dflt: 'any' | 'zero'
): boolean {
  if (spec === undefined) return dflt === 'any' || index(value) === 0;
  if (spec === '*') return true;
  const items = Array.isArray(spec) ? spec : [spec];
  const v = index(value);
  return items.some((item) => {
    if (typeof item === 'object' && item !== null && 'start' in item) {
      const s = index(item.start);
      const e = item.end !== undefined ? index(item.end) : s;
      const step = item.step ?? 1;
      return v >= s && v <= e && (v - s) % step === 0;
    }
    return index(item) === v;
  });
}

export function calendarsMatch(calendars: readonly CalendarSpecLike[], d: DateParts): boolean {
  const num = (n: number) => n;
  return calendars.some(
    (c) =>
      matchLoose(c.second, d.second, num, 'zero') &&
      matchLoose(c.minute, d.minute, num, 'zero') &&
      matchLoose(c.hour, d.hour, num, 'zero') &&
      matchLoose(c.dayOfMonth, d.day, num, 'any') &&
      matchLoose(c.month, monthName(d.month), (m) => MONTH_NAMES.indexOf(m), 'any') &&
      matchLoose(c.year, d.year, num, 'any') &&
      matchLoose(c.dayOfWeek, weekdayName(d.weekday + 1), (w) => WEEKDAY_NAMES.indexOf(w), 'any')
  );
}

/** A direct Quartz evaluator, independent of the translation, to test it against. */
export function quartzMatches(expression: string, d: DateParts): boolean {
  const parts = expression.trim().split(/\s+/);
  const errors: string[] = [];
  const plain = (i: number, v: number) => {
    const p = parsePlain(parts[i]!, FIELDS[i]!, errors);
    return p !== undefined && (p.kind === 'any' || p.values.includes(v));
  };
  if (!plain(0, d.second) || !plain(1, d.minute) || !plain(2, d.hour) || !plain(4, d.month)) return false;
  if (parts[6] !== undefined && !plain(6, d.year)) return false;
  const len = daysInMonth(d.month, d.year);
  const isWeekday = (day: number) => {
    const wd = (d.weekday + (day - d.day) + 35) % 7;
    return wd >= 1 && wd <= 5;
  };
  const dom = parts[3]!;
  const dow = parts[5]!.toUpperCase();
  if (dom !== '?') {
    if (dom === 'L') return d.day === len;
    let m = /^L-(\d+)$/.exec(dom);
    if (m) return d.day === len - Number(m[1]);
    const nearestWeekday = (target: number) => {
      if (isWeekday(target)) return target;
      const wd = (d.weekday + (target - d.day) + 35) % 7;
      if (wd === 6) return target === 1 ? target + 2 : target - 1; // Saturday
      return target === len ? target - 2 : target + 1; // Sunday
    };
    if (dom === 'LW') return d.day === nearestWeekday(len);
    m = /^(\d+)W$/.exec(dom);
    if (m) return Number(m[1]) <= len && d.day === nearestWeekday(Number(m[1]));
    return plain(3, d.day);
  }
  const wdQuartz = d.weekday + 1;
  const names = FIELDS[5]!.names!;
  const val = (t: string) => (names.includes(t) ? names.indexOf(t) + 1 : Number(t));
  let m = /^(\w+)#(\d)$/.exec(dow);
  if (m) return wdQuartz === val(m[1]!) && Math.ceil(d.day / 7) === Number(m[2]);
  m = /^(\w+)L$/.exec(dow);
  if (m) return wdQuartz === val(m[1]!) && d.day > len - 7;
  if (dow === 'L') return wdQuartz === 7;
  return plain(5, wdQuartz);
}
