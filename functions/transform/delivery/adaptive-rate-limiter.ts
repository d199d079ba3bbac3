/**
 * Client-side pacing towards a target that declares how many requests per second it accepts, and
 * backs off when the target throttles us (429): multiplicative decrease, additive increase (AIMD).
 *
 * A classic token bucket cannot promise "never above the declared rate over any second": a full
 * bucket of `burst` plus a second of refill lets `burst + rate` through in one second. This limiter
 * is the bucket's sliding-window form (a GCRA that remembers the last few send times): it allows a
 * send at `t` only if, for the k-th most recent send `t_k` (k ≥ burst), `t ≥ t_k + k / rate`.
 * At the declared rate that gives, for any window of W ≥ 1 s, at most ⌈declared × W⌉ sends
 * (so at most `declared` in any one second when the rate is whole), whatever the history.
 */

export interface AdaptiveRateLimiterProps {
  /** Requests per second the target accepts from this limiter; the rate never goes above it. */
  readonly ratePerSecond: number;
  /**
   * Requests that may go back to back after a quiet spell (a whole number ≥ 1, at most the rate
   * rounded up). They are borrowed from the same second, never added to it.
   * @default 1 - evenly spaced requests
   */
  readonly burst?: number;
  /**
   * Lowest rate a run of 429s can push the limiter down to.
   * @default - 10 % of the declared rate, but not below 0.5 req/s (nor above the declared rate)
   */
  readonly minRatePerSecond?: number;
  /**
   * Rate regained per successful request.
   * @default - 5 % of the declared rate: about 20 successes from the floor back to full speed
   */
  readonly increasePerSuccess?: number;
  /**
   * Consecutive 429 answers (no success between them) that make one throttle signal. A target over its
   * limit refuses request after request; a lone 429 among successes (a busy moment, an injected fault)
   * is waited out by its own Retry-After without slowing every other request down.
   * @default 1
   */
  readonly throttleAfter?: number;
  /**
   * 429s closer together than this count as one throttle signal, so one burst of answers to
   * requests already in flight halves the rate once, not once per request.
   * @default 1000
   */
  readonly decreaseCooldownMs?: number;
  /** Epoch ms. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export class AdaptiveRateLimiter {
  readonly declaredRate: number;
  private readonly burst: number;
  private readonly minRate: number;
  private readonly increase: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Send times granted (possibly in the future), oldest first; the last 2 × ⌈declared⌉. */
  private readonly granted: number[] = [];
  private readonly memory: number;
  private readonly throttleAfter: number;
  private consecutive429 = 0;
  private rate: number;
  /** How late a recent wait ended (decaying maximum): a busy event loop sends after its slot. */
  private lateMs = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;

  constructor(props: AdaptiveRateLimiterProps) {
    const problems = validate(props);
    if (problems.length > 0) throw new Error(`invalid rate limiter settings: ${problems.join('; ')}`);
    this.declaredRate = props.ratePerSecond;
    this.burst = props.burst ?? 1;
    this.minRate = Math.min(
      props.ratePerSecond,
      props.minRatePerSecond ?? Math.max(0.5, props.ratePerSecond * 0.1),
    );
    this.increase = props.increasePerSuccess ?? props.ratePerSecond * 0.05;
    this.cooldownMs = props.decreaseCooldownMs ?? 1000;
    this.throttleAfter = props.throttleAfter ?? 1;
    this.now = props.now;
    this.sleep = props.sleep;
    this.memory = 2 * Math.ceil(props.ratePerSecond);
    this.rate = props.ratePerSecond;
  }

  /** Requests per second currently allowed: between the floor and the declared rate. */
  get currentRate(): number {
    return this.rate;
  }

  /**
   * Resolves, with the slot granted (epoch ms), when this caller may send. Callers are served in
   * call order. Tell `sending(slot)` right before the request goes, so lateness is accounted for.
   */
  async acquire(): Promise<number> {
    const now = this.now();
    const at = this.nextSlot(now);
    this.granted.push(at);
    if (this.granted.length > this.memory) this.granted.splice(0, this.granted.length - this.memory);
    if (at > now) await this.sleep(at - now);
    this.sending(at);
    return at;
  }

  /** The request of `slot` goes now: remember how late it is (a busy event loop sends after its slot). */
  sending(slot: number): void {
    this.lateMs = Math.max(this.now() - slot, this.lateMs * LATE_DECAY);
  }

  /**
   * Room added to every declared-rate window (ms): twice how late recent waits ended. The guarantee
   * is about the times granted; a send that leaves L ms after its slot keeps it only while each window
   * has L ms to spare. Zero when timers fire on time (a Lambda container has its own CPU); on a loaded
   * machine it costs what the lateness costs, not a fixed share of the rate.
   */
  get lateAllowanceMs(): number {
    return 2 * this.lateMs;
  }

  /**
   * Epoch ms of the last slot granted (possibly in the future): until then, callers already queued
   * keep this limiter's share busy. −Infinity before the first grant.
   */
  scheduledUntil(): number {
    return this.granted[this.granted.length - 1] ?? Number.NEGATIVE_INFINITY;
  }

  /** The target answered 429: halve the rate (once per cooldown, after `throttleAfter` in a row), not below the floor. */
  onThrottled(): void {
    this.consecutive429++;
    if (this.consecutive429 < this.throttleAfter) return;
    const now = this.now();
    if (now - this.lastDecreaseAt < this.cooldownMs) return;
    this.lastDecreaseAt = now;
    this.rate = Math.max(this.minRate, this.rate / 2);
  }

  /** The target accepted a request: creep back towards the declared rate. */
  onSuccess(): void {
    this.consecutive429 = 0;
    this.rate = Math.min(this.declaredRate, this.rate + this.increase);
  }

  /** Earliest time ≥ now that keeps both the current-rate pacing and the declared-rate guarantee. */
  private nextSlot(now: number): number {
    const count = this.granted.length;
    let at = Math.max(now, this.granted[count - 1] ?? now);
    // Pacing at the current rate, over about two seconds' worth of history at that rate.
    const currentWindow = Math.ceil(this.rate);
    at = Math.max(at, this.earliest(Math.min(this.burst, currentWindow), 2 * currentWindow, this.rate));
    // The hard guarantee at the declared rate (see the module comment for why k ≤ 2⌈rate⌉ suffices).
    const declaredWindow = Math.ceil(this.declaredRate);
    return Math.max(
      at,
      this.earliest(
        Math.min(this.burst, declaredWindow),
        2 * declaredWindow,
        this.declaredRate,
        this.lateAllowanceMs,
        declaredWindow,
      ),
    );
  }

  /**
   * max over k in [from, to] of t_k + k / rate, where t_k is the k-th most recent grant, with
   * `allowanceMs` more for every k ≥ `allowanceFromK` (the windows of a second or longer).
   */
  private earliest(from: number, to: number, rate: number, allowanceMs = 0, allowanceFromK = to + 1): number {
    let at = Number.NEGATIVE_INFINITY;
    const count = this.granted.length;
    for (let k = from; k <= Math.min(to, count); k++) {
      const tk = this.granted[count - k];
      if (tk !== undefined)
        at = Math.max(at, tk + (k * 1000) / rate + (k >= allowanceFromK ? allowanceMs : 0));
    }
    return at;
  }
}

/** Per wait, how much of the lateness remembered is kept (about 50 waits to fade to a third). */
const LATE_DECAY = 0.98;

function validate(props: AdaptiveRateLimiterProps): string[] {
  const problems: string[] = [];
  const { ratePerSecond: rate, burst, minRatePerSecond, increasePerSuccess, decreaseCooldownMs } = props;
  if (!(Number.isFinite(rate) && rate > 0)) problems.push(`ratePerSecond must be a number > 0, got ${rate}`);
  if (
    burst !== undefined &&
    !(Number.isInteger(burst) && burst >= 1 && burst <= Math.max(1, Math.ceil(rate)))
  ) {
    problems.push(`burst must be a whole number from 1 to the rate rounded up, got ${burst}`);
  }
  if (minRatePerSecond !== undefined && !(Number.isFinite(minRatePerSecond) && minRatePerSecond > 0)) {
    problems.push(`minRatePerSecond must be a number > 0, got ${minRatePerSecond}`);
  }
  if (increasePerSuccess !== undefined && !(Number.isFinite(increasePerSuccess) && increasePerSuccess >= 0)) {
    problems.push(`increasePerSuccess must be a number ≥ 0, got ${increasePerSuccess}`);
  }
  if (
    props.throttleAfter !== undefined &&
    !(Number.isInteger(props.throttleAfter) && props.throttleAfter >= 1)
  ) {
    problems.push(`throttleAfter must be a whole number ≥ 1, got ${props.throttleAfter}`);
  }
  if (decreaseCooldownMs !== undefined && !(Number.isFinite(decreaseCooldownMs) && decreaseCooldownMs >= 0)) {
    problems.push(`decreaseCooldownMs must be a number ≥ 0, got ${decreaseCooldownMs}`);
  }
  return problems;
}
