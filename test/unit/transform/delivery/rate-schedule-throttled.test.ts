/**
 * Defaults at 50/s (15 consumers, batches of 10, 30 s timeout) while the target answers every
 * request 429 (Retry-After 1 s, 3 attempts). AIMD spreads each consumer's runs up to 10× wider
 * (205 ms × 10 = 2.05 s per booking; 15 of them ≈ 31 s), so the schedule's tail passes the
 * invocation's deadline. Found by a hostile review: before slots had a deadline, 73 of 183
 * invocations timed out in 5 minutes (the whole batch failed, receives burned); now a record
 * without a slot in time is released, and no invocation times out.
 */
import { expect, it } from 'vitest';
import {
  MemorySlotBook,
  NoSlotInTimeError,
  SharedRateSchedule,
} from '../../../../functions/transform/delivery/rate-schedule.js';
import { simulatedClock } from './fakes.js';

it('no invocation times out waiting for slots through 5 minutes of 429s with the default settings', async () => {
  const clock = simulatedClock({ start: 5_000_000 });
  const { now, sleep: gsleep } = clock;
  const shared = new MemorySlotBook();
  let noTime = 0;
  let timeouts = 0;
  let invocations = 0;
  const end = clock.trueNow() + 300_000;
  async function consumer() {
    let container = { killed: false };
    let schedule: SharedRateSchedule | undefined;
    while (clock.trueNow() < end) {
      const mine = container;
      const hang = () => new Promise<void>(() => {});
      const sleep = (ms: number) =>
        mine.killed ? hang() : gsleep(ms).then(() => (mine.killed ? hang() : undefined));
      schedule ??= new SharedRateSchedule({ ratePerSecond: 50, book: shared, now, sleep, throttleAfter: 2 });
      const deadline = now() + 30_000;
      schedule.expect(10);
      const s = schedule;
      let releasedUntil = 0;
      invocations++;
      const batch = Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let a = 0; a < 3; a++) {
            // As deliver() asks: a slot that leaves 4 s (save reserve + a minimal attempt), or none
            const gotSlot = await s.acquire(deadline - 4000).then(
              () => true,
              (error: unknown) => {
                if (!(error instanceof NoSlotInTimeError)) throw error;
                releasedUntil = Math.max(releasedUntil, error.retryAt); // back from SQS then
                return false;
              },
            );
            if (!gotSlot) {
              noTime++;
              return;
            }
            if (mine.killed) return;
            if (deadline - now() < 4000) {
              noTime++;
              return;
            }
            await sleep(100); // the 429 answer
            s.onThrottled();
            // deliver(): no retry unless Retry-After + the 10 s attempt timeout fit before the 3 s reserve
            if (a === 2 || deadline - now() < 1000 + 10_000 + 3000) return;
            await sleep(1000); // Retry-After
          }
        }),
      );
      const o = await Promise.race([batch.then(() => 'done'), gsleep(30_000).then(() => 'timeout')]);
      if (o === 'timeout') {
        timeouts++;
        mine.killed = true;
        container = { killed: false };
        schedule = undefined;
      } else if (releasedUntil > now()) {
        await gsleep(releasedUntil - now());
      }
    }
  }
  const all = Promise.all(Array.from({ length: 15 }, consumer));
  await clock.run(all, Number.POSITIVE_INFINITY);
  console.log(
    `5 min of 429s: ${timeouts}/${invocations} invocations timed out, ${noTime} records "no time left"`,
  );
  expect(timeouts).toBe(0);
}, 120_000);
