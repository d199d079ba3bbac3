/** The transformer's delivery settings as the contract builds and parses them (DLQ retention part). */
import { describe, expect, it } from 'vitest';
import {
  deliverySettingsOf,
  parseTransformerEnv,
  transformerEnvironment,
  withDeliverySettings,
} from '../../../functions/shared/contract.js';
import { ConfigurationError } from '../../../functions/shared/errors.js';
import { loadIntegration } from '../../../functions/shared/integration.js';

const settings = deliverySettingsOf(loadIntegration('acme-orders', 'local'));
const environment = transformerEnvironment({
  stage: 'local',
  integration: 'acme-orders',
  queueUrl: 'http://127.0.0.1:1/000000000000/acme-orders',
  deadLetterQueueUrl: 'http://127.0.0.1:1/000000000000/acme-dlq',
  table: 'idempotency',
  targetUrl: 'http://127.0.0.1:2/orders',
  secretCacheSeconds: 300,
  breakerFunctionName: 'acme-orders-breaker',
  delivery: settings,
});

describe('deadLetterRetentionSeconds', () => {
  it("is the DLQ's retention (14 days by default), so a mark never outlives its copy", () => {
    expect(settings.deadLetterRetentionSeconds).toBe(14 * 24 * 3600);
    expect(parseTransformerEnv(environment).delivery.deadLetterRetentionSeconds).toBe(14 * 24 * 3600);
  });

  it('may be absent (a template from before it)', () => {
    const older = withDeliverySettings(environment, ({ deadLetterRetentionSeconds: _, ...rest }) => rest);
    expect(parseTransformerEnv(older).delivery.deadLetterRetentionSeconds).toBeUndefined();
  });

  it('fails when it is not a number of seconds ≥ 1', () => {
    const broken = withDeliverySettings(environment, (s) => ({ ...s, deadLetterRetentionSeconds: 0 }));
    expect(() => parseTransformerEnv(broken)).toThrow(ConfigurationError);
    expect(() => parseTransformerEnv(broken)).toThrow(/deadLetterRetentionSeconds must be a number ≥ 1/);
  });
});

describe('fields the contract no longer knows', () => {
  it('are not among the settings the contract builds (maxConcurrency: the rate schedule is shared)', () => {
    expect(settings).not.toHaveProperty('maxConcurrency');
  });

  it('still parse: a template synthesized with maxConcurrency (or any other extra field) starts its transformer', () => {
    // Prepare
    const older = withDeliverySettings(environment, (s) => ({
      ...s,
      maxConcurrency: 15,
      fieldFromTheFuture: { any: 'thing' },
    }));

    // Act
    const parsed = parseTransformerEnv(older);

    // Assess
    expect(parsed.delivery.rateLimitPerSecond).toBe(settings.rateLimitPerSecond);
    expect(parsed.delivery.maxReceiveCount).toBe(settings.maxReceiveCount);
  });
});
