import { describe, expect, it } from 'vitest';
import { concurrencyForRate } from '../../../integrations/resolve.js';

describe('concurrencyForRate: the default MaximumConcurrency (Little’s law)', () => {
  it.each([
    // rate/s, batch size, consumers
    { rate: 50, batchSize: 10, expected: 15, why: 'acme-orders: 5 batches a second, 3 s per record held' },
    { rate: 10, batchSize: 10, expected: 3, why: 'github-issues: 1 batch a second' },
    { rate: 5, batchSize: 10, expected: 2, why: 'the mapping’s floor' },
    { rate: 50, batchSize: 1, expected: 150, why: 'one record per batch: a consumer per record held' },
    { rate: 45, batchSize: 10, expected: 14, why: 'rounded up: never short of the rate' },
    { rate: 100_000, batchSize: 10, expected: 1000, why: 'the mapping’s ceiling' },
    { rate: 500, batchSize: 1000, expected: 2, why: 'a batching window with large batches' },
    { rate: 0.5, batchSize: 10, expected: 2, why: 'a slow target' },
  ])('$why: $rate/s, batches of $batchSize → $expected', ({ rate, batchSize, expected }) => {
    expect(concurrencyForRate(rate, batchSize)).toBe(expected);
  });
});
