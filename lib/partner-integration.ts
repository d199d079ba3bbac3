import { CfnOutput, Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  deliverySettingsOf,
  ingestEnvironment,
  tableKeys,
  transformerEnvironment,
} from '../functions/shared/contract.js';
import type { ResolvedIntegration } from '../integrations/resolve.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { HookyardFunction, INGEST_UNREACHABLE_MODULES } from './hookyard-function.js';
import type { IdempotencyTable } from './idempotency-table.js';
import { IntegrationMonitoring } from './integration-monitoring.js';
import { ReliableQueue } from './reliable-queue.js';
import type { WebhookApi } from './webhook-api.js';

export interface PartnerIntegrationProps {
  /** The registry entry, resolved for `stage` (`validateIntegrations`). */
  readonly integration: ResolvedIntegration;
  readonly stage: string;
  /** Required when the integration's endpoint is `http-api`. @default - none */
  readonly webhookApi?: WebhookApi;
  readonly idempotencyTable: IdempotencyTable;
  readonly alertTopic: sns.ITopic;
  /** What happens to the queues, secrets and log groups when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One partner, end to end: signing secret → ingest function (route or function URL) → reliable
 * queue → transformer (idempotent, partial batch failures, bounded concurrency) → target, with its
 * circuit breaker and the alarms that page on-call. Composes; each part is its own construct.
 */
export class PartnerIntegration extends Construct {
  readonly queue: ReliableQueue;
  readonly ingest: HookyardFunction;
  readonly transformer: HookyardFunction;
  /** Keeps the event source mapping in step with the circuit. */
  readonly breaker: CircuitBreaker;
  readonly eventSource: SqsEventSource;
  readonly signingSecret: secretsmanager.ISecret;
  readonly targetSecret?: secretsmanager.ISecret;
  /** Signs deliveries (Standard Webhooks) when the target verifies us; share it with the target. */
  readonly deliverySigningSecret?: secretsmanager.ISecret;
  /** The alarms and the dashboard row. */
  readonly monitoring: IntegrationMonitoring;

  constructor(scope: Construct, id: string, props: PartnerIntegrationProps) {
    super(scope, id);
    const { integration: i, stage } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

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

    const common = { stage, integration: i.name };
    this.ingest = new HookyardFunction(this, 'Ingest', {
      entry: 'ingest/handler.ts',
      description: `Hookyard ${stage}: verify and enqueue ${i.name} webhooks`,
      unreachableModules: INGEST_UNREACHABLE_MODULES,
      timeout: Duration.seconds(10),
      removalPolicy,
      logRetention: props.logRetention,
      environment: ingestEnvironment({
        ...common,
        queueUrl: this.queue.queue.queueUrl,
        signingSecretId: this.signingSecret.secretArn,
        secretCacheSeconds: i.secretCacheSeconds,
      }),
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
      environment: transformerEnvironment({
        ...common,
        queueUrl: this.queue.queue.queueUrl,
        deadLetterQueueUrl: this.queue.deadLetterQueue.queueUrl,
        table: props.idempotencyTable.table.tableName,
        targetUrl: i.target.url,
        targetTokenUrl: i.target.tokenUrl,
        targetSecretId: this.targetSecret?.secretArn,
        deliverySigningSecretId: this.deliverySigningSecret?.secretArn,
        secretCacheSeconds: i.target.secretCacheSeconds,
        // The breaker is built after the event source it controls, which needs this function.
        breakerFunctionName: Lazy.string({ produce: () => this.breaker.functionName }),
        // Visible in the template, so on-call can read (and the sandbox tests shorten) every timing.
        delivery: deliverySettingsOf(i),
      }),
    });
    this.targetSecret?.grantRead(this.transformer.role);
    this.deliverySigningSecret?.grantRead(this.transformer.role);
    this.queue.grantSendToDeadLetterQueue(this.transformer.role);
    props.idempotencyTable.grantItemAccess(this.transformer.role, tableKeys(i.name).leadingKeys.transformer);
    // The event source mapping grants receive/delete/change-visibility on the source queue.
    this.eventSource = new SqsEventSource(this.queue.queue, {
      batchSize: i.delivery.batchSize,
      // Written even when 0: a stack deployed with a window must get it set back, not just left out.
      maxBatchingWindow: Duration.seconds(i.delivery.maxBatchingWindowSeconds),
      reportBatchItemFailures: true,
      maxConcurrency: i.delivery.maxConcurrency,
    });
    this.transformer.function.addEventSource(this.eventSource);

    this.breaker = new CircuitBreaker(this, 'Breaker', {
      integration: i.name,
      stage,
      eventSource: this.eventSource,
      idempotencyTable: props.idempotencyTable,
      checkEvery: Duration.minutes(i.delivery.circuitBreaker.checkEveryMinutes),
      removalPolicy,
      logRetention: props.logRetention,
    });
    this.breaker.grantInvoke(this.transformer.role);

    this.addEndpoint(props);
    // 'Default' is left out of logical ids: the alarms keep theirs (their names are physical, so a new
    // logical id would create the same-named alarm again and then delete it).
    this.monitoring = new IntegrationMonitoring(this, 'Default', {
      integration: i.name,
      stage,
      queue: this.queue,
      ingest: this.ingest,
      transformer: this.transformer,
      alertTopic: props.alertTopic,
      thresholds: i.alarms,
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
    if (!props.webhookApi) throw new Error(`integration '${i.name}': endpoint 'http-api' needs a webhookApi`);
    const routes = props.webhookApi.addWebhookRoute(i.name, this.ingest.function, i.endpoint.throttle);
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason:
          'Partners cannot sign AWS requests or hold our tokens; every webhook is authenticated in the ingest function by its HMAC signature (Standard Webhooks, GitHub, Stripe or HMAC) before anything is queued.',
      });
    }
  }
}

function credentialsPlaceholder(auth: string): secretsmanager.SecretStringGenerator {
  const key = auth === 'api-key' ? 'apiKey' : auth === 'basic' ? 'password' : 'clientSecret';
  const template =
    auth === 'basic' ? { username: 'REPLACE-ME' } : auth === 'api-key' ? {} : { clientId: 'REPLACE-ME' };
  return { secretStringTemplate: JSON.stringify(template), generateStringKey: key, excludePunctuation: true };
}
