// The identity a run acts as, sealed by the API (AES-256-GCM with the payload key ring) together
// with a digest of the settings it runs, and opened by the worker before any task runs: whoever
// writes straight into Temporal without the key cannot claim an identity, nor move a sealed one
// onto other settings. Without encryption there is no key: the identity is carried as a plain
// claim, and everyone who can write to Temporal is trusted (docs/security.md).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { newestKey, type KeyRing } from './key-ring';

/** Who a run acts as (core's RunAsIdentity, restated: this module is a leaf). */
export interface SealedPrincipal {
  kind: 'user' | 'service_principal' | 'group';
  name: string;
}

const AAD = Buffer.from('djobs-run-identity:v1');
const SEALED = 'sealed:';
const PLAIN = 'plain:';

/** `settingsJson`: the settings as canonical JSON (core's `canonicalJson`), so equal settings digest alike. */
const digest = (settingsJson: string) => createHash('sha256').update(settingsJson).digest('base64url');

/** `sealed:<key id>:<base64 iv|ciphertext|tag>` with the ring's newest key; `plain:<json>` without a ring. */
export function sealIdentity(ring: KeyRing | undefined, principal: SealedPrincipal, settingsJson: string): string {
  const claims = JSON.stringify({ kind: principal.kind, name: principal.name, settings_sha256: digest(settingsJson) });
  if (!ring) return `${PLAIN}${claims}`;
  const { id, key } = newestKey(ring);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const sealed = Buffer.concat([iv, cipher.update(claims, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED}${id}:${sealed.toString('base64')}`;
}

/**
 * The principal a sealed identity names, once it is shown to be sealed with a key of the ring for
 * exactly these settings; throws an Error saying why not. Without a ring a plain claim is taken.
 */
export function openIdentity(ring: KeyRing | undefined, identity: string, settingsJson: string): SealedPrincipal {
  let claims: string;
  if (identity.startsWith(SEALED)) {
    if (!ring) throw new Error('the identity is sealed, and this worker has no key ring to open it');
    const rest = identity.slice(SEALED.length);
    const at = rest.indexOf(':');
    const id = rest.slice(0, at);
    const entry = ring.keys.find((k) => k.id === id);
    if (at < 0 || !entry) throw new Error(`the identity is sealed with key "${id}", which is not in the key ring`);
    const data = Buffer.from(rest.slice(at + 1), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(0, 12));
      decipher.setAAD(AAD);
      decipher.setAuthTag(data.subarray(data.length - 16));
      claims = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the sealed identity does not authenticate (altered, or sealed with another key)');
    }
  } else if (identity.startsWith(PLAIN)) {
    if (ring) throw new Error('the identity is not sealed, and this worker encrypts: only the API can seal one');
    claims = identity.slice(PLAIN.length);
  } else throw new Error('the identity is not one the API writes');
  const parsed = JSON.parse(claims) as SealedPrincipal & { settings_sha256: string };
  if (parsed.settings_sha256 !== digest(settingsJson))
    throw new Error('the identity was sealed for other settings than the ones this run was given');
  return { kind: parsed.kind, name: parsed.name };
}

/** The key id a sealed identity was sealed with; undefined for a plain claim. */
export function sealedIdentityKeyId(identity: string): string | undefined {
  if (!identity.startsWith(SEALED)) return undefined;
  const rest = identity.slice(SEALED.length);
  return rest.slice(0, rest.indexOf(':'));
}

/** The same identity sealed again with the ring's newest key (`djobs admin reencrypt`). */
export function resealIdentity(ring: KeyRing, identity: string, settingsJson: string): string {
  if (!identity.startsWith(SEALED)) return identity;
  return sealIdentity(ring, openIdentity(ring, identity, settingsJson), settingsJson);
}
