// `${…}` references in a bundle's configuration, resolved as the Databricks CLI resolves them
// (https://docs.databricks.com/dev-tools/bundles/variables): `${var.name}` is short for
// `${variables.name.value}`; a string that is exactly one reference takes the referenced value
// whole (a complex variable's map or list, a number), a reference inside a longer string is
// replaced by the referenced scalar's text. Values that themselves hold references are resolved
// in further rounds; a reference to nothing is an error where it was written.
import { errorAt, type Diagnostic } from './diagnostics';
import { getIn, mapScalars, scalarValue, type Path, type Value } from './value';

const SEGMENT = '[a-zA-Z]+(?:[-_]?[a-zA-Z0-9]+)*';
const REF_BODY = `${SEGMENT}(?:\\.${SEGMENT}(?:\\[[0-9]+\\])*)*(?:\\[[0-9]+\\])*`;
/** One `${path}` reference (Databricks' own pattern of reference paths). */
const REFERENCE = new RegExp(`\\$\\{(${REF_BODY})\\}`, 'g');
const WHOLE = new RegExp(`^\\$\\{(${REF_BODY})\\}$`);

/** The path segments of a reference's text: `var.x[0].y` → `['var', 'x', 0, 'y']`. */
export function referencePath(text: string): Path {
  const out: (string | number)[] = [];
  for (const part of text.split('.')) {
    const m = /^([^[]+)((?:\[[0-9]+\])*)$/.exec(part);
    if (!m) continue;
    out.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[([0-9]+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** The references in a string, in order. */
export const referencesIn = (s: string): string[] => [...s.matchAll(REFERENCE)].map((m) => m[1]!);

/** `${var.x…}` is `${variables.x.value…}`. */
function canonical(path: Path): Path {
  return path[0] === 'var' && path.length >= 2 ? ['variables', path[1]!, 'value', ...path.slice(2)] : path;
}

/**
 * How a reference that is not in the tree is answered (`resources.jobs.<key>.id`): its value, a
 * reason it cannot be resolved, or undefined to look in the tree.
 */
export type ReferenceLookup = (path: Path) => Value | { error: string } | undefined;

export interface ResolveOptions {
  /** The parts of the tree whose strings are resolved (default: the whole tree). */
  within?: readonly Path[];
  /** Prefixes resolved from the tree itself. */
  prefixes: readonly string[];
  /** Answers references the tree does not hold (by prefix); `'unknown'` makes the reference an error. */
  lookup?: ReferenceLookup;
}

const MAX_ROUNDS = 11;

/**
 * The tree with its references resolved, and a problem for each reference that names nothing or
 * cannot be written where it stands (a map inside a longer string). References whose prefix is
 * not listed are left as written.
 */
export function resolveReferences(root: Value, o: ResolveOptions): { value: Value; diagnostics: Diagnostic[] } {
  let tree = root;
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  const report = (d: Diagnostic) => {
    const key = `${d.summary}@${d.paths.join()}`;
    if (!reported.has(key)) {
      reported.add(key);
      diagnostics.push(d);
    }
  };
  const inScope = (p: Path) => p.length > 0 && o.prefixes.includes(String(p[0]));
  const find = (p: Path, body: string): Value | { error: string } => {
    const looked = o.lookup?.(p);
    if (looked !== undefined) return looked;
    return getIn(tree, p) ?? { error: `reference does not exist: \${${body}}` };
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    const resolveIn = (sub: Value, base: Path): Value =>
      mapScalars(sub, (s, rel) => {
        if (typeof s.value !== 'string' || !s.value.includes('${')) return s;
        const at = [...base, ...rel];
        const text = s.value;
        const whole = WHOLE.exec(text);
        if (whole) {
          const p = canonical(referencePath(whole[1]!));
          if (!inScope(p)) return s;
          const found = find(p, whole[1]!);
          if ('error' in found) {
            report(errorAt(found.error, tree, at));
            return s;
          }
          changed = true;
          return { ...found, locations: s.locations };
        }
        let replaced = false;
        const out = text.replace(REFERENCE, (all, body: string) => {
          const p = canonical(referencePath(body));
          if (!inScope(p)) return all;
          const found = find(p, body);
          if ('error' in found) {
            report(errorAt(found.error, tree, at));
            return all;
          }
          if (found.kind !== 'scalar') {
            report(
              errorAt(
                `cannot interpolate \${${body}} into a string: it is ${found.kind === 'map' ? 'a map' : 'a sequence'}`,
                tree,
                at
              )
            );
            return all;
          }
          replaced = true;
          return found.value === null ? '' : String(found.value);
        });
        if (!replaced) return s;
        changed = true;
        return scalarValue(out, s.locations);
      });
    const scopes = o.within ?? [[]];
    for (const scope of scopes) {
      const sub = getIn(tree, scope);
      if (!sub) continue;
      const next = resolveIn(sub, scope);
      if (next !== sub) tree = replaceAt(tree, scope, next);
    }
    if (!changed) break;
  }
  return { value: tree, diagnostics };
}

function replaceAt(root: Value, path: Path, value: Value): Value {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (root.kind === 'map' && typeof head === 'string') {
    const entries = new Map(root.entries);
    entries.set(head, replaceAt(root.entries.get(head)!, rest, value));
    return { ...root, entries };
  }
  if (root.kind === 'seq' && typeof head === 'number') {
    const items = root.items.slice();
    items[head] = replaceAt(items[head]!, rest, value);
    return { ...root, items };
  }
  return root;
}

/** The references left in the tree (their text and path): what no round could resolve. */
export function unresolvedReferences(v: Value, within: Path = []): { text: string; path: Path }[] {
  const out: { text: string; path: Path }[] = [];
  mapScalars(v, (s, rel) => {
    if (typeof s.value === 'string')
      for (const r of referencesIn(s.value)) out.push({ text: r, path: [...within, ...rel] });
    return s;
  });
  return out;
}
