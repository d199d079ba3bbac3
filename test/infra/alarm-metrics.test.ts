/**
 * Every alarm watches a metric a handler really emits. A CloudWatch metric is its namespace, its name
 * and its exact set of dimensions: an alarm that differs in any of them watches nothing, and with
 * `treatMissingData: notBreaching` it stays green for ever.
 *
 * The real ingest, transformer and breaker handlers run in-process against the emulators (fauxqs,
 * dynalite, the local Secrets Manager and Lambda API) with the environment the constructs give them
 * (the contract's builders), through the scenarios that emit each metric; their EMF output is
 * compared with the custom metrics of the synthesized template's alarms.
 */
import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  breakerEnvironment,
  DIMENSIONS,
  deliverySettingsOf,
  ingestEnvironment,
  METRICS,
  METRICS_NAMESPACE,
  tableKeys,
  transformerEnvironment,
} from '../../functions/shared/contract.js';
import { DynamoSlotBook } from '../../functions/transform/delivery/dynamo-slot-book.js';
import { slotSpacingMs } from '../../functions/transform/delivery/rate-schedule.js';
import { acmeOrders } from '../../integrations/acme-orders/index.js';
import { validateIntegrations } from '../../integrations/resolve.js';
import { type LambdaApiEmulator, startLambdaApiEmulator } from '../../local/emulators/lambda-api.js';
import { toSqsRecord } from '../../local/runtime/sqs-event-source.js';
import {
  type HandlerEnvironment,
  INTEGRATION,
  receiveMessages,
  startHandlerEnvironment,
  TABLE,
} from '../support/handler-environment.js';
import { lambdaContext } from '../support/lambda-context.js';
import { type ScriptedTarget, startScriptedTarget } from '../support/scripted-target.js';
import { buildStack } from '../support/stack.js';
import {
  ACME_SIGNING_SECRET,
  ACME_TARGET_SECRET,
  jsonWebhookEvent,
  acmeSample as sample,
  signedWebhookEvent,
} from '../support/webhooks.js';

/** A metric as CloudWatch identifies it: namespace, name, and dimension name → value. */
interface MetricIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const ofIntegration = (name: string) => (m: MetricIdentity) => m.dimensions[DIMENSIONS.integration] === name;

const key = (m: MetricIdentity) =>
  `${m.namespace} ${m.name} {${Object.entries(m.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`;

type CfnDimension = { Name: string; Value: unknown };
type CfnMetric = { Namespace?: string; MetricName?: string; Dimensions?: CfnDimension[] };
type CfnAlarm = CfnMetric & {
  AlarmName: string;
  Metrics?: { MetricStat?: { Metric: CfnMetric } }[];
};

/** The custom metrics (not `AWS/…`) each alarm of the template watches. */
/** The custom metrics the dashboard graphs (its body is a Fn::Join around a few tokens). */
function dashboardCustomMetrics(body: unknown): MetricIdentity[] {
  const parts = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  const widgets = (JSON.parse(text) as { widgets: { properties: { metrics?: unknown[][] } }[] }).widgets;
  return widgets
    .flatMap((w) => w.properties.metrics ?? [])
    .map((m) => m.filter((x): x is string => typeof x === 'string'))
    .filter(([namespace]) => namespace && !namespace.startsWith('AWS/'))
    .map(([namespace = '', name = '', ...pairs]) => ({
      namespace,
      name,
      dimensions: Object.fromEntries(
        pairs.flatMap((k, i) => (i % 2 === 0 ? [[k, String(pairs[i + 1])]] : [])),
      ),
    }));
}

function alarmCustomMetrics(alarms: readonly CfnAlarm[]): Map<string, MetricIdentity[]> {
  const byAlarm = new Map<string, MetricIdentity[]>();
  for (const alarm of alarms) {
    const metrics = [
      alarm,
      ...(alarm.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : [])),
    ];
    const custom = metrics
      .filter((m) => m.Namespace && m.MetricName && !m.Namespace.startsWith('AWS/'))
      .map((m) => ({
        namespace: String(m.Namespace),
        name: String(m.MetricName),
        dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, String(d.Value)])),
      }));
    byAlarm.set(alarm.AlarmName, custom);
  }
  return byAlarm;
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string }[];
}

/** The metrics an EMF log line publishes: one per metric and dimension set. */
function emfMetrics(line: string): MetricIdentity[] {
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(line);
  } catch {
    return [];
  }
  const directives = (document._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined)?.CloudWatchMetrics;
  return (directives ?? []).flatMap((d) =>
    d.Dimensions.flatMap((set) =>
      d.Metrics.map((m) => ({
        namespace: d.Namespace,
        name: m.Name,
        dimensions: Object.fromEntries(set.map((name) => [name, String(document[name])])),
      })),
    ),
  );
}

const EVENT_SOURCE_MAPPING_ID = 'esm-acme-orders';
/** The sample with a field acme-orders' schema does not declare: accepted (passthrough), counted as drift. */
const drifted = JSON.stringify({ ...JSON.parse(sample), loyalty_tier: 'gold' });

describe('alarms watch metrics the handlers emit', () => {
  let env: HandlerEnvironment;
  let target: ScriptedTarget;
  let lambdaApi: LambdaApiEmulator;
  let sqs: SQSClient;
  const emitted: MetricIdentity[] = [];
  let alarms: Map<string, MetricIdentity[]>;
  let allAlarms: Map<string, MetricIdentity[]>;
  let graphed: MetricIdentity[];

  beforeAll(async () => {
    // Prepare: the template's alarms
    const { template } = buildStack('dev');
    allAlarms = alarmCustomMetrics(
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as CfnAlarm),
    );
    // The handlers run as one integration here: its alarms are compared with what they emit, and every
    // other integration's alarms must watch the same metrics under its own `integration` value.
    alarms = new Map([...allAlarms].filter(([, metrics]) => metrics.every(ofIntegration(INTEGRATION))));

    graphed = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).flatMap((d) =>
      dashboardCustomMetrics(d.Properties.DashboardBody),
    );

    // Prepare: emulators, a scripted target, and the environment the constructs build
    [env, target] = await Promise.all([
      startHandlerEnvironment({
        secrets: {
          'acme-signing': ACME_SIGNING_SECRET,
          'acme-target': ACME_TARGET_SECRET,
        },
      }),
      startScriptedTarget(),
    ]);
    sqs = env.sqs;
    let mappingEnabled = true;
    lambdaApi = await startLambdaApiEmulator({
      mappings: [
        {
          uuid: EVENT_SOURCE_MAPPING_ID,
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:acme-orders-transformer',
          eventSourceArn: env.queueArn,
          batchSize: 10,
          enabled: () => mappingEnabled,
          setEnabled: async (enabled) => {
            mappingEnabled = enabled;
          },
        },
      ],
    });
    const [resolved] = validateIntegrations([acmeOrders], 'local');
    if (!resolved) throw new Error('acme-orders did not resolve');
    const common = { stage: 'local', integration: INTEGRATION };
    const delivery = deliverySettingsOf(resolved);
    Object.assign(
      process.env,
      ingestEnvironment({
        ...common,
        queueUrl: env.queueUrl,
        signingSecretId: 'acme-signing',
        secretCacheSeconds: 0,
      }),
      transformerEnvironment({
        ...common,
        queueUrl: env.queueUrl,
        deadLetterQueueUrl: env.dlqUrl,
        table: TABLE,
        targetUrl: `${target.url}/v1/contacts/orders`,
        targetTokenUrl: target.tokenUrl,
        targetSecretId: 'acme-target',
        secretCacheSeconds: 0,
        breakerFunctionName: 'acme-orders-breaker',
        delivery: { ...delivery, maxAttemptsPerReceive: 1, backoff: { baseMs: 1, capMs: 1 } },
      }),
      breakerEnvironment({ ...common, table: TABLE, eventSourceMappingId: EVENT_SOURCE_MAPPING_ID }),
      {
        AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
        // Metrics on, written through `console` (Powertools' dev mode), where this test reads them.
        POWERTOOLS_DEV: 'true',
        POWERTOOLS_METRICS_DISABLED: 'false',
      },
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const ingest = (await import('../../functions/ingest/handler.js')).handler as unknown as (
      e: APIGatewayProxyEventV2,
      c: unknown,
    ) => Promise<{ statusCode: number; body: string }>;
    const transform = (await import('../../functions/transform/handler.js')).handler as unknown as (
      e: SQSEvent,
      c: unknown,
    ) => Promise<unknown>;
    const breaker = (await import('../../functions/breaker/handler.js')).handler as unknown as (
      e: unknown,
      c: unknown,
    ) => Promise<unknown>;

    // Act: every outcome that publishes a metric an alarm may watch
    const statuses = [
      (await ingest(jsonWebhookEvent(sample, {}), lambdaContext('ingest'))).statusCode, // bad signature
      (await ingest(signedWebhookEvent('evt-ok'), lambdaContext('ingest'))).statusCode, // accepted
      (await ingest(signedWebhookEvent('evt-500'), lambdaContext('ingest'))).statusCode,
      (await ingest(signedWebhookEvent('evt-400'), lambdaContext('ingest'))).statusCode,
      (await ingest(signedWebhookEvent('evt-bad-body', '{"id":"x"}'), lambdaContext('ingest'))).statusCode, // schema
      (await ingest(signedWebhookEvent('evt-drift', drifted), lambdaContext('ingest'))).statusCode, // schema drift
    ];
    const records = (await receiveMessages(sqs, env.queueUrl, 4)).map(
      (m) => toSqsRecord(m, env.queueArn, 'us-east-1') as SQSEvent['Records'][number],
    );
    target.respond = (d) =>
      d.idempotencyKey === 'evt-500' ? 500 : d.idempotencyKey === 'evt-400' ? 400 : 200;
    for (const record of records) await transform({ Records: [record] }, lambdaContext('transformer'));
    // The dead-lettered event's message back (a crash before its delete): no second DLQ copy, counted.
    const deadLettered = records.find((r) => r.messageAttributes['event-id']?.stringValue === 'evt-400');
    if (!deadLettered) throw new Error('no message for evt-400');
    await transform({ Records: [deadLettered] }, lambdaContext('transformer'));
    // A record the shared rate has no room for (the schedule booked past a short invocation): handed
    // back unsent, counted. evt-500's message is still in flight after its failure.
    const retried = records.find((r) => r.messageAttributes['event-id']?.stringValue === 'evt-500');
    if (!retried) throw new Error('no message for evt-500');
    await new DynamoSlotBook(env.dynamodb, TABLE, tableKeys(INTEGRATION).rateSchedule).book(
      1000,
      slotSpacingMs(delivery.rateLimitPerSecond),
      Date.now(),
    );
    await transform({ Records: [retried] }, lambdaContext('transformer', 6000));
    await breaker({}, lambdaContext('breaker'));
    // An ingest that cannot queue answers 500 and counts a failure.
    await sqs.send(new DeleteQueueCommand({ QueueUrl: env.queueUrl }));
    statuses.push((await ingest(signedWebhookEvent('evt-no-queue'), lambdaContext('ingest'))).statusCode);

    emitted.push(...log.mock.calls.flatMap((args) => emfMetrics(String(args[0]))));
    log.mockRestore();
    expect(statuses).toEqual([401, 202, 202, 202, 400, 202, 500]);
    expect(records).toHaveLength(4);
  });

  afterAll(async () => {
    await Promise.all([env?.stop(), target?.stop(), lambdaApi?.stop()]);
  });

  it('finds custom metrics on the alarms and EMF in the handlers’ output (the check has something to check)', () => {
    expect([...alarms.values()].flat().length).toBeGreaterThanOrEqual(4);
    expect(emitted.length).toBeGreaterThan(0);
  });

  it('names each alarm metric in the contract, with the dimensions the contract lists for it', () => {
    const contract = new Map(Object.values(METRICS).map((m) => [m.name as string, m]));
    for (const metric of [...alarms.values()].flat()) {
      const entry = contract.get(metric.name);
      expect(entry, metric.name).toBeDefined();
      expect(metric.namespace).toBe(METRICS_NAMESPACE);
      expect(Object.keys(metric.dimensions).sort(), metric.name).toEqual(
        [DIMENSIONS.service, DIMENSIONS.integration, ...(entry?.dimensions ?? [])].sort(),
      );
    }
  });

  it('has every alarm watch only metrics a handler emits, with the same namespace, name and dimensions', () => {
    // Assess
    const emittedKeys = new Set(emitted.map(key));
    const unwatched = [...alarms].flatMap(([alarm, metrics]) =>
      metrics.filter((m) => !emittedKeys.has(key(m))).map((m) => `${alarm}: ${key(m)}`),
    );
    expect(unwatched, `emitted:\n${[...emittedKeys].sort().join('\n')}`).toEqual([]);
  });

  it('has every other integration’s alarms watch the same metrics, under its own integration dimension', () => {
    // Prepare: alarm name and metrics with the integration written as a placeholder
    const shape = ([alarm, metrics]: [string, MetricIdentity[]]) => {
      const name = metrics[0]?.dimensions[DIMENSIONS.integration];
      const generic = (text: string) => (name ? text.replaceAll(name, '<integration>') : text);
      return `${generic(alarm)}: ${metrics.map((m) => generic(key(m))).join(' + ')}`;
    };
    const own = new Set([...alarms].map(shape));
    const others = [...allAlarms].filter(([alarm]) => !alarms.has(alarm));
    // Assess: a second integration is registered, and its alarms are the same shapes
    expect(others.length).toBeGreaterThan(0);
    expect(others.map(shape).filter((s) => !own.has(s))).toEqual([]);
  });

  it('counts schema drift as the schema-drift alarm watches it, and per kind and field', () => {
    // The accepted webhook with an extra field (passthrough) is counted by kind and field.
    const drift = emitted.filter((m) => m.name === METRICS.schemaDriftByField.name);
    expect(drift).toContainEqual(
      expect.objectContaining({
        dimensions: expect.objectContaining({ kind: 'unknown-field', field: 'loyalty_tier' }),
      }),
    );
    const watched = [...alarms.values()].flat().filter((m) => m.name === METRICS.schemaDrift.name);
    expect(watched).toHaveLength(1);
  });

  it('graphs on the dashboard only metrics a handler emits', () => {
    const emittedKeys = new Set(emitted.map(key));
    expect(graphed.length).toBeGreaterThanOrEqual(5);
    expect(
      graphed
        .filter(ofIntegration(INTEGRATION))
        .filter((m) => !emittedKeys.has(key(m)))
        .map(key),
      `emitted:\n${[...emittedKeys].sort().join('\n')}`,
    ).toEqual([]);
  });
});
