import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec, isEncrypted } from '../../../encryption/aes-gcm-codec';
import { generateKeyLine, parseKeyRing } from '../../../encryption/key-ring';

const keyA = generateKeyLine('a');
const keyB = generateKeyLine('b');
const payload = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const value = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);

describe('AES-256-GCM payload codec', () => {
  it('round-trips a payload, metadata included, and leaves no plaintext behind', async () => {
    const codec = new AesGcmPayloadCodec(parseKeyRing(keyA, 'test'));
    const [sealed] = await codec.encode([payload({ secret: 'marker-7f3a' })]);
    expect(isEncrypted(sealed!)).toBe(true);
    expect(Buffer.from(sealed!.metadata!['encryption-key-id']!).toString()).toBe('a');
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('marker-7f3a');
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('json/plain');
    const [opened] = await codec.decode([sealed!]);
    expect(value(opened!)).toEqual({ secret: 'marker-7f3a' });
  });

  it('passes payloads written before encryption through unchanged', async () => {
    const codec = new AesGcmPayloadCodec(parseKeyRing(keyA, 'test'));
    const plain = payload('written in the clear');
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('rotates: a new key encrypts, old payloads still decrypt, a dropped key fails closed', async () => {
    const before = new AesGcmPayloadCodec(parseKeyRing(keyA, 'test'));
    const rotated = new AesGcmPayloadCodec(parseKeyRing(`${keyA},${keyB}`, 'test'));
    const [old] = await before.encode([payload('old run')]);
    const [fresh] = await rotated.encode([payload('new run')]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('b');
    expect((await rotated.decode([old!, fresh!])).map(value)).toEqual(['old run', 'new run']);
    const onlyB = new AesGcmPayloadCodec(parseKeyRing(keyB, 'test'));
    await expect(onlyB.decode([old!])).rejects.toThrow(
      'Cannot decrypt a payload encrypted with key "a": that key is not in the key ring (known: b).'
    );
  });

  it('fails closed on a tampered ciphertext or a swapped key id', async () => {
    const codec = new AesGcmPayloadCodec(parseKeyRing(`${keyA},${keyB}`, 'test'));
    const [sealed] = await codec.encode([payload('integrity')]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    const authFailed = (id: string) =>
      `Cannot decrypt a payload with key "${id}": authentication failed (the ciphertext was altered or the key is not the one it was encrypted with).`;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow(authFailed('b'));
    const relabeled = { ...sealed!, metadata: { ...sealed!.metadata, 'encryption-key-id': Buffer.from('a') } };
    await expect(codec.decode([relabeled])).rejects.toThrow(authFailed('a'));
    await expect(codec.decode([{ ...sealed!, data: data.subarray(0, 10) }])).rejects.toThrow(
      'Cannot decrypt a payload with key "b": it is truncated.'
    );
  });
});

describe('key ring', () => {
  it('reads key files with comments and either separator, newest last', () => {
    const [, a] = keyA.split(':');
    const ring = parseKeyRing(`# keys, oldest first\nold ${a}\n\n${keyB}  # newest\n`, 'file');
    expect(ring.keys.map((k) => k.id)).toEqual(['old', 'b']);
  });

  it('reports every problem at once without printing key material', () => {
    const short = Buffer.alloc(16).toString('base64');
    expect(() => parseKeyRing(`bad/id:${short},${keyA},${keyA},nonsense`, 'DJOBS_ENCRYPTION_KEYS')).toThrow(
      'invalid encryption keys in DJOBS_ENCRYPTION_KEYS: entry 1: key id "bad/id" must be 1-64 letters, digits, \'.\', \'_\' or \'-\'; entry 1 (key id "bad/id"): expected 32 bytes of base64 (AES-256), found 16; entry 3: key id "a" is listed twice; entry 4: expected "id:base64key"'
    );
    expect(() => parseKeyRing(`k1:${short}`, 'f')).toThrow(
      'invalid encryption keys in f: entry 1 (key id "k1"): expected 32 bytes of base64 (AES-256), found 16'
    );
    expect(() => parseKeyRing('# nothing', 'f')).toThrow('invalid encryption keys in f: no key found');
  });
});
