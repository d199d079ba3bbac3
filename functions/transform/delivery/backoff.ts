/**
 * Backoff arithmetic for deliveries (DESIGN.md §4): full-jitter delays between in-call attempts,
 * and an exponential SQS visibility timeout for a record that failed and will be received again.
 * Pure: randomness is passed in.
 */

export interface JitterBackoff {
  /** Ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** Largest ceiling, whatever the attempt. */
  readonly capMs: number;
}

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a delay drawn uniformly
 * from `[0, min(cap, base × 2^attempt))`.
 *
 * @param attempt 0 for the first retry, 1 for the second, …
 * @param random uniform in `[0, 1)`, e.g. `Math.random`
 */
export function fullJitterDelayMs(
  attempt: number,
  { baseMs, capMs }: JitterBackoff,
  random: () => number,
): number {
  const exponent = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt)) : 0;
  const ceiling = Math.max(0, Math.min(capMs, baseMs * 2 ** exponent));
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.floor(draw * ceiling);
}

/** Largest visibility timeout SQS accepts: 12 hours. */
export const SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/**
 * SendMessage's largest DelaySeconds (also well under the largest visibility timeout): the bound of a
 * wait that may end as a delayed copy of the record.
 */
export const SQS_MAX_DELAY_SECONDS = 900;

export interface RedeliveryBackoff {
  /** Visibility after the first failed receive. */
  readonly baseSeconds: number;
  /** Largest visibility; SQS's own limit (43200 s) applies on top. */
  readonly capSeconds: number;
}

/**
 * Visibility timeout (whole seconds) to set on a record whose delivery failed transiently, so SQS
 * redelivers it later and later: `base × 2^(receiveCount − 1)`, capped at `capSeconds` and at 12 h.
 *
 * @param receiveCount the record's `ApproximateReceiveCount` (1 on the first receive)
 */
export function visibilityTimeoutForReceive(
  receiveCount: number,
  { baseSeconds, capSeconds }: RedeliveryBackoff,
): number {
  const receives = Number.isFinite(receiveCount) ? Math.max(1, Math.floor(receiveCount)) : 1;
  const exponential = Math.ceil(Math.max(0, baseSeconds) * 2 ** Math.min(receives - 1, 30));
  const cap = Math.min(SQS_MAX_VISIBILITY_TIMEOUT_SECONDS, Math.floor(Math.max(0, capSeconds)));
  return Math.min(exponential, cap);
}
