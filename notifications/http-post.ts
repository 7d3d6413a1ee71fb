// POST a JSON body to a receiver and classify the outcome for retries (delivery-error.ts). The
// URL and headers may hold secrets (webhook tokens, basic auth), so no error or log line shows them.
import { DeliveryError } from './delivery-error';

/** A receiver that neither answers nor refuses within this time is treated as a network error. */
const TIMEOUT_MS = 10_000;
/** Bytes of a refusing receiver's answer kept in the error (its reason, e.g. Slack's `invalid_payload`). */
const REASON_BYTES = 300;

export async function postJson(
  receiver: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {}
): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw new DeliveryError(receiver, `${receiver}: the receiver could not be reached (${networkReason(err)})`, true);
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return { status: response.status, text };
  const status = response.status;
  const retryable = status === 429 || status >= 500;
  const reason = text.trim().slice(0, REASON_BYTES);
  throw new DeliveryError(
    receiver,
    `${receiver}: the receiver answered HTTP ${status}${reason ? `: ${reason}` : ''}`,
    retryable,
    status,
    retryAfterMs(response.headers.get('retry-after'))
  );
}

/** The cause's code (ECONNREFUSED, ENOTFOUND, a timeout): never the message, which may quote the URL. */
function networkReason(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e?.cause?.code ?? e?.cause?.name ?? e?.name ?? 'network error';
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
