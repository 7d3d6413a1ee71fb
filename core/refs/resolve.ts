// Resolving `{{…}}` references against what the run knows when a task starts, and finding every
// reference in a job's settings so that an unknown one is a validation error, not a runtime surprise.
import type { JsonValue } from '../run/task-attempt';
import { checkReference, findReferences, timeValue, TIME_ARGS, type ReferenceScope, type TimeArg } from './references';

export interface TaskReferenceFacts {
  runId: number;
  /** Lower-case Databricks result state once finished, e.g. `success`, `upstream_failed`. */
  resultState?: string;
  errorCode?: string;
  executionCount: number;
  notebookPath?: string;
  values: Record<string, JsonValue>;
}

export interface ReferenceContext {
  job: {
    id?: number;
    name: string;
    runId: number;
    repairCount: number;
    startTime: number;
    triggerType: string;
    /** Nominal time of the trigger (a schedule's fire time); the start time otherwise. */
    triggerTime: number;
    /** A file-arrival run: the watched location and the new files that started it. */
    fileArrival?: { location: string; files: string[] };
    /** A model-trigger run: the registry updates that started it. */
    modelUpdates?: readonly { full_name: string; version?: number; alias_name?: string }[];
    parameters: Record<string, string>;
  };
  task?: { name: string; runId: number; executionCount: number; notebookPath?: string };
  tasks: Record<string, TaskReferenceFacts>;
  input?: JsonValue;
}

export type Resolution = { ok: true; value: string } | { ok: false; error: string };

const asText = (v: JsonValue): string => (typeof v === 'string' ? v : JSON.stringify(v));
const isTimeArg = (a: string | undefined): a is TimeArg =>
  a !== undefined && (TIME_ARGS as readonly string[]).includes(a);

/** The value of one reference, undefined when it is not a reference we substitute (left as written). */
function valueOf(path: readonly string[], ctx: ReferenceContext): Resolution | undefined {
  const [ns, a, b, c] = path;
  const missing = (what: string): Resolution => ({ ok: false, error: `reference {{${path.join('.')}}}: ${what}` });
  switch (ns) {
    case 'job':
      if (a === 'id')
        return ctx.job.id !== undefined ? { ok: true, value: String(ctx.job.id) } : { ok: true, value: '' };
      if (a === 'name') return { ok: true, value: ctx.job.name };
      if (a === 'run_id') return { ok: true, value: String(ctx.job.runId) };
      if (a === 'repair_count') return { ok: true, value: String(ctx.job.repairCount) };
      if (a === 'start_time' && isTimeArg(b)) return { ok: true, value: timeValue(ctx.job.startTime, b) };
      if (a === 'trigger' && b === 'type') return { ok: true, value: ctx.job.triggerType.toLowerCase() };
      if (a === 'trigger' && b === 'time' && isTimeArg(c))
        return { ok: true, value: timeValue(ctx.job.triggerTime, c) };
      if (a === 'trigger' && b === 'file_arrival' && c === 'location')
        return { ok: true, value: ctx.job.fileArrival?.location ?? '' };
      if (a === 'trigger' && b === 'file_arrival' && c === 'files')
        return { ok: true, value: JSON.stringify(ctx.job.fileArrival?.files ?? []) };
      if (a === 'trigger' && b === 'model' && c === 'updates')
        return { ok: true, value: JSON.stringify(ctx.job.modelUpdates ?? []) };
      if (a === 'parameters' && b !== undefined) {
        const v = ctx.job.parameters[b];
        return v !== undefined ? { ok: true, value: v } : missing(`job parameter "${b}" is not defined`);
      }
      return undefined;
    case 'task':
      if (!ctx.task) return undefined;
      if (a === 'name') return { ok: true, value: ctx.task.name };
      if (a === 'run_id') return { ok: true, value: String(ctx.task.runId) };
      if (a === 'execution_count') return { ok: true, value: String(ctx.task.executionCount) };
      if (a === 'notebook_path') return { ok: true, value: ctx.task.notebookPath ?? '' };
      return undefined;
    case 'tasks': {
      if (a === undefined) return undefined;
      const t = ctx.tasks[a];
      if (!t) return missing(`task "${a}" has not run yet in this run`);
      switch (b) {
        case 'run_id':
          return { ok: true, value: String(t.runId) };
        case 'result_state':
          return { ok: true, value: t.resultState ?? '' };
        case 'error_code':
          return { ok: true, value: t.errorCode ?? '' };
        case 'execution_count':
          return { ok: true, value: String(t.executionCount) };
        case 'notebook_path':
          return { ok: true, value: t.notebookPath ?? '' };
        case 'values': {
          if (c === undefined) return undefined;
          const v = t.values[c];
          return v !== undefined ? { ok: true, value: asText(v) } : missing(`task "${a}" set no value "${c}"`);
        }
        default:
          return undefined;
      }
    }
    case 'input': {
      if (ctx.input === undefined) return undefined;
      let v: JsonValue | undefined = ctx.input;
      for (const part of path.slice(1)) {
        v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[part] : undefined;
        if (v === undefined) return missing(`the input has no field "${part}"`);
      }
      return { ok: true, value: asText(v) };
    }
    // Deprecated Databricks forms, still common in older jobs.
    case 'job_id':
      return a === undefined ? { ok: true, value: ctx.job.id !== undefined ? String(ctx.job.id) : '' } : undefined;
    case 'run_id':
      return a === undefined ? { ok: true, value: String(ctx.task?.runId ?? ctx.job.runId) } : undefined;
    case 'parent_run_id':
      return a === undefined ? { ok: true, value: String(ctx.job.runId) } : undefined;
    case 'start_date':
      return a === undefined ? { ok: true, value: timeValue(ctx.job.startTime, 'iso_date') } : undefined;
    case 'start_time':
      return a === undefined ? { ok: true, value: String(ctx.job.startTime) } : undefined;
    case 'task_retry_count':
      return a === undefined && ctx.task ? { ok: true, value: String(ctx.task.executionCount - 1) } : undefined;
    case 'task_key':
      return a === undefined && ctx.task ? { ok: true, value: ctx.task.name } : undefined;
    default:
      return undefined;
  }
}

/** Substitute every reference in `text`; the first reference that cannot be resolved is an error. */
export function resolveReferences(text: string, ctx: ReferenceContext): Resolution {
  const refs = findReferences(text);
  if (refs.length === 0) return { ok: true, value: text };
  let out = '';
  let at = 0;
  for (const r of refs) {
    const v = valueOf(r.path, ctx);
    if (v && !v.ok) return v;
    out += text.slice(at, r.start) + (v ? v.value : r.raw);
    at = r.end;
  }
  return { ok: true, value: out + text.slice(at) };
}

/** Every string in a job's settings that references are substituted into, with its JSON path. */
export function referenceSites(settings: {
  parameters?: { name: string; default: string }[];
  tasks: Record<string, unknown>[];
}): { path: string; text: string; taskIndex?: number; insideForEach?: boolean }[] {
  const sites: { path: string; text: string; taskIndex?: number; insideForEach?: boolean }[] = [];
  settings.parameters?.forEach((p, i) => sites.push({ path: `parameters[${i}].default`, text: p.default }));
  const str = (v: unknown): v is string => typeof v === 'string';
  const taskSites = (t: Record<string, unknown>, prefix: string, i: number, insideForEach: boolean) => {
    const add = (path: string, v: unknown) => {
      if (str(v))
        sites.push({ path: `${prefix}.${path}`, text: v, taskIndex: i, ...(insideForEach ? { insideForEach } : {}) });
    };
    const map = (path: string, m: unknown) => {
      if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) add(`${path}.${k}`, v);
    };
    const list = (path: string, l: unknown) => {
      if (Array.isArray(l)) l.forEach((v, j) => add(`${path}[${j}]`, v));
    };
    const nb = t.notebook_task as { base_parameters?: unknown } | undefined;
    map('notebook_task.base_parameters', nb?.base_parameters);
    list('spark_python_task.parameters', (t.spark_python_task as { parameters?: unknown } | undefined)?.parameters);
    map('sql_task.parameters', (t.sql_task as { parameters?: unknown } | undefined)?.parameters);
    const shell = t.shell_command_task as { command?: unknown; env?: unknown } | undefined;
    if (shell) {
      if (Array.isArray(shell.command)) list('shell_command_task.command', shell.command);
      else add('shell_command_task.command', shell.command);
      map('shell_command_task.env', shell.env);
    }
    map('run_job_task.job_parameters', (t.run_job_task as { job_parameters?: unknown } | undefined)?.job_parameters);
    const cond = t.condition_task as { left?: unknown; right?: unknown } | undefined;
    add('condition_task.left', cond?.left);
    add('condition_task.right', cond?.right);
    const fe = t.for_each_task as { inputs?: unknown; task?: unknown } | undefined;
    if (fe) {
      add('for_each_task.inputs', fe.inputs);
      if (fe.task && typeof fe.task === 'object')
        taskSites(fe.task as Record<string, unknown>, `${prefix}.for_each_task.task`, i, true);
    }
  };
  settings.tasks.forEach((t, i) => taskSites(t, `tasks[${i}]`, i, false));
  return sites;
}

/** Problems with references in these settings: unknown names, undefined parameters, unknown tasks. */
export function referenceProblems(
  settings: { parameters?: { name: string; default: string }[]; tasks: Record<string, unknown>[] },
  scope: Omit<ReferenceScope, 'insideForEach'>
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const site of referenceSites(settings)) {
    for (const ref of findReferences(site.text)) {
      const why = checkReference(ref.path, { ...scope, insideForEach: site.insideForEach === true });
      if (why) problems.push({ path: site.path, message: why });
    }
  }
  return problems;
}

/**
 * A copy of the task with references substituted in every field that takes them (parameters,
 * commands, condition operands). Pure and deterministic: the workflow calls it before each attempt.
 */
export function resolveTask<T extends object>(
  task: T,
  ctx: ReferenceContext
): { ok: true; task: T } | { ok: false; error: string } {
  const copy = JSON.parse(JSON.stringify(task)) as Record<string, Record<string, unknown> | undefined>;
  let error: string | undefined;
  const one = (v: unknown): unknown => {
    if (typeof v !== 'string' || error) return v;
    const r = resolveReferences(v, ctx);
    if (!r.ok) {
      error = r.error;
      return v;
    }
    return r.value;
  };
  const map = (m: unknown) =>
    m && typeof m === 'object' ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, one(v)])) : m;
  const list = (l: unknown) => (Array.isArray(l) ? l.map(one) : l);
  const nb = copy.notebook_task;
  if (nb?.base_parameters) nb.base_parameters = map(nb.base_parameters);
  const py = copy.spark_python_task;
  if (py?.parameters) py.parameters = list(py.parameters);
  const sql = copy.sql_task;
  if (sql?.parameters) sql.parameters = map(sql.parameters);
  const shell = copy.shell_command_task;
  if (shell) {
    shell.command = Array.isArray(shell.command) ? list(shell.command) : one(shell.command);
    if (shell.env) shell.env = map(shell.env);
  }
  const rj = copy.run_job_task;
  if (rj?.job_parameters) rj.job_parameters = map(rj.job_parameters);
  const fe = copy.for_each_task;
  if (fe) fe.inputs = one(fe.inputs); // the nested task is resolved per iteration, with {{input}}
  const cond = copy.condition_task;
  if (cond) {
    cond.left = one(cond.left);
    cond.right = one(cond.right);
  }
  return error ? { ok: false, error } : { ok: true, task: copy as T };
}

/** Job parameter values with references (e.g. a default of `{{job.start_time.iso_date}}`) substituted. */
export function resolveJobParameters(values: Record<string, string>, ctx: ReferenceContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    const r = resolveReferences(v, ctx);
    out[k] = r.ok ? r.value : v;
  }
  return out;
}
