// dbt_task: the task's dbt commands in a copy of its project (so a workspace or Git project is
// never written to), run by runtime/python/djobs_dbt.py with the task environment's dbt. With a
// warehouse_id, or when the project has no profiles.yml, the profile is generated: dbt-duckdb on
// the warehouse's DuckDB file, the one SQL tasks of that warehouse use. The artifacts
// (target/: manifest.json, run_results.json, …) are archived beside the attempt's log.
import fs from 'node:fs';
import path from 'node:path';
import type { DbtTask } from '../core';
import { projectRoot } from '../config/project-root';
import type { CommandContext, TaskCommand } from './commands';
import { TaskInvalidError } from './task-invalid';

const dbtRunner = () => path.join(projectRoot(), 'activities', 'runtime', 'python', 'djobs_dbt.py');

/** DuckDB's schema for a task that names none (Databricks' `default` schema has this role there). */
export const DEFAULT_DBT_SCHEMA = 'main';

export function dbtCommand(t: DbtTask, ctx: CommandContext, jobParameters: Record<string, string>): TaskCommand {
  const project = t.project_directory;
  if (project === undefined || project === '')
    throw new TaskInvalidError('dbt_task.project_directory is required for a project outside Git.');
  if (!fs.existsSync(path.join(project, 'dbt_project.yml')))
    throw new TaskInvalidError(`dbt project ${project} has no dbt_project.yml.`, 'RESOURCE_NOT_FOUND');
  let profiles: string[];
  const profilesDir = t.profiles_directory !== undefined ? path.resolve(project, t.profiles_directory) : project;
  if (t.warehouse_id === undefined && fs.existsSync(path.join(profilesDir, 'profiles.yml'))) {
    profiles = ['--profiles-dir', profilesDir];
  } else if (t.profiles_directory !== undefined) {
    throw new TaskInvalidError(`dbt_task.profiles_directory ${profilesDir} has no profiles.yml.`, 'RESOURCE_NOT_FOUND');
  } else {
    profiles = [
      '--generate-profile',
      ctx.warehouseFile(t.warehouse_id),
      '--schema',
      t.schema ?? DEFAULT_DBT_SCHEMA,
      ...(t.catalog !== undefined ? ['--catalog', t.catalog] : []),
    ];
  }
  const work = ctx.scratchDir('dbt');
  const artifacts = path.join(work, 'dbt-artifacts.tar.gz');
  return {
    command: ctx.python,
    args: [
      dbtRunner(),
      '--project',
      project,
      '--work',
      work,
      '--artifacts',
      artifacts,
      ...profiles,
      '--',
      ...t.commands,
    ],
    cwd: work,
    params: { ...jobParameters },
    dbtArtifacts: artifacts,
  };
}
