import { describe, expect, it } from 'vitest';
import {
  mayRelease,
  releaseVisibilitySeconds,
  waitInCall,
} from '../../../../functions/transform/delivery/batch-pace.js';

const NOW = 1_000_000;

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
