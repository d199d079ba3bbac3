/**
 * Test doubles for the delivery cores: virtual clocks (one that jumps, one that interleaves
 * consumers), a slot book that counts, and a fetch that plays a script.
 */
import { MemorySlotBook, type SlotBook } from '../../../../functions/transform/delivery/rate-schedule.js';

/** Fixed start so HTTP-date tests are stable: 2026-11-01T00:00:00Z. */
export const START_MS = Date.UTC(2026, 10, 1);

export interface FakeClock {
  now(): number;
  /** Resolves at once, after moving virtual time forward by `ms`. */
  sleep(ms: number): Promise<void>;
  advance(ms: number): void;
  /** Every sleep asked for, in order. */
  readonly sleeps: number[];
}

export function fakeClock(start = START_MS): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
    sleeps,
  };
}

/**
 * Virtual time with real concurrency, for the shared rate schedule: `sleep` resolves when `run`
 * reaches its time, so several consumers interleave the way they would on one clock. `trueNow()` is
 * the real (fractional) time; `now()` is what Date.now() returns: whole milliseconds, rounded down
 * (unless `exactNow`).
 */
export interface SimulatedClock {
  trueNow(): number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /**
   * Fires timers in time order until `done` settles (then rethrows its rejection) or virtual time has
   * moved `untilMs` on (then returns, `done` still pending).
   */
  run(done: Promise<unknown>, untilMs?: number): Promise<void>;
}

export interface SimulatedClockOptions {
  /** @default 1_000_000 */
  readonly start?: number;
  /**
   * When a timer due at `dueAt` (true time) fires: later than due for a busy event loop, a stall or a
   * starved CPU. Never earlier than `dueAt`.
   * @default - on time
   */
  readonly wakeAt?: (dueAt: number) => number;
  /**
   * `now()` returns the true time, fractions of a millisecond included: for tests of the schedule's
   * spacing itself, apart from Date.now()'s rounding (which the lateness check allows for).
   * @default false - whole milliseconds, rounded down, as Date.now()
   */
  readonly exactNow?: boolean;
}

export function simulatedClock({
  start = 1_000_000,
  wakeAt = (t) => t,
  exactNow = false,
}: SimulatedClockOptions = {}): SimulatedClock {
  let trueNow = start;
  const timers: { at: number; resolve: () => void }[] = [];
  return {
    trueNow: () => trueNow,
    now: () => (exactNow ? trueNow : Math.floor(trueNow)),
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        timers.push({ at: wakeAt(trueNow + Math.max(0, ms)), resolve });
      }),
    async run(done, untilMs = 600_000) {
      let finished = false;
      const settle = () => {
        finished = true;
      };
      void done.then(settle, settle);
      const end = trueNow + untilMs;
      while (!finished && trueNow < end) {
        await new Promise((resolve) => setImmediate(resolve));
        if (finished) break;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (!next) continue;
        trueNow = Math.max(trueNow, next.at);
        next.resolve();
      }
      if (finished) await done;
    },
  };
}

/** Timers that fire `lateMs()` after they are due (drawn per timer). */
export function lateBy(lateMs: () => number): (dueAt: number) => number {
  return (dueAt) => dueAt + lateMs();
}

/** Most sends in any window [t, t + windowMs) that starts at a send. */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** A repeatable stream of numbers in [0, 1) (a linear congruential generator). */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** A SlotBook (in memory unless given one) that records what it hands out. */
export function countingBook(inner: SlotBook = new MemorySlotBook()) {
  const calls: { count: number; first: number }[] = [];
  const book: SlotBook = {
    async book(count, spacingMs, earliest) {
      const first = await inner.book(count, spacingMs, earliest);
      calls.push({ count, first });
      return first;
    },
  };
  return { book, calls, slots: () => calls.reduce((sum, c) => sum + c.count, 0) };
}

export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string;
  readonly signal: AbortSignal | undefined;
}

export type ScriptStep = Response | Error | ((request: RecordedRequest) => Response | Promise<Response>);

export interface ScriptedFetch {
  readonly fetch: typeof fetch;
  readonly requests: RecordedRequest[];
  /** Steps not played yet. */
  readonly remaining: () => number;
}

/** A fetch that answers each request with the next step of the script, and records the requests. */
export function scriptedFetch(...script: ScriptStep[]): ScriptedFetch {
  const steps = [...script];
  const requests: RecordedRequest[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request: RecordedRequest = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : '',
      signal: init?.signal ?? undefined,
    };
    requests.push(request);
    const step = steps.shift();
    if (step === undefined) throw new Error(`unexpected request #${requests.length} to ${request.url}`);
    if (step instanceof Error) throw step;
    return typeof step === 'function' ? step(request) : step;
  };
  return { fetch: fake as typeof fetch, requests, remaining: () => steps.length };
}

export function respond(
  status: number,
  body?: unknown,
  headers?: Record<string, string>,
  statusText?: string,
): Response {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(status === 204 ? null : text, { status, headers, statusText });
}

/** What undici's fetch throws when the connection fails. */
export function connectionRefused(): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
}

/** What fetch throws when AbortSignal.timeout fires. */
export function timedOut(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}
