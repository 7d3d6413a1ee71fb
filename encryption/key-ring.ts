// A key ring: AES-256 keys with ids, newest last. Payloads are encrypted with the newest key and
// decrypted with whichever key their metadata names, so adding a key rotates without re-encrypting.
import { randomBytes } from 'node:crypto';

export interface EncryptionKey {
  /** Written into every payload it encrypts (metadata `encryption-key-id`); never secret. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface KeyRing {
  /** Oldest first; the last one encrypts. */
  keys: readonly EncryptionKey[];
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses `id:base64key` entries separated by commas or new lines (a key file may also use
 * `id base64key` and `#` comments). Errors name the entry, never the key material.
 */
export function parseKeyRing(text: string, source: string): KeyRing {
  const entries = text
    .split('\n')
    .flatMap((line) => line.replace(/#.*$/, '').split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const problems: string[] = [];
  const keys: EncryptionKey[] = [];
  entries.forEach((entry, i) => {
    const m = /^([^\s:]+)\s*[:\s]\s*(\S+)$/.exec(entry);
    if (!m) {
      problems.push(`entry ${i + 1}: expected "id:base64key"`);
      return;
    }
    const [, id, encoded] = m as unknown as [string, string, string];
    if (!KEY_ID.test(id)) problems.push(`entry ${i + 1}: key id "${id}" must be 1-64 letters, digits, '.', '_' or '-'`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32)
      problems.push(`entry ${i + 1} (key id "${id}"): expected 32 bytes of base64 (AES-256), found ${key.length}`);
    if (keys.some((k) => k.id === id)) problems.push(`entry ${i + 1}: key id "${id}" is listed twice`);
    keys.push({ id, key });
  });
  if (keys.length === 0) problems.push('no key found');
  if (problems.length > 0) throw new Error(`invalid encryption keys in ${source}: ${problems.join('; ')}`);
  return { keys };
}

/** A new random key, as a key file line. */
export function generateKeyLine(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** The key that encrypts new payloads. */
export function newestKey(ring: KeyRing): EncryptionKey {
  return ring.keys[ring.keys.length - 1]!;
}
