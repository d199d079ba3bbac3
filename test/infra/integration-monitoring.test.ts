import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import {
  METRICS,
  METRICS_NAMESPACE,
  REJECTION_REASONS,
  SERVICE_NAME,
} from '../../functions/shared/contract.js';
import { HookyardFunction } from '../../lib/hookyard-function.js';
import { IntegrationMonitoring } from '../../lib/integration-monitoring.js';
import { ReliableQueue } from '../../lib/reliable-queue.js';
import { RUNBOOKS } from '../../lib/runbook-alarm.js';

const thresholds = {
  dlqDepth: 2,
  oldestMessageAgeSeconds: 600,
  transformerErrors: 7,
  ingestErrors: 3,
  throttles: 4,
  schemaDrift: 1,
  signatureRejections: 50,
};

function build() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const fn = (id: string, entry: string) =>
    new HookyardFunction(stack, id, { entry, description: id, environment: {} });
  const monitoring = new IntegrationMonitoring(stack, 'Monitoring', {
    integration: 'acme-orders',
    stage: 'dev',
    queue: new ReliableQueue(stack, 'Queue', { nameSuffix: 'acme-orders' }),
    ingest: fn('Ingest', 'ingest/handler.ts'),
    transformer: fn('Transformer', 'transform/handler.ts'),
    alertTopic: new sns.Topic(stack, 'Topic'),
    thresholds,
  });
  new cloudwatch.Dashboard(stack, 'Dashboard', { widgets: [monitoring.dashboardWidgets()] });
  return { monitoring, stack, template: Template.fromStack(stack) };
}

type Alarm = { AlarmName: string; Threshold: number; AlarmActions: unknown[]; OKActions: unknown[] };

describe('IntegrationMonitoring', () => {
  it('raises one alarm per runbook, named for the stage and integration, at the given thresholds', () => {
    // Act
    const { template } = build();
    // Assess
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as Alarm,
    );
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      RUNBOOKS.map((r) => `hookyard-dev-acme-orders-${r}`).sort(),
    );
    const threshold = (runbook: string) => alarms.find((a) => a.AlarmName.endsWith(`-${runbook}`))?.Threshold;
    expect(threshold('dlq-not-empty')).toBe(2);
    expect(threshold('oldest-message-age')).toBe(600);
    expect(threshold('transformer-errors')).toBe(7);
    expect(threshold('ingest-errors')).toBe(3);
    expect(threshold('throttles')).toBe(4);
    expect(threshold('signature-rejections')).toBe(50);
    expect(threshold('circuit-open')).toBe(1);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toHaveLength(1);
      expect(alarm.OKActions).toEqual(alarm.AlarmActions);
    }
  });

  it('offers the functions’ custom metrics by their contract names and dimensions', () => {
    // Prepare
    const { monitoring, stack } = build();
    const base = { service: SERVICE_NAME, integration: 'acme-orders' };
    // Act
    const rejected = monitoring.metricWebhooksRejected(REJECTION_REASONS.schemaMismatch);
    const circuit = monitoring.metricCircuitOpen();
    // Assess
    expect(rejected.namespace).toBe(METRICS_NAMESPACE);
    expect(rejected.metricName).toBe(METRICS.webhooksRejected.name);
    expect(rejected.dimensions).toEqual({ ...base, reason: 'schema-mismatch' });
    expect(rejected.statistic).toBe('Sum');
    expect(circuit.metricName).toBe(METRICS.circuitOpen.name);
    expect(circuit.statistic).toBe('Maximum');
    expect(stack.resolve(monitoring.metricDeliveryFailures().dimensions)).toEqual(base);
    expect(
      [
        monitoring.metricWebhooksAccepted(),
        monitoring.metricIngestFailures(),
        monitoring.metricEventsDelivered(),
        monitoring.metricDeliveryFailures(),
        monitoring.metricEventsDeadLettered(),
        monitoring.metricDeadLetterDuplicatesSkipped(),
        monitoring.metricRecordsReleasedForRate(),
      ].map((m) => m.metricName),
    ).toEqual([
      METRICS.webhooksAccepted.name,
      METRICS.ingestFailures.name,
      METRICS.eventsDelivered.name,
      METRICS.deliveryFailures.name,
      METRICS.eventsDeadLettered.name,
      METRICS.deadLetterDuplicatesSkipped.name,
      METRICS.releasedForRate.name,
    ]);
  });

  it('gives the dashboard a row graphing webhooks, the queue and deliveries, DLQ copies skipped included', () => {
    // Act
    const { template } = build();
    // Assess
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const metric of [
      METRICS.webhooksAccepted,
      METRICS.webhooksRejected,
      METRICS.eventsDelivered,
      METRICS.deliveryFailures,
      METRICS.eventsDeadLettered,
      METRICS.deadLetterDuplicatesSkipped,
    ]) {
      expect(body).toContain(`\\"${METRICS_NAMESPACE}\\",\\"${metric.name}\\"`);
    }
    expect(body).toContain('ApproximateAgeOfOldestMessage');
    expect(body).toContain('## acme-orders');
  });
});
