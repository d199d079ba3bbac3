/**
 * The local trust boundary (local/http.ts) on every local endpoint: a web page on this machine must
 * not reach them (DNS rebinding → wrong Host; cross-site form or fetch → Origin / Sec-Fetch-Site), and
 * the endpoints that change state or hand out secrets and payloads want the per-run token.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { localClientConfig, localCredentials, newLocalToken } from '../../../local/aws-local.js';
import { startDynamoEmulator } from '../../../local/emulators/dynamodb.js';
import { startLambdaApiEmulator } from '../../../local/emulators/lambda-api.js';
import { startSecretsManagerEmulator } from '../../../local/emulators/secrets-manager.js';
import { startSqsEmulator } from '../../../local/emulators/sqs.js';
import { startHttpGateway } from '../../../local/http-gateway.js';
import { startSampleTarget } from '../../../local/sample-target/index.js';
import { rawRequest } from '../../support/raw-http.js';

const TOKEN = newLocalToken();
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A SigV4-looking Authorization header naming `accessKeyId` (signatures are not checked locally). */
const sigV4 = (accessKeyId: string) =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261130/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=00`;

interface Endpoint {
  readonly url: string;
  /** A request the endpoint accepts from a trusted caller. */
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

async function endpoints(): Promise<Record<string, Endpoint>> {
  const secrets = await startSecretsManagerEmulator({ accessKeyId: TOKEN, secrets: { s: 'v' } });
  const lambda = await startLambdaApiEmulator({ accessKeyId: TOKEN, mappings: [] });
  const sqs = await startSqsEmulator({ accessKeyId: TOKEN });
  const dynamo = await startDynamoEmulator({ accessKeyId: TOKEN });
  const gateway = await startHttpGateway({
    port: 0,
    routes: [{ method: 'POST', path: '/webhooks/x', invoke: async () => ({ statusCode: 202, body: '{}' }) }],
  });
  const target = await startSampleTarget({ auth: 'none', adminToken: TOKEN });
  stops.push(secrets.stop, lambda.stop, sqs.stop, dynamo.stop, gateway.stop, target.stop);
  const aws = (target: string) => ({
    authorization: sigV4(TOKEN),
    'x-amz-target': target,
    'content-type': 'application/x-amz-json-1.0',
  });
  return {
    'secrets manager': {
      url: secrets.endpoint,
      method: 'POST',
      path: '/',
      headers: { ...aws('secretsmanager.GetSecretValue'), 'content-type': 'application/x-amz-json-1.1' },
      body: '{"SecretId":"s"}',
    },
    'lambda api': {
      url: lambda.endpoint,
      method: 'GET',
      path: '/2015-03-31/event-source-mappings/none',
      headers: { authorization: sigV4(TOKEN) },
    },
    sqs: { url: sqs.endpoint, method: 'POST', path: '/', headers: aws('AmazonSQS.ListQueues'), body: '{}' },
    dynamodb: {
      url: dynamo.endpoint,
      method: 'POST',
      path: '/',
      headers: aws('DynamoDB_20120810.ListTables'),
      body: '{}',
    },
    gateway: { url: gateway.url, method: 'POST', path: '/webhooks/x', headers: {}, body: '{}' },
    'sample target admin': {
      url: target.url,
      method: 'GET',
      path: '/_admin/stats',
      headers: { authorization: `Bearer ${TOKEN}` },
    },
  };
}

const send = (e: Endpoint, headers: Record<string, string> = {}) =>
  rawRequest(`${e.url}${e.path}`, { method: e.method, headers: { ...e.headers, ...headers }, body: e.body });

describe('the local trust boundary', () => {
  it('answers a trusted caller on every endpoint, also under the other loopback names', async () => {
    const all = await endpoints();
    for (const [name, e] of Object.entries(all)) {
      const port = new URL(e.url).port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
        const answer = await send(e, { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
        expect([name, host, answer.status < 421 && answer.status !== 401 && answer.status !== 403]).toEqual([
          name,
          host,
          true,
        ]);
      }
    }
  });

  it('answers 400 JSON to a request target no URL parser takes, and keeps serving', async () => {
    // `new URL('//', base)` and `decodeURIComponent('%E0')` throw: once, in a listener, that ended
    // the whole sandbox process.
    const all = await endpoints();
    for (const [name, e] of Object.entries(all)) {
      const before = (await send(e)).status;
      for (const path of ['//', '///', '/\\', '//@', '/%E0']) {
        const answer = await rawRequest(`${e.url}${path}`, { method: e.method, headers: e.headers });
        expect([name, path, answer.status]).toEqual([name, path, 400]);
        // Ours say BadRequestTarget; fauxqs's Fastify router refuses some of these itself, also as JSON.
        expect(JSON.parse(answer.body)).toMatchObject({
          error: expect.stringMatching(/BadRequestTarget|Bad Request/),
        });
      }
      // Still up, answering a trusted caller as before.
      expect([name, (await send(e)).status]).toEqual([name, before]);
    }
  });

  it('fails with 421 JSON when Host is not a loopback name with the port (DNS rebinding)', async () => {
    const all = await endpoints();
    for (const [name, e] of Object.entries(all)) {
      const port = new URL(e.url).port;
      for (const host of [`rebind.attacker.example:${port}`, '127.0.0.1', `127.0.0.1:${Number(port) + 1}`]) {
        const answer = await send(e, { host });
        expect([name, host, answer.status]).toEqual([name, host, 421]);
        expect(JSON.parse(answer.body)).toMatchObject({ error: 'MisdirectedRequest' });
      }
    }
  });

  it('fails with 403 JSON for a cross-site Origin or Sec-Fetch-Site', async () => {
    const all = await endpoints();
    for (const [name, e] of Object.entries(all)) {
      const crossSite: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
      ];
      for (const headers of crossSite) {
        const answer = await send(e, headers);
        expect([name, headers, answer.status]).toEqual([name, headers, 403]);
        expect(JSON.parse(answer.body)).toMatchObject({ error: 'CrossSiteRequestRefused' });
      }
    }
  });

  it('fails a cross-site text/plain POST to the sample target admin, leaving the faults unchanged', async () => {
    // Prepare
    const target = await startSampleTarget({ auth: 'none', adminToken: TOKEN });
    stops.push(target.stop);
    // Act: what a form or no-cors fetch on another site sends (no preflight), even with the token
    const answer = await rawRequest(`${target.url}/_admin/faults`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        authorization: `Bearer ${TOKEN}`,
      },
      body: '{"down":true}',
    });
    // Assess
    expect(answer.status).toBe(403);
    const faults = await fetch(`${target.url}/_admin/faults`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await faults.json()).toMatchObject({ down: false });
  });

  it('fails with 401 JSON for sample target admin routes without the admin token, and not for the API', async () => {
    // Prepare
    const target = await startSampleTarget({ auth: 'none', adminToken: TOKEN });
    stops.push(target.stop);
    // Act
    const missing = await fetch(`${target.url}/_admin/received`);
    const wrong = await fetch(`${target.url}/_admin/faults`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token' },
      body: '{"down":true}',
    });
    const header = await fetch(`${target.url}/_admin/faults`, {
      headers: { 'x-hookyard-admin-token': TOKEN },
    });
    const api = await fetch(`${target.url}/v1/contacts/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' },
      body: '{"a":1}',
    });
    // Assess
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: 'AdminTokenRequired' });
    expect(wrong.status).toBe(401);
    expect(header.status).toBe(200);
    expect(await header.json()).toMatchObject({ down: false });
    expect(api.status).toBe(201);
  });

  it('generates an admin token when none is given', async () => {
    const target = await startSampleTarget({ auth: 'none' });
    stops.push(target.stop);
    expect(target.adminToken.length).toBeGreaterThanOrEqual(24);
    expect((await fetch(`${target.url}/_admin/stats`)).status).toBe(401);
  });

  it('answers the real SDK clients signed with the per-run access key id, and refuses other keys', async () => {
    // Prepare
    const secrets = await startSecretsManagerEmulator({ accessKeyId: TOKEN, secrets: { s: 'v' } });
    const sqs = await startSqsEmulator({ accessKeyId: TOKEN });
    const dynamo = await startDynamoEmulator({ accessKeyId: TOKEN });
    const lambda = await startLambdaApiEmulator({
      accessKeyId: TOKEN,
      mappings: [
        {
          uuid: 'm-1',
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
          eventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:q',
          batchSize: 10,
          enabled: () => true,
          setEnabled: async () => undefined,
        },
      ],
    });
    stops.push(secrets.stop, sqs.stop, dynamo.stop, lambda.stop);
    const clients = (credentials: ReturnType<typeof localCredentials>) => ({
      secrets: new SecretsManagerClient(localClientConfig(secrets.endpoint, credentials)),
      sqs: new SQSClient(localClientConfig(sqs.endpoint, credentials)),
      dynamo: new DynamoDBClient(localClientConfig(dynamo.endpoint, credentials)),
      lambda: new LambdaClient(localClientConfig(lambda.endpoint, credentials)),
    });
    const good = clients(localCredentials(TOKEN));
    const bad = clients(localCredentials(newLocalToken()));
    // Act + Assess
    expect((await good.secrets.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe('v');
    expect((await good.sqs.send(new ListQueuesCommand({}))).$metadata.httpStatusCode).toBe(200);
    expect((await good.dynamo.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    expect((await good.lambda.send(new GetEventSourceMappingCommand({ UUID: 'm-1' }))).State).toBe('Enabled');
    await expect(bad.secrets.send(new GetSecretValueCommand({ SecretId: 's' }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    await expect(bad.sqs.send(new ListQueuesCommand({}))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    await expect(bad.dynamo.send(new ListTablesCommand({}))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    await expect(bad.lambda.send(new GetEventSourceMappingCommand({ UUID: 'm-1' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    for (const set of [good, bad]) for (const client of Object.values(set)) client.destroy();
  });
});
