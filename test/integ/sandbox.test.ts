/**
 * `npm start`'s sandbox, started programmatically on free ports: the synthesized template, the
 * bundled function code, the emulators, the sample target. One synth serves every test.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DeliverySettings, withDeliverySettings } from '../../functions/shared/contract.js';
import { envelopeAttributes } from '../../functions/shared/message.js';
import { signGithub, signStandardWebhook } from '../../functions/shared/signatures/index.js';
import { FailureLog } from '../../functions/transform/failure-log.js';
import { sampleOrderBody } from '../../integrations/acme-orders/sample.js';
import { integrationView } from '../../local/integration-view.js';
import {
  isolatedSandboxOptions,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
  synthesizeLocal,
} from '../../local/sandbox.js';
import { readSandboxInfo } from '../../local/sandbox-info.js';
import type { SandboxPlan } from '../../local/stack-template.js';

const ORDER = sampleOrderBody();

let work: string;
let assemblyDir: string;
const running: Sandbox[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hookyard-sandbox-'));
  assemblyDir = join(work, 'cdk.out');
  await synthesizeLocal(assemblyDir);
}, 120_000);

afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop();
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function start(stateName: string, options: Partial<SandboxOptions> = {}) {
  const lines: string[] = [];
  const sandbox = await startSandbox({
    ...isolatedSandboxOptions(join(work, stateName), assemblyDir),
    alarmIntervalMs: 200,
    log: (line) => lines.push(line),
    ...options,
  });
  running.push(sandbox);
  return { sandbox, lines };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function post(sandbox: Sandbox, eventId: string, body = ORDER) {
  const headers = signStandardWebhook(sandbox.signingSecret('acme-orders'), {
    id: eventId,
    timestamp: new Date(),
    body,
  });
  const response = await fetch(`${sandbox.gatewayUrl}/webhooks/acme-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const GITHUB_ISSUE = readFileSync(
  new URL('../../integrations/github-issues/fixtures/issues-opened.in.json', import.meta.url),
  'utf8',
);

/** A GitHub `issues` webhook as GitHub signs it: body-only HMAC, delivery id and event type headers. */
async function postGithub(sandbox: Sandbox, deliveryId: string, body: string) {
  const response = await fetch(`${sandbox.gatewayUrl}/webhooks/github-issues`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signGithub(sandbox.signingSecret('github-issues'), body),
      'x-github-delivery': deliveryId,
      'x-github-event': 'issues',
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const deliveredKeys = (sandbox: Sandbox) =>
  sandbox.sampleTarget?.received().map((d) => d.idempotencyKey) ?? [];
const count = (list: readonly string[], value: string) => list.filter((v) => v === value).length;

/** Change the transformer's plan (delivery settings, timeout, code) and its queue's attributes. */
function adjustTransformer(change: {
  delivery?: (settings: DeliverySettings) => DeliverySettings;
  timeoutSeconds?: number;
  assetDir?: string;
  visibilityTimeout?: number;
}) {
  return (plan: SandboxPlan): SandboxPlan => ({
    ...plan,
    functions: plan.functions.map((f) =>
      f === integrationView(plan, 'acme-orders').transformer
        ? {
            ...f,
            environment: change.delivery
              ? withDeliverySettings(f.environment, change.delivery)
              : f.environment,
            timeoutSeconds: change.timeoutSeconds ?? f.timeoutSeconds,
            assetDir: change.assetDir ?? f.assetDir,
          }
        : f,
    ),
    queues: plan.queues.map((q) =>
      q === integrationView(plan, 'acme-orders').queue && change.visibilityTimeout !== undefined
        ? { ...q, attributes: { ...q.attributes, VisibilityTimeout: String(change.visibilityTimeout) } }
        : q,
    ),
  });
}

describe('the local sandbox', () => {
  it('runs what the template declares: routes, queues with their redrive policy, bundled functions', async () => {
    // Act
    const { sandbox } = await start('plan');
    // Assess
    const { plan } = sandbox;
    expect(plan.routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'POST /webhooks/acme-orders',
      'POST /webhooks/github-issues',
    ]);
    const acme = integrationView(plan, 'acme-orders');
    expect(JSON.parse(acme.queue.attributes.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 5 });
    expect(acme.eventSource).toMatchObject({
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: 15,
    });
    for (const fn of plan.functions) expect(existsSync(join(fn.assetDir, 'index.mjs'))).toBe(true);
    expect(plan.alarms.map((a) => a.name)).toContain('hookyard-local-acme-orders-dlq-not-empty');
  });

  it('delivers a signed sample event to the sample target exactly once, within seconds', async () => {
    // Prepare
    const { sandbox } = await start('deliver');
    // Act
    const response = await post(sandbox, 'evt_sandbox_1');
    await waitFor(() => deliveredKeys(sandbox).includes('evt_sandbox_1'), 15_000, 'the delivery');
    // Assess
    expect(response).toEqual({ status: 202, body: { id: 'evt_sandbox_1' } });
    expect(count(deliveredKeys(sandbox), 'evt_sandbox_1')).toBe(1);
    const delivered = sandbox.sampleTarget?.received().find((d) => d.idempotencyKey === 'evt_sandbox_1');
    expect(delivered?.body).toMatchObject({
      externalId: 'ord_1',
      amount: '10.00',
      eventType: 'ORDER_CREATED',
    });
  });

  it('runs both samples end to end: an Acme order over OAuth2 and a GitHub issue over an API key, each delivered once', async () => {
    // Prepare
    const { sandbox } = await start('two-samples');
    // Act
    const order = await post(sandbox, 'evt_two_acme');
    const issue = await postGithub(sandbox, 'delivery-two-1', GITHUB_ISSUE);
    await waitFor(
      () => ['evt_two_acme', 'delivery-two-1'].every((id) => deliveredKeys(sandbox).includes(id)),
      20_000,
      'both deliveries',
    );
    // Assess: each once, each mapped by its own table to its own route
    expect(order.status).toBe(202);
    expect(issue).toEqual({ status: 202, body: { id: 'delivery-two-1' } });
    expect(count(deliveredKeys(sandbox), 'evt_two_acme')).toBe(1);
    expect(count(deliveredKeys(sandbox), 'delivery-two-1')).toBe(1);
    const ticket = sandbox.sampleTarget?.received().find((d) => d.idempotencyKey === 'delivery-two-1');
    expect(ticket?.body).toMatchObject({
      externalRef: 'octo-org/portal#42',
      change: 'CREATED',
      status: 'OPEN',
    });
    expect(sandbox.sampleTarget?.stats()).toMatchObject({ rejected: 0, delivered: 2 });
  });

  it('counts schema drift (an extra field, a new enum value) and fires the schema-drift alarm locally', async () => {
    // Prepare
    const { sandbox, lines } = await start('drift');
    const drifted = JSON.parse(ORDER);
    drifted.data.loyalty_tier = 'gold';
    drifted.data.status = 'refunded';
    // Act
    const response = await post(sandbox, 'evt_drift', JSON.stringify(drifted));
    await waitFor(
      () => lines.some((l) => l.startsWith('ALARM hookyard-local-acme-orders-schema-drift')),
      20_000,
      'the schema-drift alarm',
    );
    // Assess: the new enum value fails the schema (400 with its path); both are counted per field
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'schema-mismatch', issues: [{ path: 'data.status' }] });
    const drift = lines.find((l) => l.includes('schema drift'));
    expect(drift).toContain('unknown-field');
    expect(drift).toContain('data.loyalty_tier');
    expect(drift).toContain('new-enum-value');
    expect(lines.find((l) => l.startsWith('ALARM hookyard-local-acme-orders-schema-drift'))).toContain(
      'runbook: docs/runbooks/schema-drift.md',
    );
  });

  it('accepts a valid webhook with an emoji (202) and delivers it once', async () => {
    // Prepare: characters outside the BMP travel as surrogate pairs through the SQS emulator
    const { sandbox } = await start('emoji');
    const body = ORDER.replace('"note":null', '"note":"thanks 🎉 — see you 𝄞"');
    expect(body).not.toBe(ORDER);
    // Act
    const response = await post(sandbox, 'evt_emoji', body);
    await waitFor(() => deliveredKeys(sandbox).includes('evt_emoji'), 15_000, 'the delivery');
    // Assess
    expect(response).toEqual({ status: 202, body: { id: 'evt_emoji' } });
    expect(count(deliveredKeys(sandbox), 'evt_emoji')).toBe(1);
  });

  it('writes sandbox.json with the resources of each integration and a per-run token, and removes it on stop', async () => {
    // Prepare: an extension, as the CLI's console is one
    const stopped: string[] = [];
    let seen: { alarms: number; token: string } | undefined;
    const { sandbox } = await start('info', {
      extensions: [
        async ({ info, alarms, plan, registerStopper }) => {
          seen = {
            alarms: plan.alarms.filter((a) => alarms.state(a.name) !== undefined).length,
            token: info.adminToken,
          };
          registerStopper(async () => stopped.push('console'));
          return { consoleUrl: 'http://127.0.0.1:1/console', cloudwatchEndpoint: 'http://127.0.0.1:1' };
        },
      ],
    });
    const stateDir = join(work, 'info');
    // Act
    const info = readSandboxInfo(stateDir);
    // Assess: the file, as the CLI reads it
    expect(statSync(join(stateDir, 'sandbox.json')).mode & 0o777).toBe(0o600);
    expect(info).toEqual(sandbox.info);
    expect(info?.adminToken).toBe(sandbox.credentials.accessKeyId);
    expect(seen?.token).toBe(info?.adminToken);
    const view = integrationView(sandbox.plan, 'acme-orders');
    expect(info).toMatchObject({
      pid: process.pid,
      stackName: 'Hookyard-local',
      gatewayUrl: sandbox.gatewayUrl,
      consoleUrl: 'http://127.0.0.1:1/console',
      endpoints: {
        sqs: sandbox.sqsEndpoint,
        dynamodb: sandbox.dynamoEndpoint,
        secretsManager: sandbox.secretsEndpoint,
        lambda: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        cloudwatch: 'http://127.0.0.1:1',
      },
      integrations: [
        {
          name: 'acme-orders',
          webhookUrl: `${sandbox.gatewayUrl}/webhooks/acme-orders`,
          signingSecretName: view.signingSecret.name,
          queue: { name: view.queue.name, url: view.queue.url, arn: view.queue.arn },
          deadLetterQueue: { name: view.deadLetterQueue.name, url: view.deadLetterQueue.url },
          table: sandbox.plan.tables[0]?.name,
          functions: { ingest: view.ingest.name, transformer: view.transformer.name },
          eventSourceMappingId: view.eventSource?.uuid,
          sampleTargetUrl: sandbox.sampleTarget?.url,
        },
        { name: 'github-issues', webhookUrl: `${sandbox.gatewayUrl}/webhooks/github-issues` },
      ],
    });
    expect(info?.integrations[0]?.alarms).toContain('hookyard-local-acme-orders-dlq-not-empty');
    expect(info?.integrations[0]?.functions.breaker).toMatch(/.+/);
    // The token guards the state-changing endpoints; the per-run key signs the AWS clients
    const stats = `${info?.integrations[0]?.sampleTargetUrl}/_admin/stats`;
    expect((await fetch(stats)).status).toBe(401);
    expect((await fetch(stats, { headers: { authorization: `Bearer ${info?.adminToken}` } })).status).toBe(
      200,
    );
    const queueUrl = info?.integrations[0]?.queue.url;
    const attributes = new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] });
    const own = new SQSClient(sandbox.awsClientConfig(sandbox.sqsEndpoint));
    const other = new SQSClient({
      ...sandbox.awsClientConfig(sandbox.sqsEndpoint),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect((await own.send(attributes)).Attributes).toBeDefined();
    await expect(other.send(attributes)).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    own.destroy();
    other.destroy();
    // Act: stop
    await sandbox.stop();
    running.pop();
    // Assess
    expect(existsSync(join(stateDir, 'sandbox.json'))).toBe(false);
    expect(stopped).toEqual(['console']);
  });

  it('fails to start a second sandbox on the state directory of a running one', async () => {
    // Prepare
    await start('twice');
    // Act + Assess
    await expect(start('twice')).rejects.toThrow(/a sandbox is already running from .*twice .*stop it first/);
  });

  it('answers 401 JSON to an unsigned post and 404 JSON to an unknown integration', async () => {
    const { sandbox } = await start('reject');
    const unsigned = await fetch(`${sandbox.gatewayUrl}/webhooks/acme-orders`, {
      method: 'POST',
      body: ORDER,
    });
    const unknown = await fetch(`${sandbox.gatewayUrl}/webhooks/nobody`, { method: 'POST', body: ORDER });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: 'bad-signature' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: 'Not Found' });
  });

  it('delivers the same webhook-id sent three times once', async () => {
    // Prepare
    const { sandbox, lines } = await start('dedupe');
    // Act
    for (let i = 0; i < 3; i++) expect((await post(sandbox, 'evt_thrice')).status).toBe(202);
    await waitFor(
      () =>
        // Each message handled once: delivered, skipped as a duplicate, or handed back while its twin
        // was in flight (it then comes back and is skipped)
        lines.filter(
          (l) =>
            l.includes('eventId=evt_thrice') &&
            /event delivered|duplicate skipped|duplicate in flight elsewhere/.test(l),
        ).length >= 3,
      15_000,
      'three processed records',
    );
    // Assess
    expect(count(deliveredKeys(sandbox), 'evt_thrice')).toBe(1);
    expect(sandbox.sampleTarget?.stats().received).toBe(1);
  });

  it('moves a message to the DLQ after maxReceiveCount receives while the target is down, keeps its reason, alarms, and keeps it across a restart', async () => {
    // Prepare: no redelivery delay, so five receives take seconds, not minutes. The circuit (tested
    // on its own below) must not open first: its failures are counted per execution environment, so
    // with the threshold at maxReceiveCount it opens on the last receive whenever all five land in one
    // warm environment (they do once a batching window spaces the receives out), the failed record
    // waits out the open period and reaches the DLQ a minute later.
    const options = {
      adjust: adjustTransformer({
        delivery: (s) => ({
          ...s,
          redelivery: { ...s.redelivery, baseSeconds: 0 },
          circuit: { ...s.circuit, failureThreshold: s.maxReceiveCount + 1 },
        }),
      }),
    };
    const first = await start('down', options);
    first.sandbox.sampleTarget?.setFaults({ down: true });
    const dlq = () => integrationView(first.sandbox.plan, 'acme-orders').deadLetterQueue.name;
    // Act
    await post(first.sandbox, 'evt_down');
    await waitFor(
      () => first.lines.some((l) => l.startsWith('ALARM hookyard-local-acme-orders-dlq-not-empty')),
      40_000,
      'the DLQ alarm',
    );
    // Assess: in the DLQ, never delivered, the alarm named its runbook, and the last error is on record
    expect(first.lines.find((l) => l.startsWith('ALARM hookyard-local-acme-orders-dlq-not-empty'))).toContain(
      'runbook: docs/runbooks/dlq-not-empty.md',
    );
    expect(deliveredKeys(first.sandbox)).not.toContain('evt_down');
    expect(first.lines.filter((l) => l.includes('circuit opened'))).toEqual([]);
    const failures = new FailureLog(
      new DynamoDBClient(first.sandbox.awsClientConfig(first.sandbox.dynamoEndpoint)),
      first.sandbox.plan.tables[0]?.name ?? '',
    );
    const failure = await failures.read('acme-orders', 'evt_down');
    expect(failure).toMatchObject({ errorClass: 'transient', receives: 5 });
    expect(failure?.reason).toMatch(/.+/);
    await first.sandbox.stop();
    running.pop();

    // Act: restart on the same state
    const second = await start('down', options);
    await waitFor(
      () => second.lines.some((l) => l.startsWith('ALARM hookyard-local-acme-orders-dlq-not-empty')),
      10_000,
      'the DLQ after restart',
    );
    expect(integrationView(second.sandbox.plan, 'acme-orders').deadLetterQueue.name).toBe(dlq());
  }, 90_000);

  it('stops cleanly mid-delivery: the in-flight batch finishes, nothing is lost or doubled across a restart', async () => {
    // Prepare: a slow target, so the batch is in flight when the sandbox stops
    const first = await start('shutdown');
    first.sandbox.sampleTarget?.setFaults({ latencyMs: 1500 });
    await post(first.sandbox, 'evt_shutdown');
    await waitFor(
      () =>
        (first.sandbox.sampleTarget?.stats().received ?? 0) > 0 || deliveredKeys(first.sandbox).length > 0,
      15_000,
      'the delivery to start',
    );
    // Act: stop (what Ctrl-C does), then start again on the same state
    await first.sandbox.stop();
    running.pop();
    const deliveredBeforeStop = count(deliveredKeys(first.sandbox), 'evt_shutdown');
    const second = await start('shutdown');
    // Either the stop let the batch finish (delivered before the stop), or the message went back to
    // the queue and the restarted sandbox delivers it.
    await waitFor(
      () => deliveredBeforeStop + count(deliveredKeys(second.sandbox), 'evt_shutdown') > 0,
      20_000,
      'the delivery, before the stop or after the restart',
    );
    // Assess: once across both runs, and nothing left behind
    expect(deliveredBeforeStop + count(deliveredKeys(second.sandbox), 'evt_shutdown')).toBe(1);
    expect(first.lines.some((l) => l.includes('batch of') && l.includes('failed'))).toBe(false);
    const source = integrationView(second.sandbox.plan, 'acme-orders').queue;
    await waitFor(
      async () => {
        const sqs = new SQSClient(second.sandbox.awsClientConfig(second.sandbox.sqsEndpoint));
        const out = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: source?.url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return (
          out.Attributes?.ApproximateNumberOfMessages === '0' &&
          out.Attributes?.ApproximateNumberOfMessagesNotVisible === '0'
        );
      },
      10_000,
      'an empty source queue',
    );
  }, 60_000);

  it('retries a batch whose function overran its timeout, and delivers it once', async () => {
    // Prepare: wrap the bundled transformer so its first invocation hangs past the timeout
    const realAsset = integrationView((await start('probe')).sandbox.plan, 'acme-orders').transformer
      .assetDir;
    await running.pop()?.stop();
    const wrapper = mkdtempSync(join(work, 'overrun-'));
    const marker = join(wrapper, 'hung-once');
    writeFileSync(
      join(wrapper, 'index.mjs'),
      `import { existsSync, writeFileSync } from 'node:fs';
       import { handler as real } from ${JSON.stringify(join(realAsset, 'index.mjs'))};
       export const handler = async (event, context) => {
         if (!existsSync(${JSON.stringify(marker)})) {
           writeFileSync(${JSON.stringify(marker)}, 'x');
           await new Promise((resolve) => setTimeout(resolve, context.getRemainingTimeInMillis() + 5000));
         }
         return real(event, context);
       };`,
    );
    const { sandbox, lines } = await start('overrun', {
      adjust: adjustTransformer({ assetDir: wrapper, timeoutSeconds: 6, visibilityTimeout: 7 }),
    });
    // Act
    await post(sandbox, 'evt_overrun');
    const deliveredLine = () => lines.find((l) => l.includes('event delivered') && l.includes('evt_overrun'));
    await waitFor(() => deliveredLine() !== undefined, 30_000, 'the retried delivery');
    // Assess
    expect(lines.some((l) => l.includes('Task timed out'))).toBe(true);
    expect(lines.find((l) => l.includes('event delivered') && l.includes('evt_overrun'))).toContain(
      'receives=2',
    );
    expect(count(deliveredKeys(sandbox), 'evt_overrun')).toBe(1);
  }, 60_000);

  it('opens the circuit while the target is down, stops consuming, and resumes with nothing lost or doubled', async () => {
    // Prepare: a short open period; the breaker's schedule as good as off, so only the transformer's
    // wake-up call can stop the event source, and the test runs the scheduled check itself.
    const { sandbox, lines } = await start('breaker', {
      scheduleIntervalMs: 3_600_000,
      adjust: adjustTransformer({
        delivery: (s) => ({
          ...s,
          circuit: { ...s.circuit, failureThreshold: 3, openSeconds: 2 },
          redelivery: { ...s.redelivery, baseSeconds: 1 },
        }),
      }),
    });
    sandbox.sampleTarget?.setFaults({ down: true });
    const ids = ['evt_cb_1', 'evt_cb_2', 'evt_cb_3', 'evt_cb_4', 'evt_cb_5'];
    // Act
    for (const id of ids) expect((await post(sandbox, id)).status).toBe(202);
    await waitFor(
      () => lines.some((l) => /event source .* disabled/.test(l)),
      20_000,
      'the event source to stop',
    );
    await waitFor(
      () => lines.some((l) => l.startsWith('ALARM hookyard-local-acme-orders-circuit-open')),
      10_000,
      'the alarm',
    );
    sandbox.sampleTarget?.setFaults({ down: false });
    await waitFor(
      async () => {
        await sandbox.runSchedules(); // the breaker's check: half-open once the open period is over
        return lines.some((l) => l.includes('circuit half-open'));
      },
      10_000,
      'the half-open probe',
    );
    await waitFor(() => ids.every((id) => deliveredKeys(sandbox).includes(id)), 30_000, 'every delivery');
    await waitFor(() => lines.some((l) => l.includes('circuit closed')), 10_000, 'the circuit to close');
    // Assess: opened, stopped, probed, closed; every event delivered once and none dead-lettered
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    expect(at(/circuit opened/)).toBeGreaterThanOrEqual(0);
    expect(at(/event source .* disabled/)).toBeGreaterThan(at(/circuit opened/));
    expect(at(/event source .* enabled/)).toBeGreaterThan(at(/event source .* disabled/));
    expect(lines.find((l) => l.startsWith('ALARM hookyard-local-acme-orders-circuit-open'))).toContain(
      'runbook: docs/runbooks/circuit-open.md',
    );
    for (const id of ids) expect(count(deliveredKeys(sandbox), id)).toBe(1);
    const dlq = integrationView(sandbox.plan, 'acme-orders').deadLetterQueue;
    const sqs = new SQSClient(sandbox.awsClientConfig(sandbox.sqsEndpoint));
    const depth = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq?.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(depth.Attributes?.ApproximateNumberOfMessages).toBe('0');
  }, 90_000);

  it('redelivers only the failed record of a batch', async () => {
    // Prepare: one event of three fails at the target; redelivery after 1 s
    const { sandbox, lines } = await start('partial', {
      adjust: adjustTransformer({
        delivery: (s) => ({ ...s, redelivery: { ...s.redelivery, baseSeconds: 1 } }),
      }),
    });
    sandbox.sampleTarget?.setFaults({ failKeys: ['evt_bad'] });
    const queue = integrationView(sandbox.plan, 'acme-orders').queue;
    const sqs = new SQSClient(sandbox.awsClientConfig(sandbox.sqsEndpoint));
    const receivedAt = new Date().toISOString();
    // Act: three records in one batch
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue?.url,
        Entries: ['evt_a', 'evt_bad', 'evt_b'].map((eventId) => ({
          Id: eventId,
          MessageBody: ORDER,
          MessageAttributes: envelopeAttributes({
            integration: 'acme-orders',
            eventId,
            receivedAt,
            schemaVersion: 'v1',
          }),
        })),
      }),
    );
    await waitFor(
      () => lines.some((l) => l.includes('delivery failed') && l.includes('evt_bad')),
      15_000,
      'the failure',
    );
    sandbox.sampleTarget?.setFaults({ failKeys: [] });
    const processed = (id: string) =>
      lines.filter((l) => l.includes(`eventId=${id} `) && /event delivered|duplicate skipped/.test(l));
    await waitFor(() => processed('evt_bad').length > 0, 20_000, 'the redelivery');
    // Assess: the good records were processed once, the bad one again
    expect(processed('evt_a')).toHaveLength(1);
    expect(processed('evt_b')).toHaveLength(1);
    expect(processed('evt_bad')[0]).toMatch(/receives=[2-9]/);
    expect(deliveredKeys(sandbox).sort()).toEqual(['evt_a', 'evt_b', 'evt_bad']);
  }, 60_000);
});
