// `bundle init`: a new bundle from a template, as `databricks bundle init` makes one. durable-jobs
// has `default-python`, shaped like Databricks' own template of that name (a job with a notebook
// task and a python_wheel_task built from the project's package, a daily trigger, targets dev and
// prod), with the answers Databricks asks for taken from `--config-file` or their defaults.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root';

export const TEMPLATES = ['default-python'] as const;

export interface InitAnswers {
  project_name: string;
  default_catalog: string;
}

const DEFAULTS: InitAnswers = { project_name: 'my_project', default_catalog: 'main' };

/** The template's answers from a `--config-file` (JSON), checked as Databricks' template schema checks them. */
export function initAnswers(configFile: string | undefined): InitAnswers {
  const given = configFile ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>) : {};
  const answers = { ...DEFAULTS };
  for (const [k, v] of Object.entries(given)) {
    if (!(k in DEFAULTS)) continue;
    if (typeof v !== 'string') throw new Error(`${configFile}: ${k} must be a string`);
    answers[k as keyof InitAnswers] = v;
  }
  if (!/^[A-Za-z0-9_]+$/.test(answers.project_name))
    throw new Error(
      `project_name: Name must consist of letters, numbers, and underscores, found "${answers.project_name}"`
    );
  if (!/^(\w[\w-]*)?$/.test(answers.default_catalog))
    throw new Error(`default_catalog: Invalid catalog name "${answers.default_catalog}"`);
  return answers;
}

/** Render the template into `<outputDir>/<project_name>`; returns that folder. */
export function initBundle(
  template: string,
  o: { outputDir: string; answers: InitAnswers; userName: string; workspaceHost: string }
): string {
  if (!(TEMPLATES as readonly string[]).includes(template))
    throw new Error(`unknown template "${template}": durable-jobs has ${TEMPLATES.join(', ')}`);
  const source = path.join(projectRoot(), 'bundles', 'templates', template);
  const target = path.join(o.outputDir, o.answers.project_name);
  if (fs.existsSync(target)) throw new Error(`${target} already exists`);
  const values: Record<string, string> = {
    '{{.project_name}}': o.answers.project_name,
    '{{.default_catalog}}': o.answers.default_catalog,
    '{{workspace_host}}': o.workspaceHost,
    '{{user_name}}': o.userName,
    '{{bundle_uuid}}': crypto.randomUUID(),
  };
  const render = (text: string) => text.replace(/\{\{[^}]+\}\}/g, (m) => values[m] ?? m);
  const copy = (from: string, to: string) => {
    fs.mkdirSync(to, { recursive: true });
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      const name = e.name === '__PROJECT__' ? o.answers.project_name : e.name === 'gitignore' ? '.gitignore' : e.name;
      if (e.isDirectory()) copy(path.join(from, e.name), path.join(to, name));
      else fs.writeFileSync(path.join(to, name), render(fs.readFileSync(path.join(from, e.name), 'utf8')));
    }
  };
  copy(source, target);
  return target;
}
