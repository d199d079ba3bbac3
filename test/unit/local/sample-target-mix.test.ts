import { describe, expect, it } from 'vitest';
import { parseFaults, SampleTargetCore, type TargetOutcome } from '../../../local/sample-target/core.js';

/** A target with auth off and no rate limit, whose random draws come from `draws` in order. */
function target(draws: number[]) {
  let i = 0;
  return new SampleTargetCore({
    auth: 'none',
    rateLimitPerSecond: 0,
    random: () => draws[i++ % draws.length] ?? 0,
  });
}

const post = (core: SampleTargetCore, key: string): TargetOutcome =>
  core.delivery({ headers: { 'idempotency-key': key }, body: '{"externalId":"x"}' });
const statusOf = (outcome: TargetOutcome) => ('drop' in outcome ? 'reset' : outcome.status);

describe('sample target fault mix', () => {
  it('answers 503, 429 with Retry-After, and a slow 504 by the drawn share, else accepts', () => {
    const core = target([0.05, 0.21, 0.245, 0.9]);
    core.setFaults({ mix: { '503': 0.2, '429': 0.04, slow: 0.01 }, retryAfterSeconds: 2, slowMs: 12_000 });

    const answers = ['a', 'b', 'c', 'd'].map((key) => post(core, key));

    expect(answers.map(statusOf)).toEqual([503, 429, 504, 201]);
    expect(answers[1]).toMatchObject({ headers: { 'retry-after': '2' } });
    expect(answers[2]).toMatchObject({ delayMs: 12_000 });
    // Only the last was accepted: a slow answer is a failed attempt, not a delivery.
    expect(core.received().map((r) => r.idempotencyKey)).toEqual(['d']);
  });

  it('refuses the same keys every time with 400 (a permanent failure), whatever the draw', () => {
    const core = target([0.99]);
    core.setFaults({ mix: { '400': 0.25 } });
    const keys = Array.from({ length: 400 }, (_, n) => `evt_${n}`);

    const first = keys.filter((key) => statusOf(post(core, key)) === 400);
    const again = keys.filter((key) => statusOf(post(core, key)) === 400);

    expect(again).toEqual(first);
    // About a quarter of the keys, and each one counted once.
    expect(first.length).toBeGreaterThan(60);
    expect(first.length).toBeLessThan(140);
    expect(core.stats().permanentlyRefused).toBe(first.length);
    expect([...core.permanentlyRefusedKeys()].sort()).toEqual([...first].sort());
  });

  it('rejects mixes that do not add up and unknown kinds, listing each problem', () => {
    expect(parseFaults({ mix: { '503': 0.7, '429': 0.4 } }).problems).toEqual([
      'mix: 503 + 429 + slow must be at most 1, got 1.1',
    ]);
    expect(parseFaults({ mix: { '500': 0.1 } }).problems[0]).toContain('unknown kind "500"');
    expect(parseFaults({ mix: { slow: 2 }, slowMs: -1 }).problems).toHaveLength(2);
  });

  it('is forgotten by reset', () => {
    const core = target([0]);
    core.setFaults({ mix: { '503': 1 } });
    core.reset();
    expect(statusOf(post(core, 'k'))).toBe(201);
  });
});
