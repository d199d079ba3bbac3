import { describe, expect, it } from 'vitest';
import { ENV } from '../../../functions/shared/contract.js';
import { integrationNames, integrationView } from '../../../local/integration-view.js';
import type { AlarmPlan, FunctionPlan, QueuePlan, SandboxPlan } from '../../../local/stack-template.js';

const fn = (logicalId: string, environment: Record<string, string>): FunctionPlan => ({
  logicalId,
  name: `Hookyard-local-${logicalId}`,
  assetDir: '/asset',
  handler: 'index.handler',
  timeoutSeconds: 30,
  memoryMb: 256,
  runtime: 'nodejs22.x',
  environment,
});
const queue = (name: string, deadLetterQueue?: string): QueuePlan => ({
  logicalId: name,
  name,
  url: `http://127.0.0.1:9324/000000000000/${name}`,
  arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
  attributes: {},
  deadLetterQueue,
});
const alarm = (name: string, dimensions: Record<string, string>): AlarmPlan => ({
  name,
  description: '',
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  evaluationPeriods: 1,
  metrics: [{ namespace: 'X', metricName: 'M', dimensions, statistic: 'Sum', periodSeconds: 60 }],
});

/** Two integrations sharing one table; `b` has no breaker. */
function plan(): SandboxPlan {
  const integration = (name: string, breaker: boolean): FunctionPlan[] => [
    fn(`${name}Ingest`, {
      [ENV.integration]: name,
      [ENV.signingSecretId]: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}/Signing`,
      [ENV.queueUrl]: queue(name).url,
    }),
    fn(`${name}Transformer`, {
      [ENV.integration]: name,
      [ENV.queueUrl]: queue(name).url,
      [ENV.deadLetterQueueUrl]: queue(`${name}-dlq`).url,
      [ENV.table]: 'idempotency',
    }),
    ...(breaker
      ? [fn(`${name}Breaker`, { [ENV.integration]: name, [ENV.eventSourceMappingId]: `esm-${name}` })]
      : []),
  ];
  return {
    stackName: 'Hookyard-local',
    queues: ['a', 'b'].flatMap((n) => [queue(`${n}-dlq`), queue(n, `${n}-dlq`)]),
    tables: [{ logicalId: 'Table', name: 'idempotency', keySchema: [], attributeDefinitions: [] }],
    secrets: ['a', 'b'].map((n) => ({
      logicalId: `${n}Signing`,
      name: `${n}/Signing`,
      arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${n}/Signing`,
      description: '',
    })),
    functions: [...integration('a', true), ...integration('b', false)],
    eventSources: ['a', 'b'].map((n) => ({
      uuid: `esm-${n}`,
      functionLogicalId: `${n}Transformer`,
      queueLogicalId: n,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      maxConcurrency: 5,
      enabled: true,
    })),
    routes: ['a', 'b'].map((n) => ({
      method: 'POST',
      path: `/webhooks/${n}`,
      functionLogicalId: `${n}Ingest`,
    })),
    schedules: [],
    alarms: [
      alarm('a-dlq', { QueueName: 'a-dlq' }),
      alarm('a-failures', { service: 'hookyard', integration: 'a' }),
      alarm('b-errors', { FunctionName: 'Hookyard-local-bTransformer' }),
    ],
  };
}

describe('integrationView', () => {
  it('finds every resource of one integration and none of the other', () => {
    const view = integrationView(plan(), 'a');
    expect({
      ingest: view.ingest.logicalId,
      transformer: view.transformer.logicalId,
      breaker: view.breaker?.logicalId,
      route: view.route?.path,
      queue: view.queue.name,
      deadLetterQueue: view.deadLetterQueue.name,
      table: view.table?.name,
      signingSecret: view.signingSecret.name,
      eventSource: view.eventSource?.uuid,
      alarms: view.alarms.map((a) => a.name),
    }).toEqual({
      ingest: 'aIngest',
      transformer: 'aTransformer',
      breaker: 'aBreaker',
      route: '/webhooks/a',
      queue: 'a',
      deadLetterQueue: 'a-dlq',
      table: 'idempotency',
      signingSecret: 'a/Signing',
      eventSource: 'esm-a',
      alarms: ['a-dlq', 'a-failures'],
    });
    expect(integrationView(plan(), 'b')).toMatchObject({
      breaker: undefined,
      alarms: [{ name: 'b-errors' }],
    });
  });

  it('lists the integrations that have an ingest function', () => {
    expect(integrationNames(plan())).toEqual(['a', 'b']);
  });

  it('fails for an unknown integration, naming the known ones', () => {
    expect(() => integrationView(plan(), 'nobody')).toThrow(/no integration 'nobody' .*known: a, b/);
  });
});
