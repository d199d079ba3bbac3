import { describe, expect, it } from 'vitest';
import {
  cutAttemptTimeoutMs,
  LatencyTracker,
  mayRelease,
  releaseVisibilitySeconds,
  waitInCall,
} from '../../../../functions/transform/delivery/batch-pace.js';

const NOW = 1_000_000;

describe('cutAttemptTimeoutMs: how long a releasable record’s attempt may hang', () => {
  it.each([
    // configured, slowest recent success, sends queued for, expected
    {
      configuredMs: 10_000,
      slowestRecentMs: undefined,
      queuedMs: 0,
      expected: 10_000,
      why: 'nothing known yet',
    },
    {
      configuredMs: 10_000,
      slowestRecentMs: 20,
      queuedMs: 0,
      expected: 2_000,
      why: 'a fast target: the floor',
    },
    {
      configuredMs: 10_000,
      slowestRecentMs: 800,
      queuedMs: 0,
      expected: 3_200,
      why: '4 × the slowest success',
    },
    {
      configuredMs: 10_000,
      slowestRecentMs: 20,
      queuedMs: 2_000,
      expected: 4_000,
      why: 'the batch still sends',
    },
    {
      configuredMs: 10_000,
      slowestRecentMs: 5_000,
      queuedMs: 0,
      expected: 10_000,
      why: 'never above configured',
    },
    { configuredMs: 500, slowestRecentMs: 20, queuedMs: 0, expected: 500, why: 'a short configured timeout' },
    {
      configuredMs: 10_000,
      slowestRecentMs: 20,
      queuedMs: -5_000,
      expected: 2_000,
      why: 'a schedule in the past',
    },
  ])('$why → $expected ms', ({ configuredMs, slowestRecentMs, queuedMs, expected }) => {
    expect(
      cutAttemptTimeoutMs({ configuredMs, slowestRecentMs, scheduledUntil: NOW + queuedMs, now: NOW }),
    ).toBe(expected);
  });
});

describe('waitInCall: wait for the next attempt, or release the record to SQS', () => {
  it.each([
    { delayMs: 150, queuedMs: 600, expected: true, why: 'the wait hides behind sends already queued' },
    { delayMs: 600, queuedMs: 600, expected: true, why: 'exactly as long as the queue' },
    { delayMs: 1_000, queuedMs: 600, expected: false, why: 'a Retry-After longer than the queue' },
    { delayMs: 50, queuedMs: 0, expected: false, why: 'the rest of the batch is done' },
    { delayMs: 0, queuedMs: 0, expected: true, why: 'no wait at all' },
    { delayMs: 100, queuedMs: Number.NEGATIVE_INFINITY, expected: false, why: 'nothing ever granted' },
  ])('$why → $expected', ({ delayMs, queuedMs, expected }) => {
    expect(waitInCall({ delayMs, scheduledUntil: NOW + queuedMs, now: NOW })).toBe(expected);
  });
});

describe('releaseVisibilitySeconds', () => {
  it.each([
    { retryAfterMs: undefined, random: 0, expected: 1 },
    { retryAfterMs: undefined, random: 0.99, expected: 3 },
    { retryAfterMs: 1_000, random: 0.5, expected: 2 },
    { retryAfterMs: 2_500, random: 0, expected: 3 },
    { retryAfterMs: 0, random: 1, expected: 3 },
  ])('Retry-After $retryAfterMs ms, draw $random → $expected s', ({ retryAfterMs, random, expected }) => {
    expect(releaseVisibilitySeconds(retryAfterMs, () => random)).toBe(expected);
  });
});

describe('LatencyTracker', () => {
  it('knows nothing before the first success, then the slowest of the last 50', () => {
    // Prepare
    const tracker = new LatencyTracker();
    const before = tracker.slowestMs();
    // Act
    tracker.observe(900);
    for (let i = 0; i < 50; i++) tracker.observe(10 + i);
    tracker.observe(Number.NaN);
    // Assess: the 900 ms answer has left the window; the bad value was ignored
    expect(before).toBeUndefined();
    expect(tracker.slowestMs()).toBe(59);
  });
});

describe('mayRelease: released rather than waited on, without reaching the DLQ sooner', () => {
  it.each([
    { receives: 1, maxReceiveCount: 5, batchIsFull: true, expected: true },
    { receives: 2, maxReceiveCount: 5, batchIsFull: true, expected: true },
    { receives: 3, maxReceiveCount: 5, batchIsFull: true, expected: false },
    { receives: 5, maxReceiveCount: 5, batchIsFull: true, expected: false },
    { receives: 1, maxReceiveCount: 5, batchIsFull: false, expected: false },
    { receives: 1, maxReceiveCount: 3, batchIsFull: true, expected: false },
    { receives: 1, maxReceiveCount: undefined, batchIsFull: true, expected: true },
    { receives: 2, maxReceiveCount: undefined, batchIsFull: true, expected: false },
  ])(
    'receive $receives of $maxReceiveCount, full batch $batchIsFull → $expected',
    ({ expected, ...input }) => {
      expect(mayRelease(input)).toBe(expected);
    },
  );
});
