/**
 * The transformer's wiring: clients, circuit, limiter, authenticator and the idempotent call, built
 * once per execution environment; per record it maps and delivers, asks `decideOutcome` what becomes
 * of the record, and carries that out (acknowledge, dead-letter, retry later, hold back).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CircuitStore } from '../shared/circuit.js';
import { MILESTONES, tableKeys } from '../shared/contract.js';
import type { PermanentDeliveryError } from '../shared/errors.js';
import {
  ATTR,
  carriesFailureAttributes,
  failureAttributes,
  isRequeuedCopy,
  requeuedCopyAttributes,
} from '../shared/message.js';
import { countMetric, logger } from '../shared/powertools.js';
import { credentials, currentSecret, forgetSecret } from '../shared/secrets.js';
import { signStandardWebhook } from '../shared/signatures/index.js';
import type { TransformerConfig } from './config.js';
import { ConsumerCircuit } from './consumer-circuit.js';
import { buildTargetBody, type DeliveryJob, summarizeFailure, toDeliveryJob } from './core.js';
import { alreadyDeadLettered, copyOf } from './dead-letter-mark.js';
import { mayRelease, releaseVisibilitySeconds, waitInCall } from './delivery/batch-pace.js';
import { deliver, type ReleasePolicy } from './delivery/client.js';
import { DynamoSlotBook } from './delivery/dynamo-slot-book.js';
import { SharedRateSchedule } from './delivery/rate-schedule.js';
import { createTargetAuthenticator } from './delivery/target-auth.js';
import { FailureLog } from './failure-log.js';
import { idempotentCall } from './idempotent-call.js';
import { decideOutcome, type Happened, type Outcome, targetSignal } from './outcome.js';
import { SAVE_RESERVE_MS } from './time-budget.js';

export interface TransformerClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
}

const ACKNOWLEDGED = {
  delivered: MILESTONES.eventDelivered,
  duplicate: MILESTONES.duplicateSkipped,
} as const;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the work given under one key one after the other (in this container), others freely. */
function inTurn() {
  const last = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const next = (last.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    last.set(key, next);
    next
      .finally(() => {
        if (last.get(key) === next) last.delete(key);
      })
      .catch(() => undefined);
    return next;
  };
}

/**
 * Can an acknowledged record's event have a failure record (or DLQ mark) to clear? Only a message that
 * failed before (a later receive, a requeued copy) or came out of the DLQ: a first receive costs no
 * extra write. A requeued twin's copy acknowledged as a duplicate clears the reason its requeue left.
 */
function mayLeaveFailureRecord(as: 'delivered' | 'duplicate', record: SQSRecord, receives: number): boolean {
  if (as === 'duplicate') return isRequeuedCopy(record);
  return receives > 1 || carriesFailureAttributes(record) || isRequeuedCopy(record);
}

export function createTransformer(
  { env, integration, auth }: TransformerConfig,
  clients: TransformerClients,
) {
  const { delivery } = env;
  const keys = tableKeys(integration.name);
  let context: Context | undefined;
  const remainingTimeMs = () => context?.getRemainingTimeInMillis() ?? delivery.timeoutSeconds * 1000;

  const circuit = new ConsumerCircuit(new CircuitStore(clients.dynamodb, env.table, integration.name), {
    failureThreshold: delivery.circuit.failureThreshold,
    timing: {
      openMs: delivery.circuit.openSeconds * 1000,
      maxOpenMs: delivery.circuit.maxOpenSeconds * 1000,
    },
    now: Date.now,
    onOpened: async (opened) => {
      countMetric('circuitOpened');
      logger.warn('circuit opened: holding deliveries back', {
        openSeconds: opened.openMs / 1000,
        trips: opened.trips,
      });
      // Every record received while the mapping still runs costs a receive: have it stopped now, not
      // at the breaker's next scheduled check.
      await clients.lambda
        .send(new InvokeCommand({ FunctionName: env.breakerFunctionName, InvocationType: 'Event' }))
        .catch((e: unknown) =>
          logger.warn('could not wake the breaker; its schedule will', { error: String(e) }),
        );
    },
    onClosed: () => logger.info(MILESTONES.circuitClosed),
  });
  const failureLog = new FailureLog(clients.dynamodb, env.table, delivery.idempotencyTtlSeconds);
  const { targetSecretId } = env;
  const authenticator = createTargetAuthenticator(
    auth,
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
  // Every consumer books its send times from one schedule at the declared rate (rate-schedule.ts):
  // a consumer held by a slow answer, or between batches, leaves its part to the others.
  const rateLimiter = new SharedRateSchedule({
    ratePerSecond: delivery.rateLimitPerSecond,
    book: new DynamoSlotBook(clients.dynamodb, env.table, keys.rateSchedule),
    // Only a run of 429s slows every request down; a lone one is waited out by its Retry-After.
    throttleAfter: 2,
    now: Date.now,
    sleep,
  });
  const release: ReleasePolicy = {
    waitInCall: (delayMs) =>
      waitInCall({ delayMs, scheduledUntil: rateLimiter.scheduledUntil(), now: Date.now() }),
    releaseVisibilitySeconds: (retryAfterMs) => releaseVisibilitySeconds(retryAfterMs, Math.random),
  };
  /** Jobs that may be released rather than waited on (batch-pace.ts `mayRelease`). */
  const releasable = new WeakSet<DeliveryJob>();

  /** Jobs this invocation actually sent; any other success is a stored result replayed for a duplicate. */
  const sentNow = new WeakSet<DeliveryJob>();
  const deliverOnce = idempotentCall(
    async (job: DeliveryJob) => {
      const body = buildTargetBody(integration, job);
      const signingSecret = env.deliverySigningSecretId
        ? await currentSecret(env.deliverySigningSecretId)
        : undefined;
      const result = await deliver(
        { url: env.targetUrl, method: delivery.method, body, eventId: job.eventId },
        {
          fetch,
          now: Date.now,
          sleep,
          random: Math.random,
          remainingTimeMs,
          authenticator,
          rateLimiter,
          release: releasable.has(job) ? release : undefined,
          sign: signingSecret
            ? (sent: string) =>
                signStandardWebhook(signingSecret, { id: job.eventId, timestamp: new Date(), body: sent })
            : undefined,
        },
        {
          timeoutMs: delivery.timeoutSeconds * 1000,
          maxAttempts: delivery.maxAttemptsPerReceive,
          backoff: delivery.backoff,
          retryableStatuses: delivery.retryableStatuses,
          safetyMarginMs: SAVE_RESERVE_MS,
          quoteAnswers: delivery.quoteTargetAnswers,
        },
      );
      sentNow.add(job);
      return { status: result.status, attempts: result.attempts, deliveredAt: new Date().toISOString() };
    },
    {
      client: clients.dynamodb,
      tableName: env.table,
      keyPrefix: keys.idempotencyPrefix,
      ttlSeconds: delivery.idempotencyTtlSeconds,
      saveRetry: { attempts: 3, delayMs: 200, minRemainingMs: 500, remainingTimeMs, sleep },
    },
  );

  /** Deliveries of one idempotency key in this container, one after the other. */
  const deliveriesInTurn = inTurn();

  /** The batch under way is full (the queue has more waiting): see batch-pace.ts. */
  let batchIsFull = false;

  async function handleRecord(record: SQSRecord) {
    const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
    let job: DeliveryJob | undefined;
    let happened: Happened;
    try {
      // Frozen: the idempotency layer hashes this object before and after the call.
      const frozen = Object.freeze(toDeliveryJob(record));
      job = frozen;
      if (mayRelease({ receives, maxReceiveCount: delivery.maxReceiveCount, batchIsFull }))
        releasable.add(frozen);
      // A twin in the same container (often the same batch: a re-send moments later) waits for this
      // delivery and is then a duplicate, instead of being handed back with a receive spent.
      await deliveriesInTurn(frozen.idempotencyKey, () => deliverOnce(frozen));
      happened = { kind: sentNow.has(job) ? 'sent' : 'replayed' };
    } catch (error) {
      happened = { kind: 'failed', error, sent: job !== undefined && sentNow.has(job) };
    }
    const signal = targetSignal(happened);
    if (signal === 'answered') await circuit.targetAnswered();
    const opened = signal === 'failed' ? await circuit.targetFailed() : undefined;
    const outcome = decideOutcome({
      happened,
      receives,
      circuitOpenUntil: opened?.openUntil,
      now: Date.now(),
      redelivery: delivery.redelivery,
      maxReceiveCount: delivery.maxReceiveCount,
    });
    await carryOut(outcome, record, job, receives);
  }

  async function carryOut(
    outcome: Outcome,
    record: SQSRecord,
    job: DeliveryJob | undefined,
    receives: number,
  ) {
    // A dead-letter counts its metrics once it knows whether it sent a copy (deadLetter).
    if (outcome.action !== 'dead-letter') for (const metric of outcome.metrics) countMetric(metric);
    const eventId = job?.eventId ?? record.messageAttributes[ATTR.eventId]?.stringValue ?? record.messageId;
    switch (outcome.action) {
      case 'acknowledge':
        if (outcome.unrecorded)
          logger.error('event delivered, but its idempotency record could not be completed', { eventId });
        else logger.info(ACKNOWLEDGED[outcome.as], { eventId, receives });
        if (mayLeaveFailureRecord(outcome.as, record, receives))
          await failureLog.clear(integration.name, eventId).catch(() => undefined);
        return;
      case 'dead-letter': {
        const sent = await deadLettersInTurn(eventId, () => deadLetter(record, job, eventId, outcome.error));
        for (const metric of sent ? outcome.metrics : ['deadLetterDuplicatesSkipped' as const])
          countMetric(metric);
        return;
      }
      case 'requeue':
        // Should this invocation be lost once the copy is sent, SQS moves the original to the DLQ at its
        // next receive: its reason must already be where `dlq show` looks. (Only on a last receive.)
        await recordNotAttempted(eventId, MILESTONES[outcome.logAs]);
        // The copy is confirmed before this record counts as handled (and is deleted).
        await clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: env.queueUrl,
            MessageBody: record.body,
            MessageAttributes: requeuedCopyAttributes(record, new Date()),
            DelaySeconds: outcome.afterSeconds,
          }),
        );
        logger.info(MILESTONES[outcome.logAs], { eventId, receives, afterSeconds: outcome.afterSeconds });
        return;
      case 'retry': {
        if (!outcome.recordFailure) {
          logger.info(MILESTONES[outcome.logAs], { eventId, receives, afterSeconds: outcome.afterSeconds });
          await changeVisibility(record, outcome.afterSeconds);
          throw outcome.error;
        }
        const summary = summarizeFailure(outcome.error);
        logger.warn(MILESTONES.deliveryFailed, {
          eventId,
          reason: summary.reason,
          status: summary.status,
          receives,
        });
        if (job)
          await failureLog.record(integration.name, eventId, summary, new Date()).catch(() => undefined);
        await changeVisibility(record, outcome.afterSeconds);
        throw outcome.error;
      }
      case 'hold-back':
        await changeVisibility(record, outcome.afterSeconds);
        throw new Error('circuit open: held back');
    }
  }

  /**
   * Straight to the DLQ with the reason: retries cannot fix it. The record then counts as handled.
   * Unless the DLQ is known to hold a copy of this event already (dead-letter-mark.ts): then no second
   * copy, and false. A crash between the DLQ send and the mark leaves a second copy possible (never a
   * loss); so do two copies failing at the same moment in two containers (no lock). Within one
   * container `deadLettersInTurn` puts them in a row.
   */
  async function deadLetter(
    record: SQSRecord,
    job: DeliveryJob | undefined,
    eventId: string,
    error: PermanentDeliveryError,
  ): Promise<boolean> {
    const summary = summarizeFailure(error);
    const history = await failureLog.record(integration.name, eventId, summary, new Date());
    const copy = copyOf(job?.idempotencyKey ?? eventId, record.body);
    const mark = history.deadLetter;
    if (
      alreadyDeadLettered({
        mark,
        copy,
        cameFromDlq: carriesFailureAttributes(record),
        now: Date.now(),
        retentionSeconds: delivery.deadLetterRetentionSeconds,
      })
    ) {
      logger.info(MILESTONES.deadLetterDuplicateSkipped, {
        eventId,
        reason: summary.reason,
        deadLetteredAt: mark?.at,
        deadLetterMessageId: mark?.messageId,
      });
      await failureLog.countDuplicateSkipped(integration.name, eventId).catch(() => undefined);
      return false;
    }
    // Taken before the send: the copy expires no earlier than this plus the DLQ's retention.
    const sendingAt = new Date().toISOString();
    const sent = await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: env.deadLetterQueueUrl,
        MessageBody: record.body,
        MessageAttributes: failureAttributes(
          {
            integration: job?.integration ?? integration.name,
            eventId,
            receivedAt: job?.receivedAt ?? new Date(Number(record.attributes.SentTimestamp)).toISOString(),
            schemaVersion: job?.schemaVersion ?? 'unknown',
            idempotencyKey: job?.idempotencyKey,
          },
          { ...summary, firstFailureAt: history.firstFailureAt, lastFailureAt: history.lastFailureAt },
        ),
      }),
    );
    logger.warn(MILESTONES.eventDeadLettered, { eventId, reason: summary.reason, status: summary.status });
    // Only now that the copy is in the DLQ: a mark written before the send could drop a message whose
    // copy never got there. Not marked (a redrive began meanwhile, or the write failed): at worst a
    // later message of the event is dead-lettered too.
    try {
      const marked = await failureLog.markDeadLettered(integration.name, eventId, {
        at: sendingAt,
        messageId: sent.MessageId ?? '',
        copy,
      });
      if (!marked) logger.info('dead-lettered while a redrive of the event ran: not marked', { eventId });
    } catch (e) {
      logger.warn('dead-lettered, but not marked: a later copy of this event may be dead-lettered too', {
        eventId,
        error: String(e),
      });
    }
    return true;
  }

  /** Dead-letters of one event in this container, one after the other (see deadLetter). */
  const deadLettersInTurn = inTurn();

  /** When SQS hands the record out again. Best effort: without it the queue's visibility timeout applies. */
  async function changeVisibility(record: SQSRecord, seconds: number) {
    await clients.sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: env.queueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: seconds,
        }),
      )
      .catch((e: unknown) => logger.warn('could not change visibility', { error: String(e) }));
  }

  const processor = new BatchProcessor(EventType.SQS);

  async function recordHeldBackNearTheDlq(record: SQSRecord) {
    const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const eventId = record.messageAttributes[ATTR.eventId]?.stringValue;
    if (!eventId || receives < delivery.maxReceiveCount - 1) return;
    await recordNotAttempted(
      eventId,
      'circuit-open: held back while the target kept failing (not attempted on this receive)',
    );
  }

  /**
   * Why a record that was not attempted on this receive may still reach the DLQ (SQS's move), where
   * `dlq show` looks. Best effort: without it the DLQ entry only lacks its reason.
   */
  async function recordNotAttempted(eventId: string, reason: string) {
    await failureLog
      .record(integration.name, eventId, { errorClass: 'transient', reason, attempts: 0 }, new Date())
      .catch(() => undefined);
  }

  /** One batch: held back whole while the circuit is open, else each record on its own. */
  return async function transform(event: SQSEvent, invocation: Context): Promise<SQSBatchResponse> {
    context = invocation;
    deliverOnce.registerLambdaContext(invocation);
    const shared = await circuit.current();
    if (shared.state === 'open') {
      const outcome = decideOutcome({
        happened: { kind: 'circuit-open', openUntil: shared.openUntil },
        receives: 0,
        now: Date.now(),
        redelivery: delivery.redelivery,
        maxReceiveCount: delivery.maxReceiveCount,
      });
      if (outcome.action === 'hold-back') {
        await Promise.all(event.Records.map((record) => changeVisibility(record, outcome.afterSeconds)));
        // A hold-back still costs a receive: one near maxReceiveCount may reach the DLQ without ever
        // being tried, so it leaves its reason where `dlq show` looks.
        await Promise.all(event.Records.map(recordHeldBackNearTheDlq));
        for (const metric of outcome.metrics) countMetric(metric, event.Records.length);
        logger.info('circuit open: records held back', {
          records: event.Records.length,
          afterSeconds: outcome.afterSeconds,
        });
      }
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    batchIsFull = delivery.batchSize !== undefined && event.Records.length >= Math.max(2, delivery.batchSize);
    rateLimiter.expect(event.Records.length);
    return processPartialResponse(event, handleRecord, processor, {
      context: invocation,
      throwOnFullBatchFailure: false,
    });
  };
}
