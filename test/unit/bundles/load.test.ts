// Reading a bundle from its files: includes by glob, the problems that name two files (a resource
// key defined twice), and every problem reported at once with its file, line and YAML path, as
// `djobs bundle validate` prints them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBundleRoot, globFiles, loadBundle } from '../../../bundles/load';
import { readBundle } from '../../../bundles/read-bundle';
import { BundleError, renderDiagnostic } from '../../../core/bundle/diagnostics';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function bundleDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bundle-unit-'));
  dirs.push(dir);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

/** What validate prints for the bundle, or '' when it is valid. */
function problems(dir: string, o: { target?: string; vars?: Record<string, string> } = {}): string {
  try {
    readBundle({
      cwd: dir,
      vars: o.vars ?? {},
      userName: 'alice@example.com',
      env: {},
      ...(o.target ? { target: o.target } : {}),
    });
    return '';
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    return err.diagnostics.map(renderDiagnostic).join('\n');
  }
}

const NOTEBOOK = '# Databricks notebook source\nprint(1)\n';

describe('loading a bundle', () => {
  it('includes by Go glob (a * never crosses a /), sorted, each file once', () => {
    const dir = bundleDir({
      'databricks.yml': 'bundle: { name: b }\ninclude: [resources/*.yml, resources/*.yml, "resources/*/*.yml"]\n',
      'resources/b.yml': 'resources: { jobs: { b: { name: b } } }\n',
      'resources/a.yml': 'resources: { jobs: { a: { name: a } } }\n',
      'resources/deep/c.yml': 'resources: { jobs: { c: { name: c } } }\n',
      'resources/notes.txt': 'not included',
    });
    expect(globFiles(dir, 'resources/*.yml')).toEqual(['resources/a.yml', 'resources/b.yml']);
    expect(loadBundle(dir).files).toEqual([
      'databricks.yml',
      'resources/a.yml',
      'resources/b.yml',
      'resources/deep/c.yml',
    ]);
  });

  it('finds databricks.yml from a folder inside the bundle', () => {
    const dir = bundleDir({ 'databricks.yml': 'bundle: { name: b }\n', 'src/x/y.py': '' });
    expect(findBundleRoot(path.join(dir, 'src', 'x'), {})).toBe(dir);
  });

  it('a resource key defined in two included files is an error naming both places', () => {
    const dir = bundleDir({
      'databricks.yml': 'bundle:\n  name: b\ninclude:\n  - resources/*.yml\n',
      'resources/one.yml': 'resources:\n  jobs:\n    etl:\n      name: one\n',
      'resources/two.yml': '# the same key again\nresources:\n  pipelines:\n    etl:\n      name: two\n',
    });
    expect(problems(dir)).toContain(
      [
        'Error: multiple resources have been defined with the same key: etl',
        '  at resources.jobs.etl',
        '  at resources.pipelines.etl',
        '  in resources/one.yml:3:5',
        '  in resources/two.yml:4:5',
      ].join('\n')
    );
  });

  it('unknown key, missing variable, missing path and a non-matching include, all at once, each where written', () => {
    const dir = bundleDir({
      'databricks.yml': [
        'bundle:',
        '  name: b',
        'include:',
        '  - resources/*.yml',
        '  - extra.yml',
        'variables:',
        '  warehouse:',
        '    description: no default',
        '',
      ].join('\n'),
      'resources/job.yml': [
        'resources:',
        '  jobs:',
        '    etl:',
        '      name: etl ${var.warehouse}',
        '      tasks:',
        '        - task_key: main',
        '          notebook_task:',
        '            notebook_path: ../src/missing.py',
        '          retries: 3',
        '',
      ].join('\n'),
    });
    expect(problems(dir)).toBe(
      [
        "Error: extra.yml defined in 'include' section does not match any files",
        '  at include[1]',
        '  in databricks.yml:5:5',
        '',
        'Error: no value assigned to required variable warehouse. Variables are usually assigned in databricks.yml, and they can be overridden using "--var", the BUNDLE_VAR_warehouse environment variable, or .databricks/bundle/default/variable-overrides.json',
        '  at variables.warehouse',
        '  in databricks.yml:7:3',
        '',
        'Error: notebook ../src/missing.py not found',
        '  at resources.jobs.etl.tasks[0].notebook_task.notebook_path',
        '  in resources/job.yml:8:13',
        '',
        'Error: unknown field "retries"',
        '  at resources.jobs.etl.tasks[0].retries',
        '  in resources/job.yml:9:11',
        '',
      ].join('\n')
    );
  });

  it('a relative path is relative to the file that declares it; --var gives a variable its value', () => {
    const dir = bundleDir({
      'databricks.yml': 'bundle: { name: b }\ninclude: [resources/*.yml]\nvariables: { warehouse: {} }\n',
      'resources/job.yml':
        'resources:\n  jobs:\n    etl:\n      name: etl\n      max_concurrent_runs: ${var.warehouse}\n      tasks:\n        - task_key: main\n          notebook_task: { notebook_path: ../src/nb.py }\n',
      'src/nb.py': NOTEBOOK,
    });
    const { bundle } = readBundle({ cwd: dir, vars: { warehouse: '3' }, userName: 'alice@example.com', env: {} });
    expect(bundle.jobs[0]!.settings.tasks[0]!.notebook_task!.notebook_path).toBe(
      '/Workspace/Users/alice@example.com/.bundle/b/default/files/src/nb'
    );
    // A string given for a number field is read as the number, as the Databricks CLI normalizes it.
    expect(bundle.jobs[0]!.settings.max_concurrent_runs).toBe(3);
  });

  it('without -t, DATABRICKS_BUNDLE_TARGET (or DATABRICKS_BUNDLE_ENV) names the target', () => {
    const dir = bundleDir({
      'databricks.yml': 'bundle: { name: b }\ntargets:\n  dev: { default: true }\n  prod: {}\n',
    });
    const targetOf = (env: NodeJS.ProcessEnv, target?: string) =>
      readBundle({ cwd: dir, vars: {}, userName: 'alice@example.com', env, ...(target ? { target } : {}) }).bundle
        .target;
    expect(targetOf({})).toBe('dev');
    expect(targetOf({ DATABRICKS_BUNDLE_TARGET: 'prod' })).toBe('prod');
    expect(targetOf({ DATABRICKS_BUNDLE_ENV: 'prod' })).toBe('prod');
    expect(targetOf({ DATABRICKS_BUNDLE_TARGET: 'prod' }, 'dev')).toBe('dev');
  });

  it('a YAML syntax error names its file, line and column', () => {
    const dir = bundleDir({ 'databricks.yml': 'bundle:\n  name: [b\n' });
    expect(problems(dir)).toMatch(/^Error: databricks\.yml: .*\n {2}in databricks\.yml:\d+:\d+\n/);
  });
});
