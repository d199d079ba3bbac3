/**
 * The real ingest and transformer handlers, in-process, with real AWS SDK clients pointed at the
 * emulators this test starts (fauxqs, dynalite, the Secrets Manager emulator) and a scripted target.
 */
import { readFileSync } from 'node:fs';
import { type Message, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import type { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { toSqsRecord } from '../../local/runtime/sqs-event-source.js';
import {
  type HandlerEnvironment,
  receiveMessages,
  startHandlerEnvironment,
} from '../support/handler-environment.js';
import { lambdaContext } from '../support/lambda-context.js';
import { type ScriptedTarget, startScriptedTarget } from '../support/scripted-target.js';

const SIGNING_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const sample = readFileSync(
  new URL('../../integrations/acme-orders/fixtures/order-created.in.json', import.meta.url),
  'utf8',
);
const _credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

type Handler<E, R> = (event: E, context: ReturnType<typeof lambdaContext>) => Promise<R>;
let ingest: Handler<APIGatewayProxyEventV2, { statusCode: number; body: string }>;
let transform: Handler<SQSEvent, SQSBatchResponse>;
let env: HandlerEnvironment;
let secrets: SecretsManagerEmulator;
let target: ScriptedTarget;
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;

beforeAll(async () => {
  [env, target] = await Promise.all([
    startHandlerEnvironment({
      secrets: {
        'acme-signing': SIGNING_SECRET,
        'acme-target': JSON.stringify({ clientId: 'hookyard', clientSecret: 'target-secret' }),
      },
    }),
    startScriptedTarget(),
  ]);
  ({ secrets, sqs, queueUrl, dlqUrl } = env);
  Object.assign(process.env, {
    SIGNING_SECRET_ID: 'acme-signing',
    // Every failed check may re-read the secret here (the rate limit has its own unit test).
    SIGNING_SECRET_REFRESH_SECONDS: '0',
    TARGET_URL: `${target.url}/v1/contacts/orders`,
    TARGET_TOKEN_URL: target.tokenUrl,
    TARGET_SECRET_ID: 'acme-target',
  });
  ingest = (await import('../../functions/ingest/handler.js')).handler as never;
  transform = (await import('../../functions/transform/handler.js')).handler as never;
});

afterAll(async () => {
  await Promise.all([env?.stop(), target?.stop()]);
});

beforeEach(() => {
  target.deliveries.length = 0;
  target.respond = () => 200;
});

function webhook(body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/acme-orders',
    rawPath: '/webhooks/acme-orders',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    isBase64Encoded: false,
    requestContext: {
      http: { method: 'POST' },
      timeEpoch: Date.now(),
    } as APIGatewayProxyEventV2['requestContext'],
  };
}

function signedWebhook(eventId: string, body = sample) {
  return webhook(body, signStandardWebhook(SIGNING_SECRET, { id: eventId, timestamp: new Date(), body }));
}

/** Receive exactly `count` messages from a queue (long polls, bounded). */
const receive = (url: string, count: number, polls = 20): Promise<Message[]> =>
  receiveMessages(sqs, url, count, { polls });

/** Post webhooks through the ingest handler and read back what it queued, as Lambda would deliver it. */
async function ingestAndReceive(...eventIds: string[]): Promise<SQSEvent['Records']> {
  for (const id of eventIds) {
    const response = await ingest(signedWebhook(id), lambdaContext('ingest'));
    expect(response.statusCode, response.body).toBe(202);
  }
  const messages = await receive(queueUrl, eventIds.length);
  expect(messages).toHaveLength(eventIds.length);
  return messages.map((m) => toSqsRecord(m, env.queueArn, 'us-east-1') as SQSEvent['Records'][number]);
}

const deliveriesOf = (eventId: string) => target.deliveries.filter((d) => d.idempotencyKey === eventId);

describe('ingest handler', () => {
  it('answers 202 with the event id and queues the body with its envelope attributes', async () => {
    // Act
    const response = await ingest(signedWebhook('evt-ingest-1'), lambdaContext('ingest'));
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
    const response = await ingest(webhook(sample, {}), lambdaContext('ingest'));
    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'bad-signature' });
    expect(await receive(queueUrl, 1, 2)).toHaveLength(0);
  });

  it('accepts a webhook signed with a secret rotated in after the cache filled', async () => {
    // Prepare: the cache holds the old secret; the partner now signs with a new one.
    await ingest(signedWebhook('evt-warm'), lambdaContext('ingest'));
    await receive(queueUrl, 1);
    const rotated = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
    secrets.put('acme-signing', rotated);
    const body = sample;
    const headers = signStandardWebhook(rotated, { id: 'evt-rotated', timestamp: new Date(), body });
    // Act
    const response = await ingest(webhook(body, headers), lambdaContext('ingest'));
    const old = await ingest(signedWebhook('evt-old-secret'), lambdaContext('ingest'));
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

  it('delivers concurrent duplicates once', async () => {
    // Prepare: a slow target, and the same event in two batches processed at the same time
    const [first, second] = await ingestAndReceive('evt-concurrent', 'evt-concurrent');
    target.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 300));
    // Act
    const [a, b] = await Promise.all([
      transform({ Records: [first!] }, lambdaContext()),
      transform({ Records: [second!] }, lambdaContext()),
    ]);
    // The loser was reported failed (in progress elsewhere); SQS would hand it back later:
    const retried = [...a.batchItemFailures, ...b.batchItemFailures].map((f) =>
      [first!, second!].find((r) => r.messageId === f.itemIdentifier),
    );
    const again = await Promise.all(retried.map((r) => transform({ Records: [r!] }, lambdaContext())));
    // Assess
    expect(deliveriesOf('evt-concurrent')).toHaveLength(1);
    expect(again.every((r) => r.batchItemFailures.length === 0)).toBe(true);
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
    expect(attrs.attempts?.StringValue).toBe('1');
    expect(attrs['error-reason']?.StringValue).toContain('target-rejected');
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
});
