import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../../functions/transform/delivery/retry-after.js';
import { START_MS } from './fakes.js';

describe('parseRetryAfter', () => {
  const now = START_MS; // Sun, 01 Nov 2026 00:00:00 GMT

  it.each([
    ['0', 0],
    ['3', 3000],
    [' 120 ', 120_000],
  ])('reads delta-seconds %j as %d ms', (value, expected) => {
    // Act
    const ms = parseRetryAfter(value, now);

    // Assess
    expect(ms).toBe(expected);
  });

  it.each([
    ['Sun, 01 Nov 2026 00:00:30 GMT', 30_000],
    ['Sunday, 01-Nov-26 00:01:00 GMT', 60_000],
    ['Sun Nov  1 00:00:05 2026', 5000],
  ])('reads the HTTP-date %j relative to now', (value, expected) => {
    // Act
    const ms = parseRetryAfter(value, now);

    // Assess
    expect(ms).toBe(expected);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['negative', '-5'],
    ['fractional', '1.5'],
    ['words', 'soon'],
    ['a date in the past', 'Sat, 31 Oct 2026 23:59:00 GMT'],
    ['the present', 'Sun, 01 Nov 2026 00:00:00 GMT'],
    ['an impossible date', 'Mon, 31 Feb 2027 00:00:00 GMT'],
    ['a date without GMT', 'Sun, 01 Nov 2026 00:00:30'],
    ['an ISO timestamp', '2026-11-01T00:00:30Z'],
  ])('fails when the value is %s', (_, value) => {
    // Act
    const ms = parseRetryAfter(value, now);

    // Assess
    expect(ms).toBeUndefined();
  });
});
