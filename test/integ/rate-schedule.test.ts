/**
 * The shared rate schedule on the real DynamoDB emulator: consumers in different "containers" (each its
 * own DynamoSlotBook, client and memory of the schedule's end) book concurrently; no two slots of any of
 * them may be closer than the spacing, and no run starts before the time it asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableKeys } from '../../functions/shared/contract.js';
import { DynamoSlotBook } from '../../functions/transform/delivery/dynamo-slot-book.js';
import { slotSpacingMs } from '../../functions/transform/delivery/rate-schedule.js';
import { type DynamoWithTable, startDynamoWithTable, TABLE } from '../support/dynamo-table.js';

let dynamo: DynamoWithTable;

beforeAll(async () => {
  dynamo = await startDynamoWithTable();
});

afterAll(async () => {
  await dynamo?.stop();
});

/** A client of its own: one container's. */
const client = () => dynamo.newClient();

describe('DynamoSlotBook', () => {
  it('gives concurrent consumers runs of slots that never overlap, each from the time it asked', async () => {
    // Prepare: 6 containers of one integration, booking at 50 req/s
    const key = tableKeys('rate-test').rateSchedule;
    const books = Array.from({ length: 6 }, () => new DynamoSlotBook(client(), TABLE, key));
    const spacing = slotSpacingMs(50);
    const runs: { first: number; count: number; earliest: number }[] = [];

    // Act: each books 15 runs of 1–10 slots, asking for "now" (some a little in the past or future)
    await Promise.all(
      books.map(async (book, c) => {
        for (let i = 0; i < 15; i++) {
          const count = 1 + ((c * 7 + i * 3) % 10);
          const earliest = Date.now() + (((c + i) % 5) - 2) * 40;
          runs.push({ first: await book.book(count, spacing, earliest), count, earliest });
        }
      }),
    );

    // Assess
    const slots = runs
      .flatMap((run) => Array.from({ length: run.count }, (_, i) => run.first + i * spacing))
      .sort((a, b) => a - b);
    expect(slots).toHaveLength(runs.reduce((sum, run) => sum + run.count, 0));
    for (let i = 1; i < slots.length; i++)
      expect((slots[i] as number) - (slots[i - 1] as number)).toBeGreaterThanOrEqual(spacing - 0.001);
    for (const run of runs) expect(run.first).toBeGreaterThanOrEqual(run.earliest - 0.001);
  });

  it('starts a run at the time asked once the schedule has ended (an idle target is not booked ahead)', async () => {
    // Prepare
    const key = tableKeys('rate-idle').rateSchedule;
    const book = new DynamoSlotBook(client(), TABLE, key);
    const spacing = slotSpacingMs(10);
    await book.book(2, spacing, Date.now());

    // Act: long after that run ended
    const later = Date.now() + 5000;
    const first = await book.book(3, spacing, later);

    // Assess
    expect(first).toBe(later);
  });
});
