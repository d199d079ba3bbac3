/**
 * The real ingest and transformer handlers, in-process, with real AWS SDK clients pointed at the
 * emulators this test starts (fauxqs, dynalite, the Secrets Manager emulator) and a scripted target.
 */
import { type DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type Message, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitStore } from '../../functions/shared/circuit.js';
import { idempotencyTtlSecondsOf, tableKeys } from '../../functions/shared/contract.js';
import { loadIntegration } from '../../functions/shared/integration.js';
import { envelopeAttributes, MAX_MESSAGE_ATTRIBUTES } from '../../functions/shared/message.js';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import type { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
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
import {
  ACME_SIGNING_SECRET,
  ACME_TARGET_SECRET,
  jsonWebhookEvent,
  acmeSample as sample,
  signedWebhookEvent,
} from '../support/webhooks.js';

type Handler<E, R> = (event: E, context: ReturnType<typeof lambdaContext>) => Promise<R>;
let ingest: Handler<APIGatewayProxyEventV2, { statusCode: number; body: string }>;
let transform: Handler<SQSEvent, SQSBatchResponse>;
let env: HandlerEnvironment;
let secrets: SecretsManagerEmulator;
let target: ScriptedTarget;
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;
let handlerDynamodb: DynamoDBClient;

beforeAll(async () => {
  [env, target] = await Promise.all([
    startHandlerEnvironment({
      secrets: {
        'acme-signing': ACME_SIGNING_SECRET,
        'acme-target': ACME_TARGET_SECRET,
      },
    }),
    startScriptedTarget(),
  ]);
  ({ secrets, sqs, queueUrl, dlqUrl } = env);
  // Every failed check may re-read the secret here (the rate limit has its own unit test).
  env.setIngestEnvironment({ signingSecretId: 'acme-signing', signingSecretRefreshSeconds: 0 });
  env.setTransformerEnvironment({
    targetUrl: `${target.url}/v1/contacts/orders`,
    targetTokenUrl: target.tokenUrl,
    targetSecretId: 'acme-target',
    // Quoting the target's answers is what an integration opts into; on here to test its sanitising.
    delivery: (settings) => ({ ...settings, quoteTargetAnswers: true }),
  });
  ingest = (await import('../../functions/ingest/handler.js')).handler as never;
  transform = (await import('../../functions/transform/handler.js')).handler as never;
  // The handler's own client (created at import, pointed at the emulator): tests inject faults into it.
  handlerDynamodb = (await import('../../functions/shared/clients/dynamodb.js')).dynamodb;
});

afterAll(async () => {
  await Promise.all([env?.stop(), target?.stop()]);
});

beforeEach(() => {
  target.deliveries.length = 0;
  target.respond = () => 200;
});

/** The transformer in a second execution environment (its own module state), as a second container. */
async function secondContainer(): Promise<Handler<SQSEvent, SQSBatchResponse>> {
  vi.resetModules();
  return (await import('../../functions/transform/handler.js')).handler as never;
}

/** Receive exactly `count` messages from a queue (long polls, bounded). */
const receive = (url: string, count: number, polls = 20): Promise<Message[]> =>
  receiveMessages(sqs, url, count, { polls });

/** Post webhooks through the ingest handler and read back what it queued, as Lambda would deliver it. */
async function ingestAndReceive(...eventIds: string[]): Promise<SQSEvent['Records']> {
  for (const id of eventIds) {
    const response = await ingest(signedWebhookEvent(id), lambdaContext('ingest'));
    expect(response.statusCode, response.body).toBe(202);
  }
  const messages = await receive(queueUrl, eventIds.length);
  expect(messages).toHaveLength(eventIds.length);
  return messages.map((m) => toSqsRecord(m, env.queueArn, 'us-east-1') as SQSEvent['Records'][number]);
}

/** Queue one message as ingest does, with an explicit idempotency key. */
async function enqueue(eventId: string, body: string, idempotencyKey: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageAttributes: envelopeAttributes({
        integration: INTEGRATION,
        eventId,
        receivedAt: new Date().toISOString(),
        schemaVersion: 'v1',
        idempotencyKey,
      }),
    }),
  );
}

async function receiveRecords(count: number): Promise<SQSEvent['Records']> {
  const messages = await receive(queueUrl, count);
  expect(messages).toHaveLength(count);
  return messages.map((m) => toSqsRecord(m, env.queueArn, 'us-east-1') as SQSEvent['Records'][number]);
}

const deliveriesOf = (eventId: string) => target.deliveries.filter((d) => d.idempotencyKey === eventId);

describe('ingest handler', () => {
  it('answers 202 with the event id and queues the body with its envelope attributes', async () => {
    // Act
    const response = await ingest(signedWebhookEvent('evt-ingest-1'), lambdaContext('ingest'));
    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ id: 'evt-ingest-1' });
    const [message] = await receive(queueUrl, 1);
    expect(message?.Body).toBe(sample);
    expect(message?.MessageAttributes?.['event-id']?.StringValue).toBe('evt-ingest-1');
    expect(message?.MessageAttributes?.['schema-version']?.StringValue).toBe('v1');
    expect(message?.MessageAttributes?.integration?.StringValue).toBe('acme-orders');
  });

  it('fails with 401 JSON and queues nothing when the webhook is unsigned', async () => {
    // Act
    const response = await ingest(jsonWebhookEvent(sample, {}), lambdaContext('ingest'));
    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'bad-signature' });
    expect(await receive(queueUrl, 1, 2)).toHaveLength(0);
  });

  it('accepts a webhook signed with a secret rotated in after the cache filled', async () => {
    // Prepare: the cache holds the old secret; the partner now signs with a new one.
    await ingest(signedWebhookEvent('evt-warm'), lambdaContext('ingest'));
    await receive(queueUrl, 1);
    const rotated = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
    secrets.put('acme-signing', rotated);
    const body = sample;
    const headers = signStandardWebhook(rotated, { id: 'evt-rotated', timestamp: new Date(), body });
    // Act
    const response = await ingest(jsonWebhookEvent(body, headers), lambdaContext('ingest'));
    const old = await ingest(signedWebhookEvent('evt-old-secret'), lambdaContext('ingest'));
    // Assess: the new secret works at once and the old one still does (AWSPREVIOUS)
    expect(response.statusCode).toBe(202);
    expect(old.statusCode).toBe(202);
    expect(await receive(queueUrl, 2)).toHaveLength(2);
  });
});

describe('transformer handler', () => {
  it('delivers the same event once when it arrives twice', async () => {
    // Prepare: the partner retried, so two messages carry one event id
    const [first, second] = await ingestAndReceive('evt-dup-1', 'evt-dup-1');
    // Act
    const a = await transform({ Records: [first!] }, lambdaContext());
    const b = await transform({ Records: [second!] }, lambdaContext());
    // Assess
    expect(a.batchItemFailures).toEqual([]);
    expect(b.batchItemFailures).toEqual([]);
    expect(deliveriesOf('evt-dup-1')).toHaveLength(1);
    expect(deliveriesOf('evt-dup-1')[0]?.body).toMatchObject({ externalId: 'ord_1001', amount: '123.45' });
    expect(deliveriesOf('evt-dup-1')[0]?.authorization).toMatch(/^Bearer token-/);
  });

  it('hands a twin of an event in flight back until that delivery ends: delivered once, nothing in the DLQ', async () => {
    // Prepare: a slow target, and the same event in two messages handled at the same time
    const [first, second] = await ingestAndReceive('evt-concurrent', 'evt-concurrent');
    target.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 300));
    // Act
    const other = await secondContainer();
    const [a, b] = await Promise.all([
      transform({ Records: [first!] }, lambdaContext()),
      other({ Records: [second!] }, lambdaContext()),
    ]);
    // Assess: the message in flight carried the event to the target; the twin is not deleted (nothing
    // tells it apart from a second receive of the message in flight) but handed back for later
    // Whichever took the event first delivered it; the other is handed back.
    const handedBack = [...a.batchItemFailures, ...b.batchItemFailures].map((f) => f.itemIdentifier);
    expect(handedBack).toHaveLength(1);
    expect([first!.messageId, second!.messageId]).toContain(handedBack[0]);
    expect(deliveriesOf('evt-concurrent')).toHaveLength(1);
    expect(await receive(dlqUrl, 1, 1)).toHaveLength(0);
  });

  it('loses nothing when SQS hands one message to two consumers and the delivering one fails', async () => {
    // Prepare: one message, received "twice" at once (SQS is at-least-once); the target answers 503
    const [record] = await ingestAndReceive('evt-same-message');
    target.respond = () => new Promise((resolve) => setTimeout(() => resolve(503), 300));
    // Act
    const [a, b] = await Promise.all([
      transform({ Records: [record!] }, lambdaContext()),
      transform({ Records: [record!] }, lambdaContext()),
    ]);
    // Assess: neither copy is reported handled, so Lambda deletes nothing and SQS hands it out again
    // (it used to be acknowledged as a twin, deleting the only message of an undelivered event)
    const handedBack = (response: SQSBatchResponse) => [
      ...new Set(response.batchItemFailures.map((f) => f.itemIdentifier)),
    ];
    expect(handedBack(a)).toEqual([record!.messageId]);
    expect(handedBack(b)).toEqual([record!.messageId]);
  });

  it('is idempotent on the idempotency key: a replay under a fresh event id is not delivered again', async () => {
    // Prepare: the same signed bytes twice, the second under a new (unsigned) event id
    const key = 'sha256:replayed-signed-bytes';
    await enqueue('evt-original', sample, key);
    await enqueue('evt-replayed', sample, key);
    const records = await receiveRecords(2);
    // Act
    for (const record of records) await transform({ Records: [record] }, lambdaContext());
    // Assess: one POST, carrying the first event id in its Idempotency-Key header
    expect(
      target.deliveries.filter((d) => ['evt-original', 'evt-replayed'].includes(d.idempotencyKey ?? '')),
    ).toHaveLength(1);
  });

  it('dead-letters a different body under a key already delivered, with its reason, never skipping it', async () => {
    // Prepare: delivered once; then another body arrives under the same key
    await enqueue('evt-conflict', sample, 'key-conflict');
    const [delivered] = await receiveRecords(1);
    await transform({ Records: [delivered!] }, lambdaContext());
    const other = JSON.stringify({ ...JSON.parse(sample), id: 'evt_forged' });
    await enqueue('evt-conflict', other, 'key-conflict');
    const [conflicting] = await receiveRecords(1);
    // Act
    const response = await transform({ Records: [conflicting!] }, lambdaContext());
    // Assess: handled, not delivered, in the DLQ with why
    expect(response.batchItemFailures).toEqual([]);
    expect(deliveriesOf('evt-conflict')).toHaveLength(1);
    const [dead] = await receive(dlqUrl, 1);
    expect(dead?.Body).toBe(other);
    expect(dead?.MessageAttributes?.['error-reason']?.StringValue).toMatch(/^conflicting-payload: /);
    expect(dead?.MessageAttributes?.['error-class']?.StringValue).toBe('permanent');
  });

  it('does not POST again when saving the completed record failed after the target answered 2xx', async () => {
    // Prepare: the save of the completed record is throttled once; the invocation has 5 s, so an
    // in-progress record left behind would expire 5 s later and let the redelivery POST again
    const [record] = await ingestAndReceive('evt-save-fails');
    let throttles = 1;
    handlerDynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const completing = JSON.stringify(args.input).includes('COMPLETED');
        if (context.commandName === 'UpdateItemCommand' && completing && throttles-- > 0) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttleCompletedSave' },
    );
    // Act: delivered; then SQS hands the message out again after the in-progress record would expire
    const first = await transform({ Records: [record!] }, lambdaContext('acme-orders-transformer', 5000));
    handlerDynamodb.middlewareStack.remove('throttleCompletedSave');
    await new Promise((resolve) => setTimeout(resolve, 5500));
    const again = await transform({ Records: [record!] }, lambdaContext());
    // Assess: one POST; the delivered record is acknowledged both times
    expect(deliveriesOf('evt-save-fails')).toHaveLength(1);
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
  });

  it('keeps the idempotency record at least as long as a copy of the event can wait in the DLQ', async () => {
    // Prepare
    const [record] = await ingestAndReceive('evt-ttl');
    // Act
    await transform({ Records: [record!] }, lambdaContext());
    // Assess: the record outlives source retention + DLQ retention + a redrive's wait
    const { delivery } = loadIntegration(INTEGRATION, 'local');
    const items = await env.dynamodb.send(new ScanCommand({ TableName: TABLE }));
    const prefix = `${tableKeys(INTEGRATION).idempotencyPrefix}#`;
    const expirations = (items.Items ?? [])
      .filter((item) => item.id?.S?.startsWith(prefix) && item.status?.S === 'COMPLETED')
      .map((item) => Number(item.expiration?.N));
    const dlqSeconds = delivery.dlqRetentionDays * 24 * 3600;
    expect(expirations.length).toBeGreaterThan(0);
    for (const expiration of expirations) {
      expect(expiration - Date.now() / 1000).toBeGreaterThan(dlqSeconds + delivery.retentionDays * 24 * 3600);
    }
    expect(idempotencyTtlSecondsOf(delivery)).toBeGreaterThan(dlqSeconds);
  });

  it('reports only the record whose delivery failed transiently', async () => {
    // Prepare
    const records = await ingestAndReceive('evt-ok', 'evt-500');
    target.respond = (d) => (d.idempotencyKey === 'evt-500' ? 500 : 200);
    // Act
    const response = await transform({ Records: records }, lambdaContext());
    // Assess
    const failed = records.find((r) => r.messageAttributes['event-id']?.stringValue === 'evt-500');
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failed?.messageId }]);
    expect(deliveriesOf('evt-ok')).toHaveLength(1);
    expect(deliveriesOf('evt-500').length).toBeGreaterThanOrEqual(1);
  });

  it('sends a permanently rejected event straight to the DLQ with its reason', async () => {
    // Prepare
    const [record] = await ingestAndReceive('evt-400');
    target.respond = () => 400;
    // Act
    const response = await transform({ Records: [record!] }, lambdaContext());
    // Assess: handled (not retried), tried once, and in the DLQ with why
    expect(response.batchItemFailures).toEqual([]);
    expect(deliveriesOf('evt-400')).toHaveLength(1);
    const [dead] = await receive(dlqUrl, 1);
    expect(dead?.Body).toBe(sample);
    const attrs = dead?.MessageAttributes ?? {};
    expect(attrs['event-id']?.StringValue).toBe('evt-400');
    expect(attrs['error-class']?.StringValue).toBe('permanent');
    expect(attrs['http-status']?.StringValue).toBe('400');
    expect(JSON.parse(attrs.failure?.StringValue ?? '{}')).toMatchObject({ attempts: 1 });
    expect(attrs['error-reason']?.StringValue).toContain('target-rejected');
  });

  it('dead-letters a body the target schema rejects as mapping-invalid-output with its paths, never calling the target', async () => {
    // Prepare: a message whose receive time is not ISO 8601 UTC: the mapped source.receivedAt breaks
    // the CRM's schema (a producer bug the target must never see)
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: sample,
        MessageAttributes: envelopeAttributes({
          integration: INTEGRATION,
          eventId: 'evt-bad-output',
          receivedAt: '2026-11-20 10:00',
          schemaVersion: 'v1',
        }),
      }),
    );
    const [record] = await receiveRecords(1);
    // Act
    const response = await transform({ Records: [record!] }, lambdaContext());
    // Assess: handled, never sent, in the DLQ with the reason and the failing target path
    expect(response.batchItemFailures).toEqual([]);
    expect(deliveriesOf('evt-bad-output')).toHaveLength(0);
    const [dead] = await receive(dlqUrl, 1);
    const attrs = dead?.MessageAttributes ?? {};
    expect(attrs['event-id']?.StringValue).toBe('evt-bad-output');
    expect(attrs['error-class']?.StringValue).toBe('permanent');
    expect(attrs['error-reason']?.StringValue).toMatch(/^mapping-invalid-output: .*source\.receivedAt/);
    expect(JSON.parse(attrs.failure?.StringValue ?? '{}')).toMatchObject({ attempts: 0 });
  });

  it('dead-letters a target answer with a U+FFFF and an emoji cut in half, with a valid reason', async () => {
    // Prepare: the quoted answer is cut at 200 characters, in the middle of an emoji
    const [record] = await ingestAndReceive('evt-bad-chars');
    target.respond = () => ({ status: 422, body: `${'\uFFFF'.repeat(1)}${'x'.repeat(198)}😀 tail` });
    // Act
    const response = await transform({ Records: [record!] }, lambdaContext());
    // Assess: the DLQ send succeeded on the first receive, with a reason and ≤ 10 attributes
    expect(response.batchItemFailures).toEqual([]);
    expect(deliveriesOf('evt-bad-chars')).toHaveLength(1);
    const [dead] = await receive(dlqUrl, 1);
    const attrs = dead?.MessageAttributes ?? {};
    expect(Object.keys(attrs).length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
    expect(attrs['error-reason']?.StringValue).toMatch(/^target-rejected: .*422.*\uFFFDx+\uFFFD$/u);
  });

  it('redelivers a dead-lettered event after redrive, since failures are not remembered as results', async () => {
    // Prepare: rejected once, then the target is fixed
    const [record] = await ingestAndReceive('evt-redrive');
    target.respond = () => 422;
    await transform({ Records: [record!] }, lambdaContext());
    const [dead] = await receive(dlqUrl, 1);
    target.respond = () => 200;
    // Act: on-call redrives the DLQ message to the source queue
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: dead!.Body!,
        MessageAttributes: dead!.MessageAttributes,
      }),
    );
    const [redriven] = await receive(queueUrl, 1);
    const response = await transform(
      {
        Records: [toSqsRecord(redriven!, env.queueArn, 'us-east-1') as SQSEvent['Records'][number]],
      },
      lambdaContext(),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(target.deliveries.filter((d) => d.idempotencyKey === 'evt-redrive')).toHaveLength(2);
  });
  it('leaves a reason for a record held back near maxReceiveCount while the circuit is open', async () => {
    // Prepare: the circuit open; a record on its 5th receive (of 5): SQS would move it to the DLQ
    // next, although it was never tried on this receive
    const store = new CircuitStore(env.dynamodb, TABLE, INTEGRATION);
    const [record] = await ingestAndReceive('evt-held-back');
    await store.open(await store.read(), { openMs: 60_000, maxOpenMs: 60_000 }, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the transformer's cached view expires
    try {
      const lastReceive = { ...record!, attributes: { ...record!.attributes, ApproximateReceiveCount: '5' } };
      // Act
      const response = await transform({ Records: [lastReceive] }, lambdaContext());
      // Assess: held back, not attempted, and the reason is where `hookyard dlq show` looks
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record!.messageId }]);
      const failure = await env.dynamodb.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { id: { S: tableKeys(INTEGRATION).failure('evt-held-back') } },
        }),
      );
      expect(failure.Item?.reason?.S).toMatch(/^circuit-open: held back/);
      expect(deliveriesOf('evt-held-back')).toHaveLength(0);
    } finally {
      await store.close();
    }
  });
});
