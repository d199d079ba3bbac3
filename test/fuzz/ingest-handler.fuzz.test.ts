/**
 * The real middy ingest handler under generated requests (Standard Webhooks, the sample
 * integration's scheme), with real SDK clients against the emulators: every answer is a 202 or a
 * JSON 4xx with an error code, never a 5xx or a throw, nothing unsigned is queued, and header-name
 * cases are the handler's to normalise.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HandlerEnvironment,
  receiveMessages,
  startHandlerEnvironment,
} from '../support/handler-environment.js';
import { lambdaContext } from '../support/lambda-context.js';
import { webhookEvent } from '../support/webhooks.js';
import { describeCase, RECEIVED_AT, SECRET, type WebhookCase, webhookCase } from './webhook-cases.js';

/** Each case is a real handler call (and a SendMessage when accepted): fewer than the core's. */
const RUNS = Number(process.env.FUZZ_HANDLER_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const fixtures = ['order-created', 'order-updated-jpy'].map((name) =>
  readFileSync(new URL(`../../integrations/acme-orders/fixtures/${name}.in.json`, import.meta.url)),
);

type Response = { statusCode: number; headers?: Record<string, string>; body: string };
let ingest: (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<Response>;
let env: HandlerEnvironment;

beforeAll(async () => {
  env = await startHandlerEnvironment({ secrets: { 'acme-signing': SECRET } });
  env.setIngestEnvironment({ signingSecretId: 'acme-signing' });
  ingest = (await import('../../functions/ingest/handler.js')).handler as never;
});

afterAll(async () => {
  await env?.stop();
});

function event(c: Pick<WebhookCase, 'headers' | 'body' | 'isBase64Encoded'>, receivedAt = RECEIVED_AT) {
  return webhookEvent({ ...c, receivedAt });
}

const acmeCase = webhookCase('standard-webhooks', {
  json: () => fc.constantFrom(...fixtures),
  maxBodyBytes: 256 * 1024,
});

describe('the ingest handler under generated requests', () => {
  it('answers 202 or a JSON 4xx with an error code, and queues only validly signed webhooks', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(acmeCase, async (c) => {
        const what = describeCase(c);
        const response = await ingest(event(c), lambdaContext('ingest'));
        expect(response.headers?.['content-type'], what).toBe('application/json');
        const body = JSON.parse(response.body) as Record<string, unknown>;
        if (response.statusCode === 202) {
          accepted++;
          expect(c.validlySigned, `accepted without a valid signature: ${what}`).toBe(true);
          expect(body, what).toEqual({
            id: c.headers[Object.keys(c.headers).find((h) => /^webhook-id$/i.test(h)) ?? ''],
          });
        } else {
          expect([400, 401, 413], `${what}: ${response.statusCode} ${response.body}`).toContain(
            response.statusCode,
          );
          expect(typeof body.error, what).toBe('string');
          expect(typeof body.message, what).toBe('string');
        }
        if (c.acceptable && c.bodyKind === 'json') expect(response.statusCode, what).toBe(202);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The queue holds exactly the accepted webhooks: no rejection was queued.
    const queued = await receiveMessages(env.sqs, env.queueUrl, accepted + 1, { polls: accepted / 10 + 3 });
    expect(queued).toHaveLength(accepted);
    expect(accepted).toBeGreaterThan(RUNS / 20);
  }, 120_000);

  /** One clean, validly signed request, generated until found. */
  const captured = (seed: number): WebhookCase => {
    const clean = acmeCase.filter(
      (x) => x.acceptable && x.bodyKind === 'json' && x.timestampKind === 'valid',
    );
    const [c] = fc.sample(clean, { numRuns: 1, seed });
    if (!c) throw new Error('no clean request generated');
    return c;
  };
  const upperCased = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));

  it('accepts upper-case header names, and fails when the signature under them is forged', async () => {
    // Prepare
    const c = captured(7);
    const headers = upperCased(c.headers);
    const forged = {
      ...headers,
      'WEBHOOK-SIGNATURE': (headers['WEBHOOK-SIGNATURE'] ?? '').replace(/.{4}$/, 'AAA='),
    };
    // Act
    const valid = await ingest(event({ ...c, headers }), lambdaContext('ingest'));
    const rejected = await ingest(event({ ...c, headers: forged }), lambdaContext('ingest'));
    // Assess
    expect(valid.statusCode).toBe(202);
    expect(rejected.statusCode).toBe(401);
    expect(JSON.parse(rejected.body)).toMatchObject({ error: 'bad-signature' });
  });

  it('fails when a captured valid request is replayed after the tolerance', async () => {
    const c = captured(11);
    const later = new Date(RECEIVED_AT.getTime() + 601_000);
    const replayed = await ingest(event(c, later), lambdaContext('ingest'));
    expect(replayed.statusCode).toBe(401);
    expect(JSON.parse(replayed.body)).toMatchObject({ error: 'stale-timestamp' });
  });

  it('fails with 413 JSON when the body is one byte over 256 KiB', async () => {
    const body = 'x'.repeat(256 * 1024 + 1);
    const response = await ingest(
      event({ headers: {}, body, isBase64Encoded: false }),
      lambdaContext('ingest'),
    );
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'payload-too-large' });
  });
});
