/**
 * Keeping a consumer busy (issue 11). A consumer takes its next batch only when the slowest record
 * of this one is done: a record that waits (a 503's backoff, a 429's Retry-After) after every other
 * record has been sent holds the consumer (billed) while it could take more work. Such a record is
 * released to SQS instead — failed back with a short, jittered visibility — so the consumer moves on.
 * (The rate itself is shared by all consumers: rate-schedule.ts.) Pure: time, randomness and the limiter's schedule
 * come in as numbers.
 *
 * A request in flight is not cut short to the same end: the target may be about to accept it, and
 * the resend would be a request for an accepted key (measured: cut at 2 s, a loaded machine's answers
 * were that slow). An answer slower than the rest still holds its batch up to `target.timeoutSeconds`.
 *
 * A record is released only from a full batch (the queue has more waiting: releasing gains nothing
 * when the consumer has nothing else to do), and only while it keeps IN_CALL_RECEIVES receives with
 * every in-call attempt before SQS would dead-letter it (`mayRelease`).
 */

/** Receives at the end of a record's `maxReceiveCount` that always retry in-call, never released. */
export const IN_CALL_RECEIVES = 3;

/**
 * May this record be released rather than waited on? Only from a full batch, and only while
 * IN_CALL_RECEIVES receives are left: releasing after one failed attempt must not bring a transient
 * failure to the DLQ sooner. Without a known maxReceiveCount, its first receive only.
 */
export function mayRelease({
  receives,
  maxReceiveCount,
  batchIsFull,
}: {
  readonly receives: number;
  readonly maxReceiveCount: number | undefined;
  readonly batchIsFull: boolean;
}): boolean {
  if (!batchIsFull) return false;
  const lastReleasable = maxReceiveCount === undefined ? 1 : maxReceiveCount - IN_CALL_RECEIVES;
  return receives <= lastReleasable;
}

/**
 * Wait in-call before the next attempt, or release the record to SQS? Waiting is free while sends
 * already queued at the limiter keep the share busy at least as long as the wait; past that, the wait
 * would hold the batch and leave the share idle.
 */
export function waitInCall({
  delayMs,
  scheduledUntil,
  now,
}: {
  readonly delayMs: number;
  readonly scheduledUntil: number;
  readonly now: number;
}): boolean {
  return now + delayMs <= scheduledUntil;
}

/** Longest jitter added to a released record's visibility, so released records do not return together. */
export const RELEASE_JITTER_SECONDS = 2;

/**
 * Visibility of a released record: what the target asked for (Retry-After), at least 1 s, plus up to
 * RELEASE_JITTER_SECONDS of jitter; whole seconds, as SQS takes them.
 */
export function releaseVisibilitySeconds(retryAfterMs: number | undefined, random: () => number): number {
  const asked = Math.max(1, Math.ceil((retryAfterMs ?? 0) / 1000));
  const draw = Math.min(Math.max(random(), 0), 0.999_999);
  return asked + Math.floor(draw * (RELEASE_JITTER_SECONDS + 1));
}
