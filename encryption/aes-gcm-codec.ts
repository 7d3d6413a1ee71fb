// Encrypts every payload (workflow inputs and results, activity inputs and results, signals,
// queries, memos, failure details and encoded failure messages) with AES-256-GCM before it leaves
// the process, so Temporal's database holds ciphertext only. Runs client- and worker-side, outside
// the workflow sandbox.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ApplicationFailure, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { newestKey, type KeyRing } from './key-ring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** Error type of a payload that cannot be decrypted: the ring lacks its key, or it was altered. */
export const DECRYPTION_FAILED = 'PayloadDecryptionFailed';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const text = new TextDecoder();

/**
 * What a codec that refuses plaintext decodes an unencrypted payload into (core/refused-payload.ts
 * holds the same field name for the workflows, which import nothing from this leaf).
 */
const REFUSED_PAYLOAD = {
  metadata: { encoding: utf8.encode('json/plain') },
  data: utf8.encode(JSON.stringify({ djobs_unencrypted_payload_refused: true })),
};

export class AesGcmPayloadCodec implements PayloadCodec {
  /**
   * `refusePlaintext` (workers): a payload that is not encrypted is decoded into a marker, never
   * into its content, so nothing written into Temporal without the key is acted on. Clients keep
   * reading payloads written before encryption was turned on.
   */
  constructor(
    readonly ring: KeyRing,
    readonly options: { refusePlaintext?: boolean } = {}
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = newestKey(this.ring);
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too: moving a payload to another key id fails to decrypt.
      cipher.setAAD(Buffer.from(id));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(id) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on pass through unchanged, unless refused.
      if (!isEncrypted(payload)) return this.options.refusePlaintext ? REFUSED_PAYLOAD : payload;
      const id = text.decode(payload.metadata![KEY_ID_METADATA] ?? new Uint8Array());
      const entry = this.ring.keys.find((k) => k.id === id);
      if (!entry)
        throw fail(
          `Cannot decrypt a payload encrypted with key "${id}": that key is not in the key ring (known: ${this.ring.keys.map((k) => k.id).join(', ')}).`
        );
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw fail(`Cannot decrypt a payload with key "${id}": it is truncated.`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(id));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain);
      } catch {
        throw fail(
          `Cannot decrypt a payload with key "${id}": authentication failed (the ciphertext was altered or the key is not the one it was encrypted with).`
        );
      }
    });
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && text.decode(encoding) === ENCRYPTED_ENCODING;
}

// Non-retryable: retrying cannot make a missing key appear or altered bytes authenticate.
const fail = (message: string) => ApplicationFailure.create({ type: DECRYPTION_FAILED, message, nonRetryable: true });
