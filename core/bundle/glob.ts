// Go's `filepath.Match` patterns, which the Databricks CLI matches `include` entries with: `*` and
// `?` never cross a `/`, `[…]` is a class (`[^…]` negated); a pattern is matched one path segment
// at a time, so `resources/*.yml` finds the YAML files directly in `resources/`.

/** A regular expression for one segment of a pattern. */
export function segmentPattern(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = segment.slice(i + 1, end);
        const negated = body.startsWith('^') || body.startsWith('!');
        if (negated) body = body.slice(1);
        re += `[${negated ? '^' : ''}${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < segment.length) re += `\\${segment[++i]!}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export const isGlob = (p: string): boolean => /[*?[]/.test(p);
