// A bundle's configuration, from its merged files to what a deployment creates: the target's
// overrides, variables, the workspace paths, `${…}` references, the target mode's presets,
// translated paths and Databricks' deployment annotations, then every job checked by the Jobs
// schema. Pure: the loader (bundles/) reads the files; every problem found comes back at once,
// each where it was written.
import { runIdFromString } from '../run/ids';
import { validateJobSettings } from '../schema/validate';
import type { JobSettings } from '../schema/job-settings';
import { errorAt, hasErrors, warningAt, type Diagnostic } from './diagnostics';
import { translateJobPaths, dirname, normalizePath, type LocalFiles, type LocalLibrary } from './job-paths';
import { mergeJobElements } from './merge';
import { applyMode, applyPresetsToJob, type Presets } from './modes';
import { resolveReferences, unresolvedReferences } from './references';
import { configShapeProblems, Permission, SKIPPED_RESOURCE_KINDS } from './schema';
import { applyTarget, selectTarget } from './targets';
import {
  deleteIn,
  formatPath,
  fromPlain,
  getIn,
  isTrue,
  parsePath,
  scalarValue,
  setIn,
  stringOf,
  toPlain,
  type Location,
  type Value,
} from './value';
import { assignVariables, type VariableSources } from './variables';
import { defineWorkspacePaths, workspacePathsOf, type CurrentUser, type WorkspacePaths } from './workspace-paths';

export interface BundleInputs {
  /** databricks.yml with its includes merged in (bundles/load.ts). */
  root: Value;
  /** `-t`; default: the target marked default, else the only one. */
  target?: string;
  variables: Omit<VariableSources, 'file' | 'fileName'>;
  /** The target's variable-overrides file, parsed, when there is one. */
  variableFile?: (target: string) => Record<string, unknown> | undefined;
  user: CurrentUser;
  files: LocalFiles;
  /** The checkout's Git facts, for `${bundle.git.*}` when the configuration sets none. */
  git?: { branch?: string; commit?: string; origin_url?: string };
  /** Flags of `bundle deploy` that set configuration, over the target's (`--cluster-id`, `--fail-on-active-runs`). */
  overrides?: DeployOverrides;
}

export interface DeployOverrides {
  clusterId?: string;
  failOnActiveRuns?: boolean;
}

export interface BundleJob {
  key: string;
  /** The id the job has (or will have) in this deployment: derived from the deployment and the key. */
  jobId: number;
  settings: JobSettings;
  /** Grants of `permissions` (the job's and the bundle's), as Databricks access control entries. */
  permissions: Permission[];
  /** `lifecycle.prevent_destroy`: destroy refuses to delete the job. */
  preventDestroy: boolean;
  location?: Location;
}

export interface BundleArtifact {
  name: string;
  type?: 'whl' | 'jar';
  /** The folder the build runs in (absolute). */
  path: string;
  build?: string;
  executable?: string;
  /** Globs of the files it makes (absolute); a whl's default is `<path>/dist/*.whl`. */
  files: string[];
}

export interface ResolvedBundle {
  name: string;
  target: string;
  mode?: 'development' | 'production';
  uuid?: string;
  /** `workspace.host` as configured: durable-jobs deploys to its own server, never there. */
  host?: string;
  user: CurrentUser;
  workspace: WorkspacePaths;
  /** Where the deployment's metadata lives; also its identity (`deployment.metadata_file_path`). */
  metadataFilePath: string;
  presets: Presets;
  /** `bundle.deployment.fail_on_active_runs`: a deploy stops when a job of the bundle is running. */
  failOnActiveRuns: boolean;
  /** `bundle.git.branch` as configured, and the checkout's branch: a deploy stops when they differ. */
  branch: { configured?: string; actual?: string };
  jobs: BundleJob[];
  /** Resources of kinds durable-jobs does not deploy. */
  skipped: { kind: string; key: string }[];
  libraries: LocalLibrary[];
  artifacts: BundleArtifact[];
  sync: { paths: string[]; include: string[]; exclude: string[] };
  /** The resolved configuration (`bundle validate -o json`). */
  config: Value;
}

/** Where a deployment keeps its metadata (Databricks' `metadata.json` under the state path). */
export const metadataFilePathOf = (statePath: string): string => `${statePath}/metadata.json`;

/**
 * The id of a bundle's job: a digest of the deployment and the resource key, so every machine
 * deploying the bundle finds the same job without a state file, and `${resources.jobs.<key>.id}`
 * is known before the job exists.
 */
export const bundleJobId = (metadataFilePath: string, key: string): number =>
  runIdFromString(`${metadataFilePath}#jobs.${key}`);

/** Fields of a job resource that are the bundle's, not the Jobs API's. */
const BUNDLE_JOB_FIELDS = ['permissions', 'lifecycle'] as const;

const strings = (v: Value | undefined): string[] =>
  v?.kind === 'seq'
    ? v.items.flatMap((i) => (i.kind === 'scalar' && typeof i.value === 'string' ? [i.value] : []))
    : [];

export function resolveBundle(inputs: BundleInputs): { bundle?: ResolvedBundle; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let tree = inputs.root;
  for (const p of configShapeProblems(toPlain(tree))) diagnostics.push(errorAt(p.message, tree, p.path));
  if (hasErrors(diagnostics)) return { diagnostics };

  const selected = selectTarget(tree, inputs.target);
  if ('error' in selected) return { diagnostics: [selected.error] };
  const targetRootPath = getIn(tree, ['targets', selected.name, 'workspace', 'root_path']) !== undefined;
  const targeted = applyTarget(tree, selected.name);
  diagnostics.push(...targeted.diagnostics);
  tree = targeted.value;
  tree = applyOverrides(tree, inputs.overrides ?? {});

  // Read after references are resolved: the configuration's own branch, not the checkout's.
  const branchConfigured = getIn(tree, ['bundle', 'git', 'branch']) !== undefined;
  for (const [field, value] of Object.entries(inputs.git ?? {}))
    if (value !== undefined && !getIn(tree, ['bundle', 'git', field]))
      tree = setIn(tree, ['bundle', 'git', field], scalarValue(value));
  for (const field of ['branch', 'commit', 'origin_url'])
    if (!getIn(tree, ['bundle', 'git', field])) tree = setIn(tree, ['bundle', 'git', field], scalarValue(''));

  const fileName = `.databricks/bundle/${selected.name}/variable-overrides.json`;
  const file = inputs.variableFile?.(selected.name);
  const vars = assignVariables(tree, { ...inputs.variables, fileName, ...(file ? { file } : {}) });
  diagnostics.push(...vars.diagnostics);
  tree = vars.value;

  const ws = defineWorkspacePaths(tree, inputs.user);
  diagnostics.push(...ws.diagnostics);
  tree = ws.value;
  if (hasErrors(ws.diagnostics)) return { diagnostics };

  const first = resolveReferences(tree, { prefixes: ['bundle', 'workspace', 'variables'] });
  diagnostics.push(...first.diagnostics);
  tree = first.value;

  const name = stringOf(getIn(tree, ['bundle', 'name']))!;
  const target = selected.name;
  const workspace = workspacePathsOf(tree);
  const metadataFilePath = metadataFilePathOf(workspace.statePath);

  tree = setIn(tree, ['resources', 'jobs'], mergeJobElements(getIn(tree, ['resources', 'jobs'])) ?? fromPlain({}));
  const jobsNode = getIn(tree, ['resources', 'jobs']);
  const jobKeys = jobsNode?.kind === 'map' ? [...jobsNode.entries.keys()] : [];

  const second = resolveReferences(tree, {
    prefixes: ['resources'],
    within: [['resources']],
    lookup: (p) => {
      const [, kind, key, field] = p;
      if ((SKIPPED_RESOURCE_KINDS as readonly string[]).includes(String(kind)))
        return { error: `\${${p.join('.')}} names a ${String(kind)} resource, which durable-jobs does not deploy` };
      if (kind === 'jobs' && field === 'id' && p.length === 4) {
        if (!jobKeys.includes(String(key))) return { error: `reference does not exist: \${${p.join('.')}}` };
        return scalarValue(bundleJobId(metadataFilePath, String(key)));
      }
      return undefined;
    },
  });
  diagnostics.push(...second.diagnostics);
  tree = second.value;

  const mode = applyMode(tree, inputs.user, targetRootPath);
  diagnostics.push(...mode.diagnostics);

  diagnostics.push(...unactedSettings(tree));
  const computeOverride =
    stringOf(getIn(tree, ['bundle', 'cluster_id'])) ?? stringOf(getIn(tree, ['bundle', 'compute_id']));
  if (computeOverride && stringOf(getIn(tree, ['bundle', 'mode'])) === 'production')
    diagnostics.push(
      warningAt("Setting a cluster override for a target that uses 'mode: production' is not recommended", tree, [
        'bundle',
        'cluster_id',
      ])
    );

  const topPermissions = getIn(tree, ['permissions']);
  const runAs = getIn(tree, ['run_as']);
  const libraries: LocalLibrary[] = [];
  const jobs: BundleJob[] = [];
  for (const key of jobKeys) {
    const at = ['resources', 'jobs', key];
    let job = getIn(tree, at)!;
    if (job.kind === 'scalar' && job.value === null) job = fromPlain({}, job.locations);
    job = applyPresetsToJob(job, mode.presets);
    if (computeOverride) job = overrideCompute(job, computeOverride);
    if (runAs && !getIn(job, ['run_as'])) job = setIn(job, ['run_as'], runAs);
    tree = setIn(tree, at, job);
    const translated = translateJobPaths(tree, key, inputs.files, workspace.filePath);
    diagnostics.push(...translated.diagnostics);
    libraries.push(...translated.libraries);
    job = translated.job;
    job = setIn(job, ['deployment'], fromPlain({ kind: 'BUNDLE', metadata_file_path: metadataFilePath }));
    job = setIn(job, ['edit_mode'], scalarValue('UI_LOCKED'));
    job = setIn(job, ['format'], scalarValue('MULTI_TASK'));
    tree = setIn(tree, at, job);
    const unresolved = unresolvedReferences(job, at);
    for (const left of unresolved)
      diagnostics.push(errorAt(`reference does not exist: \${${left.text}}`, tree, left.path));
    const unresolvedPaths = new Set(unresolved.map((u) => formatPath(u.path)));
    const permissions = [...permissionsOf(getIn(job, ['permissions'])), ...permissionsOf(topPermissions)];
    let apiSettings = job;
    for (const f of BUNDLE_JOB_FIELDS) apiSettings = deleteIn(apiSettings, [f]);
    const checked = validateCoerced(toPlain(apiSettings) as Record<string, unknown>);
    if (!checked.ok)
      for (const e of checked.errors) {
        const where = [...at, ...parsePath(e.path)];
        // A field whose reference could not be resolved is reported once, as that.
        if (!unresolvedPaths.has(formatPath(where))) diagnostics.push(errorAt(e.message, tree, where));
      }
    if (checked.ok)
      jobs.push({
        key,
        jobId: bundleJobId(metadataFilePath, key),
        settings: checked.settings,
        permissions,
        preventDestroy: isTrue(getIn(job, ['lifecycle', 'prevent_destroy'])),
        ...(job.locations[0] ? { location: job.locations[0] } : {}),
      });
  }

  const skipped: { kind: string; key: string }[] = [];
  for (const kind of SKIPPED_RESOURCE_KINDS) {
    const node = getIn(tree, ['resources', kind]);
    if (node?.kind !== 'map') continue;
    for (const key of node.entries.keys()) {
      skipped.push({ kind, key });
      diagnostics.push(
        warningAt(`${kind}.${key} is skipped: durable-jobs deploys jobs only, not ${kind.replace(/_/g, ' ')}`, tree, [
          'resources',
          kind,
          key,
        ])
      );
    }
  }

  const artifacts = artifactsOf(tree, inputs.files.root);
  const host = stringOf(getIn(tree, ['workspace', 'host']));
  const uuid = stringOf(getIn(tree, ['bundle', 'uuid']));
  const modeName = stringOf(getIn(tree, ['bundle', 'mode']));
  const configuredBranch = branchConfigured ? stringOf(getIn(tree, ['bundle', 'git', 'branch'])) : undefined;
  if (hasErrors(diagnostics)) return { diagnostics: distinct(diagnostics) };
  return {
    diagnostics: distinct(diagnostics),
    bundle: {
      name,
      target,
      ...(modeName === 'development' || modeName === 'production' ? { mode: modeName } : {}),
      ...(uuid ? { uuid } : {}),
      ...(host ? { host } : {}),
      user: inputs.user,
      workspace,
      metadataFilePath,
      presets: mode.presets,
      failOnActiveRuns: isTrue(getIn(tree, ['bundle', 'deployment', 'fail_on_active_runs'])),
      branch: {
        ...(configuredBranch ? { configured: configuredBranch } : {}),
        ...(inputs.git?.branch ? { actual: inputs.git.branch } : {}),
      },
      jobs,
      skipped,
      libraries,
      artifacts,
      sync: {
        paths: getIn(tree, ['sync', 'paths']) ? strings(getIn(tree, ['sync', 'paths'])) : ['.'],
        include: strings(getIn(tree, ['sync', 'include'])),
        exclude: strings(getIn(tree, ['sync', 'exclude'])),
      },
      config: tree,
    },
  };
}

/**
 * Settings of the Databricks CLI that durable-jobs does not act on, reported where they are
 * written: an error where acting otherwise would deploy something other than the user meant
 * (resources defined in Python), else a warning saying why it has no effect here.
 */
function unactedSettings(tree: Value): Diagnostic[] {
  const out: Diagnostic[] = [];
  const has = (...p: string[]) => getIn(tree, p) !== undefined;
  const pythonResources =
    'resources defined in Python (databricks-bundles) are not loaded by durable-jobs: define them in YAML';
  if (has('python')) out.push(errorAt(pythonResources, tree, ['python']));
  for (const key of ['python', 'pydabs'])
    if (has('experimental', key)) out.push(errorAt(pythonResources, tree, ['experimental', key]));
  const experimental = getIn(tree, ['experimental']);
  if (experimental?.kind === 'map')
    for (const key of experimental.entries.keys())
      if (key !== 'python' && key !== 'pydabs')
        out.push(warningAt(`experimental.${key} is not acted on by durable-jobs`, tree, ['experimental', key]));
  if (has('scripts'))
    out.push(warningAt('scripts are not run by durable-jobs (bundle run runs jobs only)', tree, ['scripts']));
  if (isTrue(getIn(tree, ['presets', 'source_linked_deployment'])))
    out.push(
      warningAt(
        'source-linked deployment is available only in a Databricks workspace: durable-jobs syncs the files',
        tree,
        ['presets', 'source_linked_deployment']
      )
    );
  const dynamic =
    "has no effect on durable-jobs: a task environment is keyed by its wheels' content, so a changed wheel is installed anew without a new version";
  if (has('presets', 'artifacts_dynamic_version'))
    out.push(warningAt(`presets.artifacts_dynamic_version ${dynamic}`, tree, ['presets', 'artifacts_dynamic_version']));
  const artifacts = getIn(tree, ['artifacts']);
  if (artifacts?.kind === 'map')
    for (const [name, a] of artifacts.entries)
      if (getIn(a, ['dynamic_version']))
        out.push(
          warningAt(`artifacts.${name}.dynamic_version ${dynamic}`, tree, ['artifacts', name, 'dynamic_version'])
        );
  return out;
}

/** The deploy flags' settings, as the Databricks CLI sets them after selecting the target. */
function applyOverrides(tree: Value, o: DeployOverrides): Value {
  let out = tree;
  if (o.clusterId !== undefined) out = setIn(out, ['bundle', 'cluster_id'], scalarValue(o.clusterId));
  if (o.failOnActiveRuns !== undefined)
    out = setIn(out, ['bundle', 'deployment', 'fail_on_active_runs'], scalarValue(o.failOnActiveRuns));
  return out;
}

/**
 * A job's tasks on one existing cluster (`bundle.cluster_id`, `databricks bundle deploy
 * --cluster-id`): every task that names compute runs there instead, as Databricks overrides it.
 * On durable-jobs a cluster is a named worker pool (`djobs worker --cluster NAME`).
 */
function overrideCompute(job: Value, cluster: string): Value {
  const tasks = getIn(job, ['tasks']);
  if (tasks?.kind !== 'seq') return job;
  let out = job;
  tasks.items.forEach((t, i) => {
    const at: (string | number)[] = getIn(t, ['for_each_task', 'task'])
      ? ['tasks', i, 'for_each_task', 'task']
      : ['tasks', i];
    const task = getIn(out, at)!;
    if (!['new_cluster', 'existing_cluster_id', 'environment_key', 'job_cluster_key'].some((f) => getIn(task, [f])))
      return;
    let next = task;
    for (const f of ['new_cluster', 'job_cluster_key', 'environment_key']) next = deleteIn(next, [f]);
    next = setIn(next, ['existing_cluster_id'], scalarValue(cluster));
    out = setIn(out, at, next);
  });
  return out;
}

/** The diagnostics without repeats (a reference reported by two passes). */
function distinct(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = JSON.stringify([d.severity, d.summary, d.paths, d.locations]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The Jobs schema's verdict on a job, once strings written where the schema wants a number or a
 * boolean are read as one (`max_concurrent_runs: \${var.n}` with `--var n=2`), as the Databricks CLI
 * normalizes resolved values to their field's type.
 */
function validateCoerced(plain: Record<string, unknown>): ReturnType<typeof validateJobSettings> {
  let checked = validateJobSettings(plain);
  for (let round = 0; round < 3 && !checked.ok; round++) {
    let coerced = false;
    for (const e of checked.errors) {
      const m = /^expected (a number|an integer|a boolean), found "(.*)"$/.exec(e.message);
      if (!m) continue;
      const text = m[2]!;
      const value =
        m[1] === 'a boolean' ? ({ true: true, false: false } as Record<string, boolean>)[text] : Number(text);
      if (value === undefined || (typeof value === 'number' && (text.trim() === '' || Number.isNaN(value)))) continue;
      const path = parsePath(e.path);
      let parent: unknown = plain;
      for (const p of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)?.[p];
      if (parent && typeof parent === 'object') {
        (parent as Record<string | number, unknown>)[path[path.length - 1]!] = value;
        coerced = true;
      }
    }
    if (!coerced) break;
    checked = validateJobSettings(plain);
  }
  return checked;
}

function permissionsOf(v: Value | undefined): Permission[] {
  if (v?.kind !== 'seq') return [];
  return v.items.flatMap((i) => {
    const r = Permission.safeParse(toPlain(i));
    return r.success ? [r.data] : [];
  });
}

/** The artifacts to build: paths relative to the file that declares them, whl defaults as Databricks sets them. */
function artifactsOf(tree: Value, bundleRoot: string): BundleArtifact[] {
  const node = getIn(tree, ['artifacts']);
  if (node?.kind !== 'map') return [];
  const out: BundleArtifact[] = [];
  for (const [name, a] of node.entries) {
    const file = a.locations[0]?.file;
    const dir = file ? dirname(file.startsWith('/') ? file : normalizePath(`${bundleRoot}/${file}`)) : bundleRoot;
    const abs = (p: string) => (p.startsWith('/') ? p : normalizePath(`${dir}/${p}`));
    const type = stringOf(getIn(a, ['type']));
    const pathWritten = stringOf(getIn(a, ['path']));
    const path = pathWritten ? abs(pathWritten) : bundleRoot;
    const files = strings(
      getIn(a, ['files'])?.kind === 'seq'
        ? fromPlain(
            (toPlain(getIn(a, ['files'])!) as { source?: string }[]).map((f) => f.source).filter(Boolean),
            a.locations
          )
        : undefined
    ).map(abs);
    // Databricks' default build of a whl that names neither a build nor files.
    const build =
      stringOf(getIn(a, ['build'])) ??
      (type === 'whl' && files.length === 0 ? 'python3 setup.py bdist_wheel' : undefined);
    const executable = stringOf(getIn(a, ['executable']));
    out.push({
      name,
      ...(type === 'whl' || type === 'jar' ? { type } : {}),
      path,
      ...(build ? { build } : {}),
      ...(executable ? { executable } : {}),
      files: files.length > 0 ? files : type === 'whl' ? [`${path}/dist/*.whl`] : [],
    });
  }
  return out;
}
