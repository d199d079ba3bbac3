import { ArnFormat, Aws, CfnOutput, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ResolvedIntegration } from '../integrations/resolve.js';
import { HookyardFunction } from './hookyard-function.js';
import type { IdempotencyTable } from './idempotency-table.js';
import { ReliableQueue } from './reliable-queue.js';
import { FIVE_MINUTES, RunbookAlarm } from './runbook-alarm.js';
import type { WebhookApi } from './webhook-api.js';

/** Namespace and service dimension of the functions' custom metrics (functions/shared/powertools.ts). */
const METRICS_NAMESPACE = 'Hookyard';
const METRICS_SERVICE = 'hookyard';

export interface PartnerIntegrationProps {
  /** The registry entry, resolved for `stage`. */
  readonly integration: ResolvedIntegration;
  readonly stage: string;
  /** Required when the integration's endpoint is `http-api`. */
  readonly webhookApi?: WebhookApi;
  readonly idempotencyTable: IdempotencyTable;
  readonly alertTopic: sns.ITopic;
  readonly removalPolicy: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One partner, end to end: signing secret → ingest function (route or function URL) → reliable
 * queue → transformer (idempotent, partial batch failures, bounded concurrency) → target, with the
 * alarms that page on-call.
 */
export class PartnerIntegration extends Construct {
  readonly queue: ReliableQueue;
  readonly ingest: HookyardFunction;
  readonly transformer: HookyardFunction;
  /** Keeps the event source mapping in step with the circuit (DESIGN.md §4, issue: circuit breaker). */
  readonly breaker: HookyardFunction;
  readonly eventSource: SqsEventSource;
  readonly signingSecret: secretsmanager.ISecret;
  readonly targetSecret?: secretsmanager.ISecret;
  /** Signs deliveries (Standard Webhooks) when the target verifies us; share it with the target. */
  readonly deliverySigningSecret?: secretsmanager.ISecret;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly name: string;

  constructor(scope: Construct, id: string, props: PartnerIntegrationProps) {
    super(scope, id);
    const { integration: i, stage, removalPolicy } = props;
    this.name = i.name;
    if (i.endpoint.type === 'http-api' && !props.webhookApi) {
      throw new Error(`integration '${i.name}': endpoint 'http-api' needs a webhookApi`);
    }

    this.signingSecret = this.secret('SigningSecret', i.definition.source.secretName, {
      description: `Hookyard ${stage}: webhook signing secret of ${i.name}`,
      removalPolicy,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    if (i.target.needsCredentials) {
      this.targetSecret = this.secret('TargetSecret', i.definition.target.secretName, {
        description: `Hookyard ${stage}: ${i.target.auth.type} credentials for the ${i.name} target (replace the placeholder)`,
        removalPolicy,
        generateSecretString: credentialsPlaceholder(i.target.auth.type),
      });
    }

    if (i.target.signDeliveries) {
      this.deliverySigningSecret = this.secret('DeliverySigningSecret', undefined, {
        description: `Hookyard ${stage}: signs ${i.name} deliveries (Standard Webhooks); give it to the target`,
        removalPolicy,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
    }

    this.queue = new ReliableQueue(this, 'Queue', {
      nameSuffix: i.name,
      visibilityTimeout: Duration.seconds(i.delivery.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(i.delivery.retentionDays),
      deadLetterRetentionPeriod: Duration.days(i.delivery.dlqRetentionDays),
      maxReceiveCount: i.delivery.maxReceiveCount,
      removalPolicy,
    });

    const common = { STAGE: stage, INTEGRATION: i.name, POWERTOOLS_SERVICE_NAME: METRICS_SERVICE };
    // The transformer invokes the breaker the moment it opens the circuit; the breaker refers to the
    // transformer's event source mapping. A name derived from the stack breaks that reference cycle.
    const breakerName = `${Aws.STACK_NAME}-${i.name}-breaker`;
    const concreteName = `${Stack.of(this).stackName}-${i.name}-breaker`;
    if (concreteName.length > 64) {
      throw new Error(
        `integration '${i.name}': its breaker function name '${concreteName}' is ${concreteName.length} characters; Lambda allows 64 (shorten the stack or integration name)`,
      );
    }
    this.ingest = new HookyardFunction(this, 'Ingest', {
      entry: 'ingest/handler.ts',
      description: `Hookyard ${stage}: verify and enqueue ${i.name} webhooks`,
      timeout: Duration.seconds(10),
      removalPolicy,
      logRetention: props.logRetention,
      environment: {
        ...common,
        QUEUE_URL: this.queue.queue.queueUrl,
        SIGNING_SECRET_ID: this.signingSecret.secretArn,
        SECRETS_TTL_SECONDS: String(i.secretCacheSeconds),
      },
    });
    this.signingSecret.grantRead(this.ingest.role);
    this.queue.grantSendMessages(this.ingest.role);

    this.transformer = new HookyardFunction(this, 'Transformer', {
      entry: 'transform/handler.ts',
      description: `Hookyard ${stage}: map and deliver ${i.name} events`,
      timeout: Duration.seconds(i.delivery.functionTimeoutSeconds),
      memorySize: 512,
      removalPolicy,
      logRetention: props.logRetention,
      environment: {
        ...common,
        QUEUE_URL: this.queue.queue.queueUrl,
        DLQ_URL: this.queue.deadLetterQueue.queueUrl,
        IDEMPOTENCY_TABLE: props.idempotencyTable.table.tableName,
        TARGET_URL: i.target.url,
        SECRETS_TTL_SECONDS: String(i.target.secretCacheSeconds),
        // Visible in the template, so on-call can see (and the sandbox tests can shorten) the backoff.
        REDELIVERY_BASE_SECONDS: String(i.delivery.redeliveryBaseSeconds),
        REDELIVERY_CAP_SECONDS: String(i.delivery.redeliveryCapSeconds),
        TARGET_RATE_LIMIT_PER_SECOND: String(i.target.rateLimitPerSecond),
        MAX_CONCURRENCY: String(i.delivery.maxConcurrency),
        CIRCUIT_FAILURE_THRESHOLD: String(i.delivery.circuitBreaker.failureThreshold),
        CIRCUIT_OPEN_SECONDS: String(i.delivery.circuitBreaker.openSeconds),
        CIRCUIT_MAX_OPEN_SECONDS: String(i.delivery.circuitBreaker.maxOpenSeconds),
        BREAKER_FUNCTION_NAME: breakerName,
        ...(i.target.tokenUrl ? { TARGET_TOKEN_URL: i.target.tokenUrl } : {}),
        ...(this.targetSecret ? { TARGET_SECRET_ID: this.targetSecret.secretArn } : {}),
        ...(this.deliverySigningSecret
          ? { DELIVERY_SIGNING_SECRET_ID: this.deliverySigningSecret.secretArn }
          : {}),
      },
    });
    this.targetSecret?.grantRead(this.transformer.role);
    this.deliverySigningSecret?.grantRead(this.transformer.role);
    this.queue.grantSendToDeadLetterQueue(this.transformer.role);
    props.idempotencyTable.grantItemAccess(this.transformer.role, [
      `hookyard.${i.name}#`,
      `hookyard-failure.${i.name}#`,
      `hookyard-breaker.${i.name}#`,
    ]);
    // The event source mapping grants receive/delete/change-visibility on the source queue.
    this.eventSource = new SqsEventSource(this.queue.queue, {
      batchSize: i.delivery.batchSize,
      maxBatchingWindow:
        i.delivery.maxBatchingWindowSeconds > 0
          ? Duration.seconds(i.delivery.maxBatchingWindowSeconds)
          : undefined,
      reportBatchItemFailures: true,
      maxConcurrency: i.delivery.maxConcurrency,
    });
    this.transformer.function.addEventSource(this.eventSource);

    iam.Grant.addToPrincipal({
      grantee: this.transformer.role,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: breakerName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
    this.breaker = new HookyardFunction(this, 'Breaker', {
      entry: 'breaker/handler.ts',
      functionName: breakerName,
      description: `Hookyard ${stage}: stop and resume ${i.name} deliveries with its circuit`,
      timeout: Duration.seconds(30),
      removalPolicy,
      logRetention: props.logRetention,
      environment: {
        ...common,
        IDEMPOTENCY_TABLE: props.idempotencyTable.table.tableName,
        EVENT_SOURCE_MAPPING_ID: this.eventSource.eventSourceMappingId,
      },
    });
    props.idempotencyTable.grantItemAccess(this.breaker.role, [`hookyard-breaker.${i.name}#`]);
    this.grantEventSourceControl(this.breaker.role);
    new events.Rule(this, 'BreakerSchedule', {
      description: `Hookyard ${stage}: check the ${i.name} circuit`,
      schedule: events.Schedule.rate(Duration.minutes(i.delivery.circuitBreaker.checkEveryMinutes)),
      targets: [new eventTargets.LambdaFunction(this.breaker.function, { retryAttempts: 2 })],
    });

    this.addEndpoint(props);
    this.addAlarms(props);
  }

  /** lambda:GetEventSourceMapping and lambda:UpdateEventSourceMapping on this integration's mapping only. */
  grantEventSourceControl(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
      resourceArns: [this.eventSource.eventSourceMappingArn],
    });
  }

  private secret(
    id: string,
    existingName: string | undefined,
    props: secretsmanager.SecretProps,
  ): secretsmanager.ISecret {
    if (existingName) return secretsmanager.Secret.fromSecretNameV2(this, id, existingName);
    const secret = new secretsmanager.Secret(this, id, props);
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Partner and target credentials are issued by the other party, so rotation is coordinated with them, not by a Lambda; the ingest function accepts AWSCURRENT and AWSPREVIOUS so a rotation drops no events.',
    });
    return secret;
  }

  private addEndpoint(props: PartnerIntegrationProps) {
    const { integration: i } = props;
    if (i.endpoint.type === 'function-url') {
      // Authentication is the webhook signature, verified in the function.
      const url = this.ingest.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
      new CfnOutput(this, 'WebhookUrl', { value: url.url, description: `POST ${i.name} webhooks here` });
      return;
    }
    const routes = props.webhookApi?.addWebhookRoute(i.name, this.ingest.function, i.endpoint.throttle) ?? [];
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason:
          'Partners cannot sign AWS requests or hold our tokens; every webhook is authenticated in the ingest function by its HMAC signature (Standard Webhooks, GitHub, Stripe or HMAC) before anything is queued.',
      });
    }
  }

  private addAlarms(props: PartnerIntegrationProps) {
    const { integration: i, alertTopic: topic, stage } = props;
    const alarmNamePrefix = `hookyard-${stage}-${i.name}`;
    const add = (
      id: string,
      alarm: Omit<ConstructorParameters<typeof RunbookAlarm>[2], 'topic' | 'alarmNamePrefix'>,
    ) => this.alarms.push(new RunbookAlarm(this, id, { ...alarm, topic, alarmNamePrefix }).alarm);

    add('DlqAlarm', {
      metric: this.queue.metricDeadLetterMessagesVisible({ period: Duration.minutes(1) }),
      threshold: i.alarms.dlqDepth,
      summary: `${i.name}: events are in the dead-letter queue (failed permanently or exhausted retries).`,
      runbook: 'dlq-not-empty',
    });
    add('AgeAlarm', {
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) }),
      threshold: i.alarms.oldestMessageAgeSeconds,
      evaluationPeriods: 3,
      summary: `${i.name}: events wait in the queue longer than ${i.alarms.oldestMessageAgeSeconds}s (target slow or down, or the transformer stuck).`,
      runbook: 'oldest-message-age',
    });
    add('TransformerErrorsAlarm', {
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(errors, 0) + FILL(failures, 0)',
        usingMetrics: {
          errors: this.transformer.metricErrors({ period: FIVE_MINUTES }),
          failures: this.customMetric('DeliveryFailures'),
        },
        label: 'transformer errors + failed deliveries',
        period: FIVE_MINUTES,
      }),
      threshold: i.alarms.transformerErrors,
      summary: `${i.name}: the transformer crashed or deliveries failed at least ${i.alarms.transformerErrors} times in 5 minutes.`,
      runbook: 'transformer-errors',
    });
    add('IngestErrorsAlarm', {
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(errors, 0) + FILL(failures, 0)',
        usingMetrics: {
          errors: this.ingest.metricErrors({ period: FIVE_MINUTES }),
          failures: this.customMetric('IngestFailures'),
        },
        label: 'ingest errors',
        period: FIVE_MINUTES,
      }),
      threshold: i.alarms.ingestErrors,
      summary: `${i.name}: the ingest function failed to accept webhooks (partners got 5xx and will retry).`,
      runbook: 'ingest-errors',
    });
    add('ThrottlesAlarm', {
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(ingest, 0) + FILL(transformer, 0)',
        usingMetrics: {
          ingest: this.ingest.metricThrottles({ period: FIVE_MINUTES }),
          transformer: this.transformer.metricThrottles({ period: FIVE_MINUTES }),
        },
        label: 'throttles',
        period: FIVE_MINUTES,
      }),
      threshold: i.alarms.throttles,
      summary: `${i.name}: Lambda throttled the ingest or transformer function.`,
      runbook: 'throttles',
    });
    add('CircuitOpenAlarm', {
      metric: this.customMetric('CircuitOpen').with({ statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: 1,
      summary: `${i.name}: the target failed consistently, so deliveries are stopped (circuit open); they resume by themselves when it answers again.`,
      runbook: 'circuit-open',
    });
    add('SignatureRejectionsAlarm', {
      metric: this.customMetric('WebhooksRejected', { reason: 'bad-signature' }),
      threshold: i.alarms.signatureRejections,
      summary: `${i.name}: many webhooks failed signature checks (a secret rotation gone wrong, or someone probing the endpoint).`,
      runbook: 'signature-rejections',
    });
  }

  /** A custom metric the functions emit (EMF), summed over 5 minutes. */
  customMetric(metricName: string, dimensions: Record<string, string> = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: METRICS_SERVICE, integration: this.name, ...dimensions },
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
  }

  /** The integration's row on the stack dashboard. */
  dashboardWidgets(): cloudwatch.IWidget[] {
    const period = Duration.minutes(1);
    return [
      new cloudwatch.TextWidget({ markdown: `## ${this.name}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: 'Webhooks',
        left: [
          this.customMetric('WebhooksAccepted').with({ period }),
          this.customMetric('WebhooksRejected', { reason: 'bad-signature' }).with({ period }),
          this.customMetric('WebhooksRejected', { reason: 'schema-mismatch' }).with({ period }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Queue',
        left: [this.queue.metricApproximateNumberOfMessagesVisible({ period })],
        right: [this.queue.metricApproximateAgeOfOldestMessage({ period })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Delivery',
        left: [
          this.customMetric('EventsDelivered').with({ period }),
          this.customMetric('DeliveryFailures').with({ period }),
          this.customMetric('EventsDeadLettered').with({ period }),
          this.queue.metricDeadLetterMessagesVisible({ period }),
        ],
        width: 8,
      }),
    ];
  }
}

function credentialsPlaceholder(auth: string): secretsmanager.SecretStringGenerator {
  const key = auth === 'api-key' ? 'apiKey' : auth === 'basic' ? 'password' : 'clientSecret';
  const template =
    auth === 'basic' ? { username: 'REPLACE-ME' } : auth === 'api-key' ? {} : { clientId: 'REPLACE-ME' };
  return { secretStringTemplate: JSON.stringify(template), generateStringKey: key, excludePunctuation: true };
}
