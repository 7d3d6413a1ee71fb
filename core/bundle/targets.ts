// Choosing a target and merging its overrides into the configuration, by the Databricks CLI's
// rules (https://docs.databricks.com/dev-tools/bundles/settings#targets): `bundle`, `workspace`,
// `artifacts`, `resources`, `sync`, `permissions` and `presets` are merged into the top level;
// a target's `variables` replace a variable's default (or lookup); `run_as`, `mode`, `cluster_id`
// and `compute_id` replace what the top level says; `git` is merged into `bundle.git`.
import { errorAt, type Diagnostic } from './diagnostics';
import { merge, MergeConflict } from './merge';
import { deleteIn, getIn, mapValue, scalarValue, setIn, type MapValue, type Value } from './value';

/** The target a command works on: the one asked for, else the one marked `default`, else the only one. */
export function selectTarget(root: Value, asked: string | undefined): { name: string } | { error: Diagnostic } {
  const targets = targetsOf(root);
  const defined = targets ? [...targets.entries.keys()] : [];
  // A bundle without targets has one, `default`, as the Databricks CLI defines it (so `-t default` works).
  const names = defined.length > 0 ? defined : ['default'];
  if (asked !== undefined) {
    if (!names.includes(asked))
      return {
        error: errorAt(`${asked}: no such target. Available targets: ${names.join(', ')}`, root, ['targets']),
      };
    return { name: asked };
  }
  if (defined.length === 0) return { name: 'default' };
  const defaults = names.filter((n) => {
    const d = getIn(targets, [n, 'default']);
    return d?.kind === 'scalar' && d.value === true;
  });
  if (defaults.length > 1)
    return { error: errorAt(`multiple targets are marked as default: ${defaults.join(', ')}`, root, ['targets']) };
  if (defaults.length === 1) return { name: defaults[0]! };
  if (names.length === 1) return { name: names[0]! };
  return {
    error: errorAt(
      `please specify a target with -t: none of the targets ${names.join(', ')} is marked as default`,
      root,
      ['targets']
    ),
  };
}

function targetsOf(root: Value): MapValue | undefined {
  const t = getIn(root, ['targets']) ?? getIn(root, ['environments']);
  return t?.kind === 'map' ? t : undefined;
}

const MERGED_FIELDS = ['bundle', 'workspace', 'artifacts', 'resources', 'sync', 'permissions', 'presets'] as const;

/** The configuration with target `name`'s overrides merged in and `targets` removed. */
export function applyTarget(root: Value, name: string): { value: Value; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const targets = targetsOf(root);
  const targetsKey = getIn(root, ['targets']) ? 'targets' : 'environments';
  const target = targets?.entries.get(name);
  let out = root;
  const at = (...p: (string | number)[]) => [targetsKey, name, ...p];
  if (target?.kind === 'map') {
    for (const field of MERGED_FIELDS) {
      const override = target.entries.get(field);
      if (!override) continue;
      const base = getIn(out, [field]);
      try {
        out = setIn(out, [field], base ? merge(base, override) : override);
      } catch (err) {
        if (!(err instanceof MergeConflict)) throw err;
        diagnostics.push(errorAt(`cannot merge target ${name}'s ${field}: ${err.message}`, root, at(field)));
      }
    }
    const variables = target.entries.get('variables');
    if (variables?.kind === 'map') {
      for (const [v, override] of variables.entries) {
        const declared = getIn(out, ['variables', v]);
        if (!declared) {
          diagnostics.push(errorAt(`variable ${v} is not defined but is assigned a value`, root, at('variables', v)));
          continue;
        }
        const complex = stringAt(declared, ['type']) === 'complex';
        const full = override.kind === 'map' && isFullOverride(override, complex);
        const def = full ? override.entries.get('default') : override;
        const lookup = full ? override.entries.get('lookup') : undefined;
        let decl: Value = declared.kind === 'map' ? declared : mapValue();
        if (def) decl = deleteIn(setIn(decl, ['default'], def), ['lookup']);
        if (lookup) decl = deleteIn(setIn(decl, ['lookup'], lookup), ['default']);
        out = setIn(out, ['variables', v], decl);
      }
    }
    for (const [field, to] of [
      ['run_as', ['run_as']],
      ['mode', ['bundle', 'mode']],
      ['cluster_id', ['bundle', 'cluster_id']],
      ['compute_id', ['bundle', 'compute_id']],
    ] as const) {
      const v = target.entries.get(field);
      if (v) out = setIn(out, to, v);
    }
    const git = target.entries.get('git');
    if (git) {
      const base = getIn(out, ['bundle', 'git']);
      out = setIn(out, ['bundle', 'git'], base ? merge(base, git) : git);
    }
  }
  const loc = target?.locations ?? [];
  out = setIn(out, ['bundle', 'target'], scalarValue(name, loc));
  out = setIn(out, ['bundle', 'environment'], scalarValue(name, loc));
  out = deleteIn(deleteIn(out, ['targets']), ['environments']);
  return { value: out, diagnostics };
}

function stringAt(v: Value, path: string[]): string | undefined {
  const s = getIn(v, path);
  return s?.kind === 'scalar' && typeof s.value === 'string' ? s.value : undefined;
}

/**
 * Whether a target's variable is written in full (`{default: …}`, `{lookup: …}`, with `type` or
 * `description`) rather than as the value itself; a complex variable's value is a map too.
 */
function isFullOverride(v: MapValue, complex: boolean): boolean {
  const keys = [...v.entries.keys()];
  const allowed = ['default', 'lookup', 'type', 'description'];
  if (keys.length === 0 || !keys.every((k) => allowed.includes(k))) return false;
  if (!keys.includes('default') && !keys.includes('lookup')) return false;
  return !complex || keys.includes('default') || keys.includes('lookup');
}
