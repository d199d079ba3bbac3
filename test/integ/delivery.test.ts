/**
 * Delivery to the target is robust (issue 4): the real transformer handler, in-process, with real
 * AWS SDK clients pointed at the emulators this file starts, delivering to the real sample target
 * (OAuth2 token endpoint, declared rate limit with 429 + Retry-After, Idempotency-Key dedupe,
 * faults). Every assertion is a count measured at the target, the queues or the table.
 *
 * The handler reads its environment at import and keeps module state (token cache, rate limiter),
 * so each sample target gets a fresh handler instance (`vi.resetModules()` + import), and the tests
 * that share one run in the order written. The transformer's environment declares 10 req/s
 * (LIMITER_RATE): it books send times from the shared rate schedule (rate-schedule.ts, one DynamoDB
 * item) a slot of 102.5 ms apart, never more than 10 in any second; each sample target declares its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MILESTONES, tableKeys } from '../../functions/shared/contract.js';
import { envelopeAttributes } from '../../functions/shared/message.js';
import { DynamoSlotBook } from '../../functions/transform/delivery/dynamo-slot-book.js';
import { slotSpacingMs } from '../../functions/transform/delivery/rate-schedule.js';
import { FailureLog } from '../../functions/transform/failure-log.js';
import type { SqsEmulator } from '../../local/emulators/sqs.js';
import { settleBatch, toSqsRecord } from '../../local/runtime/sqs-event-source.js';
import {
  DELIVERY_PATH,
  SAMPLE_TARGET_DEFAULTS,
  type SampleTarget,
  type SampleTargetOptions,
  startSampleTarget,
} from '../../local/sample-target/index.js';
import {
  type HandlerEnvironment,
  INTEGRATION,
  receiveMessages,
  startHandlerEnvironment,
  TABLE,
} from '../support/handler-environment.js';
import { lambdaContext } from '../support/lambda-context.js';
import { busiestWindow } from '../unit/transform/delivery/fakes.js';

/** The rate the transformer's environment declares for its target. */
const LIMITER_RATE = 10;
const MAX_ATTEMPTS_PER_RECEIVE = 3;
const MAX_RECEIVE_COUNT = 5;

const fixturesDir = new URL('../../integrations/acme-orders/fixtures/', import.meta.url);
const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.in.json'))
  .sort()
  .map((name) => readFileSync(new URL(name, fixturesDir), 'utf8'));

type Transform = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let env: HandlerEnvironment;
let sqsEmulator: SqsEmulator;
let sqs: SQSClient;
let failureLog: FailureLog;
let queueUrl: string;
let dlqUrl: string;
const targets: SampleTarget[] = [];

beforeAll(async () => {
  env = await startHandlerEnvironment({
    maxReceiveCount: MAX_RECEIVE_COUNT,
    secrets: {
      'acme-target': JSON.stringify({
        clientId: SAMPLE_TARGET_DEFAULTS.clientId,
        clientSecret: SAMPLE_TARGET_DEFAULTS.clientSecret,
      }),
    },
  });
  ({ sqsEmulator, sqs, queueUrl, dlqUrl } = env);
  failureLog = new FailureLog(env.dynamodb, TABLE);
});

afterAll(async () => {
  await Promise.all([env?.stop(), ...targets.map((target) => target.stop())]);
});

/** A sample target, and a fresh transformer (new token cache, new limiter) pointed at it. */
async function targetWithFreshTransformer(
  opts: SampleTargetOptions,
): Promise<{ target: SampleTarget; transform: Transform }> {
  const target = await startSampleTarget(opts);
  targets.push(target);
  env.setTransformerEnvironment({
    targetUrl: `${target.url}${DELIVERY_PATH}`,
    targetTokenUrl: target.tokenUrl,
    targetSecretId: 'acme-target',
    delivery: (settings) => ({
      ...settings,
      rateLimitPerSecond: LIMITER_RATE,
    }),
  });
  vi.resetModules();
  const { handler } = await import('../../functions/transform/handler.js');
  return { target, transform: handler as unknown as Transform };
}

const eventIdOf = (record: SQSRecord) => record.messageAttributes['event-id']?.stringValue ?? '';
const byEventId = (a: SQSRecord, b: SQSRecord) => eventIdOf(a).localeCompare(eventIdOf(b));
const toRecord = (message: Message) =>
  toSqsRecord(message, sqsEmulator.queueArn(INTEGRATION), 'us-east-1') as SQSRecord;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Receive exactly `count` messages (long polls, bounded). */
async function receive(url: string, count: number, visibilityTimeout?: number): Promise<Message[]> {
  const messages = await receiveMessages(sqs, url, count, { visibilityTimeout });
  expect(messages).toHaveLength(count);
  return messages;
}

/**
 * Queue events the way ingest does (body: a golden fixture; the envelope attributes), then receive
 * them as the event source mapping would. Event ids are `<prefix>-01`, `<prefix>-02`, …
 */
async function enqueue(prefix: string, count: number, visibilityTimeout?: number): Promise<SQSRecord[]> {
  const eventIds = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
  return enqueueMessages(
    eventIds.map((eventId, i) => ({ eventId, body: fixtures[i % fixtures.length] as string })),
    visibilityTimeout,
  );
}

/** Queue one message per entry (the same event id twice: a partner's re-send), then receive them all. */
async function enqueueMessages(
  messages: readonly { eventId: string; body: string }[],
  visibilityTimeout?: number,
): Promise<SQSRecord[]> {
  for (const part of chunks(messages, 10)) {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: part.map(({ eventId, body }, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: envelopeAttributes({
            integration: INTEGRATION,
            eventId,
            receivedAt: new Date().toISOString(),
            schemaVersion: 'v1',
          }),
        })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
  return (await receive(queueUrl, messages.length, visibilityTimeout)).map(toRecord).sort(byEventId);
}

/** One invocation; then, as the event source does, delete every record not reported failed. */
async function invoke(
  transform: Transform,
  records: SQSRecord[],
  context: Context = lambdaContext('acme-orders-transformer'),
): Promise<{ response: SQSBatchResponse; failed: SQSRecord[] }> {
  const response = await transform({ Records: records }, context);
  const outcome = settleBatch(records, response, true);
  expect(outcome.invalidResponse).toBeUndefined();
  if (outcome.succeeded.length > 0) {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: outcome.succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
  return { response, failed: [...outcome.failed] };
}

/**
 * SQS hands failed records back once their (stretched) visibility timeout ends: we end it now and
 * receive them again, with their receive count one higher.
 */
async function redeliver(failed: SQSRecord[]): Promise<SQSRecord[]> {
  // Ten entries per request at most (more than ten records of a receive can fail when they are released).
  for (const part of chunks(failed, 10)) {
    const out = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: part.map((r, i) => ({
          Id: String(i),
          ReceiptHandle: r.receiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
  const again = (await receive(queueUrl, failed.length)).map(toRecord).sort(byEventId);
  expect(again.map(eventIdOf)).toEqual(failed.map(eventIdOf).sort());
  return again;
}

/**
 * Process `records` in batches of `batchSize`, one batch at a time as one container does, then hand
 * the failed ones back as SQS would, until none fails. Returns how many receives it took.
 */
async function deliverAll(transform: Transform, records: SQSRecord[], batchSize: number): Promise<number> {
  let pending = records;
  for (let receives = 1; ; receives++) {
    const failed: SQSRecord[] = [];
    for (const batch of chunks(pending, batchSize)) failed.push(...(await invoke(transform, batch)).failed);
    if (failed.length === 0) return receives;
    // One more receive would be past maxReceiveCount: SQS would dead-letter these events.
    expect(receives, `${failed.map(eventIdOf)} still failing`).toBeLessThan(MAX_RECEIVE_COUNT);
    pending = await redeliver(failed);
  }
}

async function queueCounts(): Promise<{ visible: number; notVisible: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    notVisible: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

const uniqueKeys = (target: SampleTarget) => new Set(target.received().map((d) => d.idempotencyKey));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Records when the transformer sends each delivery request (its `fetch` call), for the rate schedule's
 * guarantee, which is about send times: the target's own clock sees arrivals, which a loaded machine
 * can bunch after they left on time (README, "The rate at the target").
 */
function recordSends(): { readonly times: number[]; restore(): void } {
  const times: number[] = [];
  const realFetch = globalThis.fetch;
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url).pathname === DELIVERY_PATH) times.push(Date.now());
    return realFetch(input, init);
  });
  return { times, restore: () => spy.mockRestore() };
}

/**
 * Most sends within any second. Date.now() counts whole milliseconds, so sends 998 ms apart by it
 * are less than a second apart in real time: the count is of what real time puts within a second.
 */
const mostSendsInASecond = (times: readonly number[]) => busiestWindow(times, 999);

describe('delivery to a target that keeps up (20 req/s declared)', () => {
  let target: SampleTarget;
  let transform: Transform;

  beforeAll(async () => {
    ({ target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: 2 * LIMITER_RATE }));
  });

  it('fetches one token for 20 deliveries across 4 batches', async () => {
    // Prepare
    const records = await enqueue('evt-token', 20);
    // Act
    const receives = await deliverAll(transform, records, 5);
    // Assess: one token endpoint call for every delivery; each event delivered once
    const stats = target.stats();
    expect(receives).toBe(1);
    expect(stats.tokensIssued).toBe(1);
    expect(stats.delivered).toBe(20);
    expect(stats.received).toBe(20);
    expect(stats.duplicates).toBe(0);
    expect(uniqueKeys(target)).toEqual(new Set(records.map(eventIdOf)));
  });

  it('fetches exactly one new token after a 401 and delivers', async () => {
    // Prepare: the target forgets every token it issued (the cached one is now stale)
    target.reset();
    target.revokeTokens();
    const [record] = await enqueue('evt-revoked', 1);
    // Act
    const { response } = await invoke(transform, [record!]);
    // Assess: 401 → one token request → the retry is accepted
    const stats = target.stats();
    expect(response.batchItemFailures).toEqual([]);
    expect(stats.tokensIssued).toBe(1); // counted since reset(): exactly one refresh
    expect(stats.byStatus).toEqual({ '201': 1, '401': 1 });
    expect(uniqueKeys(target)).toEqual(new Set(['evt-revoked-01']));
  });

  it('fetches one new token when several requests in flight meet the 401', async () => {
    // Prepare: slow answers, so three requests carry the revoked token at the same time
    target.reset();
    target.setFaults({ latencyMs: 300 });
    target.revokeTokens();
    const records = await enqueue('evt-revoked-concurrent', 3);
    // Act
    const { response } = await invoke(transform, records);
    target.setFaults({ latencyMs: 0 });
    // Assess
    const stats = target.stats();
    expect(response.batchItemFailures).toEqual([]);
    expect(stats.delivered).toBe(3);
    expect(stats.byStatus['401']).toBe(3);
    expect(stats.tokensIssued).toBe(1);
  });

  it('sends a permanently rejected event to the DLQ on the first attempt, with its reason', async () => {
    // Prepare
    target.reset();
    target.setFaults({ status: 422 });
    const [record] = await enqueue('evt-422', 1);
    // Act
    const { response } = await invoke(transform, [record!]);
    target.setFaults({ status: null });
    // Assess: handled (not retried), one request at the target, in the DLQ with why
    expect(response.batchItemFailures).toEqual([]);
    expect(target.stats().received).toBe(1);
    expect(target.stats().byStatus).toEqual({ '422': 1 });
    const [dead] = await receive(dlqUrl, 1);
    expect(dead?.Body).toBe(record?.body);
    const attrs = dead?.MessageAttributes ?? {};
    expect(attrs['event-id']?.StringValue).toBe('evt-422-01');
    expect(attrs['error-class']?.StringValue).toBe('permanent');
    expect(attrs['http-status']?.StringValue).toBe('422');
    expect(JSON.parse(attrs.failure?.StringValue ?? '{}')).toMatchObject({ attempts: 1 });
    // The target's answer ({"error":"fault","message":"forced status"}): its code and field names, not its text
    expect(attrs['error-reason']?.StringValue).toBe(
      'target-rejected: target rejected the request: 422 Unprocessable Entity; code fault; fields error, message',
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: dead?.ReceiptHandle }));
    expect(await queueCounts()).toEqual({ visible: 0, notVisible: 0 });
  });

  it('fails only the record after 3 transient failures, logs why and stretches its visibility', async () => {
    // Prepare: received with a 2 s visibility, so only the handler's stretch can keep it hidden longer
    target.reset();
    target.setFaults({ status: 503 });
    const receivedAt = Date.now();
    const [record] = await enqueue('evt-503', 1, 2);
    // Act
    const { response } = await invoke(transform, [record!]);
    target.setFaults({ status: null });
    // Assess: the record alone failed, after maxAttemptsPerReceive requests at the target
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record?.messageId }]);
    expect(target.stats().received).toBe(MAX_ATTEMPTS_PER_RECEIVE);
    expect(target.stats().byStatus).toEqual({ '503': MAX_ATTEMPTS_PER_RECEIVE });
    const failure = await failureLog.read(INTEGRATION, 'evt-503-01');
    expect(failure).toMatchObject({
      errorClass: 'transient',
      status: 503,
      attempts: MAX_ATTEMPTS_PER_RECEIVE,
      receives: 1,
    });
    expect(failure?.reason).toMatch(/^target answered 503 .*gave up after 3 attempt\(s\)$/);
    // Past the 2 s it was received with, it is still in flight: the handler set 30 s (receive 1)
    await sleep(Math.max(0, receivedAt + 2500 - Date.now()));
    expect(await queueCounts()).toEqual({ visible: 0, notVisible: 1 });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record?.receiptHandle }));
  });
});

describe('Retry-After from a target declaring 1 req/s', () => {
  let target: SampleTarget;
  let transform: Transform;

  beforeAll(async () => {
    ({ target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: 1 }));
  });

  it('waits as told after a 429 and delivers on the second attempt', async () => {
    // Prepare: two events 100 ms apart; the second is over the target's rate
    const records = await enqueue('evt-retry-after', 2);
    // Act
    const { response } = await invoke(transform, records);
    // Assess: one 429 only. Backoff alone (≤ 200 ms, then ≤ 400 ms) would have retried inside the
    // target's window and met two more 429s, failing the record.
    const stats = target.stats();
    expect(response.batchItemFailures).toEqual([]);
    expect(stats.byStatus).toEqual({ '201': 2, '429': 1 });
    expect(uniqueKeys(target)).toEqual(new Set(records.map(eventIdOf)));
  });

  it('fails only the throttled record when the Retry-After wait does not fit the time left', async () => {
    // Prepare: 5 s left in the invocation; waiting 1 s then a 10 s attempt does not fit
    target.reset();
    const records = await enqueue('evt-no-time', 2);
    // Act
    const { response, failed } = await invoke(
      transform,
      records,
      lambdaContext('acme-orders-transformer', 5000),
    );
    // Assess: the other record delivered; the throttled one failed alone after its one request
    const stats = target.stats();
    expect(response.batchItemFailures).toHaveLength(1);
    expect(stats.byStatus).toEqual({ '201': 1, '429': 1 });
    const throttled = eventIdOf(failed[0]!);
    expect(uniqueKeys(target)).toEqual(new Set(records.map(eventIdOf).filter((id) => id !== throttled)));
    const failure = await failureLog.read(INTEGRATION, throttled);
    expect(failure).toMatchObject({ errorClass: 'transient', status: 429, attempts: 1 });
    expect(failure?.reason).toMatch(/^target answered 429 .*; not enough time left to wait 1000 ms/);
    // …and SQS's next receive delivers it, which clears its failure log item
    expect(await deliverAll(transform, await redeliver(failed), 10)).toBe(1);
    expect(uniqueKeys(target)).toEqual(new Set(records.map(eventIdOf)));
    expect(await failureLog.read(INTEGRATION, throttled)).toBeUndefined();
  });
});

describe('a full batch against a failing target (issue 11)', () => {
  it('releases the records whose retry would hold the batch, each back soon, none dead-lettered', async () => {
    // Prepare: every delivery answered 503 on the first receive
    const { target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: 2 * LIMITER_RATE });
    const records = await enqueue('evt-release', 10);
    target.setFaults({ status: 503 });
    // Act
    const { failed } = await invoke(transform, records);
    const requestsFirstReceive = target.stats().received;
    target.setFaults({ status: null });
    // Assess: all failed; some were released after fewer than 3 attempts (no in-call wait left to hide
    // behind), with a visibility of seconds rather than the 30 s of a failed receive
    expect(failed).toHaveLength(10);
    expect(requestsFirstReceive).toBeLessThan(10 * MAX_ATTEMPTS_PER_RECEIVE);
    const reasons = await Promise.all(failed.map((r) => failureLog.read(INTEGRATION, eventIdOf(r))));
    const wasReleased = (i: number) =>
      /released to the queue \(back in [1-3] s\)/.test(reasons[i]?.reason ?? '');
    const released = failed.filter((_, i) => wasReleased(i));
    const waited = failed.filter((_, i) => !wasReleased(i));
    expect(released.length).toBeGreaterThan(0);
    // The others gave up after their attempts (30 s away): hand them back now; the released ones
    // come back by themselves within 3 s
    const waitedAgain = waited.length > 0 ? await redeliver(waited) : [];
    await sleep(4000);
    const releasedAgain = (await receive(queueUrl, released.length)).map(toRecord);
    expect(releasedAgain.map(eventIdOf).sort()).toEqual(released.map(eventIdOf).sort());
    // …and the next receive delivers every event, once
    expect(await deliverAll(transform, [...waitedAgain, ...releasedAgain].sort(byEventId), 10)).toBe(1);
    expect(uniqueKeys(target)).toEqual(new Set(records.map(eventIdOf)));
    expect(target.stats().duplicates).toBe(0);
  });
});

describe('a 429 storm: 40 events, target declaring 5 req/s, limiter starting at 10 req/s', () => {
  it('delivers every event exactly once and never sends faster than the transformer’s declared rate', async () => {
    // Prepare
    const declared = LIMITER_RATE / 2;
    const { target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: declared });
    const records = await enqueue('evt-storm', 40);
    const sends = recordSends();
    // Act
    const receives = await deliverAll(transform, records, 10).finally(sends.restore);
    // Assess: exactly once per event at the target
    const stats = target.stats();
    expect(uniqueKeys(target)).toEqual(new Set(records.map(eventIdOf)));
    expect(stats.delivered).toBe(40);
    expect(stats.duplicates).toBe(0); // a 429 is refused before the key is recorded
    expect(stats.received).toBe(40 + (stats.byStatus['429'] ?? 0));
    expect(stats.byStatus['429']).toBeGreaterThan(0); // there was a storm
    // What the schedule guarantees (rate-schedule.ts) is about the times it sends: never more than
    // its declared rate, 10, in any 1 s window, whatever its adaptive rate. The adaptive decrease
    // (halve on a 429, at most once a second, not below 1/s; then +0.5/s per success) acts only
    // after the target has answered 429, and slots already booked still go: a batch of 10 takes
    // 10 slots 102.5 ms apart before the first answer. So it cannot hold the target to 5/s: it sends
    // up to 10/s, and the target refuses the surplus with 429 + Retry-After.
    const figures = `${receives} receive(s), ${JSON.stringify(stats)}, sends at ${sends.times}`;
    expect(sends.times).toHaveLength(stats.received);
    expect(stats.maxRequestsPerSecond, figures).toBeGreaterThan(declared);
    expect(mostSendsInASecond(sends.times), figures).toBeLessThanOrEqual(LIMITER_RATE);
  });

  it('never sends faster than a target declaring the limiter’s rate (10 req/s) accepts', async () => {
    // Prepare
    const { target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: LIMITER_RATE });
    const records = await enqueue('evt-calm', 30);
    const sends = recordSends();
    // Act
    const receives = await deliverAll(transform, records, 10).finally(sends.restore);
    // Assess: every send within the rate; each event delivered once. (On a loaded machine a request
    // can still arrive in a second that already holds 10, bunched after it left on time: the target
    // then answers 429 and it is sent again, as any 429 is.)
    const stats = target.stats();
    const figures = `${JSON.stringify(stats)}, sends at ${sends.times}`;
    expect(mostSendsInASecond(sends.times), figures).toBeLessThanOrEqual(LIMITER_RATE);
    expect(stats.byStatus['201'], figures).toBe(30);
    expect(stats.received, figures).toBe(30 + (stats.byStatus['429'] ?? 0));
    expect(receives).toBe(1);
    expect(uniqueKeys(target)).toEqual(new Set(records.map(eventIdOf)));
  });
});

describe('a record the shared rate has no room for (issue 11: a busy rate never dead-letters)', () => {
  it('hands it back unsent, not as a failure, and on its last receive queues a delayed copy, never the DLQ', async () => {
    // Prepare: the other consumers have booked the schedule 4 s ahead; each invocation has 6 s, of
    // which 3 s are kept to save the result and 1 s for the request: no slot in time
    const { target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: 2 * LIMITER_RATE });
    const book = new DynamoSlotBook(env.dynamodb, TABLE, tableKeys(INTEGRATION).rateSchedule);
    const bookAhead = () => book.book(40, slotSpacingMs(LIMITER_RATE), Date.now());
    const shortInvocation = () => lambdaContext('acme-orders-transformer', 6000);
    await bookAhead();
    let [record] = await enqueue('evt-no-slot', 1);
    const eventId = eventIdOf(record as SQSRecord);

    // Act + Assess: every receive up to the last is handed back unsent, and leaves no failure
    for (let receives = 1; receives < MAX_RECEIVE_COUNT; receives++) {
      expect(Number(record?.attributes.ApproximateReceiveCount)).toBe(receives);
      const { failed } = await invoke(transform, [record as SQSRecord], shortInvocation());
      expect(failed.map(eventIdOf)).toEqual([eventId]);
      [record] = await redeliver(failed);
      await bookAhead();
    }
    expect(await failureLog.read(INTEGRATION, eventId)).toBeUndefined();
    // The last allowed receive: one more failure and SQS would dead-letter it with no reason
    const { failed } = await invoke(transform, [record as SQSRecord], shortInvocation());

    // Assess: handled (deleted) because a delayed copy is queued; nothing sent, nothing dead-lettered.
    // Should the invocation be lost before SQS deletes the original, SQS moves it to the DLQ: its reason
    // is already on record
    expect(failed).toEqual([]);
    expect((await failureLog.read(INTEGRATION, eventId))?.reason).toBe(MILESTONES.rateSlotRequeued);
    expect(target.stats().received).toBe(0);
    const delayed = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(delayed.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');
    // The copy comes back once the schedule has room (a first receive again) and is delivered once
    const [copy] = (await receive(queueUrl, 1)).map(toRecord);
    expect(eventIdOf(copy as SQSRecord)).toBe(eventId);
    expect(Number(copy?.attributes.ApproximateReceiveCount)).toBe(1);
    expect(copy?.messageAttributes['requeued-at']?.stringValue).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await invoke(transform, [copy as SQSRecord])).failed).toEqual([]);
    expect(uniqueKeys(target)).toEqual(new Set([eventId]));
    expect(target.stats().duplicates).toBe(0);
    // …and its delivery clears the reason the requeue left (review 4b)
    expect(await failureLog.read(INTEGRATION, eventId)).toBeUndefined();
  });
});

describe('a twin on its last receive while its event is being delivered', () => {
  it('is queued again as a delayed copy with its reason, and the reason goes once the copy finds the event delivered', async () => {
    // Prepare: a partner's re-send (same id, same body); the first message is slow to deliver, the
    // re-sent one is on its last allowed receive
    const { target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: 2 * LIMITER_RATE });
    const eventId = 'evt-twin';
    const body = fixtures[0] as string;
    let [first, twin] = await enqueueMessages([
      { eventId, body },
      { eventId, body },
    ]);
    for (let receives = 1; receives < MAX_RECEIVE_COUNT; receives++)
      [twin] = await redeliver([twin as SQSRecord]);
    expect(Number(twin?.attributes.ApproximateReceiveCount)).toBe(MAX_RECEIVE_COUNT);
    target.setFaults({ latencyMs: 2000 });
    // Another container (in one container a twin waits its turn and is a plain duplicate)
    vi.resetModules();
    const otherContainer = (await import('../../functions/transform/handler.js'))
      .handler as unknown as Transform;

    // Act: the twin arrives in the other container while the first is in flight
    const delivering = invoke(transform, [first as SQSRecord], lambdaContext('acme-orders-transformer'));
    await sleep(500);
    const { failed } = await invoke(otherContainer, [twin as SQSRecord]);
    await delivering;
    target.setFaults({ latencyMs: 0 });

    // Assess: the twin is handled by a delayed copy whose reason is on record, never the DLQ…
    expect(failed).toEqual([]);
    expect((await failureLog.read(INTEGRATION, eventId))?.reason).toBe(MILESTONES.twinRequeued);
    // …and the copy, back after the in-progress wait (here about 30 s), is a duplicate that clears the reason
    const [copy] = (await receiveMessages(sqs, queueUrl, 1, { polls: 40 })).map(toRecord);
    expect(copy?.messageAttributes['requeued-at']).toBeDefined();
    expect((await invoke(transform, [copy as SQSRecord])).failed).toEqual([]);
    expect(await failureLog.read(INTEGRATION, eventId)).toBeUndefined();
    expect(target.stats()).toMatchObject({ delivered: 1, duplicates: 0 });
  }, 60_000);
});

describe('a twin in the same container as its event’s delivery', () => {
  it('waits its turn and is acknowledged as a duplicate: no receive spent, no reason left', async () => {
    // Prepare: a partner's re-send in the same batch as the first message, the target slow to answer
    const { target, transform } = await targetWithFreshTransformer({ rateLimitPerSecond: 2 * LIMITER_RATE });
    const body = fixtures[1] as string;
    const records = await enqueueMessages([
      { eventId: 'evt-twin-batch', body },
      { eventId: 'evt-twin-batch', body },
    ]);
    target.setFaults({ latencyMs: 1000 });
    // Act
    const { failed } = await invoke(transform, records);
    target.setFaults({ latencyMs: 0 });
    // Assess: both handled in this receive, the target asked once
    expect(failed).toEqual([]);
    expect(target.stats()).toMatchObject({ received: 1, delivered: 1, duplicates: 0 });
    expect(await failureLog.read(INTEGRATION, 'evt-twin-batch')).toBeUndefined();
  });
});
