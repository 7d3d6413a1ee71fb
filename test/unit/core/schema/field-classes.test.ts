import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CronSchedule,
  EnvironmentSpec,
  GitSource,
  JobSettings,
  Library,
  ModelTrigger,
  OBJECT_FIELDS,
  SqlTask,
  Task,
  TriggerSettings,
  UNSUPPORTED_TASK_TYPES,
  fieldsOf,
  refusedFieldProblems,
  type ObjectName,
} from '../../../../core';
import { apiDocFile, withFieldTable } from '../../../../scripts/export-field-classes';

/** The object schema inside optional and array wrappers. */
function objectOf(schema: z.ZodType): z.ZodObject {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject) return s;
    else throw new Error(`not an object schema: ${s.constructor.name}`);
  }
}
const field = (schema: z.ZodObject, name: string) => objectOf(schema.shape[name] as z.ZodType);

/** Each classified object that has a zod schema of its own, and that schema. */
const SCHEMAS: Partial<Record<ObjectName, z.ZodObject>> = {
  JobSettings,
  Task,
  TaskDependency: field(Task, 'depends_on'),
  ForEachTask: field(Task, 'for_each_task'),
  NotebookTask: field(Task, 'notebook_task'),
  SparkPythonTask: field(Task, 'spark_python_task'),
  PythonWheelTask: field(Task, 'python_wheel_task'),
  DbtTask: field(Task, 'dbt_task'),
  SqlTask,
  SqlTaskFile: field(SqlTask, 'file'),
  SqlTaskQuery: field(SqlTask, 'query'),
  ConditionTask: field(Task, 'condition_task'),
  RunJobTask: field(Task, 'run_job_task'),
  Library,
  PythonPyPiLibrary: field(Library, 'pypi'),
  MavenLibrary: field(Library, 'maven'),
  EmailNotifications: field(JobSettings, 'email_notifications'),
  WebhookNotifications: field(JobSettings, 'webhook_notifications'),
  Webhook: field(field(JobSettings, 'webhook_notifications'), 'on_start'),
  JobNotificationSettings: field(JobSettings, 'notification_settings'),
  TaskNotificationSettings: field(Task, 'notification_settings'),
  JobsHealthRules: field(JobSettings, 'health'),
  JobsHealthRule: field(field(JobSettings, 'health'), 'rules'),
  CronSchedule,
  Continuous: field(JobSettings, 'continuous'),
  TriggerSettings,
  FileArrivalTriggerConfiguration: field(TriggerSettings, 'file_arrival'),
  PeriodicTriggerConfiguration: field(TriggerSettings, 'periodic'),
  ModelTriggerConfiguration: ModelTrigger,
  JobCluster: field(JobSettings, 'job_clusters'),
  JobEnvironment: field(JobSettings, 'environments'),
  Environment: EnvironmentSpec,
  JobEnvironmentVariables: field(JobSettings, 'environment_variables'),
  JobEnvironmentVariablesSpec: field(field(JobSettings, 'environment_variables'), 'spec'),
  JobParameterDefinition: field(JobSettings, 'parameters'),
  JobRunAs: field(JobSettings, 'run_as'),
  QueueSettings: field(JobSettings, 'queue'),
  GitSource,
  SparseCheckout: field(GitSource, 'sparse_checkout'),
};

describe('field classes', () => {
  it.each(Object.entries(SCHEMAS))(
    '%s: the schema accepts exactly its classified fields, refused ones aside',
    (name, schema) => {
      const rules = fieldsOf(name as ObjectName);
      const inSchema = Object.keys(schema.shape);
      expect(inSchema.filter((f) => rules[f] === undefined)).toEqual([]);
      const accepted = Object.entries(rules)
        .filter(([, r]) => r.class !== 'refused')
        .map(([f]) => f);
      expect(accepted.filter((f) => !inSchema.includes(f))).toEqual([]);
    }
  );

  it('classifies every nested object it names, and every object has a schema or is a request body', () => {
    const requests = ['RunNow', 'SubmitRun', 'RepairRun', 'GetJob', 'GetRun'];
    for (const [name, rules] of Object.entries(OBJECT_FIELDS)) {
      if (!requests.includes(name)) expect(SCHEMAS[name as ObjectName], name).toBeDefined();
      for (const rule of Object.values(rules)) if (rule.of) expect(OBJECT_FIELDS[rule.of]).toBeDefined();
    }
  });

  it('refuses the task types the engine does not run, and only those', () => {
    const refusedTypes = Object.entries(fieldsOf('Task'))
      .filter(([f, r]) => f.endsWith('_task') && r.class === 'refused')
      .map(([f]) => f);
    expect(refusedTypes.sort()).toEqual([...UNSUPPORTED_TASK_TYPES].sort());
  });

  it('reports refused fields and values with their JSON paths, in lists and nested tasks', () => {
    expect(
      refusedFieldProblems('JobSettings', {
        tasks: [
          { task_key: 'a', disable_auto_optimization: false, compute: null, libraries: [] },
          {
            task_key: 'b',
            for_each_task: { inputs: '[1]', task: { task_key: 'c', sql_task: { query: { query_id: 'q' } } } },
          },
        ],
        schedule: { quartz_cron_expression: '0 0 * * * ?', timezone_id: 'UTC', sql_condition: { condition: 'x' } },
        health: { rules: [{ metric: 'STREAMING_BACKLOG_FILES', op: 'GREATER_THAN', value: 1 }] },
      })
    ).toEqual([
      {
        path: 'tasks[1].for_each_task.task.sql_task.query.query_id',
        message: 'not supported: saved Databricks queries do not exist in durable-jobs: use query_text or file.path',
      },
      {
        path: 'schedule.sql_condition',
        message:
          'not supported: durable-jobs does not evaluate SQL conditions before a cron fire: every fire would run; check the condition in a condition_task',
      },
      {
        path: 'health.rules[0].metric',
        message:
          'STREAMING_BACKLOG_FILES is not supported: durable-jobs cannot measure streaming backlog metrics: no task reads a stream',
      },
    ]);
  });

  it('refuses the run-now fields it does not act on', () => {
    expect(
      refusedFieldProblems('RunNow', {
        job_id: 1,
        only: ['b'],
        queue: { enabled: true },
        pipeline_params: { full_refresh: true },
        performance_target: 'STANDARD',
      }).map((p) => p.path)
    ).toEqual(['pipeline_params']);
  });

  it('docs/api.md prints the current table (regenerate with npm run field-classes)', () => {
    const root = path.resolve(__dirname, '..', '..', '..', '..');
    const doc = fs.readFileSync(apiDocFile(root), 'utf8');
    expect(doc).toBe(withFieldTable(doc));
  });
});
