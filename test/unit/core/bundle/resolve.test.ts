// The pure bundle core on configurations parsed from YAML text (no files on disk): target
// overrides, variables, references, modes, path translation and the problems each step reports,
// with their YAML paths and locations.
import { describe, expect, it } from 'vitest';
import { parseConfigFile } from '../../../../bundles/load';
import { renderDiagnostic, type Diagnostic } from '../../../../core/bundle/diagnostics';
import type { LocalKind } from '../../../../core/bundle/job-paths';
import { merge, mergeElementsByKey } from '../../../../core/bundle/merge';
import { bundleJobId, resolveBundle, type BundleInputs } from '../../../../core/bundle/resolve';
import { toPlain, type Value } from '../../../../core/bundle/value';
import { currentUserOf, shortUserName } from '../../../../core/bundle/workspace-paths';

const ROOT = '/src/proj';

function parse(text: string, file = 'databricks.yml'): Value {
  const r = parseConfigFile(text, file);
  if (!r.value) throw new Error(r.diagnostics.map(renderDiagnostic).join('\n'));
  return r.value;
}

/** A bundle's files: `{ 'databricks.yml': text, 'resources/a.yml': text }`, merged in order. */
function inputs(files: Record<string, string>, more: Partial<BundleInputs> = {}): BundleInputs {
  const trees = Object.entries(files).map(([f, t]) => parse(t, f));
  const local: Record<string, LocalKind> = {
    '/src/proj/src/nb.ipynb': 'notebook',
    '/src/proj/src/etl.py': 'file',
    '/src/proj/src': 'directory',
  };
  return {
    root: trees.slice(1).reduce(merge, trees[0]!),
    variables: { cli: {}, env: {} },
    user: currentUserOf('jane.doe@example.com'),
    files: { root: ROOT, kindOf: (p) => local[p] },
    ...more,
  };
}

const errors = (ds: Diagnostic[]) =>
  ds
    .filter((d) => d.severity === 'error')
    .map((d) => ({
      summary: d.summary,
      at: d.paths[0],
      in: d.locations.map((l) => `${l.file}:${l.line}:${l.column}`),
    }));

const BASE = `bundle:
  name: proj
variables:
  catalog:
    default: main
  schema:
    description: no default
targets:
  dev:
    mode: development
    default: true
    variables:
      schema: \${workspace.current_user.short_name}
  prod:
    mode: production
    workspace:
      root_path: /Workspace/Users/jane.doe@example.com/.bundle/\${bundle.name}/\${bundle.target}
    variables:
      schema: prod
    run_as:
      user_name: jane.doe@example.com
include:
  - resources/*.yml
`;

const JOB = `resources:
  jobs:
    etl:
      name: etl
      schedule:
        quartz_cron_expression: "0 0 2 * * ?"
        timezone_id: UTC
      parameters:
        - name: catalog
          default: \${var.catalog}
      tasks:
        - task_key: nb
          notebook_task:
            notebook_path: ../src/nb.ipynb
            base_parameters:
              schema: \${var.schema}
        - task_key: py
          depends_on: [{ task_key: nb }]
          spark_python_task:
            python_file: ../src/etl.py
`;

describe('resolveBundle', () => {
  it('dev target: names prefixed, schedule paused, concurrency lifted, dev tag, paths under the user, variables resolved', () => {
    const { bundle, diagnostics } = resolveBundle(inputs({ 'databricks.yml': BASE, 'resources/etl.yml': JOB }));
    expect(errors(diagnostics)).toEqual([]);
    expect(bundle!.target).toBe('dev');
    expect(bundle!.workspace).toEqual({
      rootPath: '/Workspace/Users/jane.doe@example.com/.bundle/proj/dev',
      filePath: '/Workspace/Users/jane.doe@example.com/.bundle/proj/dev/files',
      artifactPath: '/Workspace/Users/jane.doe@example.com/.bundle/proj/dev/artifacts',
      statePath: '/Workspace/Users/jane.doe@example.com/.bundle/proj/dev/state',
      resourcePath: '/Workspace/Users/jane.doe@example.com/.bundle/proj/dev/resources',
    });
    const s = bundle!.jobs[0]!.settings;
    expect(s.name).toBe('[dev jane_doe] etl');
    expect(s.schedule!.pause_status).toBe('PAUSED');
    expect(s.max_concurrent_runs).toBe(4);
    expect(s.tags).toEqual({ dev: 'jane_doe' });
    expect(s.parameters).toEqual([{ name: 'catalog', default: 'main' }]);
    expect(s.tasks[0]!.notebook_task).toEqual({
      notebook_path: '/Workspace/Users/jane.doe@example.com/.bundle/proj/dev/files/src/nb',
      base_parameters: { schema: 'jane_doe' },
    });
    expect(s.tasks[1]!.spark_python_task!.python_file).toBe(
      '/Workspace/Users/jane.doe@example.com/.bundle/proj/dev/files/src/etl.py'
    );
    expect(s.deployment).toEqual({
      kind: 'BUNDLE',
      metadata_file_path: `${bundle!.workspace.statePath}/metadata.json`,
    });
    expect(s.edit_mode).toBe('UI_LOCKED');
    expect(bundle!.jobs[0]!.jobId).toBe(bundleJobId(`${bundle!.workspace.statePath}/metadata.json`, 'etl'));
  });

  it('prod target: no prefix, schedule as written, the root path of the target, run_as', () => {
    const { bundle, diagnostics } = resolveBundle(
      inputs({ 'databricks.yml': BASE, 'resources/etl.yml': JOB }, { target: 'prod' })
    );
    expect(errors(diagnostics)).toEqual([]);
    const s = bundle!.jobs[0]!.settings;
    expect(s.name).toBe('etl');
    expect(s.schedule!.pause_status).toBeUndefined();
    expect(s.max_concurrent_runs).toBeUndefined();
    expect(s.run_as).toEqual({ user_name: 'jane.doe@example.com' });
    expect(bundle!.workspace.rootPath).toBe('/Workspace/Users/jane.doe@example.com/.bundle/proj/prod');
    expect(s.tasks[0]!.notebook_task!.base_parameters).toEqual({ schema: 'prod' });
  });

  it('variables: --var before BUNDLE_VAR_ before the overrides file before the default', () => {
    const files = { 'databricks.yml': BASE, 'resources/etl.yml': JOB };
    const schemaOf = (more: Partial<BundleInputs>) =>
      resolveBundle(inputs(files, { target: 'prod', ...more })).bundle!.jobs[0]!.settings.tasks[0]!.notebook_task!
        .base_parameters!.schema;
    expect(schemaOf({})).toBe('prod');
    expect(schemaOf({ variableFile: () => ({ schema: 'from_file' }) })).toBe('from_file');
    expect(
      schemaOf({
        variables: { cli: {}, env: { BUNDLE_VAR_schema: 'from_env' } },
        variableFile: () => ({ schema: 'f' }),
      })
    ).toBe('from_env');
    expect(schemaOf({ variables: { cli: { schema: 'from_cli' }, env: { BUNDLE_VAR_schema: 'from_env' } } })).toBe(
      'from_cli'
    );
  });

  it('complex variables are substituted whole', () => {
    const { bundle, diagnostics } = resolveBundle(
      inputs({
        'databricks.yml': `bundle: { name: proj }
variables:
  tags:
    type: complex
    default: { team: data, cost: "42" }
resources:
  jobs:
    j:
      name: j
      tags: \${var.tags}
      tasks:
        - task_key: t
          notebook_task: { notebook_path: src/nb.ipynb }
`,
      })
    );
    expect(errors(diagnostics)).toEqual([]);
    expect(bundle!.jobs[0]!.settings.tags).toEqual({ team: 'data', cost: '42' });
  });

  it('${resources.jobs.<key>.id} names a sibling job by the id it will have', () => {
    const { bundle, diagnostics } = resolveBundle(
      inputs({
        'databricks.yml': `bundle: { name: proj }
resources:
  jobs:
    child:
      name: child
      tasks: [{ task_key: t, notebook_task: { notebook_path: src/nb.ipynb } }]
    parent:
      name: parent
      tasks:
        - task_key: run_child
          run_job_task:
            job_id: \${resources.jobs.child.id}
`,
      })
    );
    expect(errors(diagnostics)).toEqual([]);
    const child = bundle!.jobs.find((j) => j.key === 'child')!;
    const parent = bundle!.jobs.find((j) => j.key === 'parent')!;
    expect(parent.settings.tasks[0]!.run_job_task!.job_id).toBe(child.jobId);
  });

  it('target overrides merge tasks by task_key, job_clusters by job_cluster_key, parameters by name', () => {
    const { bundle, diagnostics } = resolveBundle(
      inputs({
        'databricks.yml': `bundle: { name: proj }
resources:
  jobs:
    j:
      name: j
      parameters: [{ name: p, default: a }]
      job_clusters: [{ job_cluster_key: c, new_cluster: { spark_version: "15.4.x", num_workers: 1 } }]
      tasks:
        - task_key: b
          notebook_task: { notebook_path: src/nb.ipynb }
          timeout_seconds: 60
        - task_key: a
          notebook_task: { notebook_path: src/nb.ipynb }
targets:
  dev:
    resources:
      jobs:
        j:
          parameters: [{ name: p, default: b }]
          job_clusters: [{ job_cluster_key: c, new_cluster: { num_workers: 4 } }]
          tasks:
            - task_key: b
              timeout_seconds: 120
`,
      })
    );
    expect(errors(diagnostics)).toEqual([]);
    const s = bundle!.jobs[0]!.settings;
    expect(s.tasks.map((t) => [t.task_key, t.timeout_seconds])).toEqual([
      ['a', undefined],
      ['b', 120],
    ]);
    expect(s.parameters).toEqual([{ name: 'p', default: 'b' }]);
    expect(s.job_clusters).toEqual([
      { job_cluster_key: 'c', new_cluster: { spark_version: '15.4.x', num_workers: 4 } },
    ]);
  });

  it('resources of kinds durable-jobs does not deploy are skipped by name, with a warning', () => {
    const { bundle, diagnostics } = resolveBundle(
      inputs({
        'databricks.yml': `bundle: { name: proj }
resources:
  pipelines:
    etl_pipeline: { name: etl }
  model_serving_endpoints:
    endpoint: { name: e }
`,
      })
    );
    expect(bundle!.skipped).toEqual([
      { kind: 'pipelines', key: 'etl_pipeline' },
      { kind: 'model_serving_endpoints', key: 'endpoint' },
    ]);
    expect(diagnostics.map((d) => [d.severity, d.summary, d.paths[0]])).toEqual([
      [
        'warning',
        'pipelines.etl_pipeline is skipped: durable-jobs deploys jobs only, not pipelines',
        'resources.pipelines.etl_pipeline',
      ],
      [
        'warning',
        'model_serving_endpoints.endpoint is skipped: durable-jobs deploys jobs only, not model serving endpoints',
        'resources.model_serving_endpoints.endpoint',
      ],
    ]);
  });

  it('every problem at once, each with its YAML path, file, line and column', () => {
    const { bundle, diagnostics } = resolveBundle(
      inputs({
        'databricks.yml': `bundle:
  name: proj
  nmae: typo
variables:
  needed:
    description: has no value
resources:
  jobs:
    j:
      name: \${var.needed}
      tasks:
        - task_key: t
          notebook_task:
            notebook_path: ../elsewhere/nb.ipynb
`,
      })
    );
    expect(bundle).toBeUndefined();
    // The shape problem stops the rest: the configuration's own keys are not what Databricks reads.
    expect(errors(diagnostics)).toEqual([
      { summary: 'unknown field "nmae"', at: 'bundle.nmae', in: ['databricks.yml:3:3'] },
    ]);

    const second = resolveBundle(
      inputs({
        'databricks.yml': `bundle:
  name: proj
variables:
  needed:
    description: has no value
resources:
  jobs:
    j:
      name: \${var.needed}
      max_concurrent_runs: 2
      tasks:
        - task_key: t
          notebook_task:
            notebook_path: src/missing.ipynb
            notebook_params: {}
        - task_key: u
          spark_python_task:
            python_file: ../outside.py
        - task_key: v
          notebook_task:
            notebook_path: src/etl.py
          depends_on: [{ task_key: "\${var.nothing}" }]
`,
      })
    );
    expect(errors(second.diagnostics)).toEqual([
      {
        summary:
          'no value assigned to required variable needed. Variables are usually assigned in databricks.yml, and they can be overridden using "--var", the BUNDLE_VAR_needed environment variable, or .databricks/bundle/default/variable-overrides.json',
        at: 'variables.needed',
        in: ['databricks.yml:4:3'],
      },
      {
        summary: 'reference does not exist: ${var.nothing}',
        at: 'resources.jobs.j.tasks[2].depends_on[0].task_key',
        in: ['databricks.yml:22:26'],
      },
      {
        summary: 'notebook src/missing.ipynb not found',
        at: 'resources.jobs.j.tasks[0].notebook_task.notebook_path',
        in: ['databricks.yml:14:13'],
      },
      {
        summary: 'path /src/outside.py is not contained in the bundle root /src/proj',
        at: 'resources.jobs.j.tasks[1].spark_python_task.python_file',
        in: ['databricks.yml:18:13'],
      },
      {
        summary:
          'expected a notebook for "resources.jobs.j.tasks[2].notebook_task.notebook_path" but got a file: src/etl.py has no "# Databricks notebook source" header and is not a .ipynb notebook',
        at: 'resources.jobs.j.tasks[2].notebook_task.notebook_path',
        in: ['databricks.yml:21:13'],
      },
      {
        summary: 'unknown field "notebook_params"',
        at: 'resources.jobs.j.tasks[0].notebook_task.notebook_params',
        in: ['databricks.yml:15:13'],
      },
    ]);
  });

  it('mode checks: production needs its own root path, development a path and prefix naming the user', () => {
    const prod = resolveBundle(
      inputs({
        'databricks.yml': `bundle: { name: proj }
resources:
  jobs:
    j: { name: j, tasks: [{ task_key: t, notebook_task: { notebook_path: src/nb.ipynb } }] }
targets:
  prod:
    mode: production
`,
      })
    );
    expect(errors(prod.diagnostics)).toEqual([
      {
        summary: "target with 'mode: production' must set 'workspace.root_path' to make sure only one copy is deployed",
        at: 'bundle.mode',
        in: ['databricks.yml:7:11'],
      },
    ]);
    const dev = resolveBundle(
      inputs({
        'databricks.yml': `bundle: { name: proj }
workspace:
  root_path: /Shared/proj
presets:
  name_prefix: "[dev] "
targets:
  dev:
    mode: development
`,
      })
    );
    expect(errors(dev.diagnostics).map((e) => [e.summary, e.at])).toEqual([
      [
        "root_path must start with '~/' or contain the current username to ensure uniqueness when using 'mode: development'",
        'workspace.root_path',
      ],
      [
        "prefix should contain the current username or ${workspace.current_user.short_name} to ensure uniqueness when using 'mode: development'",
        'presets.name_prefix',
      ],
    ]);
  });

  it('settings durable-jobs does not act on are reported, never dropped; cluster_id moves tasks to one cluster', () => {
    const { bundle, diagnostics } = resolveBundle(
      inputs({
        'databricks.yml': `bundle:
  name: proj
  cluster_id: gpu
  deployment: { fail_on_active_runs: true }
presets:
  artifacts_dynamic_version: true
scripts:
  hello: { content: echo hi }
resources:
  jobs:
    j:
      name: j
      lifecycle: { prevent_destroy: true }
      job_clusters: [{ job_cluster_key: c, new_cluster: { num_workers: 1 } }]
      tasks:
        - task_key: t
          job_cluster_key: c
          notebook_task: { notebook_path: src/nb.ipynb }
        - task_key: plain
          notebook_task: { notebook_path: src/nb.ipynb }
`,
      })
    );
    expect(errors(diagnostics)).toEqual([]);
    expect(diagnostics.map((d) => [d.severity, d.paths[0]])).toEqual([
      ['warning', 'scripts'],
      ['warning', 'presets.artifacts_dynamic_version'],
    ]);
    const j = bundle!.jobs[0]!;
    expect(j.settings.tasks.map((t) => [t.task_key, t.existing_cluster_id, t.job_cluster_key])).toEqual([
      ['plain', undefined, undefined],
      ['t', 'gpu', undefined],
    ]);
    expect(j.preventDestroy).toBe(true);
    expect(bundle!.failOnActiveRuns).toBe(true);
    const python = resolveBundle(
      inputs({ 'databricks.yml': 'bundle: { name: proj }\npython:\n  resources: ["resources:load_resources"]\n' })
    );
    expect(errors(python.diagnostics)).toEqual([
      {
        summary: 'resources defined in Python (databricks-bundles) are not loaded by durable-jobs: define them in YAML',
        at: 'python',
        in: ['databricks.yml:2:1'],
      },
    ]);
  });

  it("deploy's flags override the target: --cluster-id over the target's cluster_id, --fail-on-active-runs", () => {
    const text = `bundle:
  name: proj
  git:
    branch: \${var.branch}
variables:
  branch: { default: main }
targets:
  dev:
    cluster_id: small
    resources:
      jobs:
        j:
          name: j
          tasks:
            - task_key: t
              existing_cluster_id: other
              notebook_task: { notebook_path: src/nb.ipynb }
`;
    const plain = resolveBundle(inputs({ 'databricks.yml': text }, { git: { branch: 'feature' } })).bundle!;
    expect(plain.jobs[0]!.settings.tasks[0]!.existing_cluster_id).toBe('small');
    expect(plain.failOnActiveRuns).toBe(false);
    // The configured branch (its reference resolved) beside the checkout's: deploy compares them.
    expect(plain.branch).toEqual({ configured: 'main', actual: 'feature' });
    const flagged = resolveBundle(
      inputs({ 'databricks.yml': text }, { overrides: { clusterId: 'gpu', failOnActiveRuns: true } })
    ).bundle!;
    expect(flagged.jobs[0]!.settings.tasks[0]!.existing_cluster_id).toBe('gpu');
    expect(flagged.failOnActiveRuns).toBe(true);
    expect(flagged.branch).toEqual({ configured: 'main' });
    const unconfigured = resolveBundle(
      inputs({ 'databricks.yml': 'bundle: { name: proj }\n' }, { git: { branch: 'feature' } })
    ).bundle!;
    expect(unconfigured.branch).toEqual({ actual: 'feature' });
  });

  it('target selection: -t must name a target; several defaults are an error', () => {
    const two = `bundle: { name: proj }
targets:
  a: { default: true }
  b: { default: true }
`;
    expect(errors(resolveBundle(inputs({ 'databricks.yml': two })).diagnostics)[0]!.summary).toBe(
      'multiple targets are marked as default: a, b'
    );
    expect(errors(resolveBundle(inputs({ 'databricks.yml': two }, { target: 'c' })).diagnostics)[0]!.summary).toBe(
      'c: no such target. Available targets: a, b'
    );
    // Without targets the bundle has the one Databricks defines, `default`.
    const none = 'bundle: { name: proj }\n';
    expect(resolveBundle(inputs({ 'databricks.yml': none }, { target: 'default' })).bundle!.target).toBe('default');
    expect(errors(resolveBundle(inputs({ 'databricks.yml': none }, { target: 'dev' })).diagnostics)[0]!.summary).toBe(
      'dev: no such target. Available targets: default'
    );
  });
});

describe('merge', () => {
  it('maps by key, sequences concatenated, scalars replaced; locations accumulate', () => {
    const a = parse('x: { y: 1, z: [1] }', 'a.yml');
    const b = parse('x: { y: 2, z: [2] }', 'b.yml');
    const m = merge(a, b);
    expect(toPlain(m)).toEqual({ x: { y: 2, z: [1, 2] } });
    expect(m.kind === 'map' && m.keys.get('x')!.map((l) => l.file)).toEqual(['a.yml', 'b.yml']);
  });

  it('elements by key: later definitions merged into the first', () => {
    const seq = parse('- { k: a, v: 1 }\n- { k: b, v: 2 }\n- { k: a, w: 3 }\n');
    expect(toPlain(mergeElementsByKey(seq, 'k'))).toEqual([
      { k: 'a', v: 1, w: 3 },
      { k: 'b', v: 2 },
    ]);
  });
});

describe('users', () => {
  it('short names as Databricks makes them', () => {
    expect(shortUserName('Jane.Doe@example.com')).toBe('jane_doe');
    expect(shortUserName('root')).toBe('root');
    expect(currentUserOf('a-b.c@x.io').domainFriendlyName).toBe('a-b-c');
  });
});
