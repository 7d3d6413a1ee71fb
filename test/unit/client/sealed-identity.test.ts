// The identity the API seals with a run's settings: it opens only with a key of the ring and only
// for exactly those settings; without a ring it is a plain claim, which a worker with a ring refuses.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../core';
import { generateKeyLine, parseKeyRing } from '../../../encryption/key-ring';
import { openIdentity, sealIdentity } from '../../../encryption/sealed-identity';

const ring = parseKeyRing(generateKeyLine('k1'), 'test');
const other = parseKeyRing(generateKeyLine('k1'), 'test');
const settings = { name: 'j', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }] };
const bob = { kind: 'user' as const, name: 'bob@example.com' };

describe('sealed identity', () => {
  it('opens with the ring, for the same settings whatever their key order', () => {
    const sealed = sealIdentity(ring, bob, canonicalJson(settings));
    expect(sealed).toMatch(/^sealed:k1:/);
    expect(sealed).not.toContain('bob');
    const reordered = { tasks: [{ shell_command_task: { command: 'true' }, task_key: 'a' }], name: 'j' };
    expect(openIdentity(ring, sealed, canonicalJson(reordered))).toEqual(bob);
  });

  it('refuses other settings, another key, an altered seal and a plain claim', () => {
    const sealed = sealIdentity(ring, bob, canonicalJson(settings));
    const mallorys = { ...settings, tasks: [{ task_key: 'a', shell_command_task: { command: 'env' } }] };
    expect(() => openIdentity(ring, sealed, canonicalJson(mallorys))).toThrow(
      'the identity was sealed for other settings than the ones this run was given'
    );
    expect(() => openIdentity(other, sealed, canonicalJson(settings))).toThrow('does not authenticate');
    const altered = `${sealed.slice(0, -6)}AAAAAA`;
    expect(() => openIdentity(ring, altered, canonicalJson(settings))).toThrow('does not authenticate');
    const plain = sealIdentity(undefined, bob, canonicalJson(settings));
    expect(() => openIdentity(ring, plain, canonicalJson(settings))).toThrow('only the API can seal one');
    expect(openIdentity(undefined, plain, canonicalJson(settings))).toEqual(bob);
  });
});
