/**
 * SQS → map → deliver, once per partner event id.
 * Per record: idempotent on the event id (DynamoDB), so partner retries, SQS duplicates and redrives
 * reach the target at most once per key; permanent failures go straight to the DLQ with their
 * reason; transient ones fail only their record, with the visibility stretched by receive count.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamodb, lambda, sqs } from '../shared/aws-clients.js';
import { type CircuitRecord, CircuitStore } from '../shared/circuit.js';
import { numberEnv, requireEnv } from '../shared/env.js';
import { PermanentDeliveryError, TransientDeliveryError } from '../shared/errors.js';
import { loadIntegration } from '../shared/integration.js';
import { failureAttributes } from '../shared/message.js';
import { logger, metrics } from '../shared/powertools.js';
import { credentials, currentSecret, forgetSecret } from '../shared/secrets.js';
import { signStandardWebhook } from '../shared/signatures/index.js';
import { ConsumerCircuit } from './consumer-circuit.js';
import { buildTargetBody, type DeliveryJob, summarizeFailure, toDeliveryJob } from './core.js';
import { AdaptiveRateLimiter } from './delivery/adaptive-rate-limiter.js';
import { visibilityTimeoutForReceive } from './delivery/backoff.js';
import { deliver } from './delivery/client.js';
import { createTargetAuthenticator } from './delivery/target-auth.js';
import { FailureLog } from './failure-log.js';

/** A duplicate whose twin is being delivered right now comes back this soon, not after a failure's backoff. */
const IN_PROGRESS_RETRY_SECONDS = 2;
/** Outlives partner retry schedules (Standard Webhooks and Stripe retry for up to ~3 days). */
const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;

const integration = loadIntegration(requireEnv('INTEGRATION'), requireEnv('STAGE'));
const { target, delivery } = integration;
const targetUrl = requireEnv('TARGET_URL');
const queueUrl = requireEnv('QUEUE_URL');
const dlqUrl = requireEnv('DLQ_URL');
const tableName = requireEnv('IDEMPOTENCY_TABLE');
const targetSecretId = target.needsCredentials ? requireEnv('TARGET_SECRET_ID') : undefined;
/** Set when the target verifies our deliveries (Standard Webhooks signatures). */
const deliverySigningSecretId = target.signDeliveries ? requireEnv('DELIVERY_SIGNING_SECRET_ID') : undefined;

const redelivery = {
  baseSeconds: numberEnv('REDELIVERY_BASE_SECONDS', delivery.redeliveryBaseSeconds),
  capSeconds: numberEnv('REDELIVERY_CAP_SECONDS', delivery.redeliveryCapSeconds),
};
const breaker = delivery.circuitBreaker;
const circuitTiming = {
  openMs: numberEnv('CIRCUIT_OPEN_SECONDS', breaker.openSeconds) * 1000,
  maxOpenMs: numberEnv('CIRCUIT_MAX_OPEN_SECONDS', breaker.maxOpenSeconds) * 1000,
};
const failureThreshold = numberEnv('CIRCUIT_FAILURE_THRESHOLD', breaker.failureThreshold);
const breakerFunctionName = requireEnv('BREAKER_FUNCTION_NAME');
const circuit = new ConsumerCircuit(new CircuitStore(dynamodb, tableName, integration.name), {
  failureThreshold,
  timing: circuitTiming,
  now: Date.now,
  onOpened: async (opened) => {
    metrics.addMetric('CircuitOpened', MetricUnit.Count, 1);
    logger.warn('circuit opened: holding deliveries back', {
      openSeconds: opened.openMs / 1000,
      trips: opened.trips,
    });
    // Every record received while the mapping still runs costs a receive: have it stopped now, not
    // at the breaker's next scheduled check.
    await lambda
      .send(new InvokeCommand({ FunctionName: breakerFunctionName, InvocationType: 'Event' }))
      .catch((e: unknown) =>
        logger.warn('could not wake the breaker; its schedule will', { error: String(e) }),
      );
  },
  onClosed: () => logger.info('circuit closed: the target answers again'),
});
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const failureLog = new FailureLog(dynamodb, tableName);
const authenticator = createTargetAuthenticator(
  target.auth.type === 'oauth2-client-credentials'
    ? { ...target.auth, tokenUrl: requireEnv('TARGET_TOKEN_URL') }
    : target.auth,
  () => (targetSecretId ? credentials(targetSecretId) : Promise.resolve({})),
  // After a 401, re-read the credentials once: a rotated key applies without waiting for the cache.
  {
    fetch,
    now: Date.now,
    forgetCredentials: () => {
      if (targetSecretId) forgetSecret(targetSecretId);
    },
  },
);
// MaximumConcurrency caps the containers; each takes its share of the target's declared rate, less
// 5% so that timer jitter between a slot and its request never pushes a second over the limit.
const RATE_HEADROOM = 0.95;
const rateLimiter = new AdaptiveRateLimiter({
  ratePerSecond:
    (RATE_HEADROOM * numberEnv('TARGET_RATE_LIMIT_PER_SECOND', target.rateLimitPerSecond)) /
    numberEnv('MAX_CONCURRENCY', delivery.maxConcurrency),
  now: Date.now,
  sleep,
});

const idempotencyConfig = new IdempotencyConfig({
  eventKeyJmesPath: 'eventId',
  expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
  throwOnNoIdempotencyKey: true,
});
let invocationContext: Context | undefined;
/** Jobs this invocation actually sent; any other success is a stored result replayed for a duplicate. */
const sentNow = new WeakSet<DeliveryJob>();

const deliverOnce = makeIdempotent(
  async (job: DeliveryJob) => {
    const body = buildTargetBody(integration, job);
    const signingSecret = deliverySigningSecretId ? await currentSecret(deliverySigningSecretId) : undefined;
    const result = await deliver(
      { url: targetUrl, method: target.method, body, eventId: job.eventId },
      {
        fetch,
        now: Date.now,
        sleep,
        random: Math.random,
        remainingTimeMs: () => invocationContext?.getRemainingTimeInMillis() ?? target.timeoutSeconds * 1000,
        authenticator,
        rateLimiter,
        sign: signingSecret
          ? (sent) =>
              signStandardWebhook(signingSecret, { id: job.eventId, timestamp: new Date(), body: sent })
          : undefined,
      },
      {
        timeoutMs: target.timeoutSeconds * 1000,
        maxAttempts: delivery.maxAttemptsPerReceive,
        backoff: { baseMs: delivery.backoffBaseMs, capMs: delivery.backoffCapMs },
        retryableStatuses: target.retryableStatuses,
      },
    );
    sentNow.add(job);
    return { status: result.status, attempts: result.attempts, deliveredAt: new Date().toISOString() };
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamodb }),
    config: idempotencyConfig,
    // A stable prefix (not the function name) so keys survive a function replacement and IAM can
    // scope this integration to its own items.
    keyPrefix: `hookyard.${integration.name}`,
  },
);

async function handleRecord(record: SQSRecord) {
  const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
  let job: DeliveryJob | undefined;
  try {
    job = toDeliveryJob(record);
    const result = await deliverOnce(job);
    if (!sentNow.has(job)) {
      metrics.addMetric('DuplicatesSkipped', MetricUnit.Count, 1);
      logger.info('duplicate skipped', { eventId: job.eventId, deliveredAt: result.deliveredAt });
      return result;
    }
    metrics.addMetric('EventsDelivered', MetricUnit.Count, 1);
    logger.info('event delivered', { eventId: job.eventId, status: result.status, receives });
    await circuit.targetAnswered();
    if (receives > 1) await failureLog.clear(integration.name, job.eventId).catch(() => undefined);
    return result;
  } catch (error) {
    if (error instanceof PermanentDeliveryError) {
      // A 4xx means the target is up: it answered, just not for this record.
      if (error.details.reason === 'target-rejected') await circuit.targetAnswered();
      await deadLetter(record, job, error);
      return { deadLettered: true };
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      logger.info('duplicate in progress elsewhere; retrying shortly', { eventId: job?.eventId });
      await changeVisibility(record, IN_PROGRESS_RETRY_SECONDS);
      throw error;
    }
    await onTransientFailure(record, job, error, receives);
    throw error;
  }
}

/** Straight to the DLQ with the reason: retries cannot fix it. The record then counts as handled. */
async function deadLetter(record: SQSRecord, job: DeliveryJob | undefined, error: PermanentDeliveryError) {
  const eventId = job?.eventId ?? record.messageAttributes['event-id']?.stringValue ?? record.messageId;
  const summary = summarizeFailure(error);
  const history = await failureLog.record(integration.name, eventId, summary, new Date());
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: record.body,
      MessageAttributes: failureAttributes(
        {
          integration: job?.integration ?? integration.name,
          eventId,
          receivedAt: job?.receivedAt ?? new Date(Number(record.attributes.SentTimestamp)).toISOString(),
          schemaVersion: job?.schemaVersion ?? 'unknown',
        },
        { ...summary, firstFailureAt: history.firstFailureAt, lastFailureAt: history.lastFailureAt },
      ),
    }),
  );
  metrics.addMetric('EventsDeadLettered', MetricUnit.Count, 1);
  logger.warn('event dead-lettered', { eventId, reason: summary.reason, status: summary.status });
}

/** Keep the last error where on-call can read it, and back SQS retries off by receive count. */
async function onTransientFailure(
  record: SQSRecord,
  job: DeliveryJob | undefined,
  error: unknown,
  receives: number,
) {
  const summary = summarizeFailure(error);
  metrics.addMetric('DeliveryFailures', MetricUnit.Count, 1);
  logger.warn('delivery failed; will retry', {
    eventId: job?.eventId,
    reason: summary.reason,
    status: summary.status,
    receives,
  });
  if (job) await failureLog.record(integration.name, job.eventId, summary, new Date()).catch(() => undefined);
  // Throttling (429) is the limiter's business; the circuit is for a target that is down or broken.
  const targetFailed = error instanceof TransientDeliveryError && error.details.status !== 429;
  const opened = targetFailed ? await circuit.targetFailed() : undefined;
  // With the circuit open, come back when it may be probed; otherwise back off by receive count.
  await changeVisibility(
    record,
    opened ? secondsUntil(opened.openUntil) : visibilityTimeoutForReceive(receives, redelivery),
  );
}

const secondsUntil = (at: number) => Math.min(43_200, Math.max(1, Math.ceil((at - Date.now()) / 1000)));

/** Circuit open: don't call the target; every record comes back once the circuit may be probed. */
async function holdBack(event: SQSEvent, open: CircuitRecord) {
  await Promise.all(event.Records.map((record) => changeVisibility(record, secondsUntil(open.openUntil))));
  metrics.addMetric('RecordsHeldBack', MetricUnit.Count, event.Records.length);
  logger.info('circuit open: records held back', {
    records: event.Records.length,
    openUntil: new Date(open.openUntil).toISOString(),
  });
  return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
}

/** When SQS hands the record out again. Best effort: without it the queue's visibility timeout applies. */
async function changeVisibility(record: SQSRecord, seconds: number) {
  await sqs
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    )
    .catch((e: unknown) => logger.warn('could not change visibility', { error: String(e) }));
}

const processor = new BatchProcessor(EventType.SQS);

async function transform(event: SQSEvent, context: Context) {
  invocationContext = context;
  idempotencyConfig.registerLambdaContext(context);
  const shared = await circuit.current();
  if (shared.state === 'open') return holdBack(event, shared);
  return processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
}

export const handler = middy(transform)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
