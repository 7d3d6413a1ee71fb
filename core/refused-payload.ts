// What a worker that refuses unencrypted payloads hands its code in place of one: the payload codec
// (encryption/aes-gcm-codec.ts, `refusePlaintext`) decodes a payload that is not encrypted into
// this marker rather than its content, so that the workflow can end the run with a clear,
// non-retryable error (workflows/refused-payloads.ts) instead of acting on what anyone who can
// reach Temporal may have written.
export const REFUSED_PAYLOAD_FIELD = 'djobs_unencrypted_payload_refused';

export const UNENCRYPTED_PAYLOAD_REFUSED = 'UnencryptedPayloadRefused';

export const isRefusedPayload = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (v as Record<string, unknown>)[REFUSED_PAYLOAD_FIELD] === true;
