// The page tokens of the REST API's lists: opaque to clients, as Databricks' are. Two kinds:
// offsets (into a list read whole, e.g. runs/list, a job's tasks) and jobs/list's, which carry
// Temporal's own listing token (so a page is one round trip and paging stays exact while jobs come
// and go). Each kind is marked, so that one is not mistaken for the other, and a listing token
// carries a checksum of Temporal's token: a token that was not made here (a typo, a truncated copy)
// is refused at once. Without it, Temporal's SQL visibility fails to decode such a token with gRPC
// UNKNOWN, which the Temporal client retries for about 20 s before the caller hears "invalid".
import { createHash } from 'node:crypto';
import { badRequest } from './errors';

const OFFSET = /^offset:(\d+)$/;

export const encodeOffsetToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');

/** The offset a token names; undefined for no token; a 400 for one not made by `encodeOffsetToken`. */
export function decodeOffsetToken(token: unknown): number | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  const m = OFFSET.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw badRequest('Invalid page_token.');
  return Number(m[1]);
}

const LISTING = 'listing:';
/** A short digest of Temporal's token: catches a damaged or made-up token, not a forger. */
const checksumOf = (temporalToken: string) =>
  createHash('sha256').update(temporalToken).digest('base64url').slice(0, 11);

export const encodeListingToken = (temporalToken: string) =>
  Buffer.from(`${LISTING}${checksumOf(temporalToken)}:${temporalToken}`).toString('base64url');

/** Temporal's listing token inside a jobs/list token; undefined for no token; a 400 for a bad one. */
export function decodeListingToken(token: unknown): string | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  const text = Buffer.from(token, 'base64url').toString();
  if (!text.startsWith(LISTING)) throw badRequest('Invalid page_token.');
  const rest = text.slice(LISTING.length);
  const colon = rest.indexOf(':');
  const temporalToken = rest.slice(colon + 1);
  if (colon < 0 || temporalToken === '' || rest.slice(0, colon) !== checksumOf(temporalToken))
    throw badRequest('Invalid page_token.');
  return temporalToken;
}
