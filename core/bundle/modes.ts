// Target modes and presets, as Databricks defines them
// (https://docs.databricks.com/dev-tools/bundles/deployment-modes):
// - `mode: development` sets the presets a personal copy needs unless the target sets them:
//   names prefixed `[dev <short name>] `, a `dev` tag, schedules and triggers PAUSED, and
//   `max_concurrent_runs` 4 for jobs that set none; it checks that the copy's paths and prefix
//   name the user, so two developers never share one.
// - `mode: production` checks that `workspace.root_path` is set explicitly by the target (a
//   recommendation only when every job has `run_as`), so there is a single production copy.
// - `presets` (any mode) apply to every job: name prefix, tags, max concurrent runs, pause status.
import { errorAt, Severity, diagnosticAt, type Diagnostic } from './diagnostics';
import { getIn, mapValue, scalarValue, setIn, stringOf, type Value } from './value';
import type { CurrentUser } from './workspace-paths';

/** What Databricks' development mode gives jobs that set no max_concurrent_runs. */
export const DEVELOPMENT_MAX_CONCURRENT_RUNS = 4;

export interface Presets {
  namePrefix: string;
  tags: Record<string, string>;
  jobsMaxConcurrentRuns: number;
  triggerPauseStatus?: 'PAUSED' | 'UNPAUSED';
}

function presetsOf(root: Value): Presets {
  const p = (f: string) => getIn(root, ['presets', f]);
  const tags = p('tags');
  const max = p('jobs_max_concurrent_runs');
  const pause = stringOf(p('trigger_pause_status'));
  return {
    namePrefix: stringOf(p('name_prefix')) ?? '',
    tags:
      tags?.kind === 'map'
        ? Object.fromEntries([...tags.entries].map(([k, v]) => [k, v.kind === 'scalar' ? String(v.value) : '']))
        : {},
    jobsMaxConcurrentRuns: max?.kind === 'scalar' && typeof max.value === 'number' ? max.value : 0,
    ...(pause === 'PAUSED' || pause === 'UNPAUSED' ? { triggerPauseStatus: pause } : {}),
  };
}

/**
 * The configuration's presets after the mode's defaults (development), and the mode's checks.
 * `targetRootPath`: whether the selected target itself set `workspace.root_path`.
 */
export function applyMode(
  root: Value,
  user: CurrentUser,
  targetRootPath: boolean
): { presets: Presets; diagnostics: Diagnostic[] } {
  const mode = stringOf(getIn(root, ['bundle', 'mode']));
  const presets = presetsOf(root);
  const diagnostics: Diagnostic[] = [];
  if (mode === 'development') {
    const explicitPause = presets.triggerPauseStatus;
    presets.namePrefix ||= `[dev ${user.shortName}] `;
    presets.tags.dev ??= user.shortName;
    presets.jobsMaxConcurrentRuns ||= DEVELOPMENT_MAX_CONCURRENT_RUNS;
    presets.triggerPauseStatus ??= 'PAUSED';
    if (explicitPause === 'UNPAUSED')
      diagnostics.push(
        errorAt("target with 'mode: development' cannot set trigger pause status to UNPAUSED by default", root, [
          'presets',
          'trigger_pause_status',
        ])
      );
    const names = (s: string) => s.includes(user.userName) || s.includes(user.shortName);
    for (const f of ['root_path', 'file_path', 'resource_path', 'artifact_path', 'state_path']) {
      const p = stringOf(getIn(root, ['workspace', f]));
      if (p !== undefined && !names(p)) {
        diagnostics.push(
          errorAt(
            `${f} must start with '~/' or contain the current username to ensure uniqueness when using 'mode: development'`,
            root,
            ['workspace', f]
          )
        );
        break;
      }
    }
    if (!names(presets.namePrefix) && !presets.namePrefix.includes(user.domainFriendlyName))
      diagnostics.push(
        errorAt(
          "prefix should contain the current username or ${workspace.current_user.short_name} to ensure uniqueness when using 'mode: development'",
          root,
          ['presets', 'name_prefix']
        )
      );
  } else if (mode === 'production' && !targetRootPath) {
    const jobs = getIn(root, ['resources', 'jobs']);
    const allRunAs =
      jobs?.kind === 'map' && [...jobs.entries.values()].every((j) => getIn(j, ['run_as']) !== undefined);
    const runAsTop = getIn(root, ['run_as']) !== undefined;
    diagnostics.push(
      diagnosticAt(
        allRunAs || runAsTop ? Severity.RECOMMENDATION : Severity.ERROR,
        `target with 'mode: production' ${allRunAs || runAsTop ? 'should' : 'must'} set 'workspace.root_path' to make sure only one copy is deployed`,
        root,
        ['bundle', 'mode'],
        {
          detail: `A common practice is to use a username or principal name in this path, i.e. use\n\n  root_path: /Workspace/Users/${user.userName}/.bundle/\${bundle.name}/\${bundle.target}`,
        }
      )
    );
  } else if (mode !== undefined && mode !== 'development' && mode !== 'production') {
    diagnostics.push(
      errorAt(`unsupported value '${mode}' specified for 'mode': must be either 'development' or 'production'`, root, [
        'bundle',
        'mode',
      ])
    );
  }
  return { presets, diagnostics };
}

/** A job's configuration with the presets applied (prefix, tags, concurrency, pause status). */
export function applyPresetsToJob(job: Value, presets: Presets): Value {
  let out = job;
  const name = stringOf(getIn(out, ['name'])) ?? '';
  if (presets.namePrefix)
    out = setIn(out, ['name'], scalarValue(presets.namePrefix + name, getIn(job, ['name'])?.locations ?? []));
  const tags = Object.entries(presets.tags);
  if (tags.length > 0) {
    if (!getIn(out, ['tags'])) out = setIn(out, ['tags'], mapValue());
    for (const [k, v] of tags.sort(([a], [b]) => (a < b ? -1 : 1))) {
      const cur = stringOf(getIn(out, ['tags', k]));
      if (!cur) out = setIn(out, ['tags', k], scalarValue(v));
    }
  }
  const max = getIn(out, ['max_concurrent_runs']);
  if (presets.jobsMaxConcurrentRuns && (!max || (max.kind === 'scalar' && (max.value === 0 || max.value === null))))
    out = setIn(out, ['max_concurrent_runs'], scalarValue(presets.jobsMaxConcurrentRuns));
  if (presets.triggerPauseStatus)
    for (const field of ['schedule', 'continuous', 'trigger'])
      if (getIn(out, [field]) && !getIn(out, [field, 'pause_status']))
        out = setIn(out, [field, 'pause_status'], scalarValue(presets.triggerPauseStatus));
  return out;
}
