// A bundle's configuration as a tree of located values, as the Databricks CLI keeps it (its
// `dyn.Value`): every map, sequence and scalar remembers the file, line and column it was written
// at (several, once merged), so every problem found after includes, target overrides and
// variable resolution still names where the user wrote the value.

export interface Location {
  /** The file, as given to the loader (relative to the bundle root when loaded from it). */
  file: string;
  line: number;
  column: number;
}

interface Located {
  /** Where the value was written; the first is where it was first defined. */
  locations: Location[];
}

export interface MapValue extends Located {
  kind: 'map';
  /** In the order written. */
  entries: Map<string, Value>;
  /** Where each key was written. */
  keys: Map<string, Location[]>;
}

export interface SeqValue extends Located {
  kind: 'seq';
  items: Value[];
}

export type Scalar = string | number | boolean | null;

export interface ScalarValue extends Located {
  kind: 'scalar';
  value: Scalar;
}

export type Value = MapValue | SeqValue | ScalarValue;

/** A path into the tree: map keys and sequence indexes (`resources.jobs.etl.tasks[0]`). */
export type Path = readonly (string | number)[];

export const mapValue = (
  entries: Iterable<[string, Value]> = [],
  locations: Location[] = [],
  keys?: Map<string, Location[]>
): MapValue => {
  const e = new Map(entries);
  return {
    kind: 'map',
    entries: e,
    keys: keys ?? new Map([...e].map(([k, v]) => [k, v.locations.slice(0, 1)])),
    locations,
  };
};
export const seqValue = (items: Value[], locations: Location[] = []): SeqValue => ({ kind: 'seq', items, locations });
export const scalarValue = (value: Scalar, locations: Location[] = []): ScalarValue => ({
  kind: 'scalar',
  value,
  locations,
});

/** `resources.jobs.etl.tasks[0].task_key`, as Databricks prints paths. */
export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** `file:line:column`. */
export const formatLocation = (l: Location): string => `${l.file}:${l.line}:${l.column}`;

/** The value at `path`, or undefined. */
export function getIn(v: Value | undefined, path: Path): Value | undefined {
  let cur = v;
  for (const p of path) {
    if (!cur) return undefined;
    if (typeof p === 'number') cur = cur.kind === 'seq' ? cur.items[p] : undefined;
    else cur = cur.kind === 'map' ? cur.entries.get(p) : undefined;
  }
  return cur;
}

/**
 * Where the value at `path` was written: the key's location when the path ends at a map key (an
 * unknown field is reported where its name is), else the value's; for a path that does not exist,
 * the deepest part of it that does.
 */
export function locationOf(root: Value, path: Path): Location | undefined {
  let cur: Value | undefined = root;
  let best = root.locations[0];
  for (const p of path) {
    if (!cur) break;
    if (typeof p === 'string' && cur.kind === 'map') {
      const key = cur.keys.get(p)?.[0];
      cur = cur.entries.get(p);
      best = key ?? cur?.locations[0] ?? best;
    } else if (typeof p === 'number' && cur.kind === 'seq') {
      cur = cur.items[p];
      best = cur?.locations[0] ?? best;
    } else break;
  }
  return best;
}

/** Every location the value at `path` was written at (a value defined in several files has several). */
export function locationsOf(root: Value, path: Path): Location[] {
  return getIn(root, path)?.locations ?? [];
}

/** A copy of `root` with `value` at `path` (missing maps on the way are created). */
export function setIn(root: Value, path: Path, value: Value): Value {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    if (root.kind !== 'seq') throw new Error(`cannot index ${root.kind} with [${head}]`);
    const items = root.items.slice();
    items[head] = setIn(items[head] ?? mapValue(), rest, value);
    return { ...root, items };
  }
  const map = root.kind === 'map' ? root : mapValue([], root.locations);
  const entries = new Map(map.entries);
  entries.set(head!, setIn(entries.get(head!) ?? mapValue(), rest, value));
  const keys = new Map(map.keys);
  if (!keys.has(head!)) keys.set(head!, value.locations.slice(0, 1));
  return { ...map, entries, keys };
}

/** A copy of `root` without the entry at `path`. */
export function deleteIn(root: Value, path: Path): Value {
  if (path.length === 0) return root;
  const [head, ...rest] = path;
  if (rest.length === 0) {
    if (root.kind !== 'map' || typeof head !== 'string' || !root.entries.has(head)) return root;
    const entries = new Map(root.entries);
    entries.delete(head);
    const keys = new Map(root.keys);
    keys.delete(head);
    return { ...root, entries, keys };
  }
  const child = getIn(root, [head!]);
  return child ? setIn(root, [head!], deleteIn(child, rest)) : root;
}

/** The plain JSON value of a tree. */
export function toPlain(v: Value): unknown {
  switch (v.kind) {
    case 'map':
      return Object.fromEntries([...v.entries].map(([k, e]) => [k, toPlain(e)]));
    case 'seq':
      return v.items.map(toPlain);
    case 'scalar':
      return v.value;
  }
}

/** A tree of a plain JSON value, every node at `locations` (values the bundle synthesizes). */
export function fromPlain(x: unknown, locations: Location[] = []): Value {
  if (Array.isArray(x))
    return seqValue(
      x.map((i) => fromPlain(i, locations)),
      locations
    );
  if (x !== null && typeof x === 'object')
    return mapValue(
      Object.entries(x as Record<string, unknown>)
        .filter(([, e]) => e !== undefined)
        .map(([k, e]) => [k, fromPlain(e, locations)]),
      locations
    );
  return scalarValue(x as Scalar, locations);
}

/** Whether a value is the scalar `true`. */
export const isTrue = (v: Value | undefined): boolean => v?.kind === 'scalar' && v.value === true;

/** The string of a scalar, or undefined. */
export function stringOf(v: Value | undefined): string | undefined {
  return v?.kind === 'scalar' && typeof v.value === 'string' ? v.value : undefined;
}

/**
 * Visit every scalar under `v` (depth first, in order), replacing it with what `fn` returns;
 * maps and sequences are rebuilt only where something changed.
 */
export function mapScalars(v: Value, fn: (s: ScalarValue, path: Path) => Value, path: Path = []): Value {
  switch (v.kind) {
    case 'scalar':
      return fn(v, path);
    case 'seq': {
      let changed = false;
      const items = v.items.map((item, i) => {
        const n = mapScalars(item, fn, [...path, i]);
        changed ||= n !== item;
        return n;
      });
      return changed ? { ...v, items } : v;
    }
    case 'map': {
      let changed = false;
      const entries = new Map<string, Value>();
      for (const [k, e] of v.entries) {
        const n = mapScalars(e, fn, [...path, k]);
        changed ||= n !== e;
        entries.set(k, n);
      }
      return changed ? { ...v, entries } : v;
    }
  }
}

/** The segments of a formatted path (`tasks[1].depends_on[0].task_key`). */
export function parsePath(formatted: string): Path {
  const out: (string | number)[] = [];
  for (const m of formatted.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}
