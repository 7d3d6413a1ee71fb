// The one error every sender throws. `retryable` tells the caller (the delivery activity) whether
// sending again can succeed: network errors, timeouts, 429 and 5xx can; any other 4xx means the
// receiver rejected this message or this destination, and would again. Messages name the receiver
// and the HTTP status, never the URL (incoming-webhook URLs are bearer secrets) nor a key.
export class DeliveryError extends Error {
  constructor(
    /** `slack`, `microsoft_teams`, `pagerduty`, `generic_webhook`, `email`. */
    readonly receiver: string,
    message: string,
    readonly retryable: boolean,
    /** The receiver's HTTP status, when it answered. */
    readonly status?: number,
    /** A 429's or 503's Retry-After, in milliseconds. */
    readonly retryAfterMs?: number
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
