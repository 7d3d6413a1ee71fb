import { describe, expect, it } from 'vitest';
import { decodeListingToken, decodeOffsetToken, encodeListingToken, encodeOffsetToken } from '../../../api/page-tokens';

const refused = { code: 'INVALID_PARAMETER_VALUE', message: 'Invalid page_token.' };
const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('page tokens', () => {
  it('an offset token gives back its offset; no token is no offset', () => {
    expect(decodeOffsetToken(encodeOffsetToken(0))).toBe(0);
    expect(decodeOffsetToken(encodeOffsetToken(250))).toBe(250);
    expect(decodeOffsetToken(undefined)).toBeUndefined();
    expect(decodeOffsetToken('')).toBeUndefined();
  });

  it("a listing token gives back Temporal's token, whatever its bytes", () => {
    const temporal = Buffer.from([0, 1, 2, 250, 255, 58, 58]).toString('base64url');
    for (const t of [temporal, '{"CloseTime":"0001-01-01T00:00:00Z","RunID":"a:b"}'])
      expect(decodeListingToken(encodeListingToken(t))).toBe(t);
    expect(decodeListingToken(undefined)).toBeUndefined();
  });

  it('refuses a token of the other kind', () => {
    expect(() => decodeOffsetToken(encodeListingToken('abc'))).toThrow(expect.objectContaining(refused));
    expect(() => decodeListingToken(encodeOffsetToken(5))).toThrow(expect.objectContaining(refused));
  });

  it('refuses a listing token that was not made here: no checksum, a wrong one, a changed token', () => {
    const good = Buffer.from(encodeListingToken('eyJSdW5JRCI6ImFiYyJ9'), 'base64url').toString();
    const changed = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    for (const text of [
      'listing:bm9wZQ',
      'listing:',
      'listing::abc',
      `listing:AAAAAAAAAAA:eyJSdW5JRCI6ImFiYyJ9`,
      changed,
    ])
      expect(() => decodeListingToken(b64(text)), text).toThrow(expect.objectContaining(refused));
    expect(() => decodeListingToken('bm9wZQ')).toThrow(expect.objectContaining(refused));
  });
});
