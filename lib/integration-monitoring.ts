import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  DIMENSIONS,
  METRICS,
  METRICS_NAMESPACE,
  type MetricKey,
  REJECTION_REASONS,
  SERVICE_NAME,
} from '../functions/shared/contract.js';
import type { DriftKind } from '../integrations/mapping/drift.js';
import type { ResolvedIntegration } from '../integrations/resolve.js';
import type { HookyardFunction } from './hookyard-function.js';
import type { ReliableQueue } from './reliable-queue.js';
import { type Runbook, RunbookAlarm } from './runbook-alarm.js';

/** A `reason` of `WebhooksRejected` that alarms and dashboards watch. */
export type RejectionReason = (typeof REJECTION_REASONS)[keyof typeof REJECTION_REASONS];

/** When each alarm fires (at or above): the registry's `alarms`, with their defaults resolved there. */
export type IntegrationAlarmThresholds = ResolvedIntegration['alarms'];

export interface IntegrationMonitoringProps {
  /** The integration watched: the `integration` dimension and the alarm names. */
  readonly integration: string;
  readonly stage: string;
  readonly queue: ReliableQueue;
  readonly ingest: HookyardFunction;
  readonly transformer: HookyardFunction;
  /** Where every alarm notifies, on ALARM and on OK. */
  readonly alertTopic: sns.ITopic;
  readonly thresholds: IntegrationAlarmThresholds;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * What on-call sees of one integration: an alarm per runbook (named `hookyard-<stage>-<integration>-<runbook>`)
 * and the integration's row on the stack dashboard, built from typed `metric*()` methods over the
 * custom metrics the functions emit (names and dimensions from the contract) and the L2s' own metrics.
 */
export class IntegrationMonitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly props: IntegrationMonitoringProps;

  constructor(scope: Construct, id: string, props: IntegrationMonitoringProps) {
    super(scope, id);
    this.props = props;
    const { integration: name, queue, ingest, transformer } = props;
    const t = props.thresholds;

    this.addAlarm('DlqAlarm', 'dlq-not-empty', {
      metric: queue.metricDeadLetterMessagesVisible({ period: ONE_MINUTE }),
      threshold: t.dlqDepth,
      summary: `${name}: events are in the dead-letter queue (failed permanently or exhausted retries).`,
    });
    this.addAlarm('AgeAlarm', 'oldest-message-age', {
      metric: queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE }),
      threshold: t.oldestMessageAgeSeconds,
      evaluationPeriods: 3,
      summary: `${name}: events wait in the queue longer than ${t.oldestMessageAgeSeconds}s (target slow or down, or the transformer stuck).`,
    });
    this.addAlarm('TransformerErrorsAlarm', 'transformer-errors', {
      metric: sumOf('transformer errors + failed deliveries', {
        errors: transformer.metricErrors({ period: FIVE_MINUTES }),
        failures: this.metricDeliveryFailures(),
      }),
      threshold: t.transformerErrors,
      summary: `${name}: the transformer crashed or deliveries failed at least ${t.transformerErrors} times in 5 minutes.`,
    });
    this.addAlarm('IngestErrorsAlarm', 'ingest-errors', {
      metric: sumOf('ingest errors', {
        errors: ingest.metricErrors({ period: FIVE_MINUTES }),
        failures: this.metricIngestFailures(),
      }),
      threshold: t.ingestErrors,
      summary: `${name}: the ingest function failed to accept webhooks (partners got 5xx and will retry).`,
    });
    this.addAlarm('ThrottlesAlarm', 'throttles', {
      metric: sumOf('throttles', {
        ingest: ingest.metricThrottles({ period: FIVE_MINUTES }),
        transformer: transformer.metricThrottles({ period: FIVE_MINUTES }),
      }),
      threshold: t.throttles,
      summary: `${name}: Lambda throttled the ingest or transformer function.`,
    });
    this.addAlarm('CircuitOpenAlarm', 'circuit-open', {
      metric: this.metricCircuitOpen({ period: ONE_MINUTE }),
      threshold: 1,
      summary: `${name}: the target failed consistently, so deliveries are stopped (circuit open); they resume by themselves when it answers again.`,
    });
    this.addAlarm('SignatureRejectionsAlarm', 'signature-rejections', {
      metric: this.metricWebhooksRejected(REJECTION_REASONS.badSignature),
      threshold: t.signatureRejections,
      summary: `${name}: many webhooks failed signature checks (a secret rotation gone wrong, or someone probing the endpoint).`,
    });
    this.addAlarm('SchemaDriftAlarm', 'schema-drift', {
      metric: this.metricSchemaDrift(),
      threshold: t.schemaDrift,
      summary: `${name}: the partner sends fields, enum values or versions the integration's contract does not know (at least ${t.schemaDrift} in 5 minutes).`,
    });
  }

  /**
   * Schema drift findings of the ingest function: unknown fields, new enum values, unknown versions
   * (Sum over 5 minutes). Per kind and field: `metricSchemaDriftByField`.
   */
  metricSchemaDrift(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('schemaDrift', {}, options);
  }

  /** Schema drift findings of one `kind` at one normalised source `field` (Sum over 5 minutes). */
  metricSchemaDriftByField(
    kind: DriftKind,
    field: string,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return this.customMetric(
      'schemaDriftByField',
      { [DIMENSIONS.kind]: kind, [DIMENSIONS.field]: field },
      options,
    );
  }

  /** Webhooks the ingest function queued (Sum over 5 minutes). */
  metricWebhooksAccepted(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('webhooksAccepted', {}, options);
  }

  /** Webhooks the ingest function refused for `reason` (Sum over 5 minutes). */
  metricWebhooksRejected(reason: RejectionReason, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('webhooksRejected', { [DIMENSIONS.reason]: reason }, options);
  }

  /** Webhooks the ingest function failed to accept (answered 500; Sum over 5 minutes). */
  metricIngestFailures(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('ingestFailures', {}, options);
  }

  /** Events the target accepted (Sum over 5 minutes). */
  metricEventsDelivered(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('eventsDelivered', {}, options);
  }

  /** Delivery attempts that failed, transiently or for good (Sum over 5 minutes). */
  metricDeliveryFailures(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('deliveryFailures', {}, options);
  }

  /** Events the transformer sent to the DLQ itself, with their reason (Sum over 5 minutes). */
  metricEventsDeadLettered(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('eventsDeadLettered', {}, options);
  }

  /**
   * Messages that failed for good while an earlier copy of the same event (same key, same body) was
   * known to be in the DLQ: acknowledged without a second DLQ copy (Sum over 5 minutes).
   */
  metricDeadLetterDuplicatesSkipped(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('deadLetterDuplicatesSkipped', {}, options);
  }

  /**
   * Records handed back unsent because no delivery slot came in time: the target's rate is the
   * bottleneck (a backlog delivers at the declared rate), not a failure (Sum over 5 minutes).
   */
  metricRecordsReleasedForRate(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('releasedForRate', {}, options);
  }

  /** 1 while the circuit is open, else 0, from every breaker check (Maximum over 5 minutes). */
  metricCircuitOpen(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.customMetric('circuitOpen', {}, { statistic: 'Maximum', ...options });
  }

  /** The integration's row on the stack dashboard. */
  dashboardWidgets(): cloudwatch.IWidget[] {
    const period = ONE_MINUTE;
    const { integration, queue } = this.props;
    return [
      new cloudwatch.TextWidget({ markdown: `## ${integration}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: 'Webhooks',
        left: [
          this.metricWebhooksAccepted({ period }),
          this.metricWebhooksRejected(REJECTION_REASONS.badSignature, { period }),
          this.metricWebhooksRejected(REJECTION_REASONS.schemaMismatch, { period }),
          this.metricSchemaDrift({ period }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Queue',
        left: [queue.metricApproximateNumberOfMessagesVisible({ period })],
        right: [queue.metricApproximateAgeOfOldestMessage({ period })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Delivery',
        left: [
          this.metricEventsDelivered({ period }),
          this.metricDeliveryFailures({ period }),
          this.metricEventsDeadLettered({ period }),
          this.metricDeadLetterDuplicatesSkipped({ period }),
          this.metricRecordsReleasedForRate({ period }),
          queue.metricDeadLetterMessagesVisible({ period }),
        ],
        width: 8,
      }),
    ];
  }

  /** A metric of the contract's table: its name, and the dimensions every function adds. */
  private customMetric(
    key: MetricKey,
    dimensions: Readonly<Record<string, string>>,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRICS[key].name,
      dimensionsMap: {
        [DIMENSIONS.service]: SERVICE_NAME,
        [DIMENSIONS.integration]: this.props.integration,
        ...dimensions,
      },
      statistic: 'Sum',
      period: FIVE_MINUTES,
      ...options,
    });
  }

  private addAlarm(
    id: string,
    runbook: Runbook,
    alarm: Pick<
      ConstructorParameters<typeof RunbookAlarm>[2],
      'metric' | 'threshold' | 'summary' | 'evaluationPeriods'
    >,
  ) {
    const { alertTopic: topic, stage, integration } = this.props;
    const alarmNamePrefix = `hookyard-${stage}-${integration}`;
    this.alarms.push(new RunbookAlarm(this, id, { ...alarm, runbook, topic, alarmNamePrefix }).alarm);
  }
}

/** `a + b + …` over 5 minutes, a missing datapoint counting 0. */
function sumOf(label: string, usingMetrics: Record<string, cloudwatch.IMetric>): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    label,
    period: FIVE_MINUTES,
  });
}
