import { describe, expect, it } from 'vitest';
import { acmeOrders } from '../../../integrations/acme-orders/index.js';
import { resolveIntegration, validateIntegrations } from '../../../integrations/resolve.js';
import type { AnyIntegration, SignatureScheme } from '../../../integrations/types.js';
import { buildStack } from '../../support/stack.js';

const withChanges = (changes: Partial<AnyIntegration>): AnyIntegration => ({ ...acmeOrders, ...changes });

describe('resolveIntegration', () => {
  it('fills the documented defaults', () => {
    // Act
    const r = resolveIntegration(acmeOrders, 'dev');
    // Assess
    expect(r.target.url).toBe('https://crm.dev.example.com/v1/contacts/orders');
    expect(r.target.tokenUrl).toBe('https://crm.dev.example.com/oauth/token');
    expect(r.eventId).toEqual({ header: 'webhook-id' });
    expect(r.delivery).toMatchObject({
      functionTimeoutSeconds: 30,
      visibilityTimeoutSeconds: 180,
      maxReceiveCount: 5,
      retentionDays: 4,
      dlqRetentionDays: 14,
      maxConcurrency: 15,
      // A second's wait fills batches at partial load: fewer invocations, receives and deletes (bench:cost)
      maxBatchingWindowSeconds: 1,
    });
    expect(r.toleranceSeconds).toBe(300);
    expect(r.maxBodyBytes).toBe(262144);
  });

  it('reads the event id from the body for Stripe and from X-GitHub-Delivery for GitHub', () => {
    const stripe = resolveIntegration(
      withChanges({ source: { ...acmeOrders.source, signature: { type: 'stripe' } } }),
      'dev',
    );
    const github = resolveIntegration(
      withChanges({ source: { ...acmeOrders.source, signature: { type: 'github' } } }),
      'dev',
    );
    expect(stripe.eventId).toEqual({ bodyField: 'id' });
    expect(github.eventId).toEqual({ header: 'x-github-delivery' });
  });
});

describe('validateIntegrations', () => {
  it('accepts the shipped registry on every stage', () => {
    for (const stage of ['local', 'dev', 'prod'])
      expect(() => validateIntegrations([acmeOrders], stage)).not.toThrow();
  });

  it('accepts a slow target whose consumers’ batches fit the wait for slots', () => {
    // 0.5 req/s: 13 slots within the 26 s a 30 s invocation can wait; 2 consumers × batches of 5 = 10
    const slow = withChanges({
      target: { ...acmeOrders.target, rateLimitPerSecond: 0.5 },
      delivery: { batchSize: 5 },
    });
    expect(validateIntegrations([slow], 'dev')[0]?.delivery.maxConcurrency).toBe(2);
    expect(() =>
      validateIntegrations([withChanges({ ...slow, delivery: { batchSize: 10 } })], 'dev'),
    ).toThrow(/20 records can wait for delivery slots at once, but at 0.5 req\/s only 13 slots/);
  });

  it.each([
    [
      'the signature scheme is unknown',
      withChanges({ source: { ...acmeOrders.source, signature: { type: 'md5' } as never } }),
      "integration 'acme-orders': unknown signature scheme 'md5' (allowed: standard-webhooks, github, stripe, hmac, api-key)",
    ],
    [
      'the visibility timeout is below 6 x the function timeout',
      withChanges({ delivery: { functionTimeoutSeconds: 30, visibilityTimeoutSeconds: 100 } }),
      "integration 'acme-orders': delivery.visibilityTimeoutSeconds 100 must be at least 6 x the function timeout (180)",
    ],
    [
      'the function timeout leaves no time to deliver after the 3 s kept for saving results',
      withChanges({
        target: { ...acmeOrders.target, timeoutSeconds: 2 },
        delivery: { functionTimeoutSeconds: 4, visibilityTimeoutSeconds: 24 },
      }),
      "integration 'acme-orders': delivery.functionTimeoutSeconds 4 must be 5-900 (3 s of it are kept for saving results)",
    ],
    [
      // Two consumers (the mapping's floor) with a batch each wait for 20 slots; 8 come in time: the
      // last records would be handed back unsent on every receive
      'the consumers’ batches cannot be sent at the target’s rate within the function timeout',
      withChanges({
        target: { ...acmeOrders.target, rateLimitPerSecond: 2, timeoutSeconds: 5 },
        delivery: { functionTimeoutSeconds: 8 },
      }),
      "integration 'acme-orders': delivery.maxConcurrency 2 x delivery.batchSize 10 = 20 records can wait for delivery slots at once, but at 2 req/s only 8 slots come within the 4 s an invocation of delivery.functionTimeoutSeconds 8 can wait (3 s are kept to save results, 1 s for the request): lower maxConcurrency (at least 2) or batchSize, or raise the function timeout",
    ],
    [
      'an explicit maxConcurrency far above what the rate serves within the function timeout',
      withChanges({
        target: { ...acmeOrders.target, timeoutSeconds: 5 },
        delivery: { functionTimeoutSeconds: 7, maxConcurrency: 50 },
      }),
      "integration 'acme-orders': delivery.maxConcurrency 50 x delivery.batchSize 10 = 500 records can wait for delivery slots at once, but at 50 req/s only 147 slots come within the 3 s",
    ],
    [
      // CDK would refuse it at synth without naming the integration
      'the batching window is not a whole number of seconds',
      withChanges({ delivery: { maxBatchingWindowSeconds: 0.5 } }),
      "integration 'acme-orders': delivery.maxBatchingWindowSeconds 0.5 must be a whole number of seconds, 0-300",
    ],
    [
      'the DLQ retention is not longer than the source retention',
      withChanges({ delivery: { retentionDays: 7, dlqRetentionDays: 7 } }),
      "integration 'acme-orders': delivery.dlqRetentionDays 7 must be longer than the source retention 7 and at most 14",
    ],
    [
      'the stage has no target URL',
      withChanges({ target: { ...acmeOrders.target, baseUrl: { prod: 'https://crm.example.com' } } }),
      "integration 'acme-orders': target.baseUrl has no URL for stage 'dev'",
    ],
    [
      'a deployed stage targets plain http',
      withChanges({ target: { ...acmeOrders.target, baseUrl: { dev: 'http://crm.example.com' } } }),
      "target URL 'http://crm.example.com/v1/contacts/orders' must use https",
    ],
    [
      'maxReceiveCount is out of range',
      withChanges({ delivery: { maxReceiveCount: 0 } }),
      'delivery.maxReceiveCount 0 must be 1-1000',
    ],
    [
      'the name is not route-safe',
      withChanges({ name: 'Acme Orders' }),
      "name 'Acme Orders' must be 2-40 lowercase letters",
    ],
    [
      'the signing secret is cached longer than the revocation bound',
      withChanges({ source: { ...acmeOrders.source, secretCacheSeconds: 301 } }),
      'source.secretCacheSeconds 301 must be 0-300',
    ],
    [
      'the body limit exceeds what SQS carries',
      withChanges({ source: { ...acmeOrders.source, maxBodyBytes: 2_000_000 } }),
      'maxBodyBytes 2000000 must be 1-1000000',
    ],
  ])('fails when %s', (_, definition, expected) => {
    expect(() => validateIntegrations([definition], 'dev')).toThrow(expected);
  });

  it('fails when two integrations share a name', () => {
    expect(() => validateIntegrations([acmeOrders, acmeOrders], 'dev')).toThrow(
      "integration 'acme-orders': duplicate name",
    );
  });

  it('lists every problem at once', () => {
    // Prepare
    const broken = withChanges({ delivery: { maxReceiveCount: 0, retentionDays: 14, dlqRetentionDays: 14 } });
    // Act
    const error = (() => {
      try {
        validateIntegrations([broken], 'dev');
      } catch (e) {
        return e as Error;
      }
    })();
    // Assess
    expect(error?.message).toContain('maxReceiveCount 0');
    expect(error?.message).toContain('dlqRetentionDays 14');
  });

  it('fails synth of the stack, naming the integration and the values', () => {
    const broken = withChanges({ delivery: { functionTimeoutSeconds: 60, visibilityTimeoutSeconds: 120 } });
    expect(() => buildStack('dev', [broken])).toThrow(
      /integration 'acme-orders': delivery.visibilityTimeoutSeconds 120 must be at least 6 x the function timeout \(360\)/,
    );
  });
});

describe('replay protection', () => {
  const withSignature = (
    signature: SignatureScheme,
    extra: Partial<AnyIntegration['source']> = {},
  ): AnyIntegration => withChanges({ source: { ...acmeOrders.source, signature, ...extra } });

  it.each([
    ['standard-webhooks', { type: 'standard-webhooks' }, {}, { eventIdSigned: true, signedTimestamp: true }],
    ['stripe', { type: 'stripe' }, {}, { eventIdSigned: true, signedTimestamp: true }],
    ['github', { type: 'github' }, {}, { eventIdSigned: false, signedTimestamp: false }],
    [
      'github with a body id',
      { type: 'github' },
      { eventId: { bodyField: 'id' } },
      { eventIdSigned: true, signedTimestamp: false },
    ],
    ['hmac', { type: 'hmac', header: 'x-sig' }, {}, { eventIdSigned: true, signedTimestamp: false }],
    [
      'hmac with a timestamp and an id header',
      { type: 'hmac', header: 'x-sig', timestampHeader: 'x-ts' },
      { eventId: { header: 'x-id' } },
      { eventIdSigned: false, signedTimestamp: true },
    ],
    ['api-key', { type: 'api-key', header: 'x-key' }, {}, { eventIdSigned: false, signedTimestamp: false }],
  ] as const)('describes what %s signs', (_, signature, extra, expected) => {
    expect(resolveIntegration(withSignature(signature, extra), 'dev').replayProtection).toEqual(expected);
  });

  it.each([
    ['github', { type: 'github' }],
    ['hmac without a timestamp header', { type: 'hmac', header: 'x-sig' }],
    ['api-key', { type: 'api-key', header: 'x-key' }],
  ] as const)('fails synth for %s unless the replay risk is acknowledged', (_, signature) => {
    // Act
    const unacknowledged = () => validateIntegrations([withSignature(signature)], 'dev');
    const blank = () =>
      validateIntegrations([withSignature(signature, { acknowledgeReplayRisk: ' ' })], 'dev');
    const acknowledged = () =>
      validateIntegrations(
        [
          withSignature(signature, {
            acknowledgeReplayRisk: 'partner offers nothing better; body ids are unique',
          }),
        ],
        'dev',
      );
    // Assess
    const expected = `integration 'acme-orders': signature '${signature.type}' signs no timestamp, so a captured webhook is accepted again once its idempotency record expires; set source.acknowledgeReplayRisk to the reason this is acceptable, or use a scheme with a signed timestamp`;
    expect(unacknowledged).toThrow(expected);
    expect(blank).toThrow(expected);
    expect(acknowledged).not.toThrow();
  });

  it('fails synth of the stack for a GitHub integration that does not acknowledge the replay risk', () => {
    expect(() => buildStack('dev', [withSignature({ type: 'github' })])).toThrow(
      /integration 'acme-orders': signature 'github' signs no timestamp.*source\.acknowledgeReplayRisk/,
    );
  });

  it.each([
    ['standard-webhooks', { type: 'standard-webhooks' }],
    ['stripe', { type: 'stripe' }],
    ['hmac with a timestamp header', { type: 'hmac', header: 'x-sig', timestampHeader: 'x-ts' }],
  ] as const)('needs no acknowledgement for %s', (_, signature) => {
    expect(() => validateIntegrations([withSignature(signature)], 'dev')).not.toThrow();
  });
});
