import { describe, expect, it } from 'vitest';
import { concurrencyForRate } from '../../../integrations/resolve.js';

describe('concurrencyForRate: the default MaximumConcurrency (Little’s law, capped by the function timeout)', () => {
  it.each([
    // rate/s, batch size, function timeout s, consumers
    { rate: 50, batchSize: 10, timeout: 30, expected: 15, why: 'acme-orders: 5 batches a second, 3 s each' },
    { rate: 10, batchSize: 10, timeout: 30, expected: 3, why: 'github-issues: 1 batch a second' },
    { rate: 5, batchSize: 10, timeout: 30, expected: 2, why: 'the mapping’s floor' },
    {
      rate: 50,
      batchSize: 1,
      timeout: 30,
      expected: 150,
      why: 'one record per batch: a consumer per record held',
    },
    { rate: 45, batchSize: 10, timeout: 30, expected: 14, why: 'rounded up: never short of the rate' },
    { rate: 100_000, batchSize: 10, timeout: 30, expected: 1000, why: 'the mapping’s ceiling' },
    { rate: 500, batchSize: 1000, timeout: 30, expected: 2, why: 'a batching window with large batches' },
    { rate: 0.5, batchSize: 10, timeout: 30, expected: 2, why: 'a slow target' },
    // 7 s leave 3 s to wait for a slot: 146 slots of 20.5 ms, half of them for 7 batches of 10
    { rate: 50, batchSize: 10, timeout: 7, expected: 7, why: 'a short timeout: no more than can wait' },
    { rate: 50, batchSize: 10, timeout: 10, expected: 14, why: 'just below Little’s law' },
    {
      rate: 50,
      batchSize: 10,
      timeout: 5,
      expected: 2,
      why: 'the floor even when one second of slots is left',
    },
  ])(
    '$why: $rate/s, batches of $batchSize, $timeout s → $expected',
    ({ rate, batchSize, timeout, expected }) => {
      expect(concurrencyForRate(rate, batchSize, timeout)).toBe(expected);
    },
  );
});
