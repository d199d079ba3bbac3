/**
 * One rate budget for all of an integration's consumers (issue 11). Each container used to be paced
 * at its own share (rate ÷ MaximumConcurrency): a consumer waiting on a slow answer, or between two
 * batches, left its share idle while the others could not use it, and delivery used a fraction of the
 * target's declared rate. Now every consumer books send times ("slots") from one schedule, kept in one
 * DynamoDB item (`DynamoSlotBook`), a batch's worth per conditional update: whoever has work uses the
 * whole rate.
 *
 * The guarantee. Bookings are serialised by the item, each a run of consecutive slots starting no
 * earlier than the end of the previous one, so no two slots of any consumers are closer than the
 * spacing. A request is sent at its slot or at most MAX_LATE_MS after it — a later one gives the slot
 * up and books another — so the sends of any window [t, t + W) have slots in [t − MAX_LATE_MS, t + W):
 * at most ⌈(W + MAX_LATE_MS) ÷ spacing⌉ of them. With spacing = (1000 + MAX_LATE_MS) ÷ rate that is at
 * most ⌈rate × W⌉ for every W ≥ 1 s: never above the declared rate in any second. The containers'
 * clocks (Amazon Time Sync) agree to well under a millisecond; the sandbox's workers share one clock.
 *
 * AIMD stays per consumer: a run of 429s halves the rate this consumer books at (its slots are spread
 * wider), successes bring it back. When the target throttles everyone, every consumer slows down.
 */

/** Books runs of consecutive slots from the schedule every consumer of the integration shares. */
export interface SlotBook {
  /**
   * Books `count` consecutive slots `spacingMs` apart, the first no earlier than `earliest` nor than
   * the end of the last booking: resolves with the first slot (epoch ms).
   */
  book(count: number, spacingMs: number, earliest: number): Promise<number>;
}

/** How late after its slot a request may still go; later, it books another slot. */
export const MAX_LATE_MS = 25;
/**
 * Slots are booked at least this far ahead of now, and twice as far as recent bookings took, so that
 * the booking's own round trip never makes them late (DynamoDB answers in milliseconds; a loaded
 * sandbox's emulator in hundreds).
 */
export const BOOKING_LEAD_MS = 15;
/** Per booking, how much of the slowest recent booking time is remembered. */
const BOOKING_TIME_DECAY = 0.9;
/** Most slots booked at once: one batch's worth (SQS batches hold at most 10 records without a window). */
export const MAX_SLOTS_PER_BOOKING = 10;
/** How long a booking waits for the batch's other records to ask, so that one update serves them all. */
export const GATHER_MS = 2;

/** Slots one request may give up to lateness before it stops trying (a container starved of CPU). */
export const MAX_GIVE_UPS_PER_REQUEST = 3;

/**
 * No slot the caller can still use: the schedule is booked past its deadline (more consumers with
 * work than the rate serves within an invocation), or its timers keep firing too late to keep one.
 * Nothing was sent: the record goes back to the queue, and the target is not to blame.
 */
export class NoSlotInTimeError extends Error {
  constructor(
    message: string,
    /** When a slot may be free again (epoch ms). */
    readonly retryAt: number,
  ) {
    super(message);
    this.name = 'NoSlotInTimeError';
  }
}

/** Spacing between two slots that keeps every window of a second at or under `ratePerSecond`. */
export function slotSpacingMs(ratePerSecond: number): number {
  // Rounded up to a microsecond: DynamoDB adds decimal numbers exactly; never round the spacing down.
  return Math.ceil(((1000 + MAX_LATE_MS) / ratePerSecond) * 1000) / 1000;
}

/**
 * Most consumers whose batches the schedule serves within `waitMs`, the longest a record can wait for
 * its slot (time-budget.ts): with every consumer's batch booked, a record may wait for all their slots
 * before its own. Half of the wait is kept for what books again (a slot given up to a late timer, an
 * in-call retry). More consumers would book slots nobody can use in time.
 */
export function consumersServedInTime(ratePerSecond: number, batchSize: number, waitMs: number): number {
  return Math.floor(slotsWithin(ratePerSecond, waitMs) / (2 * Math.max(1, batchSize)));
}

/** Slots of the schedule at `ratePerSecond` within `waitMs` from now, the first one now. */
export function slotsWithin(ratePerSecond: number, waitMs: number): number {
  return waitMs < 0 ? 0 : Math.floor(waitMs / slotSpacingMs(ratePerSecond)) + 1;
}

export interface SharedRateScheduleProps {
  /** Requests per second the target declares; never exceeded by all consumers together. */
  readonly ratePerSecond: number;
  readonly book: SlotBook;
  /**
   * Lowest rate a run of 429s can push this consumer down to.
   * @default - 10 % of the declared rate, but not below 0.5 req/s (nor above the declared rate)
   */
  readonly minRatePerSecond?: number;
  /**
   * Rate regained per successful request.
   * @default - 5 % of the declared rate: about 20 successes from the floor back to full speed
   */
  readonly increasePerSuccess?: number;
  /**
   * Consecutive 429 answers (no success between them) that make one throttle signal: a lone 429 among
   * successes (a busy moment, an injected fault) is waited out by its own Retry-After.
   * @default 1
   */
  readonly throttleAfter?: number;
  /**
   * 429s closer together than this count as one throttle signal, so one burst of answers to
   * requests already in flight halves the rate once, not once per request.
   * @default 1000
   */
  readonly decreaseCooldownMs?: number;
  /** Epoch ms. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export class SharedRateSchedule {
  readonly declaredRate: number;
  private readonly book: SlotBook;
  private readonly minRate: number;
  private readonly increase: number;
  private readonly cooldownMs: number;
  private readonly throttleAfter: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private rate: number;
  private consecutive429 = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** Slots booked and not yet taken, ascending; they stay valid across invocations while in the future. */
  private readonly free: number[] = [];
  private lastTaken = Number.NEGATIVE_INFINITY;
  /** Callers waiting for a slot. */
  private waiting = 0;
  /** Requests the batch under way will ask slots for (a hint from `expect`, used by its first booking). */
  private expected = 0;
  private booking: Promise<void> | undefined;
  private givenUp = 0;
  /** How long bookings took lately (decaying maximum, ms). */
  private bookingMs = 0;
  /** The end of this consumer's last booking: the schedule is booked at least until then. */
  private bookedUntil = Number.NEGATIVE_INFINITY;

  constructor(props: SharedRateScheduleProps) {
    const problems = validate(props);
    if (problems.length > 0) throw new Error(`invalid rate schedule settings: ${problems.join('; ')}`);
    this.declaredRate = props.ratePerSecond;
    this.book = props.book;
    this.minRate = Math.min(
      props.ratePerSecond,
      props.minRatePerSecond ?? Math.max(0.5, props.ratePerSecond * 0.1),
    );
    this.increase = props.increasePerSuccess ?? props.ratePerSecond * 0.05;
    this.cooldownMs = props.decreaseCooldownMs ?? 1000;
    this.throttleAfter = props.throttleAfter ?? 1;
    this.now = props.now;
    this.sleep = props.sleep;
    this.rate = props.ratePerSecond;
  }

  /** Requests per second this consumer books at: between the floor and the declared rate. */
  get currentRate(): number {
    return this.rate;
  }

  /** Slots given up because the request could not go within MAX_LATE_MS of them (a busy event loop). */
  get slotsGivenUp(): number {
    return this.givenUp;
  }

  /**
   * The batch under way will send about `requests` requests: the first to ask books slots for all of
   * them, in one update. (Booking before they ask would waste the slots of records that take long to
   * get there.) Slots a record does not use (a duplicate answered from its stored result) stay with
   * this container for its next requests while they are in the future.
   */
  expect(requests: number): void {
    this.expected = Math.max(0, Math.floor(requests));
  }

  /**
   * Resolves, with the slot (epoch ms), when the caller may send: at its slot, never before, and
   * never more than MAX_LATE_MS after. Send right away. Rejects with NoSlotInTimeError, having sent
   * nothing, when the slot would come after `deadline` (epoch ms) or timers keep missing slots.
   */
  async acquire(deadline = Number.POSITIVE_INFINITY): Promise<number> {
    this.waiting++;
    try {
      // Slots this container gave up (late timers, stale bookings) while this caller waited.
      const givenUpBefore = this.givenUp;
      const tooManyGivenUp = () => this.givenUp - givenUpBefore >= MAX_GIVE_UPS_PER_REQUEST;
      for (;;) {
        let slot = this.takeFree();
        if (slot === undefined) {
          // Known booked past the deadline: booking more would only waste the rate.
          if (this.bookedUntil > deadline)
            throw new NoSlotInTimeError('the rate schedule is booked past this invocation', this.bookedUntil);
          await this.refill();
          slot = this.takeFree();
          if (slot === undefined) {
            // Another caller took the booking's slots, or they were stale by the time it answered.
            if (tooManyGivenUp())
              throw new NoSlotInTimeError('no delivery slot could be kept', this.now() + 1000);
            continue;
          }
        }
        if (slot > deadline) {
          this.free.unshift(slot); // still good for a later request of this container
          throw new NoSlotInTimeError('the next delivery slot comes after this invocation', slot);
        }
        const wait = slot - this.now();
        if (wait > 0) await this.sleep(wait);
        // Never early (a timer may fire a little before its time), never later than allowed.
        let now = this.now();
        while (now < slot) {
          await this.sleep(Math.max(1, slot - now));
          now = this.now();
        }
        // Date.now() counts whole milliseconds (rounded down): the real time may be up to 1 ms later.
        if (now + 1 - slot <= MAX_LATE_MS) {
          this.lastTaken = slot;
          return slot;
        }
        this.givenUp++;
        if (tooManyGivenUp())
          throw new NoSlotInTimeError('timers kept firing too late to keep a delivery slot', now + 1000);
      }
    } finally {
      this.waiting--;
    }
  }

  /**
   * Epoch ms of the last slot this consumer holds (possibly in the future): until then, its queued
   * sends keep it busy. −Infinity before the first.
   */
  scheduledUntil(): number {
    return this.free[this.free.length - 1] ?? this.lastTaken;
  }

  /** The target answered 429: halve the rate (once per cooldown, after `throttleAfter` in a row), not below the floor. */
  onThrottled(): void {
    this.consecutive429++;
    if (this.consecutive429 < this.throttleAfter) return;
    const now = this.now();
    if (now - this.lastDecreaseAt < this.cooldownMs) return;
    this.lastDecreaseAt = now;
    this.rate = Math.max(this.minRate, this.rate / 2);
  }

  /** The target accepted a request: creep back towards the declared rate. */
  onSuccess(): void {
    this.consecutive429 = 0;
    this.rate = Math.min(this.declaredRate, this.rate + this.increase);
  }

  /** The earliest free slot still usable (stale ones dropped), taken off the list. */
  private takeFree(): number | undefined {
    const oldest = this.now() - MAX_LATE_MS;
    while (this.free.length > 0 && (this.free[0] as number) < oldest) {
      this.free.shift();
      this.givenUp++;
    }
    return this.free.shift();
  }

  /** One booking at a time, for every caller waiting and the batch's expected requests. */
  private refill(): Promise<void> {
    this.booking ??= (async () => {
      try {
        await this.sleep(GATHER_MS);
        // The batch's first booking covers its records; later ones only whoever is waiting (a record
        // that never sends, such as a duplicate, must not have its slot booked again and again).
        const wanted = Math.max(this.waiting, this.expected) - this.free.length;
        this.expected = 0;
        const count = Math.min(MAX_SLOTS_PER_BOOKING, Math.max(1, wanted));
        const spacing = slotSpacingMs(this.rate);
        const startedAt = this.now();
        const lead = Math.max(BOOKING_LEAD_MS, 2 * this.bookingMs);
        const first = await this.book.book(count, spacing, startedAt + lead);
        const took = this.now() - startedAt;
        this.bookingMs = Math.max(took, this.bookingMs * BOOKING_TIME_DECAY);
        for (let i = 0; i < count; i++) this.free.push(first + i * spacing);
        this.bookedUntil = first + count * spacing;
      } finally {
        this.booking = undefined;
      }
    })();
    return this.booking;
  }
}

/**
 * A schedule kept in memory: one process's consumers share it. For tests and benchmarks of the
 * pacing itself; the transformer books from DynamoDB (`DynamoSlotBook`).
 */
export class MemorySlotBook implements SlotBook {
  private next = Number.NEGATIVE_INFINITY;

  async book(count: number, spacingMs: number, earliest: number): Promise<number> {
    const first = Math.max(this.next, earliest);
    this.next = first + count * spacingMs;
    return first;
  }
}

function validate(props: SharedRateScheduleProps): string[] {
  const problems: string[] = [];
  const { ratePerSecond: rate, minRatePerSecond, increasePerSuccess, decreaseCooldownMs } = props;
  if (!(Number.isFinite(rate) && rate > 0)) problems.push(`ratePerSecond must be a number > 0, got ${rate}`);
  if (minRatePerSecond !== undefined && !(Number.isFinite(minRatePerSecond) && minRatePerSecond > 0)) {
    problems.push(`minRatePerSecond must be a number > 0, got ${minRatePerSecond}`);
  }
  if (increasePerSuccess !== undefined && !(Number.isFinite(increasePerSuccess) && increasePerSuccess >= 0)) {
    problems.push(`increasePerSuccess must be a number ≥ 0, got ${increasePerSuccess}`);
  }
  if (
    props.throttleAfter !== undefined &&
    !(Number.isInteger(props.throttleAfter) && props.throttleAfter >= 1)
  ) {
    problems.push(`throttleAfter must be a whole number ≥ 1, got ${props.throttleAfter}`);
  }
  if (decreaseCooldownMs !== undefined && !(Number.isFinite(decreaseCooldownMs) && decreaseCooldownMs >= 0)) {
    problems.push(`decreaseCooldownMs must be a number ≥ 0, got ${decreaseCooldownMs}`);
  }
  return problems;
}
