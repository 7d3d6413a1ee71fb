import { describe, expect, it } from 'vitest';
import { encodedForms, secretRedactor } from '../../../activities/redaction';
import { redact } from '../../../core';

const through = (values: string[], chunks: string[]): string => {
  const r = secretRedactor(values)!;
  return Buffer.concat([...chunks.map((c) => r.push(Buffer.from(c))), r.flush()]).toString();
};

describe('secret redaction', () => {
  it.each([
    ['whole in one chunk', ['pw=hunter2!\n']],
    ['split across chunks', ['pw=hun', 'ter', '2!\n']],
    ['one byte at a time', [...'pw=hunter2!\n']],
  ])('redacts a value %s', (_what, chunks) => {
    expect(through(['hunter2'], chunks)).toBe('pw=[REDACTED]!\n');
  });

  it('redacts the longer of overlapping values first and keeps unrelated text intact', () => {
    expect(through(['abc', 'abcdef'], ['x abcdef y ', 'abc z'])).toBe('x [REDACTED] y [REDACTED] z');
    expect(redact('x abcdef y abc z', ['abc', 'abcdef'])).toBe('x [REDACTED] y [REDACTED] z');
  });

  it('has nothing to do without values', () => {
    expect(secretRedactor([])).toBeUndefined();
    expect(secretRedactor([''])).toBeUndefined();
  });

  it('redacts a value printed base64-, hex- or URL-encoded, alone or inside a longer encoded text', () => {
    const secret = 'hunter2 s3cr3t/x';
    const forms = encodedForms(secret);
    const printed = [
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      Buffer.from(secret).toString('hex'),
      Buffer.from(secret).toString('hex').toUpperCase(),
      encodeURIComponent(secret),
      // `echo "token=$SECRET" | base64`: the value sits at each byte alignment of a longer text.
      ...['', 'a', 'ab', 'abc'].map((pre) => Buffer.from(`${pre}${secret}\n`).toString('base64')),
    ];
    for (const text of printed) expect(through(forms, [`out: ${text}\n`])).toContain('[REDACTED]');
    // Short forms are left out: they would redact ordinary output.
    expect(encodedForms('ab')).toEqual(['ab']);
  });
});
