/** The delivery-efficiency benchmark's figures, from what the target recorded: pure, no I/O. */

export interface ScenarioFigures {
  readonly scenario: 'healthy' | 'fault-mix';
  readonly accepted: number;
  /** Unique deliveries per second while the queue had a backlog (see `sustainedPerSecond`). */
  readonly sustainedPerSecond: number;
  readonly declaredRate: number;
  /** sustainedPerSecond ÷ declaredRate. */
  readonly efficiency: number;
  /**
   * Requests per second the target received in the same steady middle (every answer counted: a
   * retried 503 uses the rate as much as a delivery): the part of the declared rate delivery uses.
   */
  readonly sustainedRequestsPerSecond: number;
  /** sustainedRequestsPerSecond ÷ declaredRate. */
  readonly rateUsed: number;
  readonly maxRequestsPerSecond: number;
  /** 429s answered by the target's own rate limit (the fault mix's injected ones not counted). */
  readonly rateLimited429: number;
  readonly injected429: number;
  readonly uniqueDelivered: number;
  /** Requests for an already accepted Idempotency-Key. */
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly permanentlyRefused: number;
  readonly stillQueued: number;
  /** Accepted, not delivered, not in the DLQ, not still queued. */
  readonly lost: number;
  readonly targetRequests: number;
  readonly drainSeconds: number;
  /** This process's CPU over the run, as a share of one core. */
  readonly cpuOfOneCore: number;
}

/**
 * Unique deliveries per second between the 10th and the 90th percentile of delivery times: the
 * steady middle of the run, without the warm-up ramp and the redelivered tail.
 */
export function sustainedPerSecond(deliveredAt: readonly number[]): number {
  return middleRate(deliveredAt);
}

/** Events per second between the 10th and the 90th percentile of their times. */
function middleRate(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  if (sorted.length < 10) return Number.NaN;
  const from = Math.floor(sorted.length * 0.1);
  const to = Math.ceil(sorted.length * 0.9) - 1;
  const spanMs = (sorted[to] ?? 0) - (sorted[from] ?? 0);
  return spanMs > 0 ? ((to - from) * 1000) / spanMs : Number.NaN;
}

/**
 * Requests per second the target received while the deliveries were in their steady middle (between
 * the 10th and 90th percentile of delivery times, as `sustainedPerSecond`).
 */
export function sustainedRequestsPerSecond(
  deliveredAt: readonly number[],
  arrivals: readonly number[],
): number {
  const sorted = [...deliveredAt].sort((a, b) => a - b);
  if (sorted.length < 10) return Number.NaN;
  const from = sorted[Math.floor(sorted.length * 0.1)] ?? 0;
  const to = sorted[Math.ceil(sorted.length * 0.9) - 1] ?? 0;
  const inside = arrivals.filter((t) => t >= from && t < to).length;
  return to > from ? (inside * 1000) / (to - from) : Number.NaN;
}

/** Accepted events that are nowhere: not delivered, not dead-lettered, not still queued. */
export function lostCount(f: {
  accepted: number;
  uniqueDelivered: number;
  deadLettered: number;
  stillQueued: number;
}): number {
  return Math.max(0, f.accepted - f.uniqueDelivered - f.deadLettered - f.stillQueued);
}

/** The guarantees a run must keep, each as a failed check's message (none when all hold). */
export function brokenGuarantees(f: ScenarioFigures): string[] {
  const broken: string[] = [];
  if (f.maxRequestsPerSecond > f.declaredRate)
    broken.push(
      `${f.scenario}: ${f.maxRequestsPerSecond} requests in one second > declared ${f.declaredRate}`,
    );
  if (f.rateLimited429 > 0)
    broken.push(`${f.scenario}: ${f.rateLimited429} requests hit the target's rate limit`);
  if (f.duplicates > 0) broken.push(`${f.scenario}: ${f.duplicates} requests for an accepted key`);
  if (f.lost > 0) broken.push(`${f.scenario}: ${f.lost} lost`);
  if (f.stillQueued === 0 && f.deadLettered !== f.permanentlyRefused)
    broken.push(`${f.scenario}: DLQ ${f.deadLettered} ≠ permanently refused ${f.permanentlyRefused}`);
  return broken;
}
