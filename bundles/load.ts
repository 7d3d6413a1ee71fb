// Reading a bundle from disk: `databricks.yml` (found from the working directory upwards, as the
// Databricks CLI finds it) and the files its `include` globs name, each parsed with the position
// of every value kept, then merged into one configuration. The same resource key defined in two
// places is an error naming both.
import fs from 'node:fs';
import path from 'node:path';
import YAML, { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import { errorAt, warningAt, type Diagnostic } from '../core/bundle/diagnostics';
import { isGlob, segmentPattern } from '../core/bundle/glob';
import { merge, MergeConflict } from '../core/bundle/merge';
import { getIn, mapValue, scalarValue, seqValue, stringOf, type Location, type Value } from '../core/bundle/value';

/** The names a bundle's root configuration file may have, in the order the Databricks CLI looks for them. */
export const ROOT_FILE_NAMES = ['databricks.yml', 'databricks.yaml', 'bundle.yml', 'bundle.yaml'] as const;

/** The bundle's folder: DATABRICKS_BUNDLE_ROOT, else the nearest folder upwards from `cwd` with a databricks.yml. */
export function findBundleRoot(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DATABRICKS_BUNDLE_ROOT) return path.resolve(cwd, env.DATABRICKS_BUNDLE_ROOT);
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (ROOT_FILE_NAMES.some((n) => fs.existsSync(path.join(dir, n)))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** One YAML (or JSON) file as a located tree; `file` is how locations name it. */
export function parseConfigFile(text: string, file: string): { value?: Value; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number): Location => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const diagnostics: Diagnostic[] = doc.errors.map((e) =>
    errorAt(`${file}: ${e.message.split('\n')[0]}`, undefined, undefined, { locations: [at(e.pos[0])] })
  );
  if (diagnostics.length > 0) return { diagnostics };
  const value = doc.contents ? toValue(doc, doc.contents, at) : mapValue([], [at(0)]);
  return { value, diagnostics };
}

function toValue(doc: Document, node: Node, at: (offset: number) => Location, depth = 0): Value {
  if (depth > 100) throw new Error('YAML nested too deeply (or an alias refers to itself)');
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) return scalarValue(null, [at(node.range?.[0] ?? 0)]);
    return toValue(doc, target, at, depth + 1);
  }
  const loc = [at(node.range?.[0] ?? 0)];
  if (isMap(node)) {
    const entries: [string, Value][] = [];
    const keys = new Map<string, Location[]>();
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k = item.key;
      const name = isScalar(k) ? String(k.value) : String(k);
      // `<<: *anchor` merge keys: the anchored map's entries, unless written here too.
      if (name === '<<') {
        const sources = item.value && isSeq(item.value) ? item.value.items : [item.value];
        for (const s of sources) {
          const m = s ? toValue(doc, s as Node, at, depth + 1) : undefined;
          if (m?.kind !== 'map') continue;
          for (const [mk, mv] of m.entries)
            if (
              !entries.some(([e]) => e === mk) &&
              !node.items.some((i) => isPair(i) && isScalar(i.key) && String(i.key.value) === mk)
            ) {
              entries.push([mk, mv]);
              keys.set(mk, m.keys.get(mk) ?? []);
            }
        }
        continue;
      }
      const keyLoc = at(isScalar(k) ? (k.range?.[0] ?? 0) : 0);
      const v = item.value ? toValue(doc, item.value as Node, at, depth + 1) : scalarValue(null, [keyLoc]);
      entries.push([name, v]);
      keys.set(name, [keyLoc]);
    }
    return mapValue(entries, loc, keys);
  }
  if (isSeq(node))
    return seqValue(
      node.items.map((i) => toValue(doc, i as Node, at, depth + 1)),
      loc
    );
  if (isScalar(node)) {
    const v: unknown = node.value;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return scalarValue(v, loc);
    if (typeof v === 'bigint') return scalarValue(Number(v), loc);
    return scalarValue(v === null || v === undefined ? null : String(node.source ?? ''), loc);
  }
  return scalarValue(null, loc);
}

/** Files under `root` matching a relative Go-glob pattern, sorted, as paths relative to `root`. */
export function globFiles(root: string, pattern: string): string[] {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  let current = [''];
  for (const [i, seg] of segments.entries()) {
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const rel of current) {
      const dir = path.join(root, rel);
      if (!isGlob(seg)) {
        const p = path.join(rel, seg);
        const st = fs.statSync(path.join(root, p), { throwIfNoEntry: false });
        if (st && (last ? st.isFile() : st.isDirectory())) next.push(p);
        continue;
      }
      const re = segmentPattern(seg);
      let names: fs.Dirent[] = [];
      try {
        names = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of names) {
        if (!re.test(e.name)) continue;
        const p = path.join(rel, e.name);
        const st = fs.statSync(path.join(root, p), { throwIfNoEntry: false });
        if (st && (last ? st.isFile() : st.isDirectory())) next.push(p);
      }
    }
    current = next;
  }
  return current.map((p) => p.split(path.sep).join('/')).sort();
}

export interface LoadedBundle {
  /** The bundle's folder (absolute). */
  root: string;
  /** The root file and the included files, relative to the folder, in the order merged. */
  files: string[];
  config?: Value;
  diagnostics: Diagnostic[];
}

/** Read the root file and its includes, check resource keys are unique across them, merge them. */
export function loadBundle(root: string): LoadedBundle {
  const rootFile = ROOT_FILE_NAMES.find((n) => fs.existsSync(path.join(root, n)));
  if (!rootFile)
    return {
      root,
      files: [],
      diagnostics: [
        errorAt(`unable to locate bundle root: ${ROOT_FILE_NAMES[0]} not found in ${root}`, undefined, undefined),
      ],
    };
  const diagnostics: Diagnostic[] = [];
  const parsedRoot = parseConfigFile(fs.readFileSync(path.join(root, rootFile), 'utf8'), rootFile);
  diagnostics.push(...parsedRoot.diagnostics);
  if (!parsedRoot.value) return { root, files: [rootFile], diagnostics };
  const files: string[] = [rootFile];
  const trees: { file: string; value: Value }[] = [{ file: rootFile, value: parsedRoot.value }];
  const include = getIn(parsedRoot.value, ['include']);
  const seen = new Set<string>([rootFile]);
  if (include?.kind === 'seq')
    include.items.forEach((entry, i) => {
      const pattern = stringOf(entry);
      if (pattern === undefined) return;
      if (path.isAbsolute(pattern)) {
        diagnostics.push(errorAt(`${pattern}: includes must be relative paths`, parsedRoot.value, ['include', i]));
        return;
      }
      const matches = globFiles(root, pattern);
      if (matches.length === 0 && !isGlob(pattern))
        diagnostics.push(
          errorAt(`${pattern} defined in 'include' section does not match any files`, parsedRoot.value, ['include', i])
        );
      for (const rel of matches) {
        if (seen.has(rel)) continue;
        seen.add(rel);
        if (!/\.(ya?ml|json)$/.test(rel)) {
          diagnostics.push(
            errorAt(
              `Files in the 'include' configuration section must be YAML or JSON files: ${rel} is neither (files to deploy are named in 'sync.include')`,
              parsedRoot.value,
              ['include', i]
            )
          );
          continue;
        }
        const parsed = parseConfigFile(fs.readFileSync(path.join(root, rel), 'utf8'), rel);
        diagnostics.push(...parsed.diagnostics);
        if (!parsed.value) continue;
        if (getIn(parsed.value, ['include']))
          diagnostics.push(
            warningAt(
              'Include section is defined outside root file: only includes defined in databricks.yml are applied',
              parsed.value,
              ['include']
            )
          );
        files.push(rel);
        trees.push({ file: rel, value: parsed.value });
      }
    });
  diagnostics.push(...duplicateResourceKeys(trees));
  let config = trees[0]!.value;
  for (const t of trees.slice(1)) {
    try {
      config = merge(config, t.value);
    } catch (err) {
      if (!(err instanceof MergeConflict)) throw err;
      diagnostics.push(
        errorAt(`cannot merge ${t.file} into the bundle: ${err.message}`, undefined, undefined, {
          locations: [...err.b.locations.slice(0, 1)],
        })
      );
    }
  }
  return { root, files, config, diagnostics };
}

/** A resource key defined more than once at the top level of the files (any two kinds share the key space, as `bundle run KEY` needs). */
function duplicateResourceKeys(trees: readonly { file: string; value: Value }[]): Diagnostic[] {
  const where = new Map<string, { path: string; location: Location }[]>();
  for (const { value } of trees) {
    const resources = getIn(value, ['resources']);
    if (resources?.kind !== 'map') continue;
    for (const [kind, node] of resources.entries) {
      if (node.kind !== 'map') continue;
      for (const key of node.entries.keys()) {
        const location = node.keys.get(key)?.[0] ?? node.locations[0];
        if (!location) continue;
        where.set(key, [...(where.get(key) ?? []), { path: `resources.${kind}.${key}`, location }]);
      }
    }
  }
  const out: Diagnostic[] = [];
  for (const [key, defs] of where) {
    if (defs.length < 2) continue;
    out.push({
      severity: 'error',
      summary: `multiple resources have been defined with the same key: ${key}`,
      paths: [...new Set(defs.map((d) => d.path))].sort(),
      locations: defs.map((d) => d.location),
    });
  }
  return out;
}
