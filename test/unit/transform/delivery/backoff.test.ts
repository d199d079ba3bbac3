import { describe, expect, it } from 'vitest';
import {
  fullJitterDelayMs,
  SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
  visibilityTimeoutForReceive,
} from '../../../../functions/transform/delivery/backoff.js';

describe('fullJitterDelayMs', () => {
  const backoff = { baseMs: 200, capMs: 5000 };

  it('draws from [0, base × 2^attempt)', () => {
    // Prepare
    const attempts = [0, 1, 2, 3];

    // Act
    const lowest = attempts.map((attempt) => fullJitterDelayMs(attempt, backoff, () => 0));
    const highest = attempts.map((attempt) => fullJitterDelayMs(attempt, backoff, () => 0.999_999));
    const middle = attempts.map((attempt) => fullJitterDelayMs(attempt, backoff, () => 0.5));

    // Assess
    expect(lowest).toEqual([0, 0, 0, 0]);
    expect(highest).toEqual([199, 399, 799, 1599]);
    expect(middle).toEqual([100, 200, 400, 800]);
  });

  it('never goes above the cap, however many attempts', () => {
    // Prepare
    const random = () => 0.999_999;

    // Act
    const delays = [5, 6, 10, 100, 5000].map((attempt) => fullJitterDelayMs(attempt, backoff, random));

    // Assess
    for (const delay of delays) expect(delay).toBeLessThan(5000);
    expect(delays[0]).toBe(4999);
  });

  it('stays within bounds for any draw', () => {
    // Prepare
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };

    // Act
    const samples = Array.from(
      { length: 1000 },
      (_, i) => [i % 8, fullJitterDelayMs(i % 8, backoff, random)] as const,
    );

    // Assess
    for (const [attempt, delay] of samples) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(5000, 200 * 2 ** attempt));
    }
  });

  it('treats a negative attempt as the first retry', () => {
    // Act
    const delay = fullJitterDelayMs(-3, backoff, () => 0.5);

    // Assess
    expect(delay).toBe(100);
  });
});

describe('visibilityTimeoutForReceive', () => {
  it('doubles with each receive, from the base', () => {
    // Act
    const timeouts = [1, 2, 3, 4, 5].map((count) =>
      visibilityTimeoutForReceive(count, { baseSeconds: 30, capSeconds: 3600 }),
    );

    // Assess
    expect(timeouts).toEqual([30, 60, 120, 240, 480]);
  });

  it('stops at the given cap', () => {
    // Act
    const timeout = visibilityTimeoutForReceive(20, { baseSeconds: 30, capSeconds: 900 });

    // Assess
    expect(timeout).toBe(900);
  });

  it('never exceeds the SQS maximum of 12 hours', () => {
    // Act
    const timeout = visibilityTimeoutForReceive(1000, { baseSeconds: 60, capSeconds: 100_000 });

    // Assess
    expect(timeout).toBe(SQS_MAX_VISIBILITY_TIMEOUT_SECONDS);
    expect(timeout).toBe(43_200);
  });

  it('reads a missing or zero receive count as the first receive', () => {
    // Act
    const timeouts = [0, Number.NaN, -1].map((count) =>
      visibilityTimeoutForReceive(count, { baseSeconds: 30, capSeconds: 900 }),
    );

    // Assess
    expect(timeouts).toEqual([30, 30, 30]);
  });
});
