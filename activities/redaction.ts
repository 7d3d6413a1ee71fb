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

/**
 * The forms a secret may be printed in besides itself: base64 and base64url (also as it appears
 * inside the encoding of a longer text, at each of the three byte alignments), hex in either case,
 * and URL-encoded. A task printing `base64 <<< $SECRET` is redacted too. Forms shorter than 8
 * characters are left out: they would redact ordinary output.
 */
export function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value);
  const forms = new Set<string>([value]);
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    // Characters that mix in the bytes before or after the value are dropped.
    const lead = [0, 2, 3][shift]!;
    const whole = (shift + bytes.length) % 3 === 0;
    const core = b64.slice(lead, whole ? b64.length : b64.length - 1);
    forms.add(core);
    forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  forms.add(bytes.toString('hex'));
  forms.add(bytes.toString('hex').toUpperCase());
  forms.add(encodeURIComponent(value));
  return [...forms].filter((f) => f === value || f.length >= 8);
}
