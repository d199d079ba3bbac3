import { afterEach, describe, expect, it } from 'vitest';
import {
  clientCredentials,
  firstNullPath,
  NO_FAULTS,
  PeakRateMeter,
  SlidingWindowLimiter,
} from '../../local/sample-target/core.js';
import {
  type SampleTarget,
  type SampleTargetOptions,
  startSampleTarget,
} from '../../local/sample-target/index.js';

const CLIENT = { id: 'crm-client', secret: 's3cret:with/odd chars' };
const ORDER = {
  externalId: 'ord_1001',
  amount: '123.45',
  currency: 'EUR',
  contact: { email: 'ada@example.com' },
};
const targets: SampleTarget[] = [];

afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.stop()));
});

async function start(opts: SampleTargetOptions = {}): Promise<SampleTarget> {
  const target = await startSampleTarget({ clientId: CLIENT.id, clientSecret: CLIENT.secret, ...opts });
  targets.push(target);
  return target;
}

/** A clock the test moves by hand, so rate windows and token expiry need no waiting. */
function manualClock(start = Date.parse('2026-11-20T10:00:00.000Z')) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Basic credentials the way RFC 6749 §2.3.1 (and our OAuth2 client) encodes them. */
function basic(id: string, secret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

async function fetchToken(target: SampleTarget, authorization = basic(CLIENT.id, CLIENT.secret)) {
  const res = await fetch(target.tokenUrl, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=orders%3Awrite',
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

async function deliver(
  target: SampleTarget,
  opts: { token?: string; apiKey?: string; key?: string; body?: unknown; path?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.apiKey !== undefined) headers['x-api-key'] = opts.apiKey;
  if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
  return fetch(`${target.url}${opts.path ?? '/v1/contacts/orders'}`, {
    method: 'POST',
    headers,
    body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body ?? ORDER),
  });
}

async function admin(target: SampleTarget, method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${target.url}/_admin/${path}`, {
    method,
    headers: { authorization: `Bearer ${target.adminToken}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

describe('sample target', () => {
  describe('oauth2', () => {
    it('issues a token for HTTP Basic client credentials and accepts deliveries with it', async () => {
      // Prepare
      const target = await start({ tokenTtlSeconds: 900 });

      // Act
      const { res, body } = await fetchToken(target);
      const delivery = await deliver(target, { token: String(body.access_token), key: 'evt_1' });

      // Assess
      expect(target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(target.tokenUrl).toBe(`${target.url}/oauth/token`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        scope: 'orders:write',
      });
      expect(delivery.status).toBe(201);
      expect(await delivery.json()).toEqual({ id: 'crm_ord_1', externalId: 'ord_1001', status: 'created' });
      expect(target.stats()).toMatchObject({ tokensIssued: 1, received: 1, delivered: 1, rejected: 0 });
    });

    it('accepts client credentials in the form body', async () => {
      // Prepare
      const target = await start();
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
      });

      // Act
      const res = await fetch(target.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });

      // Assess
      expect(res.status).toBe(200);
      expect(((await res.json()) as { token_type: string }).token_type).toBe('Bearer');
    });

    it('fails with 401 invalid_client for a wrong client secret', async () => {
      // Prepare
      const target = await start();

      // Act
      const { res, body } = await fetchToken(target, basic(CLIENT.id, 'wrong'));

      // Assess
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic');
      expect(body.error).toBe('invalid_client');
      expect(target.stats().tokensIssued).toBe(0);
    });

    it('fails with 400 for another grant type', async () => {
      // Prepare
      const target = await start();

      // Act
      const res = await fetch(target.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: basic(CLIENT.id, CLIENT.secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=password',
      });

      // Assess
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
    });

    it('fails with 401 without a token, with an unknown token and with an expired one', async () => {
      // Prepare
      const clock = manualClock();
      const target = await start({ tokenTtlSeconds: 60, now: clock.now });
      const { body } = await fetchToken(target);
      const token = String(body.access_token);

      // Act
      const without = await deliver(target, { key: 'evt_1' });
      const unknown = await deliver(target, { token: 'not-a-token', key: 'evt_1' });
      const valid = await deliver(target, { token, key: 'evt_1' });
      clock.advance(60_000);
      const expired = await deliver(target, { token, key: 'evt_2' });

      // Assess
      expect(without.status).toBe(401);
      expect(without.headers.get('www-authenticate')).toContain('Bearer');
      expect(unknown.status).toBe(401);
      expect(((await unknown.json()) as { error: string }).error).toBe('invalid_token');
      expect(valid.status).toBe(201);
      expect(expired.status).toBe(401);
      expect(target.stats()).toMatchObject({
        received: 4,
        delivered: 1,
        rejected: 3,
        byStatus: { 201: 1, 401: 3 },
      });
    });

    it('fails with 401 after its tokens are revoked over the admin API', async () => {
      // Prepare
      const target = await start();
      const { body } = await fetchToken(target);

      // Act
      const revoke = await admin(target, 'POST', 'revoke-tokens');
      const res = await deliver(target, { token: String(body.access_token), key: 'evt_1' });

      // Assess
      expect(revoke.status).toBe(200);
      expect(res.status).toBe(401);
    });
  });

  describe('api-key and none', () => {
    it('checks x-api-key when configured with an api key', async () => {
      // Prepare
      const target = await start({ apiKey: 'k-123' });

      // Act
      const right = await deliver(target, { apiKey: 'k-123', key: 'evt_1' });
      const wrong = await deliver(target, { apiKey: 'k-124', key: 'evt_2' });
      const missing = await deliver(target, { key: 'evt_3' });

      // Assess
      expect([right.status, wrong.status, missing.status]).toEqual([201, 401, 401]);
    });

    it('accepts deliveries without credentials when auth is none', async () => {
      // Prepare
      const target = await start({ auth: 'none' });

      // Act
      const res = await deliver(target, { key: 'evt_1' });

      // Assess
      expect(res.status).toBe(201);
    });
  });

  describe('two routes: orders (OAuth2) and tickets (API key)', () => {
    it('takes a token on /v1/contacts/orders and the API key on /v2/tickets, never the other way round', async () => {
      // Prepare: the sandbox's set-up for acme-orders beside github-issues
      const target = await start({ auth: 'oauth2', ticketsAuth: 'api-key', apiKey: 'tickets-key' });
      const token = String((await fetchToken(target)).body.access_token);
      const ticket = { externalRef: 'octo-org/portal#42', title: 'Login fails' };
      // Act
      const statuses = [
        (await deliver(target, { token, key: 'evt_order' })).status,
        (
          await deliver(target, {
            path: '/v2/tickets',
            apiKey: 'tickets-key',
            key: 'evt_ticket',
            body: ticket,
          })
        ).status,
        (await deliver(target, { path: '/v2/tickets', token, key: 'evt_ticket_token', body: ticket })).status,
        (await deliver(target, { apiKey: 'tickets-key', key: 'evt_order_key' })).status,
        (
          await deliver(target, {
            path: '/v2/tickets',
            apiKey: 'wrong',
            key: 'evt_ticket_wrong',
            body: ticket,
          })
        ).status,
      ];
      // Assess
      expect(statuses).toEqual([201, 201, 401, 401, 401]);
      expect(target.received().map((d) => d.idempotencyKey)).toEqual(['evt_order', 'evt_ticket']);
    });
  });

  describe('rate limit', () => {
    it('answers 429 with Retry-After above the declared rate, and again 2xx a second later', async () => {
      // Prepare
      const clock = manualClock();
      const target = await start({ auth: 'none', rateLimitPerSecond: 3, now: clock.now });

      // Act
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await deliver(target, { key: `evt_${i}` })).status);
      clock.advance(999);
      const limited = await deliver(target, { key: 'evt_3' });
      clock.advance(1);
      const after = await deliver(target, { key: 'evt_3' });

      // Assess
      expect(statuses).toEqual([201, 201, 201]);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(after.status).toBe(201);
      expect(target.stats()).toMatchObject({
        received: 5,
        delivered: 4,
        rejected: 1,
        maxRequestsPerSecond: 4,
        rateLimitPerSecond: 3,
        byStatus: { 201: 4, 429: 1 },
      });
    });

    it('reports the peak rate at or below the limit while clients keep to it', async () => {
      // Prepare
      const clock = manualClock();
      const target = await start({ auth: 'none', rateLimitPerSecond: 2, now: clock.now });

      // Act: two every second, on the second.
      for (let i = 0; i < 6; i++) {
        await deliver(target, { key: `evt_${i}` });
        if (i % 2 === 1) clock.advance(1000);
      }

      // Assess
      expect(target.stats()).toMatchObject({ delivered: 6, rejected: 0, maxRequestsPerSecond: 2 });
    });
  });

  describe('idempotency', () => {
    it('answers a repeated Idempotency-Key with the first answer and stores the delivery once', async () => {
      // Prepare
      const target = await start({ auth: 'none' });

      // Act
      const first = await deliver(target, { key: 'evt_1' });
      const firstBody = await first.json();
      const again = await deliver(target, { key: 'evt_1', body: { ...ORDER, amount: '999.00' } });
      const other = await deliver(target, { key: 'evt_2' });

      // Assess
      expect(first.status).toBe(201);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(firstBody);
      expect(other.status).toBe(201);
      expect(target.stats()).toMatchObject({ received: 3, delivered: 2, duplicates: 1, rejected: 0 });
      expect(target.received()).toEqual([
        { idempotencyKey: 'evt_1', body: ORDER, receivedAt: expect.any(String) },
        { idempotencyKey: 'evt_2', body: ORDER, receivedAt: expect.any(String) },
      ]);
    });

    it('fails with 400 without an Idempotency-Key', async () => {
      // Prepare
      const target = await start({ auth: 'none' });

      // Act
      const res = await deliver(target);

      // Assess
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('missing_idempotency_key');
    });

    it('fails with 400 for a body with an explicit null or one that is not JSON', async () => {
      // Prepare
      const target = await start({ auth: 'none' });

      // Act
      const withNull = await deliver(target, { key: 'evt_1', body: { ...ORDER, tax: null } });
      const notJson = await deliver(target, { key: 'evt_2', body: 'not json' });
      const retried = await deliver(target, { key: 'evt_1' });

      // Assess
      expect(withNull.status).toBe(400);
      expect(((await withNull.json()) as { message: string }).message).toBe('explicit null at $.tax');
      expect(notJson.status).toBe(400);
      expect(retried.status).toBe(201); // a rejected attempt does not burn its key
    });
  });

  describe('faults', () => {
    it('fails only the deliveries whose idempotency key is listed in failKeys', async () => {
      // Prepare
      const target = await start({ auth: 'none' });
      target.setFaults({ failKeys: ['evt_bad'] });
      // Act
      const bad = await deliver(target, { key: 'evt_bad' });
      const good = await deliver(target, { key: 'evt_good' });
      // Assess
      expect(bad.status).toBe(503);
      expect(good.status).toBe(201);
      expect(target.received().map((d) => d.idempotencyKey)).toEqual(['evt_good']);
    });

    it('forces a status, injects 500s at the error rate and adds latency', async () => {
      // Prepare
      const draws = [0.1, 0.9];
      const target = await start({ auth: 'none', random: () => draws.shift() ?? 0.5 });

      // Act
      target.setFaults({ status: 400 });
      const forced = await deliver(target, { key: 'evt_1' });
      target.setFaults({ status: null, errorRate: 0.5, latencyMs: 5 });
      const failed = await deliver(target, { key: 'evt_1' });
      const passed = await deliver(target, { key: 'evt_1' });

      // Assess
      expect(forced.status).toBe(400);
      expect(failed.status).toBe(500);
      expect(passed.status).toBe(201);
      expect(target.stats()).toMatchObject({
        rejected: 2,
        delivered: 1,
        byStatus: { 201: 1, 400: 1, 500: 1 },
      });
    });

    it('drops connections while down, also on the token endpoint', async () => {
      // Prepare
      const target = await start();
      target.setFaults({ down: true });

      // Act
      const delivery = deliver(target, { key: 'evt_1' });
      const token = fetchToken(target);

      // Assess
      await expect(delivery).rejects.toThrow(TypeError);
      await expect(token).rejects.toThrow(TypeError);
      expect(target.stats()).toMatchObject({ received: 1, rejected: 1, byStatus: { reset: 1 } });
    });

    it('rejects invalid faults, listing every problem', async () => {
      // Prepare
      const target = await start();

      // Act
      const invalid = () => target.setFaults({ errorRate: 2, status: 200 });

      // Assess
      expect(invalid).toThrow(
        /errorRate must be a number 0\.\.1.*status must be null or a whole number 400\.\.599/,
      );
    });
  });

  describe('admin endpoints', () => {
    it('sets faults, reports stats and deliveries, and resets over HTTP', async () => {
      // Prepare
      const target = await start({ auth: 'none' });

      // Act
      const set = await admin(target, 'POST', 'faults', { status: 503 });
      const got = await admin(target, 'GET', 'faults');
      const faulted = await deliver(target, { key: 'evt_1' });
      await admin(target, 'POST', 'faults', { status: null });
      await deliver(target, { key: 'evt_1' });
      const stats = await admin(target, 'GET', 'stats');
      const received = await admin(target, 'GET', 'received');
      const reset = await admin(target, 'POST', 'reset');
      const afterReset = await admin(target, 'GET', 'received');
      const replay = await deliver(target, { key: 'evt_1' });

      // Assess
      expect(set).toEqual({
        status: 200,
        body: { ...NO_FAULTS, status: 503 },
      });
      expect(got.body).toEqual(set.body);
      expect(faulted.status).toBe(503);
      expect(stats.body).toMatchObject({
        received: 2,
        delivered: 1,
        rejected: 1,
        byStatus: { 201: 1, 503: 1 },
      });
      expect(received.body).toEqual([
        { idempotencyKey: 'evt_1', body: ORDER, receivedAt: expect.any(String) },
      ]);
      expect(reset.body).toMatchObject({
        received: 0,
        delivered: 0,
        duplicates: 0,
        rejected: 0,
        byStatus: {},
      });
      expect(afterReset.body).toEqual([]);
      expect(replay.status).toBe(201); // keys are forgotten too
    });

    it('fails with 400 listing the problems for invalid faults', async () => {
      // Prepare
      const target = await start();

      // Act
      const res = await admin(target, 'POST', 'faults', { errorRate: -1, flaky: true });

      // Assess
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_faults',
        problems: [
          'errorRate must be a number 0..1, got -1',
          'unknown fault "flaky"; known: errorRate, latencyMs, down, status, failKeys, mix, retryAfterSeconds, slowMs',
        ],
      });
    });

    it('answers 404 for unknown routes and 405 for other methods on the API routes', async () => {
      // Prepare
      const target = await start();

      // Act
      const missing = await fetch(`${target.url}/v2/nothing`);
      const wrongMethod = await fetch(`${target.url}/v1/contacts/orders`);

      // Assess
      expect(missing.status).toBe(404);
      expect(wrongMethod.status).toBe(405);
    });
  });

  it('fails to start with invalid options, listing every problem', async () => {
    await expect(
      startSampleTarget({ port: -1, rateLimitPerSecond: 1.5, tokenTtlSeconds: 0 }),
    ).rejects.toThrow(/port must be .*rateLimitPerSecond must be .*tokenTtlSeconds must be/);
  });

  it('stops idempotently and frees its port', async () => {
    // Prepare
    const target = await start();

    // Act
    await Promise.all([target.stop(), target.stop()]);

    // Assess
    await expect(fetch(`${target.url}/_admin/stats`)).rejects.toThrow();
  });
});

// The pure core's pieces (they would live under test/unit/local/sample-target/, outside this change's files).
describe('sample target core', () => {
  it('SlidingWindowLimiter admits at most the limit in any half-open second', () => {
    // Prepare
    const limiter = new SlidingWindowLimiter(2);

    // Act
    const results = [0, 10, 999, 1000, 1010, 1011].map((t) => limiter.tryAcquire(t).ok);

    // Assess
    expect(results).toEqual([true, true, false, true, true, false]);
  });

  it('PeakRateMeter reports the busiest second', () => {
    // Prepare
    const meter = new PeakRateMeter();

    // Act
    for (const t of [0, 500, 1000, 1200, 1300, 5000]) meter.record(t);

    // Assess
    expect(meter.max).toBe(4); // 500, 1000, 1200, 1300 lie within (300, 1300]
  });

  it('clientCredentials decodes form-encoded Basic credentials', () => {
    // Prepare
    const header = basic('id:with colon', 'p@ss+word');

    // Act
    const credentials = clientCredentials(header, new URLSearchParams());

    // Assess
    expect(credentials).toEqual({ clientId: 'id:with colon', clientSecret: 'p@ss+word', via: 'basic' });
  });

  it('firstNullPath finds nulls inside arrays and objects', () => {
    expect(firstNullPath({ a: [{ b: 1 }, { c: null }] })).toBe('$.a[1].c');
    expect(firstNullPath({ a: [1, 2] })).toBeUndefined();
  });
});
