import { describe, expect, it } from 'vitest';
import { refreshSigningSecrets } from '../../../functions/shared/secrets.js';

describe('refreshSigningSecrets', () => {
  it('allows one re-read per interval and per secret, however many signatures fail', () => {
    // Prepare
    const t0 = 1_000_000;
    // Act
    const first = refreshSigningSecrets('partner-a', 30_000, t0);
    const flood = Array.from({ length: 100 }, (_, i) =>
      refreshSigningSecrets('partner-a', 30_000, t0 + i * 100),
    );
    const otherSecret = refreshSigningSecrets('partner-b', 30_000, t0 + 50);
    const afterInterval = refreshSigningSecrets('partner-a', 30_000, t0 + 30_000);
    // Assess
    expect(first).toBe(true);
    expect(flood.every((allowed) => !allowed)).toBe(true);
    expect(otherSecret).toBe(true);
    expect(afterInterval).toBe(true);
  });
});
