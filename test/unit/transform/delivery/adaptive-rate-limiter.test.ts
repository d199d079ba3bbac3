import { describe, expect, it } from 'vitest';
import { AdaptiveRateLimiter } from '../../../../functions/transform/delivery/adaptive-rate-limiter.js';
import { fakeClock, START_MS } from './fakes.js';

/** Most sends in any window [t, t + windowMs) that starts at a send. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (const start of times)
    most = Math.max(most, times.filter((t) => t >= start && t < start + windowMs).length);
  return most;
}

/** Sends per virtual second since the start. */
function perSecond(times: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of times) {
    const second = Math.floor((t - START_MS) / 1000);
    counts.set(second, (counts.get(second) ?? 0) + 1);
  }
  return counts;
}

describe('AdaptiveRateLimiter', () => {
  it('spaces requests evenly at the declared rate by default', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });
    const times: number[] = [];

    // Act
    for (let i = 0; i < 5; i++) {
      await limiter.acquire();
      times.push(clock.now() - START_MS);
    }

    // Assess
    expect(times).toEqual([0, 100, 200, 300, 400]);
  });

  it('lets a burst through at once, borrowed from the same second', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({
      ratePerSecond: 10,
      burst: 4,
      now: clock.now,
      sleep: clock.sleep,
    });
    const times: number[] = [];

    // Act
    for (let i = 0; i < 14; i++) {
      await limiter.acquire();
      times.push(clock.now() - START_MS);
    }

    // Assess
    expect(times.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(times.slice(4, 10)).toEqual([400, 500, 600, 700, 800, 900]);
    expect(
      busiestWindow(
        times.map((t) => t + START_MS),
        1000,
      ),
    ).toBe(10);
  });

  it('never exceeds the declared rate in any second, even with burst = rate (where a token bucket allows 2 × rate − 1)', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({
      ratePerSecond: 10,
      burst: 10,
      now: clock.now,
      sleep: clock.sleep,
    });
    const times: number[] = [];

    // Act
    for (let i = 0; i < 60; i++) {
      await limiter.acquire();
      times.push(clock.now());
      if (i === 30) clock.advance(2500); // a quiet spell refills the burst
    }

    // Assess
    for (const count of perSecond(times).values()) expect(count).toBeLessThanOrEqual(10);
    expect(busiestWindow(times, 1000)).toBe(10);
  });

  it('stays under the declared rate through a 429 storm, then recovers after successes', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({
      ratePerSecond: 10,
      burst: 5,
      now: clock.now,
      sleep: clock.sleep,
    });
    const times: number[] = [];
    const ratesDuringStorm: number[] = [];

    // Act
    for (let i = 0; i < 400; i++) {
      await limiter.acquire();
      times.push(clock.now());
      const throttled = i >= 40 && i < 120; // the target answers 429 to 80 requests in a row
      if (throttled) {
        limiter.onThrottled();
        ratesDuringStorm.push(limiter.currentRate);
      } else {
        limiter.onSuccess();
      }
    }

    // Assess
    for (const count of perSecond(times).values()) expect(count).toBeLessThanOrEqual(10);
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(10);
    expect(busiestWindow(times, 3000)).toBeLessThanOrEqual(30);
    expect(Math.min(...ratesDuringStorm)).toBe(1); // the floor: 10 % of the declared rate
    expect(ratesDuringStorm[0]).toBe(5); // halved on the first 429
    expect(limiter.currentRate).toBe(10);
  });

  it.each([
    [10, 10],
    [10, 3],
    [3.3, 2],
    [7, 1],
  ])(
    'keeps any window of W ≥ 1 s within ⌈rate × W⌉ under random idling and throttling (rate %d, burst %d)',
    async (rate, burst) => {
      // Prepare
      const clock = fakeClock();
      const limiter = new AdaptiveRateLimiter({
        ratePerSecond: rate,
        burst,
        now: clock.now,
        sleep: clock.sleep,
      });
      let seed = 7;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const times: number[] = [];

      // Act
      for (let i = 0; i < 300; i++) {
        if (random() < 0.05) clock.advance(Math.floor(random() * 3000));
        await limiter.acquire();
        times.push(clock.now());
        if (random() < 0.1) limiter.onThrottled();
        else limiter.onSuccess();
      }

      // Assess
      for (const windowMs of [1000, 1250, 2000, 3700]) {
        expect(busiestWindow(times, windowMs)).toBeLessThanOrEqual(Math.ceil((rate * windowMs) / 1000));
      }
    },
  );

  it('actually slows down while throttled', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      limiter.onThrottled();
    }
    await limiter.acquire();
    const start = clock.now();

    // Act
    for (let i = 0; i < 5; i++) await limiter.acquire();

    // Assess
    expect(limiter.currentRate).toBe(1);
    expect(clock.now() - start).toBe(5000);
  });

  it('halves once for a burst of 429s that arrive together', () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 8, now: clock.now, sleep: clock.sleep });

    // Act
    limiter.onThrottled();
    limiter.onThrottled();
    limiter.onThrottled();
    const afterBurst = limiter.currentRate;
    clock.advance(1000);
    limiter.onThrottled();

    // Assess
    expect(afterBurst).toBe(4);
    expect(limiter.currentRate).toBe(2);
  });

  it('never rises above the declared rate', () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 3, now: clock.now, sleep: clock.sleep });

    // Act
    for (let i = 0; i < 100; i++) limiter.onSuccess();

    // Assess
    expect(limiter.currentRate).toBe(3);
  });

  it('paces a rate below one per second', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 0.5, now: clock.now, sleep: clock.sleep });
    const times: number[] = [];

    // Act
    for (let i = 0; i < 3; i++) {
      await limiter.acquire();
      times.push(clock.now() - START_MS);
    }

    // Assess
    expect(times).toEqual([0, 2000, 4000]);
  });

  it('serves concurrent callers in order, one slot each', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 5, now: clock.now, sleep: clock.sleep });

    // Act
    await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));

    // Assess
    expect(clock.sleeps).toEqual([200, 200, 200]);
    expect(clock.now() - START_MS).toBe(600);
  });

  it.each([
    ['the rate is 0', { ratePerSecond: 0 }, /ratePerSecond must be a number > 0, got 0/],
    ['the burst exceeds the rate', { ratePerSecond: 5, burst: 6 }, /burst must be a whole number from 1/],
    ['the burst is fractional', { ratePerSecond: 5, burst: 1.5 }, /burst/],
  ])('fails when %s', (_, props, message) => {
    // Prepare
    const clock = fakeClock();

    // Act
    const create = () => new AdaptiveRateLimiter({ ...props, now: clock.now, sleep: clock.sleep });

    // Assess
    expect(create).toThrow(message);
  });

  it('reports the last slot it granted, so a caller knows how long queued sends keep it busy', async () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 10, now: clock.now, sleep: async () => {} });
    const before = limiter.scheduledUntil();
    // Act: three callers queue at once (the sleep does not move time)
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    // Assess
    expect(before).toBe(Number.NEGATIVE_INFINITY);
    expect(limiter.scheduledUntil() - START_MS).toBe(200);
  });

  it('slows down only on a run of 429s when throttleAfter is 2: a lone 429 among successes is ignored', () => {
    // Prepare
    const clock = fakeClock();
    const limiter = new AdaptiveRateLimiter({
      ratePerSecond: 10,
      throttleAfter: 2,
      now: clock.now,
      sleep: clock.sleep,
    });
    // Act + Assess
    limiter.onThrottled();
    limiter.onSuccess();
    limiter.onThrottled();
    expect(limiter.currentRate).toBe(10);
    limiter.onThrottled();
    expect(limiter.currentRate).toBe(5);
  });

  it('fails when throttleAfter is not a whole number ≥ 1', () => {
    const clock = fakeClock();
    expect(
      () =>
        new AdaptiveRateLimiter({ ratePerSecond: 10, throttleAfter: 0, now: clock.now, sleep: clock.sleep }),
    ).toThrow(/throttleAfter must be a whole number ≥ 1, got 0/);
  });

  it('keeps the declared window when waits end late: later sends make room for the lateness seen', async () => {
    // Prepare: one wait ends 60 ms after its slot (a busy event loop), the others on time
    let now = START_MS;
    let waits = 0;
    const limiter = new AdaptiveRateLimiter({
      ratePerSecond: 10,
      now: () => now,
      sleep: async (ms) => {
        now += ms + (++waits === 1 ? 60 : 0);
      },
    });
    const sent: number[] = [];
    // Act
    for (let i = 0; i < 40; i++) {
      await limiter.acquire();
      sent.push(now);
    }
    // Assess: measured at the real send times, never more than 10 in any second
    expect(busiestWindow(sent, 1000)).toBeLessThanOrEqual(10);
    expect(limiter.lateAllowanceMs).toBeGreaterThan(0);
  });
});
