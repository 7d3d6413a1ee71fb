// Redacts secret values from a task's output stream as it is written: a value split across two
// chunks is still caught, because the last (longest value - 1) bytes wait for the next chunk.
import { REDACTED } from '../core';

export interface OutputFilter {
  push(chunk: Buffer): Buffer;
  /** The held-back rest, at the end of the stream. */
  flush(): Buffer;
}

export function secretRedactor(values: readonly string[]): OutputFilter | undefined {
  const secrets = [...new Set(values.filter((v) => v.length > 0))]
    .map((v) => Buffer.from(v))
    .sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return undefined;
  const hold = secrets[0]!.length - 1;
  const replacement = Buffer.from(REDACTED);
  let pending: Buffer = Buffer.alloc(0);

  const redactAll = (buf: Buffer): Buffer => {
    let out = buf;
    for (const s of secrets) {
      const parts: Buffer[] = [];
      let at = 0;
      for (let i = out.indexOf(s); i >= 0; i = out.indexOf(s, at)) {
        parts.push(out.subarray(at, i), replacement);
        at = i + s.length;
      }
      if (at > 0) out = Buffer.concat([...parts, out.subarray(at)]);
    }
    return out;
  };
  return {
    push(chunk) {
      const text = redactAll(Buffer.concat([pending, chunk]));
      // Keep back what could be the start of a secret completed by the next chunk.
      const keep = Math.min(hold, text.length);
      pending = text.subarray(text.length - keep);
      return text.subarray(0, text.length - keep);
    },
    flush() {
      const rest = redactAll(pending);
      pending = Buffer.alloc(0);
      return rest;
    },
  };
}
