// Dynamic value references (`{{job.run_id}}`, `{{tasks.ingest.values.rows}}`, …), as Databricks
// substitutes them into task parameters (https://docs.databricks.com/jobs/dynamic-value-references.html). Pure: parsing, validation
// against a job's settings, and deterministic resolution from a context the workflow builds.

/** One `{{ … }}` occurrence. `path` is the dotted name split into parts, back-quotes removed. */
export interface Reference {
  raw: string;
  start: number;
  end: number;
  path: string[];
}

const REF = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** Split `job.parameters.\`my-param\`` into ['job', 'parameters', 'my-param']. */
export function splitReferencePath(expr: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  while (i < expr.length) {
    if (expr[i] === '`') {
      const close = expr.indexOf('`', i + 1);
      if (close < 0) return undefined;
      parts.push(expr.slice(i + 1, close));
      i = close + 1;
    } else {
      let j = i;
      while (j < expr.length && expr[j] !== '.') j++;
      const part = expr.slice(i, j);
      if (!/^[A-Za-z0-9_]+$/.test(part)) return undefined;
      parts.push(part);
      i = j;
    }
    if (i < expr.length) {
      if (expr[i] !== '.') return undefined;
      i++;
      if (i === expr.length) return undefined;
    }
  }
  return parts.length > 0 ? parts : undefined;
}

/** Every well-formed reference in `text`; malformed ones are left alone (passed through literally). */
export function findReferences(text: string): Reference[] {
  const refs: Reference[] = [];
  for (const m of text.matchAll(REF)) {
    const path = splitReferencePath(m[1]!);
    if (path) refs.push({ raw: m[0], start: m.index, end: m.index + m[0].length, path });
  }
  return refs;
}

export const TIME_ARGS = [
  'iso_weekday',
  'is_weekday',
  'is_business_day',
  'iso_date',
  'iso_datetime',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'timestamp_ms',
] as const;
export type TimeArg = (typeof TIME_ARGS)[number];

const TASK_FIELDS = ['run_id', 'result_state', 'error_code', 'execution_count', 'notebook_path'] as const;

/** What a reference may name, given the job's task keys and parameter names. */
export interface ReferenceScope {
  taskKeys: ReadonlySet<string>;
  parameterNames: ReadonlySet<string>;
  /** Inside a for_each nested task, `{{input}}` is defined. */
  insideForEach?: boolean;
}

/**
 * Why a reference is invalid, or undefined when it is valid. Unknown namespaces (not job, task,
 * tasks, input, workspace, backfill) are not references and are passed through, as Databricks does.
 */
export function checkReference(path: readonly string[], scope: ReferenceScope): string | undefined {
  const [ns, a, b, c, ...rest] = path;
  const name = path.join('.');
  const timeArg = (arg: string | undefined, prefix: string) =>
    arg !== undefined && (TIME_ARGS as readonly string[]).includes(arg) && rest.length === 0 && c === undefined
      ? undefined
      : `unknown reference {{${name}}}: expected {{${prefix}.<${TIME_ARGS.join('|')}>}}`;
  switch (ns) {
    case 'job':
      if (a === undefined) return `unknown reference {{${name}}}`;
      if (['id', 'name', 'run_id', 'repair_count'].includes(a) && b === undefined) return undefined;
      if (a === 'start_time')
        return b !== undefined && c === undefined
          ? timeArg(b, 'job.start_time')
          : `unknown reference {{${name}}}: expected {{job.start_time.<${TIME_ARGS.join('|')}>}}`;
      if (a === 'trigger') {
        if (b === 'type' && c === undefined) return undefined;
        if (b === 'time')
          return c !== undefined && rest.length === 0 && (TIME_ARGS as readonly string[]).includes(c)
            ? undefined
            : `unknown reference {{${name}}}: expected {{job.trigger.time.<${TIME_ARGS.join('|')}>}}`;
        // location as in Databricks; files (the new files, a JSON list) is a durable-jobs extension.
        if (b === 'file_arrival' && (c === 'location' || c === 'files') && rest.length === 0) return undefined;
        // The updates of a model-trigger run, a JSON list [{full_name, version, alias_name}], as in Databricks.
        if (b === 'model' && c === 'updates' && rest.length === 0) return undefined;
        return `unknown reference {{${name}}}: expected {{job.trigger.type}} or {{job.trigger.time.<arg>}}`;
      }
      if (a === 'parameters') {
        if (b === undefined || c !== undefined)
          return `unknown reference {{${name}}}: expected {{job.parameters.<name>}}`;
        return scope.parameterNames.has(b)
          ? undefined
          : `reference {{${name}}} names job parameter "${b}", which the job does not define`;
      }
      return `unknown reference {{${name}}}`;
    case 'task':
      if (a !== undefined && ['name', 'run_id', 'execution_count', 'notebook_path'].includes(a) && b === undefined)
        return undefined;
      return `unknown reference {{${name}}}: expected {{task.<name|run_id|execution_count|notebook_path>}}`;
    case 'tasks': {
      if (a === undefined || b === undefined)
        return `unknown reference {{${name}}}: expected {{tasks.<task_key>.<field>}}`;
      if (!scope.taskKeys.has(a)) return `reference {{${name}}} names task "${a}", which is not in this job`;
      if ((TASK_FIELDS as readonly string[]).includes(b) && c === undefined) return undefined;
      if (b === 'values' && c !== undefined && rest.length === 0) return undefined;
      return `unknown reference {{${name}}}: expected {{tasks.${a}.<${TASK_FIELDS.join('|')}>}} or {{tasks.${a}.values.<name>}}`;
    }
    case 'input':
      return scope.insideForEach ? undefined : `reference {{${name}}} is only defined inside a for_each task`;
    case 'workspace':
      return (a === 'id' || a === 'url') && b === undefined ? undefined : `unknown reference {{${name}}}`;
    case 'backfill':
      return a !== undefined && (TIME_ARGS as readonly string[]).includes(a) && b === undefined
        ? undefined
        : `unknown reference {{${name}}}`;
    default:
      return undefined;
  }
}

/** Broken-down UTC (or zoned) time values for `*.start_time.*` and `*.trigger.time.*`. */
export function timeValue(epochMs: number, arg: TimeArg): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const isoWeekday = ((d.getUTCDay() + 6) % 7) + 1;
  switch (arg) {
    case 'iso_weekday':
      return String(isoWeekday);
    case 'is_weekday':
    case 'is_business_day':
      return String(isoWeekday <= 5);
    case 'iso_date':
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case 'iso_datetime':
      return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
    case 'year':
      return String(d.getUTCFullYear());
    case 'month':
      return String(d.getUTCMonth() + 1);
    case 'day':
      return String(d.getUTCDate());
    case 'hour':
      return String(d.getUTCHours());
    case 'minute':
      return String(d.getUTCMinutes());
    case 'second':
      return String(d.getUTCSeconds());
    case 'timestamp_ms':
      return String(epochMs);
  }
}
