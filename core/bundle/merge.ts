// How the Databricks CLI combines configuration: included files and a target's overrides are
// merged into the root (maps key by key, sequences concatenated, a scalar replaced by the later
// one), then a job's `tasks`, `job_clusters` and `parameters` entries that share a key are merged
// into one (https://docs.databricks.com/dev-tools/bundles/settings#override-cluster-settings).
import { mapValue, seqValue, type Location, type MapValue, type Value } from './value';

const withLocations = (v: Value, more: Location[]): Value => ({ ...v, locations: [...v.locations, ...more] });

/** `b` merged into `a`. A null on either side takes the other; kinds that differ are a problem for the caller. */
export function merge(a: Value, b: Value): Value {
  if (a.kind === 'scalar' && a.value === null) return withLocations(b, a.locations);
  if (b.kind === 'scalar' && b.value === null) return withLocations(a, b.locations);
  if (a.kind === 'map' && b.kind === 'map') {
    const entries = new Map(a.entries);
    const keys = new Map(a.keys);
    for (const [k, bv] of b.entries) {
      const av = entries.get(k);
      entries.set(k, av ? merge(av, bv) : bv);
      keys.set(k, [...(keys.get(k) ?? []), ...(b.keys.get(k) ?? [])]);
    }
    return { kind: 'map', entries, keys, locations: [...a.locations, ...b.locations] };
  }
  if (a.kind === 'seq' && b.kind === 'seq') return seqValue([...a.items, ...b.items], [...a.locations, ...b.locations]);
  if (a.kind !== b.kind) throw new MergeConflict(a, b);
  return withLocations(b, a.locations);
}

/** A map merged with a sequence, or a scalar with either. */
export class MergeConflict extends Error {
  constructor(
    readonly a: Value,
    readonly b: Value
  ) {
    super(`cannot merge ${kindWord(a)} with ${kindWord(b)}`);
    this.name = 'MergeConflict';
  }
}

const kindWord = (v: Value): string =>
  v.kind === 'scalar' ? typeof v.value : v.kind === 'map' ? 'a map' : 'a sequence';

/**
 * The elements of a sequence of maps that share `key` merged into the first of them, in the order
 * first seen (`sorted`: ordered by key, as the Databricks CLI orders job tasks).
 */
export function mergeElementsByKey(seq: Value, key: string, sorted = false): Value {
  if (seq.kind !== 'seq') return seq;
  const seen = new Map<string, Value>();
  const order: string[] = [];
  for (const item of seq.items) {
    const k = item.kind === 'map' ? item.entries.get(key) : undefined;
    const name = k?.kind === 'scalar' && k.value !== null ? String(k.value) : '';
    const prev = seen.get(name);
    if (prev) seen.set(name, merge(prev, item));
    else {
      seen.set(name, item);
      order.push(name);
    }
  }
  if (sorted) order.sort();
  return seqValue(
    order.map((n) => seen.get(n)!),
    seq.locations
  );
}

/** Each job's tasks (by task_key, sorted), job_clusters (by job_cluster_key) and parameters (by name) merged. */
export function mergeJobElements(jobs: Value | undefined): Value | undefined {
  if (jobs?.kind !== 'map') return jobs;
  const out = new Map<string, Value>();
  for (const [k, job] of jobs.entries) {
    if (job.kind !== 'map') {
      out.set(k, job);
      continue;
    }
    let j: MapValue = job;
    for (const [field, key, sorted] of [
      ['tasks', 'task_key', true],
      ['job_clusters', 'job_cluster_key', false],
      ['parameters', 'name', false],
    ] as const) {
      const v = j.entries.get(field);
      if (!v) continue;
      const entries = new Map(j.entries);
      entries.set(field, mergeElementsByKey(v, key, sorted));
      j = { ...j, entries };
    }
    out.set(k, j);
  }
  return mapValue(out, jobs.locations, jobs.keys);
}
