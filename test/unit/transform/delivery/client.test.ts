import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  PermanentDeliveryError,
  TransientDeliveryError,
} from '../../../../functions/shared/errors.js';
import { DEFAULT_RETRYABLE_STATUSES } from '../../../../functions/transform/delivery/classify.js';
import {
  type DeliveryDeps,
  type DeliveryOptions,
  type DeliveryRequest,
  deliver,
  NoSlotReleaseError,
  ReleasedToQueueError,
  type ReleasePolicy,
} from '../../../../functions/transform/delivery/client.js';
import { TokenRequestError } from '../../../../functions/transform/delivery/oauth2.js';
import {
  MemorySlotBook,
  SharedRateSchedule,
  slotSpacingMs,
} from '../../../../functions/transform/delivery/rate-schedule.js';
import type { TargetAuthenticator } from '../../../../functions/transform/delivery/target-auth.js';
import {
  connectionRefused,
  type FakeClock,
  fakeClock,
  respond,
  type ScriptStep,
  START_MS,
  scriptedFetch,
  timedOut,
} from './fakes.js';

const API_KEY = 'sk_live_9f8e7d6c5b4a';

const request: DeliveryRequest = {
  url: 'https://crm.example.com/v1/orders',
  method: 'POST',
  body: { orderId: 'o-1', customerEmail: 'ada@example.com' },
  eventId: 'evt_123',
};

const options: DeliveryOptions = {
  timeoutMs: 5000,
  maxAttempts: 3,
  backoff: { baseMs: 200, capMs: 5000 },
  retryableStatuses: DEFAULT_RETRYABLE_STATUSES,
};

/** An authenticator whose credential changes each time the target says 401. */
function fakeAuthenticator(retryAfter401 = true) {
  const calls = { headers: 0, unauthorized: 0 };
  let generation = 1;
  const authenticator: TargetAuthenticator = {
    headers: async () => {
      calls.headers++;
      return { 'x-api-key': `${API_KEY}-${generation}` };
    },
    onUnauthorized: async () => {
      calls.unauthorized++;
      generation++;
      return retryAfter401;
    },
  };
  return { authenticator, calls };
}

/** A target, a virtual clock, and an invocation with `budgetMs` left. */
function setup(script: ScriptStep[], extra: Partial<DeliveryDeps> & { budgetMs?: number } = {}) {
  const clock = fakeClock();
  const target = scriptedFetch(...script);
  const deadline = clock.now() + (extra.budgetMs ?? 30_000);
  const { authenticator, calls } = fakeAuthenticator();
  const deps: DeliveryDeps = {
    fetch: target.fetch,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    remainingTimeMs: () => deadline - clock.now(),
    authenticator,
    ...extra,
  };
  return { clock, target, deps, calls };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the delivery to fail'),
    (error: unknown) => error,
  );
}

describe('deliver', () => {
  it('delivers on the first try with JSON, the idempotency key and the auth headers', async () => {
    // Prepare
    const { target, deps, clock } = setup([respond(201, { id: 'crm-1' })]);

    // Act
    const result = await deliver(request, deps, options);

    // Assess
    expect(result).toEqual({ status: 201, attempts: 1 });
    expect(target.requests).toHaveLength(1);
    const [sent] = target.requests;
    expect(sent?.url).toBe(request.url);
    expect(sent?.method).toBe('POST');
    expect(JSON.parse(sent?.body ?? '')).toEqual(request.body);
    expect(sent?.headers.get('content-type')).toBe('application/json');
    expect(sent?.headers.get('idempotency-key')).toBe('evt_123');
    expect(sent?.headers.get('x-api-key')).toBe(`${API_KEY}-1`);
    expect(sent?.signal).toBeInstanceOf(AbortSignal);
    expect(clock.sleeps).toEqual([]);
  });

  it('keeps the idempotency key, content type and auth headers over extra headers', async () => {
    // Prepare
    const { target, deps } = setup([respond(200)]);
    const withExtras: DeliveryRequest = {
      ...request,
      extraHeaders: { 'Idempotency-Key': 'spoofed', 'X-API-Key': 'spoofed', 'x-trace-id': 'trace-1' },
    };

    // Act
    await deliver(withExtras, deps, options);

    // Assess
    const headers = target.requests[0]?.headers;
    expect(headers?.get('idempotency-key')).toBe('evt_123');
    expect(headers?.get('x-api-key')).toBe(`${API_KEY}-1`);
    expect(headers?.get('x-trace-id')).toBe('trace-1');
  });

  it('signs the exact body sent when a signer is given', async () => {
    // Prepare
    const signed: string[] = [];
    const { target, deps } = setup([respond(200)], {
      sign: (body) => {
        signed.push(body);
        return { 'webhook-signature': `v1,sig-of-${body.length}` };
      },
    });

    // Act
    await deliver(request, deps, options);

    // Assess
    expect(signed).toEqual([target.requests[0]?.body]);
    expect(target.requests[0]?.headers.get('webhook-signature')).toBe(`v1,sig-of-${signed[0]?.length}`);
  });

  it('retries a 500 after a full-jitter delay and delivers on the second attempt', async () => {
    // Prepare
    const { target, deps, clock } = setup([respond(500, 'oops'), respond(200)]);

    // Act
    const result = await deliver(request, deps, options);

    // Assess
    expect(result).toEqual({ status: 200, attempts: 2 });
    expect(clock.sleeps).toEqual([100]); // random 0.5 × min(cap, base × 2^0)
    expect(target.requests.map((r) => r.headers.get('idempotency-key'))).toEqual(['evt_123', 'evt_123']);
  });

  it('waits for Retry-After when it is longer than the backoff', async () => {
    // Prepare
    const { deps, clock } = setup([respond(503, undefined, { 'retry-after': '3' }), respond(200)]);

    // Act
    const result = await deliver(request, deps, options);

    // Assess
    expect(result.attempts).toBe(2);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('waits until a Retry-After HTTP date', async () => {
    // Prepare
    const in4s = new Date(START_MS + 4000).toUTCString(); // "Sun, 01 Nov 2026 00:00:04 GMT"
    const { deps, clock } = setup([respond(429, undefined, { 'retry-after': in4s }), respond(200)]);

    // Act
    await deliver(request, deps, options);

    // Assess
    expect(clock.sleeps).toEqual([4000]);
  });

  it('retries after a connection failure and after a timeout', async () => {
    // Prepare
    const { deps } = setup([connectionRefused(), timedOut(), respond(202)]);

    // Act
    const result = await deliver(request, deps, options);

    // Assess
    expect(result).toEqual({ status: 202, attempts: 3 });
  });

  it('refreshes the credentials once after a 401 and delivers, without counting it as a failure', async () => {
    // Prepare
    const { target, deps, calls, clock } = setup([respond(401), respond(200)]);

    // Act
    const result = await deliver(request, deps, { ...options, maxAttempts: 1 });

    // Assess
    expect(result).toEqual({ status: 200, attempts: 2 });
    expect(calls.unauthorized).toBe(1);
    expect(target.requests.map((r) => r.headers.get('x-api-key'))).toEqual([`${API_KEY}-1`, `${API_KEY}-2`]);
    expect(clock.sleeps).toEqual([]);
  });

  it('fails when the target says 401 again after the refresh', async () => {
    // Prepare
    const { deps, calls } = setup([respond(401), respond(401, 'invalid api key', {}, 'Unauthorized')]);

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as PermanentDeliveryError).details).toEqual({
      reason: 'target-rejected',
      status: 401,
      attempts: 2,
    });
    expect(calls.unauthorized).toBe(1);
  });

  it('fails at once on a 401 when fresh credentials cannot help', async () => {
    // Prepare
    const { deps, target } = setup([respond(401)]);
    deps.authenticator = fakeAuthenticator(false).authenticator;

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as PermanentDeliveryError).details.attempts).toBe(1);
    expect(target.requests).toHaveLength(1);
  });

  it('fails when the target answers 400, quoting a short start of the answer where the integration opts in', async () => {
    // Prepare
    const answer = JSON.stringify({ error: 'customerEmail is not allowed', detail: 'x'.repeat(5000) });
    const { deps, clock, target } = setup([respond(400, answer, {}, 'Bad Request'), respond(200)]);

    // Act
    const error = await failure(deliver(request, deps, { ...options, quoteAnswers: true }));

    // Assess
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    const { details, message } = error as PermanentDeliveryError;
    expect(details).toEqual({ reason: 'target-rejected', status: 400, attempts: 1 });
    expect(message).toMatch(
      /^target rejected the request: 400 Bad Request: \{"error":"customerEmail is not allowed"/,
    );
    expect(message.length).toBeLessThan(300);
    expect(message).not.toContain('ada@example.com');
    expect(target.remaining()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('keeps the status, the error code and the field names of a 4xx answer, never its text, by default', async () => {
    // Prepare: a target that echoes the partner's data back in its error answer
    const answer = {
      code: 'validation_failed',
      message: 'customerEmail ada@example.com is not allowed',
      errors: { customerEmail: 'ada@example.com is blocked', 'ada@example.com': 'echoed as a key' },
    };
    const { deps } = setup([respond(422, answer, {}, 'Unprocessable Entity')]);

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as Error).message).toBe(
      'target rejected the request: 422 Unprocessable Entity; code validation_failed; fields code, message, errors.customerEmail',
    );
    expect(JSON.stringify(error)).not.toContain('ada@');
  });

  it('keeps only the status when the 4xx answer is not a JSON object', async () => {
    // Prepare
    const { deps } = setup([respond(400, 'no such customer: ada@example.com', {}, 'Bad Request')]);

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect((error as Error).message).toBe('target rejected the request: 400 Bad Request');
  });

  it('fails when every attempt gets a 503, after maxAttempts, with the status', async () => {
    // Prepare
    const { deps, clock, target } = setup([
      respond(503),
      respond(503),
      respond(503, undefined, { 'retry-after': '7' }, 'Service Unavailable'),
    ]);

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect(error).toBeInstanceOf(TransientDeliveryError);
    const { details, message } = error as TransientDeliveryError;
    expect(details).toEqual({ status: 503, attempts: 3, retryAfterMs: 7000 });
    expect(message).toBe('target answered 503 Service Unavailable; gave up after 3 attempt(s)');
    expect(clock.sleeps).toEqual([100, 200]);
    expect(target.remaining()).toBe(0);
  });

  it('fails early when the backoff and another attempt no longer fit in the remaining time', async () => {
    // Prepare
    const { deps, target } = setup([respond(502), respond(200)], { budgetMs: 6000 });

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).details).toMatchObject({ status: 502, attempts: 1 });
    expect((error as Error).message).toMatch(/not enough time left/);
    expect(target.requests).toHaveLength(1);
  });

  it('fails early when a long Retry-After does not fit, keeping it for the redelivery', async () => {
    // Prepare
    const { deps, clock } = setup([respond(429, undefined, { 'retry-after': '120' })]);

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect((error as TransientDeliveryError).details).toEqual({
      status: 429,
      attempts: 1,
      retryAfterMs: 120_000,
    });
    expect(clock.sleeps).toEqual([]);
  });

  it('fails without a request when no time is left for one', async () => {
    // Prepare
    const { deps, target } = setup([respond(200)], { budgetMs: 900 });

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).details.attempts).toBe(0);
    expect(target.requests).toHaveLength(0);
  });

  it('sends no request when the token request and the rate limiter used up the time left', async () => {
    // Prepare: 3 s left; the schedule's next slot is 2.6 s away, and 1 s is kept to save the result
    const { deps, target, clock } = setup([respond(200)], { budgetMs: 3000 });
    const rateLimiter = schedule(0.4, clock);
    await rateLimiter.acquire();
    deps.rateLimiter = rateLimiter;

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess: a request sent at the next slot could only be answered after the result can no longer
    // be saved: released to the queue, nothing sent (and nothing the target is to blame for)
    expect(error).toBeInstanceOf(NoSlotReleaseError);
    expect((error as Error).message).toContain('released to the queue');
    expect((error as Error).message).toContain('without sending');
    expect(target.requests).toHaveLength(0);
  });

  it('releases a record whose retry after a 503 finds no slot as a failure of the event, not as a slot wait', async () => {
    // Prepare (review 4a): 1 req/s; while the target answers 503, another consumer books 10 s of slots
    const book = new MemorySlotBook();
    const bookedByAnother = (): Response => {
      void book.book(10, slotSpacingMs(1), clock.now());
      return respond(503);
    };
    const { deps, target, clock } = setup([bookedByAnother], { budgetMs: 10_000 });
    deps.rateLimiter = new SharedRateSchedule({ ratePerSecond: 1, book, now: clock.now, sleep: clock.sleep });

    // Act
    const error = await failure(
      deliver(request, deps, { ...options, timeoutMs: 5000, safetyMarginMs: 3000 }),
    );

    // Assess: the target was asked and answered 503: that is on record and counts towards the DLQ
    expect(target.requests).toHaveLength(1);
    expect(error).toBeInstanceOf(ReleasedToQueueError);
    expect(error).not.toBeInstanceOf(NoSlotReleaseError);
    expect((error as ReleasedToQueueError).details).toMatchObject({ status: 503, attempts: 1 });
    expect((error as Error).message).toMatch(/^target answered 503.*released to the queue/);
  });

  it('gives each request the time really left once the token request and the limiter’s wait are over', async () => {
    // Prepare: 10 s left; the token request takes 0.5 s, the schedule's next slot is about 6 s after the
    // first, 1 s is kept back
    const { deps, clock } = setup([respond(200)], { budgetMs: 10_000 });
    const rateLimiter = schedule(1 / 6, clock);
    const nextSlot = (await rateLimiter.acquire()) + slotSpacingMs(1 / 6);
    const headers = deps.authenticator.headers;
    const timeouts: { ms: number; at: number }[] = [];
    Object.assign(deps, {
      rateLimiter,
      authenticator: {
        ...deps.authenticator,
        headers: () => {
          clock.advance(500);
          return headers();
        },
      },
      timeoutSignal: (ms: number) => {
        timeouts.push({ ms, at: clock.now() });
        return AbortSignal.timeout(ms);
      },
    });

    // Act
    await deliver(request, deps, options);

    // Assess: sent at its slot with what is left but 1 s, so it ends 1 s before the deadline at the latest
    expect(timeouts).toEqual([{ ms: Math.floor(START_MS + 10_000 - 1000 - nextSlot), at: nextSlot }]);
  });

  it('never puts credentials in error messages, even when the target echoes them', async () => {
    // Prepare
    const echo = (status: number) => (sent: { headers: Headers }) =>
      respond(status, `bad key ${sent.headers.get('x-api-key')} for ${sent.headers.get('idempotency-key')}`);
    const permanent = setup([echo(403)]);
    const transient = setup([echo(500)], { budgetMs: 5500 });

    // Act
    const errors = [
      await failure(deliver(request, permanent.deps, { ...options, quoteAnswers: true })),
      await failure(deliver(request, transient.deps, options)),
    ];

    // Assess
    expect((errors[0] as Error).message).toContain('[redacted]');
    for (const error of errors) {
      expect(String((error as Error).message)).not.toContain(API_KEY);
      expect(JSON.stringify(error)).not.toContain(API_KEY);
    }
  });

  it('never leaves part of a credential where the reason is cut short', async () => {
    // Prepare
    const straddle = (sent: { headers: Headers }) =>
      respond(422, `${'x'.repeat(195)}${sent.headers.get('x-api-key')}`);
    const { deps } = setup([straddle]);

    // Act
    const error = await failure(deliver(request, deps, { ...options, quoteAnswers: true }));

    // Assess
    expect((error as Error).message).not.toContain(API_KEY.slice(0, 5));
  });

  it('treats a failing token endpoint as transient', async () => {
    // Prepare
    const { deps, target } = setup([respond(200)]);
    let calls = 0;
    deps.authenticator = {
      headers: async () => {
        calls++;
        if (calls === 1) throw new TokenRequestError('token request failed with status 503', 503);
        return { authorization: 'Bearer tok' };
      },
      onUnauthorized: async () => true,
    };

    // Act
    const result = await deliver(request, deps, options);

    // Assess
    expect(result).toEqual({ status: 200, attempts: 1 });
    expect(target.requests).toHaveLength(1);
  });

  it('slows the rate limiter on 429 and speeds it up on success, acquiring before each attempt', async () => {
    // Prepare
    const clock = fakeClock();
    const rateLimiter = schedule(10, clock);
    const { deps } = setup([respond(429), respond(200)], { rateLimiter, now: clock.now, sleep: clock.sleep });
    const rates: number[] = [];
    const originalFetch = deps.fetch;
    deps.fetch = (async (...args: Parameters<typeof fetch>) => {
      rates.push(rateLimiter.currentRate);
      return originalFetch(...args);
    }) as typeof fetch;

    // Act
    await deliver(request, deps, options);

    // Assess
    expect(rates).toEqual([10, 5]);
    expect(rateLimiter.currentRate).toBe(5.5);
  });

  it('fails when the body cannot be serialised, before any request', async () => {
    // Prepare
    const { deps, target } = setup([respond(200)]);

    // Act
    const error = await failure(deliver({ ...request, body: { amount: 10n } }, deps, options));

    // Assess
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as PermanentDeliveryError).details).toEqual({ reason: 'invalid-payload', attempts: 0 });
    expect(target.requests).toHaveLength(0);
  });

  it('fails when the target URL is not http(s), without echoing it', async () => {
    // Prepare
    const { deps } = setup([respond(200)]);

    // Act
    const error = await failure(deliver({ ...request, url: `ftp://user:${API_KEY}@host/` }, deps, options));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain(API_KEY);
  });

  it('fails with the original error when fetch throws something that is not a network failure', async () => {
    // Prepare
    const bug = new RangeError('bug in a fetch wrapper');
    const { deps } = setup([bug]);

    // Act
    const error = await failure(deliver(request, deps, options));

    // Assess
    expect(error).toBe(bug);
  });

  describe('a releasable record (batch-pace.ts)', () => {
    /** A policy that waits only for delays up to `waitUpToMs`. */
    function policy(waitUpToMs: number): ReleasePolicy {
      return {
        waitInCall: (delayMs) => delayMs <= waitUpToMs,
        releaseVisibilitySeconds: (retryAfterMs) => Math.ceil((retryAfterMs ?? 1000) / 1000) + 1,
      };
    }

    it('is released to the queue after a 429 whose Retry-After would hold the batch, with one request sent', async () => {
      // Prepare
      const release = policy(500);
      const { deps, target, clock } = setup([respond(429, undefined, { 'retry-after': '1' })], { release });
      // Act
      const error = await failure(deliver(request, deps, options));
      // Assess
      expect(error).toBeInstanceOf(ReleasedToQueueError);
      expect(error).toMatchObject({
        retryInSeconds: 2,
        details: { status: 429, attempts: 1, retryAfterMs: 1000 },
      });
      expect((error as Error).message).toMatch(
        /^target answered 429.*; released to the queue \(back in 2 s\)/,
      );
      expect(target.requests).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
    });

    it('waits in-call when the wait hides behind the rest of the batch', async () => {
      // Prepare: the backoff after a 503 is at most 200 ms × 0.5 = 100 ms
      const release = policy(500);
      const { deps, target } = setup([respond(503), respond(201)], { release });
      // Act
      const result = await deliver(request, deps, options);
      // Assess
      expect(result).toEqual({ status: 201, attempts: 2 });
      expect(target.requests).toHaveLength(2);
    });
  });
});

/** A rate schedule of its own (one consumer) on the test's clock. */
function schedule(ratePerSecond: number, clock: FakeClock): SharedRateSchedule {
  return new SharedRateSchedule({
    ratePerSecond,
    book: new MemorySlotBook(),
    now: clock.now,
    sleep: clock.sleep,
  });
}
