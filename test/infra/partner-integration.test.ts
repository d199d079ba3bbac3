import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { acmeOrders } from '../../integrations/acme-orders/index.js';
import { validateIntegrations } from '../../integrations/resolve.js';
import type { AnyIntegration } from '../../integrations/types.js';
import { IdempotencyTable } from '../../lib/idempotency-table.js';
import { PartnerIntegration } from '../../lib/partner-integration.js';
import { WebhookApi } from '../../lib/webhook-api.js';

function build(definition: AnyIntegration, withApi: boolean) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Hookyard-dev');
  const [integration] = validateIntegrations([definition], 'dev');
  if (!integration) throw new Error('no integration');
  const partner = new PartnerIntegration(stack, 'AcmeOrders', {
    integration,
    stage: 'dev',
    webhookApi: withApi ? new WebhookApi(stack, 'Webhooks') : undefined,
    idempotencyTable: new IdempotencyTable(stack, 'Idempotency'),
    alertTopic: new sns.Topic(stack, 'Alerts'),
  });
  return { partner, template: Template.fromStack(stack) };
}

describe('PartnerIntegration', () => {
  it('fails when its endpoint is an HTTP API route and no API is given', () => {
    expect(() => build(acmeOrders, false)).toThrow(
      "integration 'acme-orders': endpoint 'http-api' needs a webhookApi",
    );
  });

  it('needs no API for a function URL endpoint', () => {
    const { template } = build({ ...acmeOrders, endpoint: { type: 'function-url' } }, false);
    template.resourceCountIs('AWS::Lambda::Url', 1);
  });

  it('keeps its queues and secrets by default', () => {
    // Act
    const { template } = build(acmeOrders, true);
    // Assess
    for (const type of ['AWS::SQS::Queue', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
      const policies = Object.values(template.findResources(type)).map((r) => r.DeletionPolicy);
      expect(policies.length, type).toBeGreaterThan(0);
      expect(new Set(policies), type).toEqual(new Set(['Retain']));
    }
  });
});
