import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { emfLine, emfSettingsOf, emfWriter } from '../../../functions/ingest/emf.js';
import { DIMENSIONS, METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../../functions/shared/contract.js';

const settings = { service: SERVICE_NAME, integration: 'acme-orders', disabled: false, devMode: false };

/** What Powertools Metrics (the transformer's, and the ingest function's before) prints for one count. */
function powertoolsDocument(name: string, value: number, dimensions: Record<string, string>, at: number) {
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { [DIMENSIONS.integration]: 'acme-orders' },
  });
  for (const [key, dimension] of Object.entries(dimensions)) metrics.addDimension(key, dimension);
  metrics.addMetric(name, MetricUnit.Count, value);
  metrics.setTimestamp(at);
  return metrics.serializeMetrics();
}

describe('emfLine', () => {
  const at = Date.parse('2026-11-30T20:00:00Z');

  it.each([
    ['webhooksAccepted', 1, {}],
    ['ingestFailures', 1, {}],
    ['schemaDrift', 3, {}],
    ['webhooksRejected', 1, { [DIMENSIONS.reason]: 'bad-signature' }],
    ['schemaDriftByField', 1, { [DIMENSIONS.kind]: 'unknown-field', [DIMENSIONS.field]: 'data.coupon' }],
    ['schemaDriftByField', 1, { [DIMENSIONS.kind]: 'unknown-field', [DIMENSIONS.field]: '' }],
  ] as const)(
    'writes %s as Powertools Metrics does (same namespace, name, dimension set, value)',
    (key, value, dimensions) => {
      // Act
      const line = emfLine(settings, key, value, dimensions as never, at);
      // Assess
      expect(JSON.parse(line)).toEqual(powertoolsDocument(METRICS[key].name, value, dimensions, at));
    },
  );
});

describe('emfWriter', () => {
  it('writes one line per count, or nothing when Powertools metrics are switched off', () => {
    const lines: string[] = [];
    emfWriter(settings, (line) => lines.push(line))('webhooksAccepted', 1, {});
    emfWriter({ ...settings, disabled: true }, (line) => lines.push(line))('webhooksAccepted', 1, {});
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\{"_aws".*"WebhooksAccepted":1\}$/);
  });
});

describe('emfSettingsOf', () => {
  it('follows Powertools: POWERTOOLS_METRICS_DISABLED wins over POWERTOOLS_DEV', () => {
    expect(emfSettingsOf('a', {}).disabled).toBe(false);
    expect(emfSettingsOf('a', { POWERTOOLS_DEV: 'true' }).disabled).toBe(true);
    expect(
      emfSettingsOf('a', { POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' }).disabled,
    ).toBe(false);
    expect(emfSettingsOf('a', { POWERTOOLS_METRICS_DISABLED: '1' }).disabled).toBe(true);
    // Powertools trims its switches (review 4b)
    expect(emfSettingsOf('a', { POWERTOOLS_METRICS_DISABLED: ' TRUE ' }).disabled).toBe(true);
    expect(emfSettingsOf('a', { POWERTOOLS_DEV: ' true' }).disabled).toBe(true);
  });

  it('takes the service name from POWERTOOLS_SERVICE_NAME, else the contract', () => {
    expect(emfSettingsOf('a', {}).service).toBe(SERVICE_NAME);
    expect(emfSettingsOf('a', { POWERTOOLS_SERVICE_NAME: 'other' }).service).toBe('other');
  });
});
