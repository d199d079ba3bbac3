import { describe, expect, it } from 'vitest';
import {
  BOOKING_LEAD_MS,
  GATHER_MS,
  MAX_LATE_MS,
  MemorySlotBook,
  NoSlotInTimeError,
  SharedRateSchedule,
  slotSpacingMs,
} from '../../../../functions/transform/delivery/rate-schedule.js';
import { busiestWindow, countingBook, lateBy, seededRandom, simulatedClock } from './fakes.js';

/** A simulated clock whose now() keeps fractions: these tests check the spacing itself. */
const exactClock = (wakeAt?: (dueAt: number) => number) => simulatedClock({ exactNow: true, wakeAt });

describe('slotSpacingMs', () => {
  it('spaces slots so that a second, widened by the lateness allowed, holds at most the rate', () => {
    expect(slotSpacingMs(50)).toBe((1000 + MAX_LATE_MS) / 50);
    expect(Math.ceil((1000 + MAX_LATE_MS) / slotSpacingMs(50))).toBeLessThanOrEqual(50);
    expect(Math.ceil((1000 + MAX_LATE_MS) / slotSpacingMs(7))).toBeLessThanOrEqual(7);
    // Never rounded down to the microsecond
    expect(slotSpacingMs(3)).toBeGreaterThanOrEqual((1000 + MAX_LATE_MS) / 3);
  });
});

describe('SharedRateSchedule', () => {
  it('sends one consumer’s requests a slot apart, never before their slot', async () => {
    // Prepare
    const clock = exactClock();
    const schedule = new SharedRateSchedule({
      ratePerSecond: 10,
      book: new MemorySlotBook(),
      ...clock,
    });
    const start = clock.now();
    const times: number[] = [];

    // Act
    const done = (async () => {
      for (let i = 0; i < 4; i++) {
        await schedule.acquire();
        times.push(clock.now() - start);
      }
    })();
    await clock.run(done);

    // Assess: each acquire books one slot (nothing expected), the first after the gather and the lead
    const spacing = slotSpacingMs(10);
    expect(times[0]).toBe(GATHER_MS + BOOKING_LEAD_MS);
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(spacing);
  });

  it('books a batch’s slots in one update, and keeps them in order', async () => {
    // Prepare
    const clock = exactClock();
    const { book, calls } = countingBook();
    const schedule = new SharedRateSchedule({ ratePerSecond: 50, book, ...clock });
    const times: number[] = [];

    // Act: a batch of 10 records asks for its slots at about the same time
    schedule.expect(10);
    const done = Promise.all(
      Array.from({ length: 10 }, async () => {
        await schedule.acquire();
        times.push(clock.now());
      }),
    );
    await clock.run(done);

    // Assess
    expect(calls.map((c) => c.count)).toEqual([10]);
    expect(busiestWindow(times, slotSpacingMs(50))).toBe(1);
  });

  it('lets consumers with work use the whole rate while another is held (the shared budget)', async () => {
    // Prepare: 3 consumers of one schedule; consumer 0 is held (a slow answer) and asks for nothing
    const clock = exactClock();
    const book = new MemorySlotBook();
    const consumers = [0, 1, 2].map(
      () => new SharedRateSchedule({ ratePerSecond: 50, book, now: clock.now, sleep: clock.sleep }),
    );
    const times: number[] = [];

    // Act: consumers 1 and 2 each deliver 30 batches of 10
    const done = Promise.all(
      consumers.slice(1).map(async (consumer) => {
        for (let batch = 0; batch < 30; batch++) {
          consumer.expect(10);
          await Promise.all(
            Array.from({ length: 10 }, async () => {
              await consumer.acquire();
              times.push(clock.now());
            }),
          );
          await clock.sleep(40); // delete, receive, invoke
        }
      }),
    );
    await clock.run(done);

    // Assess: 600 sends at ≥ 97 % of the declared 50/s, never above it
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    expect(times).toHaveLength(600);
    expect(600 / seconds).toBeGreaterThanOrEqual(0.97 * 50);
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(50);
  });

  it.each([
    [50, 8, 0],
    [10, 4, 40],
    [3.3, 3, 80],
    [50, 12, 120],
  ])(
    'keeps every window of W ≥ 1 s within ⌈rate × W⌉ across consumers, with late timers, idling and 429s (rate %d, %d consumers, timers up to %d ms late)',
    async (rate, consumerCount, maxLateTimerMs) => {
      // Prepare
      const random = seededRandom(rate * 1000 + consumerCount);
      const clock = exactClock(lateBy(() => (random() < 0.3 ? Math.floor(random() * maxLateTimerMs) : 0)));
      const book = new MemorySlotBook();
      const sends: number[] = [];
      const consumers = Array.from(
        { length: consumerCount },
        () =>
          new SharedRateSchedule({
            ratePerSecond: rate,
            book,
            throttleAfter: 1,
            now: clock.now,
            sleep: clock.sleep,
          }),
      );

      // Act: each consumer takes batches of 1–10 records, sometimes idles, sometimes meets a 429
      const done = Promise.all(
        consumers.map(async (consumer) => {
          for (let batch = 0; batch < 12; batch++) {
            if (random() < 0.2) await clock.sleep(Math.floor(random() * 3000));
            const records = 1 + Math.floor(random() * 10);
            consumer.expect(records);
            await Promise.all(
              Array.from({ length: records }, async () => {
                // A request whose timers keep missing its slots is released to the queue, unsent
                const sent = await consumer.acquire().then(
                  () => true,
                  (error: unknown) => {
                    if (error instanceof NoSlotInTimeError) return false;
                    throw error;
                  },
                );
                if (!sent) return;
                sends.push(clock.now());
                if (random() < 0.05) consumer.onThrottled();
                else consumer.onSuccess();
              }),
            );
          }
        }),
      );
      await clock.run(done, 3_600_000);

      // Assess
      expect(sends.length).toBeGreaterThan(consumerCount * 12);
      for (const windowMs of [1000, 1250, 2000, 3700])
        expect(busiestWindow(sends, windowMs)).toBeLessThanOrEqual(Math.ceil((rate * windowMs) / 1000));
      const givenUp = consumers.reduce((sum, c) => sum + c.slotsGivenUp, 0);
      if (maxLateTimerMs > MAX_LATE_MS) expect(givenUp).toBeGreaterThan(0);
    },
  );

  it('gives up a slot it cannot keep, and sends on a later one', async () => {
    // Prepare: the wait for the first slot (after the gathering wait) ends 100 ms late (a busy event
    // loop); every other wait on time
    const lateness = [0, 100];
    const clock = exactClock(lateBy(() => lateness.shift() ?? 0));
    const schedule = new SharedRateSchedule({ ratePerSecond: 10, book: new MemorySlotBook(), ...clock });
    let sentAt = 0;
    const start = clock.now();

    // Act
    const done = schedule.acquire().then(() => {
      sentAt = clock.now() - start;
    });
    await clock.run(done);

    // Assess: the first slot was lost to the lateness; the request went on another, booked after it
    expect(schedule.slotsGivenUp).toBe(1);
    expect(sentAt).toBeGreaterThan(100);
  });

  it('halves on a run of 429s, not below the floor, and recovers with successes', () => {
    // Prepare
    const clock = exactClock();
    const schedule = new SharedRateSchedule({
      ratePerSecond: 10,
      book: new MemorySlotBook(),
      throttleAfter: 2,
      decreaseCooldownMs: 0,
      ...clock,
    });

    // Act + Assess
    schedule.onThrottled();
    expect(schedule.currentRate).toBe(10); // a lone 429 is waited out by its Retry-After
    schedule.onThrottled();
    expect(schedule.currentRate).toBe(5);
    for (let i = 0; i < 10; i++) schedule.onThrottled();
    expect(schedule.currentRate).toBe(1); // 10 % of the declared rate
    for (let i = 0; i < 100; i++) schedule.onSuccess();
    expect(schedule.currentRate).toBe(10); // never above the declared rate
  });

  it('reports the last slot it holds, so a caller knows how long its queued sends keep it busy', async () => {
    // Prepare
    const clock = exactClock();
    const schedule = new SharedRateSchedule({ ratePerSecond: 10, book: new MemorySlotBook(), ...clock });
    expect(schedule.scheduledUntil()).toBe(Number.NEGATIVE_INFINITY);

    // Act: a batch of 3 books 3 slots; the first is taken
    schedule.expect(3);
    const first = schedule.acquire();
    await clock.run(first);

    // Assess
    expect(schedule.scheduledUntil()).toBe((await first) + 2 * slotSpacingMs(10));
  });

  it('refuses settings that cannot pace', () => {
    const clock = exactClock();
    const book = new MemorySlotBook();
    expect(() => new SharedRateSchedule({ ratePerSecond: 0, book, ...clock })).toThrow(/ratePerSecond/);
    expect(() => new SharedRateSchedule({ ratePerSecond: 5, throttleAfter: 0.5, book, ...clock })).toThrow(
      /throttleAfter/,
    );
  });
});
