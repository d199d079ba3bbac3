/**
 * Keeping a consumer's share of the target's rate busy (issue 11). A consumer is paced at its share
 * (rate ÷ MaximumConcurrency) and takes its next batch only when the slowest record of this one is
 * done: a record that waits (a 503's backoff, a 429's Retry-After) or hangs (an answer slower than
 * the target usually is) after every other record has been sent leaves the share idle. Such a record
 * is released to SQS instead — failed back with a short, jittered visibility — so the consumer moves
 * on. Pure: time, randomness and the limiter's schedule come in as numbers.
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

/** The slowest of the last 50 successful answers: the latency the target really shows. */
export class LatencyTracker {
  private readonly recent: number[] = [];

  constructor(private readonly window = 50) {}

  observe(latencyMs: number): void {
    if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) return;
    this.recent.push(latencyMs);
    if (this.recent.length > this.window) this.recent.shift();
  }

  /** Undefined until the first success: nothing is known yet. */
  slowestMs(): number | undefined {
    return this.recent.length === 0 ? undefined : Math.max(...this.recent);
  }
}

/**
 * A request that took this many times the slowest recent success is not coming back soon. Generous on
 * purpose: a cut request the target was about to accept is sent again (the target drops it by its
 * Idempotency-Key, but it is a request for an accepted key all the same).
 */
export const SLOW_ANSWER_FACTOR = 4;
/** Never cut an attempt below this: a target's normal jitter must not turn into failures. */
export const MIN_CUT_ATTEMPT_MS = 2000;

export interface AttemptTimeoutInput {
  /** The integration's per-attempt timeout (`target.timeoutSeconds`). */
  readonly configuredMs: number;
  /** The slowest recent successful answer; undefined before any. */
  readonly slowestRecentMs: number | undefined;
  /** The limiter's last granted slot (epoch ms): sends still queued behind this request. */
  readonly scheduledUntil: number;
  readonly now: number;
}

/**
 * Per-attempt timeout of a releasable record: as long as the rest of its batch keeps the share busy,
 * plus room for SLOW_ANSWER_FACTOR × the slowest recent success (at least MIN_CUT_ATTEMPT_MS); never
 * above the configured timeout, and the configured timeout until the target has answered once.
 */
export function cutAttemptTimeoutMs({
  configuredMs,
  slowestRecentMs,
  scheduledUntil,
  now,
}: AttemptTimeoutInput): number {
  if (slowestRecentMs === undefined) return configuredMs;
  const roomMs = Math.max(MIN_CUT_ATTEMPT_MS, SLOW_ANSWER_FACTOR * slowestRecentMs);
  const othersBusyMs = Math.max(0, scheduledUntil - now);
  return Math.min(configuredMs, othersBusyMs + roomMs);
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
