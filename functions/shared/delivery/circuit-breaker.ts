/**
 * A circuit breaker for one target, as a pure state machine over an injected clock.
 *
 * closed ──(failureThreshold consecutive failures within windowMs)──▶ open
 * open ──(openMs elapsed)──▶ half-open: exactly one probe request is let through
 * half-open ──probe succeeds──▶ closed · ──probe fails──▶ open again, for twice as long (up to maxOpenMs)
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerProps {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** The failures must all fall within this span; older ones are forgotten. */
  readonly windowMs: number;
  /** How long the circuit stays open before a probe is let through. */
  readonly openMs: number;
  /**
   * Longest open period after repeated failed probes (each doubles the previous one).
   * @default - 8 × openMs
   */
  readonly maxOpenMs?: number;
  /** Epoch ms. */
  readonly now: () => number;
}

export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly windowMs: number;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly now: () => number;
  private current: 'closed' | 'open' | 'half-open' = 'closed';
  /** Times of the current run of consecutive failures (closed state). */
  private failures: number[] = [];
  private openedAt = 0;
  private openMs: number;
  private probeStartedAt: number | undefined;

  constructor(props: CircuitBreakerProps) {
    const problems = validate(props);
    if (problems.length > 0) throw new Error(`invalid circuit breaker settings: ${problems.join('; ')}`);
    this.failureThreshold = props.failureThreshold;
    this.windowMs = props.windowMs;
    this.baseOpenMs = props.openMs;
    this.openMs = props.openMs;
    this.maxOpenMs = props.maxOpenMs ?? props.openMs * 8;
    this.now = props.now;
  }

  /** The state as of now: an open circuit whose open period has passed reads as half-open. */
  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.openMs) return 'half-open';
    return this.current;
  }

  /** How long the circuit stays open this time (doubles after each failed probe). */
  get currentOpenMs(): number {
    return this.openMs;
  }

  /**
   * Whether a request may go now. In half-open, only the first caller gets `true` (the probe);
   * a probe that never reports back is given up after one open period, and another is allowed.
   * Every `true` must be followed by `recordSuccess()` or `recordFailure()`.
   */
  allowRequest(): boolean {
    const now = this.now();
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (now - this.openedAt < this.openMs) return false;
      this.current = 'half-open';
      this.probeStartedAt = now;
      return true;
    }
    if (this.probeStartedAt !== undefined && now - this.probeStartedAt < this.openMs) return false;
    this.probeStartedAt = now;
    return true;
  }

  /** The target answered (any non-transient outcome counts): closes a half-open circuit. */
  recordSuccess(): void {
    if (this.current === 'open') return; // a straggler from before the circuit opened
    this.current = 'closed';
    this.failures = [];
    this.openMs = this.baseOpenMs;
    this.probeStartedAt = undefined;
  }

  /** A transient failure (timeout, connection error, 408/429/5xx). */
  recordFailure(): void {
    const now = this.now();
    if (this.current === 'open') return;
    if (this.current === 'half-open') {
      this.openMs = Math.min(this.maxOpenMs, this.openMs * 2);
      this.trip(now);
      return;
    }
    this.failures = this.failures.filter((at) => now - at < this.windowMs);
    this.failures.push(now);
    if (this.failures.length >= this.failureThreshold) this.trip(now);
  }

  private trip(now: number): void {
    this.current = 'open';
    this.openedAt = now;
    this.failures = [];
    this.probeStartedAt = undefined;
  }
}

function validate(props: CircuitBreakerProps): string[] {
  const problems: string[] = [];
  const { failureThreshold, windowMs, openMs, maxOpenMs } = props;
  if (!(Number.isInteger(failureThreshold) && failureThreshold >= 1)) {
    problems.push(`failureThreshold must be a whole number ≥ 1, got ${failureThreshold}`);
  }
  if (!(Number.isFinite(windowMs) && windowMs > 0))
    problems.push(`windowMs must be a number > 0, got ${windowMs}`);
  if (!(Number.isFinite(openMs) && openMs > 0)) problems.push(`openMs must be a number > 0, got ${openMs}`);
  if (maxOpenMs !== undefined && !(Number.isFinite(maxOpenMs) && maxOpenMs >= openMs)) {
    problems.push(`maxOpenMs must be a number ≥ openMs, got ${maxOpenMs}`);
  }
  return problems;
}
