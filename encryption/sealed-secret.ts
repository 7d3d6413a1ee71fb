// Secret values sealed on their own (AES-256-GCM, the payload key ring, the scope and key as
// associated data) inside the already-encrypted scope record: the codec server, which decrypts
// payloads for the Web UI, shows only these sealed strings, never a secret value.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { newestKey, type KeyRing } from './key-ring';

const aad = (scope: string, key: string) => Buffer.from(`djobs-secret:${scope}/${key}`);

/** `<key id>:<base64 iv|ciphertext|tag>` */
export function sealSecret(ring: KeyRing, scope: string, key: string, value: Buffer): string {
  const { id, key: k } = newestKey(ring);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k, iv);
  cipher.setAAD(aad(scope, key));
  return `${id}:${Buffer.concat([iv, cipher.update(value), cipher.final(), cipher.getAuthTag()]).toString('base64')}`;
}

export function openSecret(ring: KeyRing, scope: string, key: string, sealed: string): Buffer {
  const at = sealed.indexOf(':');
  const id = sealed.slice(0, at);
  const entry = ring.keys.find((k) => k.id === id);
  if (!entry) throw new Error(`Secret ${scope}/${key} is sealed with key "${id}", which is not in the key ring.`);
  const data = Buffer.from(sealed.slice(at + 1), 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(0, 12));
    decipher.setAAD(aad(scope, key));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
  } catch {
    throw new Error(`Secret ${scope}/${key} cannot be decrypted: it was altered or sealed with another key.`);
  }
}

/** The key id a sealed value was sealed with. */
export const sealedSecretKeyId = (sealed: string): string => sealed.slice(0, sealed.indexOf(':'));

/** The same value sealed again with the ring's newest key (`djobs admin reencrypt`). */
export const resealSecret = (ring: KeyRing, scope: string, key: string, sealed: string): string =>
  sealSecret(ring, scope, key, openSecret(ring, scope, key, sealed));
