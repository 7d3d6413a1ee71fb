// Bounds on JSON values that durable-jobs stores without interpreting them (compute specs,
// git_source, environments…). Every tool that copies a value recursively (structuredClone,
// Temporal's payload converter, String()) overflows its stack on a value nested a few thousand
// levels deep, so such values are refused with their path before they go anywhere.

/** Deepest nesting of objects/arrays accepted inside a pass-through value (real ones use < 10). */
export const MAX_OPAQUE_DEPTH = 32;
/** Largest pass-through value, as JSON bytes. */
export const MAX_OPAQUE_BYTES = 256 * 1024;

/**
 * The path (relative to `value`) of the first object or array nested deeper than `maxDepth`
 * levels (`value` itself is level 1), or undefined. Iterative: safe on any depth.
 */
export function tooDeepAt(value: unknown, maxDepth: number): (string | number)[] | undefined {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (path.length >= maxDepth) return path;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, path: [...path, i] }));
    else for (const [k, x] of Object.entries(v)) stack.push({ v: x, path: [...path, k] });
  }
  return undefined;
}

/** Problems of one pass-through value: too deep (with the path where), or too large. */
export function opaqueValueProblem(value: unknown): { path: (string | number)[]; message: string } | undefined {
  const deep = tooDeepAt(value, MAX_OPAQUE_DEPTH);
  if (deep) return { path: deep, message: `expected at most ${MAX_OPAQUE_DEPTH} levels of nesting, found deeper` };
  const bytes = new TextEncoder().encode(JSON.stringify(value) ?? '').length;
  if (bytes > MAX_OPAQUE_BYTES)
    return { path: [], message: `expected at most ${MAX_OPAQUE_BYTES} bytes of JSON, found ${bytes} bytes` };
  return undefined;
}
