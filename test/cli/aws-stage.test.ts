/**
 * The AWS path, where no emulator runs here (CloudFormation, CloudWatch, CloudWatch Logs, and SQS's
 * message move tasks): discovery and command building from the synthesized `dev` template, with
 * aws-sdk-client-mock answering in the documented response shapes.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  GetQueryResultsCommand,
  PutLogEventsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventLogLines } from '../../ops/event-log.js';
import { redrive } from '../../ops/redrive.js';
import { awsClients, discoverAwsStage, type Stage } from '../../ops/stage.js';
import { integrationStatus } from '../../ops/status.js';
import { buildStack } from '../support/stack.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** What ListStackResources would say for the synthesized template once deployed. */
function deployedResources(resources: Resources): StackResourceSummary[] {
  return Object.entries(resources).map(([logicalId, r]) => {
    const name = r.Properties?.AlarmName;
    const physical =
      r.Type === 'AWS::SQS::Queue'
        ? `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/Hookyard-dev-${logicalId}`
        : r.Type === 'AWS::CloudWatch::Alarm' && typeof name === 'string'
          ? name
          : r.Type === 'AWS::Lambda::EventSourceMapping'
            ? `esm-${logicalId.length}-uuid`
            : `${logicalId}-physical`;
    return {
      LogicalResourceId: logicalId,
      PhysicalResourceId: physical,
      ResourceType: r.Type,
      ResourceStatus: 'CREATE_COMPLETE',
      LastUpdatedTimestamp: new Date('2026-11-30T00:00:00Z'),
    };
  });
}

const cfn = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const dynamodb = mockClient(DynamoDBClient);
const lambda = mockClient(LambdaClient);
let resources: Resources;
let summaries: StackResourceSummary[];

beforeAll(() => {
  resources = buildStack('dev').template.toJSON().Resources as Resources;
  summaries = deployedResources(resources);
}, 120_000);

afterEach(() => {
  for (const mock of [cfn, sqs, cloudwatch, logs, dynamodb, lambda]) mock.reset();
});

async function discover(): Promise<Stage> {
  cfn.on(DescribeStacksCommand, { StackName: 'Hookyard-dev' }).resolves({
    Stacks: [
      {
        StackName: 'Hookyard-dev',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs: [
          {
            OutputKey: 'WebhookBaseUrl',
            OutputValue: `https://abc123.execute-api.${REGION}.amazonaws.com/webhooks/`,
          },
          { OutputKey: 'AlertTopicArn', OutputValue: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts` },
        ],
      },
    ],
  });
  // Two pages, as ListStackResources pages large stacks.
  const half = Math.ceil(summaries.length / 2);
  cfn
    .on(ListStackResourcesCommand, { StackName: 'Hookyard-dev', NextToken: undefined })
    .resolves({ StackResourceSummaries: summaries.slice(0, half), NextToken: 'page-2' })
    .on(ListStackResourcesCommand, { StackName: 'Hookyard-dev', NextToken: 'page-2' })
    .resolves({ StackResourceSummaries: summaries.slice(half) });
  return discoverAwsStage(new CloudFormationClient({ region: REGION }), 'dev', [
    'acme-orders',
    'not-deployed',
  ]);
}

const logicalId = (type: string, prefix: string) =>
  Object.entries(resources).find(([id, r]) => r.Type === type && id.startsWith(prefix))?.[0] ?? '';

describe('a deployed stage, found from its stack', () => {
  it("finds each integration's queue, DLQ, table, functions, mapping, alarms, log groups and secret", async () => {
    // Act
    const stage = await discover();
    // Assess
    expect(stage).toMatchObject({ kind: 'aws', name: 'dev', stackName: 'Hookyard-dev', region: REGION });
    expect(stage.integrations.map((i) => i.name)).toEqual(['acme-orders']);
    const i = stage.integrations[0];
    const queueId = Object.entries(resources).find(
      ([id, r]) =>
        r.Type === 'AWS::SQS::Queue' && id.startsWith('AcmeOrdersQueue') && !id.includes('DeadLetter'),
    )?.[0];
    const dlqId = logicalId('AWS::SQS::Queue', 'AcmeOrdersQueueDeadLetterQueue');
    expect(i?.queue).toEqual({
      name: `Hookyard-dev-${queueId}`,
      url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/Hookyard-dev-${queueId}`,
      arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:Hookyard-dev-${queueId}`,
    });
    expect(i?.deadLetterQueue.arn).toBe(`arn:aws:sqs:${REGION}:${ACCOUNT}:Hookyard-dev-${dlqId}`);
    expect(i?.table).toBe(`${logicalId('AWS::DynamoDB::Table', 'IdempotencyTable')}-physical`);
    expect(i?.functions.transformer).toBe(
      `${logicalId('AWS::Lambda::Function', 'AcmeOrdersTransformerFunction')}-physical`,
    );
    expect(i?.eventSourceMappingId).toMatch(/^esm-\d+-uuid$/);
    // Its own alarms only: the stack has another integration's too.
    expect(i?.alarms).toHaveLength(
      Object.entries(resources).filter(
        ([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.startsWith('AcmeOrders'),
      ).length,
    );
    expect(i?.alarms).toContain('hookyard-dev-acme-orders-dlq-not-empty');
    expect(i?.logGroups.transformer).toBe(
      `${logicalId('AWS::Logs::LogGroup', 'AcmeOrdersTransformerLogs')}-physical`,
    );
    expect(i?.signingSecretId).toBe(
      `${logicalId('AWS::SecretsManager::Secret', 'AcmeOrdersSigningSecret')}-physical`,
    );
    expect(i?.webhookUrl).toBe(`https://abc123.execute-api.${REGION}.amazonaws.com/webhooks/acme-orders`);
  });

  it('fails with one clear message when the stack does not exist', async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id Hookyard-dev does not exist'), { name: 'ValidationError' }),
      );
    // Act + Assess
    await expect(
      discoverAwsStage(new CloudFormationClient({ region: REGION }), 'dev', ['acme-orders']),
    ).rejects.toThrow('cannot read stack Hookyard-dev: Stack with id Hookyard-dev does not exist');
  });

  it("status asks CloudWatch for exactly the stack's alarms and Lambda for its mapping", async () => {
    // Prepare
    const stage = await discover();
    const i = stage.integrations[0]!;
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '4', ApproximateNumberOfMessagesNotVisible: '1' },
    });
    dynamodb.on(GetItemCommand).resolves({});
    lambda.on(GetEventSourceMappingCommand).resolves({ UUID: i.eventSourceMappingId, State: 'Enabled' });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'hookyard-dev-acme-orders-dlq-not-empty', StateValue: 'ALARM' }],
    });
    cloudwatch.on(GetMetricStatisticsCommand).resolves({
      Label: 'ApproximateAgeOfOldestMessage',
      Datapoints: [{ Timestamp: new Date(), Maximum: 321 }],
    });
    // Act
    const status = await integrationStatus(awsClients({ region: REGION }), i);
    // Assess
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNames).toEqual(i.alarms);
    expect(cloudwatch.commandCalls(GetMetricStatisticsCommand)[0]?.args[0].input).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: i.queue.name }],
    });
    expect(lambda.commandCalls(GetEventSourceMappingCommand)[0]?.args[0].input).toEqual({
      UUID: i.eventSourceMappingId,
    });
    expect(status).toMatchObject({
      queue: { visible: 4, inFlight: 1 },
      oldestMessageAgeSeconds: 321,
      consumption: 'Enabled',
    });
    expect(status.alarms.find((a) => a.name.endsWith('dlq-not-empty'))?.state).toBe('ALARM');
    expect(status.alarms.find((a) => a.name.endsWith('throttles'))?.state).toBe('UNKNOWN');
  });

  it('an unfiltered redrive uses StartMessageMoveTask (DLQ → source), follows its progress and writes an audit line', async () => {
    // Prepare
    const stage = await discover();
    const i = stage.integrations[0]!;
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          {
            Status: 'RUNNING',
            ApproximateNumberOfMessagesMoved: 3,
            ApproximateNumberOfMessagesToMove: 10,
            SourceArn: i.deadLetterQueue.arn,
          },
        ],
      })
      .resolves({
        Results: [
          {
            Status: 'COMPLETED',
            ApproximateNumberOfMessagesMoved: 10,
            ApproximateNumberOfMessagesToMove: 10,
            SourceArn: i.deadLetterQueue.arn,
          },
        ],
      });
    logs.on(CreateLogStreamCommand).resolves({});
    logs.on(PutLogEventsCommand).resolves({});
    const progress: number[] = [];
    // Act
    const result = await redrive(awsClients({ region: REGION }), stage, i, {
      filter: {},
      ratePerSecond: 20,
      sleep: async () => undefined,
      onProgress: ({ done }) => progress.push(done),
    });
    // Assess
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: i.deadLetterQueue.arn,
      DestinationArn: i.queue.arn,
      MaxNumberOfMessagesPerSecond: 20,
    });
    expect(progress).toEqual([3, 10]);
    expect(result).toMatchObject({ mode: 'move-task', moved: 10, failed: 0 });
    const put = logs.commandCalls(PutLogEventsCommand)[0]?.args[0].input;
    expect(put?.logGroupName).toBe(i.logGroups.transformer);
    expect(JSON.parse(put?.logEvents?.[0]?.message ?? '{}')).toMatchObject({
      audit: 'redrive',
      stage: 'dev',
      integration: 'acme-orders',
      mode: 'move-task',
      moved: 10,
    });
  });

  it('trace queries Logs Insights on the ingest and transformer log groups for the exact event id', async () => {
    // Prepare
    const stage = await discover();
    const i = stage.integrations[0]!;
    logs.on(StartQueryCommand).resolves({ queryId: 'q-1' });
    logs
      .on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Running', results: [] })
      .resolves({
        status: 'Complete',
        results: [
          [
            { field: '@timestamp', value: '2026-11-30 03:00:00.000' },
            { field: 'message', value: 'webhook accepted' },
          ],
          [
            { field: '@timestamp', value: '2026-11-30 03:00:01.000' },
            { field: 'message', value: 'delivery failed; will retry' },
            { field: 'status', value: '503' },
          ],
        ],
      });
    // Act
    const lines = await eventLogLines(stage, i, new CloudWatchLogsClient({ region: REGION }), 'evt_"1', {
      sleep: async () => undefined,
    });
    // Assess
    const query = logs.commandCalls(StartQueryCommand)[0]?.args[0].input;
    expect(query?.logGroupNames).toEqual([i.logGroups.ingest, i.logGroups.transformer]);
    expect(query?.queryString).toContain('filter eventId = "evt_\\"1"');
    expect(lines).toEqual([
      { at: '2026-11-30T03:00:00.000Z', message: 'webhook accepted', fields: {} },
      { at: '2026-11-30T03:00:01.000Z', message: 'delivery failed; will retry', fields: { status: '503' } },
    ]);
  });
});
