// validateJobSettings: every problem at once, each with its JSON path and a sentence saying what
// was expected and what was found. Shape problems come from the zod schema; graph and
// cross-field problems are checked on whatever is shaped well enough to check.
import type { z } from 'zod';
import { translateQuartzCron, isValidTimeZone } from '../cron';
import { describeCycle, findCycles } from '../dag/graph';
import { referenceProblems } from '../refs/resolve';
import { warehouseIdProblem } from '../access/warehouse-permissions';
import { forEachInputsLimitProblem, parseForEachInputs } from '../run/for-each';
import { JobSettings, TASK_TYPES, UNSUPPORTED_TASK_TYPES } from './job-settings';
import { refusedFieldProblems } from './field-classes';
import { runtimeProblems } from './runtime-problems';

export interface SpecProblem {
  /** JSON path such as `tasks[1].depends_on[0].task_key`; empty for the document root. */
  path: string;
  /** A sentence saying what was expected and what was found. */
  message: string;
}

export type ValidationResult = { ok: true; settings: JobSettings } | { ok: false; errors: SpecProblem[] };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'an array';
  return 'an object';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  record: 'an object',
};

export function issueToProblems(issue: z.core.$ZodIssue): SpecProblem[] {
  const path = formatPath(issue.path);
  const found = describeValue(issue.input);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ path: formatPath([...issue.path, k]), message: `unknown field "${k}"` }));
    case 'invalid_type':
      if (issue.input === undefined)
        return [{ path, message: `required field missing: expected ${TYPE_WORDS[issue.expected] ?? issue.expected}` }];
      return [{ path, message: `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, found ${found}` }];
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map((v) => String(v)).join(', ')}, found ${found}` }];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const origin = issue.origin;
      if (origin === 'array') {
        const n = Array.isArray(issue.input) ? issue.input.length : '?';
        const unit = path === 'tasks' ? 'tasks' : 'items';
        return [{ path, message: `expected ${word} ${String(bound)} ${unit}, found ${n}` }];
      }
      if (origin === 'string') {
        const n = typeof issue.input === 'string' ? issue.input.length : '?';
        return [{ path, message: `expected ${word} ${String(bound)} characters, found ${n}` }];
      }
      return [
        {
          path,
          message: `expected a number ${issue.code === 'too_small' ? '≥' : '≤'} ${String(bound)}, found ${found}`,
        },
      ];
    }
    case 'invalid_format':
      return [{ path, message: `${issue.message}, found ${found}` }];
    case 'custom':
      // Refinements that say what they found themselves.
      if (issue.params?.exact) return [{ path, message: issue.message }];
      return [{ path, message: `${issue.message}, found ${found}` }];
    default:
      return [{ path, message: `${issue.message}, found ${found}` }];
  }
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): v is string => typeof v === 'string';

/** Graph and cross-field checks on the raw input; tolerant of shapes zod already reported. */
/**
 * Health rules durable-jobs can act on: a run's (or task's) duration. Streaming backlog metrics
 * need a streaming source to measure, which no durable-jobs task has, so they are refused rather
 * than silently never firing.
 */
function healthProblems(health: unknown, at: string): SpecProblem[] {
  if (!isObject(health) || !Array.isArray(health.rules)) return [];
  return health.rules.flatMap((rule: unknown, j) =>
    isObject(rule) && typeof rule.metric === 'string' && rule.metric.startsWith('STREAMING_BACKLOG_')
      ? [
          {
            path: `${at}health.rules[${j}].metric`,
            message: `expected RUN_DURATION_SECONDS (durable-jobs cannot measure streaming backlog metrics: no task reads a stream), found ${rule.metric}`,
          },
        ]
      : []
  );
}

function crossFieldProblems(input: Raw): SpecProblem[] {
  const problems: SpecProblem[] = healthProblems(input.health, '');
  const tasks = Array.isArray(input.tasks) ? input.tasks : [];
  const firstIndex = new Map<string, number>();
  const typeOf = new Map<string, string>();
  tasks.forEach((t, i) => {
    if (!isObject(t)) return;
    const k = t.task_key;
    if (strings(k)) {
      const prev = firstIndex.get(k);
      if (prev !== undefined)
        problems.push({
          path: `tasks[${i}].task_key`,
          message: `duplicate task_key "${k}" (already used by tasks[${prev}])`,
        });
      else firstIndex.set(k, i);
    }
    const supported = TASK_TYPES.filter((ty) => t[ty] !== undefined);
    const unsupported = UNSUPPORTED_TASK_TYPES.filter((ty) => t[ty] !== undefined);
    for (const ty of unsupported) {
      problems.push({
        path: `tasks[${i}].${ty}`,
        message: `task type ${ty} is not supported by durable-jobs yet (supported: ${TASK_TYPES.join(', ')})`,
      });
    }
    const all = [...supported, ...unsupported];
    if (all.length === 0) {
      problems.push({
        path: `tasks[${i}]`,
        message: `expected exactly one task type (${TASK_TYPES.join(', ')}), found none`,
      });
    } else if (all.length > 1) {
      problems.push({
        path: `tasks[${i}]`,
        message: `expected exactly one task type, found ${all.length}: ${all.join(', ')}`,
      });
    }
    if (strings(k) && all[0]) typeOf.set(k, all[0]);
    problems.push(...healthProblems(t.health, `tasks[${i}].`));
    const fe = t.for_each_task;
    if (isObject(fe) && isObject(fe.task)) {
      const nested = fe.task;
      const nestedTypes = [
        ...TASK_TYPES.filter((ty) => ty !== 'for_each_task' && nested[ty] !== undefined),
        ...UNSUPPORTED_TASK_TYPES.filter((ty) => nested[ty] !== undefined),
      ];
      if (nestedTypes.length !== 1) {
        problems.push({
          path: `tasks[${i}].for_each_task.task`,
          message: `expected exactly one task type in the nested task (not for_each_task), found ${nestedTypes.length === 0 ? 'none' : nestedTypes.join(', ')}`,
        });
      }
      for (const ty of UNSUPPORTED_TASK_TYPES.filter((x) => nested[x] !== undefined)) {
        problems.push({
          path: `tasks[${i}].for_each_task.task.${ty}`,
          message: `task type ${ty} is not supported by durable-jobs yet`,
        });
      }
      for (const ty of ['condition_task', 'run_job_task'] as const) {
        if (nested[ty] !== undefined) {
          problems.push({
            path: `tasks[${i}].for_each_task.task.${ty}`,
            message: `${ty} is not supported inside a for_each_task yet`,
          });
        }
      }
      if (strings(fe.inputs) && !fe.inputs.includes('{{')) {
        const tooLong = forEachInputsLimitProblem(fe.inputs, 'literal');
        if (tooLong) problems.push({ path: `tasks[${i}].for_each_task.inputs`, message: tooLong });
        else if (parseForEachInputs(fe.inputs) === undefined) {
          problems.push({
            path: `tasks[${i}].for_each_task.inputs`,
            message: `expected a JSON array or a reference to one, found ${JSON.stringify(fe.inputs.slice(0, 60))}`,
          });
        }
      }
    }
    // A warehouse id names a database file on the workers: an identifier only, never a path.
    const nested = isObject(t.for_each_task) && isObject(t.for_each_task.task) ? t.for_each_task.task : undefined;
    for (const [where, task] of [
      [`tasks[${i}]`, t],
      [`tasks[${i}].for_each_task.task`, nested],
    ] as const) {
      for (const kind of ['sql_task', 'notebook_task'] as const) {
        const id = isObject(task) && isObject(task[kind]) ? task[kind].warehouse_id : undefined;
        const problem = strings(id) ? warehouseIdProblem(id) : undefined;
        if (problem) problems.push({ path: `${where}.${kind}.warehouse_id`, message: problem });
      }
    }
    const sql = t.sql_task;
    if (isObject(sql)) {
      const kinds = ['file', 'query', 'dashboard', 'alert'].filter((f) => sql[f] !== undefined);
      if (kinds.length !== 1) {
        problems.push({
          path: `tasks[${i}].sql_task`,
          message: `expected exactly one of file or query, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
        });
      }
      for (const f of ['dashboard', 'alert']) {
        if (sql[f] !== undefined)
          problems.push({
            path: `tasks[${i}].sql_task.${f}`,
            message: `SQL ${f} tasks are not supported by durable-jobs yet`,
          });
      }
      const q = sql.query;
      if (isObject(q)) {
        if (q.query_id !== undefined) {
          problems.push({
            path: `tasks[${i}].sql_task.query.query_id`,
            message:
              'saved Databricks queries do not exist in durable-jobs: use query.query_text (extension) or file.path',
          });
        } else if (q.query_text === undefined) {
          problems.push({
            path: `tasks[${i}].sql_task.query`,
            message: 'expected query_text (inline SQL, a durable-jobs extension), found nothing',
          });
        }
      }
    }
  });

  const clusterKeys = new Set<string>();
  (Array.isArray(input.job_clusters) ? input.job_clusters : []).forEach((c, i) => {
    if (!isObject(c) || !strings(c.job_cluster_key)) return;
    if (clusterKeys.has(c.job_cluster_key))
      problems.push({
        path: `job_clusters[${i}].job_cluster_key`,
        message: `duplicate job_cluster_key "${c.job_cluster_key}"`,
      });
    clusterKeys.add(c.job_cluster_key);
  });

  tasks.forEach((t, i) => {
    if (!isObject(t)) return;
    if (strings(t.job_cluster_key) && !clusterKeys.has(t.job_cluster_key)) {
      problems.push({
        path: `tasks[${i}].job_cluster_key`,
        message: `expected a job_cluster_key declared in job_clusters, found "${t.job_cluster_key}"`,
      });
    }
    if (!Array.isArray(t.depends_on)) return;
    t.depends_on.forEach((d, j) => {
      if (!isObject(d) || !strings(d.task_key)) return;
      const path = `tasks[${i}].depends_on[${j}]`;
      if (d.task_key === t.task_key) {
        problems.push({ path: `${path}.task_key`, message: `a task cannot depend on itself ("${d.task_key}")` });
      } else if (!firstIndex.has(d.task_key)) {
        problems.push({
          path: `${path}.task_key`,
          message: `expected the task_key of another task in this job, found "${d.task_key}"`,
        });
      } else if (d.outcome !== undefined && typeOf.get(d.task_key) !== 'condition_task') {
        problems.push({
          path: `${path}.outcome`,
          message: `outcome is only allowed on a dependency on a condition_task, but "${d.task_key}" is a ${typeOf.get(d.task_key) ?? 'task without a type'}`,
        });
      }
    });
  });

  const graph = tasks
    .filter(isObject)
    .filter((t) => strings(t.task_key))
    .map((t) => ({
      task_key: t.task_key as string,
      depends_on: (Array.isArray(t.depends_on) ? t.depends_on : [])
        .filter((d): d is Raw => isObject(d) && strings(d.task_key) && d.task_key !== t.task_key)
        .map((d) => ({ task_key: d.task_key as string })),
    }));
  for (const cycle of findCycles(graph)) {
    problems.push({
      path: `tasks[${firstIndex.get(cycle[0]!)!}].depends_on`,
      message: `dependency cycle ${describeCycle(cycle)}`,
    });
  }

  const params = new Map<string, number>();
  (Array.isArray(input.parameters) ? input.parameters : []).forEach((p, i) => {
    if (!isObject(p) || !strings(p.name)) return;
    const prev = params.get(p.name);
    if (prev !== undefined)
      problems.push({
        path: `parameters[${i}].name`,
        message: `duplicate job parameter "${p.name}" (already defined by parameters[${prev}])`,
      });
    else params.set(p.name, i);
  });

  const schedule = input.schedule;
  if (isObject(schedule)) {
    if (strings(schedule.quartz_cron_expression)) {
      const cron = translateQuartzCron(schedule.quartz_cron_expression);
      if (!cron.ok) for (const e of cron.errors) problems.push({ path: 'schedule.quartz_cron_expression', message: e });
    }
    if (strings(schedule.timezone_id) && !isValidTimeZone(schedule.timezone_id)) {
      problems.push({
        path: 'schedule.timezone_id',
        message: `expected a time zone id such as "UTC" or "America/New_York", found "${schedule.timezone_id}"`,
      });
    }
  }
  problems.push(...triggerProblems(input));
  problems.push(...runtimeProblems(input));
  const parameterNames = new Set(params.keys());
  const wellShapedTasks = tasks.filter(isObject);
  const wellShapedParams = (Array.isArray(input.parameters) ? input.parameters : []).filter(
    (p): p is { name: string; default: string } => isObject(p) && strings(p.name) && strings(p.default)
  );
  if (wellShapedTasks.length === tasks.length) {
    problems.push(
      ...referenceProblems(
        { parameters: wellShapedParams, tasks: wellShapedTasks },
        { taskKeys: new Set(firstIndex.keys()), parameterNames }
      )
    );
  }
  const runAs = input.run_as;
  if (isObject(runAs)) {
    const set = ['user_name', 'service_principal_name', 'group_name'].filter((k) => runAs[k] !== undefined);
    if (set.length !== 1)
      problems.push({
        path: 'run_as',
        message: `expected exactly one of user_name, service_principal_name, group_name, found ${set.length === 0 ? 'none' : set.join(' and ')}`,
      });
  }
  return problems;
}

/** One way to start a job on its own, and a trigger kind durable-jobs can watch. */
function triggerProblems(input: Raw): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const starters = ['schedule', 'trigger', 'continuous'].filter((k) => input[k] !== undefined);
  if (starters.length > 1)
    problems.push({
      path: starters[1]!,
      message: `a job has at most one of schedule, trigger and continuous, found ${starters.join(' and ')}`,
    });
  const trigger = input.trigger;
  if (isObject(trigger)) {
    const kinds = ['file_arrival', 'periodic', 'table_update', 'table', 'model'].filter(
      (k) => trigger[k] !== undefined
    );
    if (kinds.length !== 1)
      problems.push({
        path: 'trigger',
        message: `expected exactly one of file_arrival, periodic, table_update, model, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
      });
    for (const k of ['table_update', 'table', 'sql_condition'])
      if (trigger[k] !== undefined)
        problems.push({
          path: `trigger.${k}`,
          message: `${k} triggers are not supported by durable-jobs (supported: file_arrival, periodic, model)`,
        });
    const model = trigger.model;
    if (isObject(model)) {
      const aliases = Array.isArray(model.aliases) ? model.aliases : [];
      if (model.condition === 'MODEL_ALIAS_SET' && aliases.length === 0)
        problems.push({
          path: 'trigger.model.aliases',
          message: 'expected at least one alias to watch with condition MODEL_ALIAS_SET, found none',
        });
      if (model.condition !== 'MODEL_ALIAS_SET' && aliases.length > 0)
        problems.push({
          path: 'trigger.model.aliases',
          message: `aliases can only be used with condition MODEL_ALIAS_SET, found condition ${String(model.condition)}`,
        });
    }
    const fa = trigger.file_arrival;
    if (isObject(fa) && strings(fa.url)) {
      const url = fa.url;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^(file|s3):\/\//.test(url))
        problems.push({
          path: 'trigger.file_arrival.url',
          message: `expected a local directory path, a file:// URL or an s3://bucket/prefix/ URL, found "${url}"`,
        });
      else if (url.startsWith('s3://') && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(url))
        problems.push({
          path: 'trigger.file_arrival.url',
          message: `expected s3://<bucket>/<prefix>/ with a valid bucket name (3-63 of a-z, 0-9, '.', '-'), found "${url}"`,
        });
    }
  }
  return problems;
}

export function validateJobSettings(input: unknown): ValidationResult {
  if (!isObject(input)) {
    return {
      ok: false,
      errors: [{ path: '', message: `expected a JSON object of job settings, found ${describeValue(input)}` }],
    };
  }
  const parsed = JobSettings.safeParse(input, { reportInput: true });
  const errors: SpecProblem[] = parsed.success ? [] : parsed.error.issues.flatMap(issueToProblems);
  errors.push(...crossFieldProblems(input));
  const unique = withRefusals(errors, refusedFieldProblems('JobSettings', input));
  if (!parsed.success || unique.length > 0) return { ok: false, errors: unique };
  return { ok: true, settings: parsed.data };
}

/**
 * Problems with the refused fields of field-classes.ts added: a refusal replaces the schema's
 * "unknown field" at its path, and gives way to a check that already said more about it there.
 */
function withRefusals(errors: SpecProblem[], refusals: SpecProblem[]): SpecProblem[] {
  const refusedPaths = new Set(refusals.map((r) => r.path));
  const kept = errors.filter((p) => !(refusedPaths.has(p.path) && p.message.startsWith('unknown field')));
  const paths = new Set(kept.map((p) => p.path));
  const all = [...kept, ...refusals.filter((r) => !paths.has(r.path))];
  const seen = new Set<string>();
  return all.filter((p) => {
    const id = `${p.path}\u0000${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** A request body parsed with its schema, or every problem at once with its JSON path. */
export type RequestParse<T> = { ok: true; value: T } | { ok: false; errors: SpecProblem[] };

export function parseRequest<T>(schema: z.ZodType<T>, input: unknown): RequestParse<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, errors: [{ path: '', message: `expected a JSON object, found ${describeValue(input)}` }] };
  const parsed = schema.safeParse(input, { reportInput: true });
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, errors: parsed.error.issues.flatMap(issueToProblems) };
}
