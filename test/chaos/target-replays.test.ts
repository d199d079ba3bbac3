/** The sample target's replay log: what the chaos run lists as "the target saw an acknowledged key again". */
import { describe, expect, it } from 'vitest';
import { SampleTargetCore } from '../../local/sample-target/core.js';

describe('sample target replays', () => {
  it('records each request for an already accepted key with its time, and nothing else', () => {
    // Prepare
    let now = Date.parse('2026-11-30T12:00:00.000Z');
    const core = new SampleTargetCore({ auth: 'none', rateLimitPerSecond: 0, now: () => now });
    const post = (key: string) =>
      core.delivery({ headers: { 'idempotency-key': key }, body: '{"externalId":"x"}' });
    core.setFaults({ failKeys: ['refused'] });

    // Act
    post('a');
    post('refused'); // a 503: never accepted, so a later try is no replay
    now += 1500;
    post('refused');
    post('b');
    post('a');

    // Assess
    expect(core.replays()).toEqual([{ idempotencyKey: 'a', at: '2026-11-30T12:00:01.500Z' }]);
    expect(core.stats().duplicates).toBe(1);
    core.reset();
    expect(core.replays()).toEqual([]);
  });
});
