/**
 * The shared rate schedule at its limits: the findings of a hostile review (each reproduced first,
 * failing, then fixed): a schedule booked past the invocation, timers that keep firing late,
 * Date.now()'s whole milliseconds, slots booked again and again for records that never ask.
 */
import { describe, expect, it } from 'vitest';
import { TransientDeliveryError } from '../../../../functions/shared/errors.js';
import { deliver } from '../../../../functions/transform/delivery/client.js';
import {
  MAX_GIVE_UPS_PER_REQUEST,
  MemorySlotBook,
  NoSlotInTimeError,
  SharedRateSchedule,
  slotSpacingMs,
} from '../../../../functions/transform/delivery/rate-schedule.js';
import type { TargetAuthenticator } from '../../../../functions/transform/delivery/target-auth.js';
import { targetSignal } from '../../../../functions/transform/outcome.js';
import { busiestWindow, countingBook, simulatedClock } from './fakes.js';

const noAuth: TargetAuthenticator = {
  headers: async () => ({}),
  onUnauthorized: async () => false,
} as unknown as TargetAuthenticator;

describe('the send-time guarantee', () => {
  it('counts Date.now()’s whole milliseconds: a send 25.9 ms late after a stall never makes 51 in a second at 50/s', async () => {
    const start = 1_000_000;
    // Booking: GATHER_MS (2) + BOOKING_LEAD_MS (15) → the first slot is start + 17, then 20.5 ms apart.
    const firstSlot = start + 17;
    expect(slotSpacingMs(50)).toBe(20.5);
    // The event loop is busy until 25.9 ms after the first slot (one stall, nothing else late).
    const stallEnd = firstSlot + 25.9;
    const clock = simulatedClock({ start, wakeAt: (t) => (t < stallEnd && t >= firstSlot ? stallEnd : t) });
    const schedule = new SharedRateSchedule({ ratePerSecond: 50, book: new MemorySlotBook(), ...clock });
    const sends: number[] = [];
    schedule.expect(51);
    const all = Promise.all(
      Array.from({ length: 51 }, async () => {
        const sent = await schedule.acquire().then(
          () => true,
          () => false,
        );
        if (sent) sends.push(clock.trueNow());
      }),
    );
    await clock.run(all, 10_000);
    expect(sends.length).toBeGreaterThanOrEqual(45);
    // The slot the stall made 25.9 ms late is given up (the send goes on a later one)
    expect(schedule.slotsGivenUp).toBeGreaterThan(0);
    expect(busiestWindow(sends, 1000)).toBeLessThanOrEqual(50);
  });
});

describe('a consumer whose timers run late', () => {
  it('gives up after a few slots instead of booking the whole rate away, and sends nothing', async () => {
    const start = 2_000_000;
    // A CPU-starved container: every timer fires 30 ms late (> MAX_LATE_MS).
    const clock = simulatedClock({ start, wakeAt: (t) => t + 30 });
    const { book, slots } = countingBook();
    const schedule = new SharedRateSchedule({ ratePerSecond: 50, book, ...clock });
    schedule.expect(10);
    const outcomes = Array.from({ length: 10 }, () =>
      schedule.acquire().then(
        () => 'sent',
        (error: unknown) => error,
      ),
    );
    const settled = Promise.all(outcomes);
    await clock.run(settled, 10_000);
    const results = await settled;
    // Each request rejected as released (nothing sent), and the slots it cost are bounded
    expect(results.every((r) => r instanceof NoSlotInTimeError)).toBe(true);
    expect(slots()).toBeLessThanOrEqual(10 * MAX_GIVE_UPS_PER_REQUEST);
  });
});

describe('a batch whose records do not all send', () => {
  it('books the batch once, then only for whoever waits: 5 duplicates and one record retried twice cost 6 + 2 slots, not 15', async () => {
    const clock = simulatedClock({ start: 3_500_000 });
    const { book, slots } = countingBook();
    const schedule = new SharedRateSchedule({ ratePerSecond: 50, book, ...clock });
    schedule.expect(6); // a batch of 6: 5 are duplicates replayed from their stored result, never asking
    const oneRecord = (async () => {
      await schedule.acquire(); // first attempt: 503
      await clock.sleep(1000); // backoff (its slots from before are stale by now)
      await schedule.acquire(); // second attempt: 503
      await clock.sleep(1000);
      await schedule.acquire(); // third attempt
    })();
    await clock.run(oneRecord, 10_000);
    console.log(`3 sends booked ${slots()} slots of the shared rate`);
    expect(slots()).toBeLessThanOrEqual(8);
  });
});

describe('a schedule booked past the invocation', () => {
  it('releases what it cannot send in time without counting it against the target (rate 0.5/s, 2 consumers)', async () => {
    const start = 4_000_000;
    const clock = simulatedClock({ start });
    const shared = new MemorySlotBook();
    // Consumer A already booked its full batch: 10 slots 2050 ms apart (20.5 s of schedule).
    const a = new SharedRateSchedule({ ratePerSecond: 0.5, book: shared, ...clock });
    a.expect(10);
    void Promise.all(Array.from({ length: 10 }, () => a.acquire()));
    await clock.run(clock.sleep(5), 100);
    // Consumer B: a fresh 30 s invocation (functionTimeoutSeconds default), 10 records, target healthy.
    const b = new SharedRateSchedule({ ratePerSecond: 0.5, book: shared, ...clock });
    b.expect(10);
    const deadline = clock.now() + 30_000;
    const results = Array.from({ length: 10 }, () =>
      deliver(
        { url: 'https://target.example/x', method: 'POST', body: {}, eventId: 'e' },
        {
          fetch: (async () => new Response(null, { status: 200 })) as typeof fetch,
          now: clock.now,
          sleep: clock.sleep,
          random: () => 0.5,
          remainingTimeMs: () => deadline - clock.now(),
          authenticator: noAuth,
          rateLimiter: b,
        },
        {
          timeoutMs: 10_000,
          maxAttempts: 3,
          backoff: { baseMs: 200, capMs: 5000 },
          retryableStatuses: [429, 503],
          safetyMarginMs: 3000,
        },
      ).then(
        () => 'delivered' as const,
        (error: unknown) => error,
      ),
    );
    const settled = Promise.all(results);
    await clock.run(settled, 60_000);
    const outcomes = await settled;
    const failures = outcomes.filter((o) => o !== 'delivered');
    const countedAgainstTarget = failures.filter(
      (error) => targetSignal({ kind: 'failed', error, sent: false }) === 'failed',
    );
    console.log(
      `consumer B: ${outcomes.length - failures.length} delivered, ${failures.length} not sent:`,
      failures.map((f) => (f instanceof TransientDeliveryError ? f.message : String(f)))[0],
      `; ${countedAgainstTarget.length} counted as target failures (circuit threshold 5)`,
    );
    // The target never failed: nothing may count against it (5 would open the circuit for everyone).
    expect(countedAgainstTarget).toHaveLength(0);
  });
});

describe('consumers × batch × spacing longer than the function timeout', () => {
  /**
   * C consumers under a backlog, each invocation a batch of 10 with a 30 s deadline (the default
   * functionTimeoutSeconds). A record sends if its slot comes with ≥ 4 s left (SAVE_RESERVE 3 s +
   * minAttempt 1 s), the answer takes 300 ms. An invocation still waiting at its deadline is killed
   * (Lambda timeout): its container is reset (a fresh schedule, free slots lost, its timers dead).
   */
  async function simulate(consumers: number, rate: number, minutes: number) {
    const clock = simulatedClock({ start: 5_000_000 });
    const shared = new MemorySlotBook();
    const sentAt: number[] = [];
    let timeouts = 0;
    const end = clock.trueNow() + minutes * 60_000;
    async function consumer() {
      let container = { killed: false };
      let schedule: SharedRateSchedule | undefined;
      while (clock.trueNow() < end) {
        const mine = container;
        const sleep = (ms: number) =>
          mine.killed
            ? new Promise<void>(() => {})
            : clock.sleep(ms).then(() => (mine.killed ? new Promise<void>(() => {}) : undefined));
        schedule ??= new SharedRateSchedule({ ratePerSecond: rate, book: shared, now: clock.now, sleep });
        const deadline = clock.now() + 30_000;
        schedule.expect(10);
        const s = schedule;
        let releasedUntil = 0;
        const batch = Promise.all(
          Array.from({ length: 10 }, async () => {
            // As deliver() asks: a slot that leaves 4 s (save reserve + a minimal attempt), or none
            const gotSlot = await s.acquire(deadline - 4000).then(
              () => true,
              (error: unknown) => {
                if (!(error instanceof NoSlotInTimeError)) throw error;
                // Released to the queue: SQS hands it out again when a slot may be free
                releasedUntil = Math.max(releasedUntil, error.retryAt);
                return false;
              },
            );
            if (!gotSlot || mine.killed) return;
            sentAt.push(clock.trueNow());
            await sleep(300);
          }),
        );
        const outcome = await Promise.race([
          batch.then(() => 'done'),
          clock.sleep(30_000).then(() => 'timeout'),
        ]);
        if (outcome === 'timeout') {
          timeouts++;
          mine.killed = true;
          container = { killed: false };
          schedule = undefined;
        } else if (releasedUntil > clock.now()) {
          // The queue's other messages are released the same way until then (each a receive)
          await clock.sleep(releasedUntil - clock.now());
        }
      }
    }
    const all = Promise.all(Array.from({ length: consumers }, consumer));
    await clock.run(all, minutes * 60_000 + 60_000);
    const lastMinute = sentAt.filter((t) => t >= end - 60_000 && t < end).length / 60;
    return { perSecondLastMinute: lastMinute, total: sentAt.length, timeouts };
  }

  it('keeps delivering at the rate with 10 × the consumers it needs, and at 0.5/s with the defaults', async () => {
    const healthy = await simulate(3, 10, 3); // the default concurrency for 10/s
    const many = await simulate(30, 10, 3);
    const edge = await simulate(24, 10, 3);
    // Defaults only: rate 0.5/s → MaximumConcurrency 2 (⌈0.15⌉ raised to 2), spacing 2050 ms.
    const slow = await simulate(2, 0.5, 10);
    console.log(
      `3rd minute at 10/s: 3 consumers → ${healthy.perSecondLastMinute.toFixed(2)}/s; 24 → ${edge.perSecondLastMinute.toFixed(2)}/s; 30 → ${many.perSecondLastMinute.toFixed(2)}/s. Defaults at 0.5/s, 10th minute: ${slow.perSecondLastMinute.toFixed(2)}/s`,
    );
    expect(slow.perSecondLastMinute).toBeGreaterThan(0.4);
    expect(healthy.perSecondLastMinute).toBeGreaterThan(8);
    expect(many.perSecondLastMinute).toBeGreaterThan(8);
    for (const run of [healthy, many, edge, slow]) expect(run.timeouts).toBe(0);
  }, 120_000);
});
