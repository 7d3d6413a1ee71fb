// `bundle run KEY`'s parameters, as the Databricks CLI takes them: `--params k=v,…` for a job with
// job parameters, else the legacy task parameters (`--python-params a,b`, `--notebook-params k=v`,
// …) that run-now applies to the tasks of their type. Each flag may be repeated; lists and maps are
// comma-separated, a double-quoted item may hold commas.
import type { LegacyTaskParameters } from '../run/legacy-parameters';
import type { JobSettings } from '../schema/job-settings';

/** The flags as given, each occurrence a string. */
export interface RunFlags {
  params?: string[];
  dbtCommands?: string[];
  jarParams?: string[];
  notebookParams?: string[];
  pipelineParams?: string[];
  pythonNamedParams?: string[];
  pythonParams?: string[];
  sparkSubmitParams?: string[];
  sqlParams?: string[];
}

/** A comma-separated list, double quotes keeping commas inside an item (`"a,b",c`). */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' && quoted && text[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error(`unterminated quote in "${text}"`);
  out.push(cur);
  return out;
}

const listOf = (all: readonly string[] | undefined): string[] => (all ?? []).flatMap(splitList);

function mapOf(flag: string, all: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of listOf(all)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`--${flag}: expected k=v, found "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** What run-now is given for these flags; an Error saying why when they do not fit the job. */
export function runNowParameters(
  job: Pick<JobSettings, 'parameters'>,
  f: RunFlags
): { jobParameters?: Record<string, string>; taskParameters?: LegacyTaskParameters } {
  if (listOf(f.pipelineParams).length > 0)
    throw new Error('--pipeline-params: durable-jobs runs no pipeline tasks (pipelines are not deployed)');
  const jobParameters = mapOf('params', f.params);
  const lists = {
    dbt_commands: listOf(f.dbtCommands),
    jar_params: listOf(f.jarParams),
    python_params: listOf(f.pythonParams),
    spark_submit_params: listOf(f.sparkSubmitParams),
  };
  const maps = {
    notebook_params: mapOf('notebook-params', f.notebookParams),
    python_named_params: mapOf('python-named-params', f.pythonNamedParams),
    sql_params: mapOf('sql-params', f.sqlParams),
  };
  const taskParameters: LegacyTaskParameters = {};
  for (const [k, v] of Object.entries(lists)) if (v.length > 0) taskParameters[k as keyof typeof lists] = v;
  for (const [k, v] of Object.entries(maps)) if (Object.keys(v).length > 0) taskParameters[k as keyof typeof maps] = v;
  const hasJobParams = (job.parameters ?? []).length > 0;
  const givenTask = Object.keys(taskParameters).length > 0;
  const givenJob = Object.keys(jobParameters).length > 0;
  if (hasJobParams && givenTask)
    throw new Error('the job to run defines job parameters; specifying task parameters is not allowed');
  if (!hasJobParams && givenJob)
    throw new Error('the job to run does not define job parameters; specifying job parameters is not allowed');
  return { ...(givenJob ? { jobParameters } : {}), ...(givenTask ? { taskParameters } : {}) };
}
