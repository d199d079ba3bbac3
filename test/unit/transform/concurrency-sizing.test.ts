import { describe, expect, it } from 'vitest';
import { concurrencyForRate } from '../../../integrations/resolve.js';

describe('concurrencyForRate: the default MaximumConcurrency (Little’s law)', () => {
  it.each([
    // rate/s, batch size, consumers
    { rate: 50, batchSize: 10, expected: 5, why: 'acme-orders: 50 in flight, 10 per consumer' },
    { rate: 10, batchSize: 10, expected: 2, why: 'the mapping’s floor' },
    { rate: 50, batchSize: 1, expected: 50, why: 'one record per batch: one consumer per request in flight' },
    { rate: 45, batchSize: 10, expected: 5, why: 'rounded up: never short of the rate' },
    { rate: 100_000, batchSize: 10, expected: 1000, why: 'the mapping’s ceiling' },
    { rate: 500, batchSize: 1000, expected: 2, why: 'a batching window with large batches' },
    { rate: 0.5, batchSize: 10, expected: 2, why: 'a slow target' },
  ])('$why: $rate/s, batches of $batchSize → $expected', ({ rate, batchSize, expected }) => {
    expect(concurrencyForRate(rate, batchSize)).toBe(expected);
  });
});
