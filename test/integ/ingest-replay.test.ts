/**
 * Replay with a fresh event id, through the real ingest handler in-process: real SDK clients against
 * the emulators (fauxqs, the Secrets Manager emulator). The registry holds a GitHub-signed variant of
 * acme-orders, so the route, queue and schema are the sample's while the signature is GitHub's.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ATTR } from '../../functions/shared/message.js';
import { sha256Identity, signGithub } from '../../functions/shared/signatures/index.js';
import {
  type HandlerEnvironment,
  receiveMessages,
  startHandlerEnvironment,
} from '../support/handler-environment.js';
import { lambdaContext } from '../support/lambda-context.js';
import { acmeSample as captured, jsonWebhookEvent } from '../support/webhooks.js';

const SIGNING_SECRET = 'github-webhook-secret';

vi.mock('../../integrations/index.js', async () => {
  const { acmeOrders } = await import('../../integrations/acme-orders/index.js');
  return {
    integrations: [
      {
        ...acmeOrders,
        source: {
          ...acmeOrders.source,
          signature: { type: 'github' },
          acknowledgeReplayRisk: 'test: GitHub signs no timestamp',
        },
      },
    ],
  };
});

type Ingest = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<{ statusCode: number; body: string }>;
let ingest: Ingest;
let env: HandlerEnvironment;

beforeAll(async () => {
  env = await startHandlerEnvironment({ secrets: { 'github-signing': SIGNING_SECRET } });
  env.setIngestEnvironment({ signingSecretId: 'github-signing' });
  ingest = (await import('../../functions/ingest/handler.js')).handler as never;
});

afterAll(async () => {
  await env?.stop();
});

function githubWebhook(body: string, delivery: string): APIGatewayProxyEventV2 {
  return jsonWebhookEvent(body, {
    'X-GitHub-Delivery': delivery,
    'X-GitHub-Event': 'issues',
    ...signGithub(SIGNING_SECRET, body),
  });
}

const attribute = (message: Message | undefined, name: string) =>
  message?.MessageAttributes?.[name]?.StringValue;

describe('ingest: a captured GitHub webhook re-sent with a fresh X-GitHub-Delivery', () => {
  it('is queued under the same idempotency key (the signed body), keeping each partner id', async () => {
    // Act: the partner's webhook, then an attacker's replay of its signed body under a new delivery id
    const original = await ingest(githubWebhook(captured, 'delivery-original'), lambdaContext('ingest'));
    const replay = await ingest(githubWebhook(captured, 'delivery-replayed'), lambdaContext('ingest'));
    // Assess
    expect(original.statusCode, original.body).toBe(202);
    expect(replay.statusCode, replay.body).toBe(202);
    const messages = await receiveMessages(env.sqs, env.queueUrl, 2);
    expect(messages.map((m) => attribute(m, ATTR.eventId)).sort()).toEqual([
      'delivery-original',
      'delivery-replayed',
    ]);
    const keys = messages.map((m) => attribute(m, ATTR.idempotencyKey));
    expect(keys).toEqual([sha256Identity(Buffer.from(captured)), sha256Identity(Buffer.from(captured))]);
  });
});
