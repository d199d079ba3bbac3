import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws-local.js';
import { type SqsEmulator, startSqsEmulator } from '../../../local/emulators/sqs.js';
import { startLocalFunction } from '../../../local/runtime/lambda-runner.js';
import {
  type BatchInfo,
  type SqsEventSource,
  type SqsEventSourceOptions,
  startSqsEventSource,
} from '../../../local/runtime/sqs-event-source.js';
import { fixtureDir, waitFor } from './fixtures.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  readonly emulator: SqsEmulator;
  readonly sqs: SQSClient;
  /**
   * Creates `name` and, with maxReceiveCount, `name-dlq` behind it. Visibility timeout 30 s, or 1 s
   * where a test waits for redelivery.
   */
  queue(
    name: string,
    options?: { maxReceiveCount?: number; visibilityTimeout?: number },
  ): Promise<{ url: string; arn: string }>;
  send(name: string, bodies: readonly string[]): Promise<void>;
  /** Starts an event source on `name` with sensible test defaults; stopped after the test. */
  source(
    name: string,
    options: Partial<SqsEventSourceOptions> & Pick<SqsEventSourceOptions, 'invoke'>,
  ): SqsEventSource;
  /** Visible + in flight + delayed. */
  depth(name: string): number;
}

async function start(port?: number): Promise<Harness> {
  const emulator = await startSqsEmulator(port === undefined ? {} : { port });
  const sqs = new SQSClient(localClientConfig(emulator.endpoint));
  cleanups.push(async () => {
    sqs.destroy();
    await emulator.stop();
  });
  return {
    emulator,
    sqs,
    async queue(name, { maxReceiveCount, visibilityTimeout = 30 } = {}) {
      const attributes: Record<string, string> = { VisibilityTimeout: String(visibilityTimeout) };
      if (maxReceiveCount !== undefined) {
        await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: emulator.queueArn(`${name}-dlq`),
          maxReceiveCount,
        });
      }
      await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      return { url: emulator.queueUrl(name), arn: emulator.queueArn(name) };
    },
    async send(name, bodies) {
      for (let start = 0; start < bodies.length; start += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: emulator.queueUrl(name),
            Entries: bodies
              .slice(start, start + 10)
              .map((body, index) => ({ Id: String(index), MessageBody: body })),
          }),
        );
      }
    },
    source(name, options) {
      const source = startSqsEventSource({
        sqs,
        queueUrl: emulator.queueUrl(name),
        queueArn: emulator.queueArn(name),
        batchSize: 10,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: 2,
        reportBatchItemFailures: true,
        ...options,
      });
      cleanups.push(() => source.stop());
      return source;
    },
    depth(name) {
      const metrics = emulator.queueMetrics(name);
      return metrics === undefined ? -1 : metrics.visible + metrics.notVisible + metrics.delayed;
    },
  };
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** A promise the test resolves by hand. */
function gate(): { readonly opened: Promise<void>; readonly open: () => void } {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startSqsEventSource', () => {
  it('delivers every message once in Lambda records and deletes them all', async () => {
    // Prepare
    const h = await start();
    const { arn } = await h.queue('orders');
    const bodies = Array.from({ length: 25 }, (_, index) => `{"order":${index}}`);
    await h.send('orders', bodies);
    await h.sqs.send(
      new SendMessageCommand({
        QueueUrl: h.emulator.queueUrl('orders'),
        MessageBody: 'with-attributes',
        MessageAttributes: {
          'webhook-id': { DataType: 'String', StringValue: 'evt_1' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
        },
      }),
    );
    const events: SQSEvent[] = [];

    // Act
    h.source('orders', {
      maxBatchingWindowSeconds: 1,
      invoke: async (event) => {
        events.push(event);
        return { batchItemFailures: [] };
      },
    });
    await waitFor(
      () => events.flatMap((event) => event.Records).length >= 26 && h.depth('orders') === 0,
      'all delivered',
    );

    // Assess
    const records = events.flatMap((event) => event.Records);
    expect(records.map((record) => record.body).sort()).toEqual([...bodies, 'with-attributes'].sort());
    expect(Math.max(...events.map((event) => event.Records.length))).toBeLessThanOrEqual(10);
    const plain = records.find((record) => record.body === bodies[0]) as SQSRecord;
    expect(Object.keys(plain)).toEqual([
      'messageId',
      'receiptHandle',
      'body',
      'attributes',
      'messageAttributes',
      'md5OfMessageAttributes',
      'md5OfBody',
      'eventSource',
      'eventSourceARN',
      'awsRegion',
    ]);
    expect(plain).toMatchObject({
      messageAttributes: {},
      md5OfMessageAttributes: null,
      md5OfBody: md5(bodies[0] as string),
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
    });
    expect(Object.keys(plain.attributes).slice(0, 4)).toEqual([
      'ApproximateReceiveCount',
      'SentTimestamp',
      'SenderId',
      'ApproximateFirstReceiveTimestamp',
    ]);
    expect(plain.attributes.ApproximateReceiveCount).toBe('1');
    const withAttributes = records.find((record) => record.body === 'with-attributes') as SQSRecord;
    expect(withAttributes.messageAttributes).toEqual({
      'webhook-id': { stringValue: 'evt_1', stringListValues: [], binaryListValues: [], dataType: 'String' },
      blob: {
        binaryValue: Buffer.from('hi').toString('base64'),
        stringListValues: [],
        binaryListValues: [],
        dataType: 'Binary',
      },
    });
    expect(withAttributes.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });

  it('redelivers only the records reported as failed, until SQS moves them to the DLQ', async () => {
    // Prepare
    const h = await start();
    await h.queue('orders', { maxReceiveCount: 2, visibilityTimeout: 1 });
    await h.send('orders', ['a', 'b', 'c']);
    const seen: { body: string; receiveCount: string }[] = [];
    const batches: BatchInfo[] = [];

    // Act
    h.source('orders', {
      onBatch: (info) => batches.push(info),
      invoke: async (event) => {
        for (const record of event.Records) {
          seen.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
        }
        return {
          batchItemFailures: event.Records.filter((record) => record.body === 'b').map((record) => ({
            itemIdentifier: record.messageId,
          })),
        };
      },
    });
    await waitFor(() => h.depth('orders-dlq') === 1 && h.depth('orders') === 0, 'b to reach the DLQ');

    // Assess
    expect(seen.filter((entry) => entry.body !== 'b').map((entry) => entry.receiveCount)).toEqual(['1', '1']);
    expect(seen.filter((entry) => entry.body === 'b')).toEqual([
      { body: 'b', receiveCount: '1' },
      { body: 'b', receiveCount: '2' },
    ]);
    expect(batches.reduce((sum, batch) => sum + batch.failed, 0)).toBe(2);
    const dead = await h.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.emulator.queueUrl('orders-dlq') }));
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['b']);
  });

  it('redelivers the whole batch when the function fails', async () => {
    // Prepare
    const h = await start();
    await h.queue('orders', { visibilityTimeout: 1 });
    await h.send('orders', ['a', 'b', 'c']);
    const seen: { body: string; receiveCount: string }[] = [];
    const batches: BatchInfo[] = [];
    let calls = 0;

    // Act
    h.source('orders', {
      batchSize: 3,
      maxBatchingWindowSeconds: 1,
      onBatch: (info) => batches.push(info),
      invoke: async (event) => {
        calls += 1;
        for (const record of event.Records) {
          seen.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
        }
        if (calls === 1) throw new Error('target unavailable');
        return undefined;
      },
    });
    await waitFor(() => seen.length >= 6 && h.depth('orders') === 0, 'the batch to come back and succeed');

    // Assess
    expect(batches[0]).toEqual({ records: 3, failed: 3, error: 'Error: target unavailable' });
    expect(seen.slice(0, 3).map((entry) => entry.receiveCount)).toEqual(['1', '1', '1']);
    expect(
      seen
        .slice(3)
        .map((entry) => `${entry.body}:${entry.receiveCount}`)
        .sort(),
    ).toEqual(['a:2', 'b:2', 'c:2']);
  });

  it('keeps at most maxConcurrency batches in flight and receives no more meanwhile', async () => {
    // Prepare
    const h = await start();
    await h.queue('orders');
    await h.send(
      'orders',
      Array.from({ length: 10 }, (_, index) => `m${index}`),
    );
    const release = gate();
    let active = 0;
    let maxActive = 0;
    let done = 0;

    // Act
    const source = h.source('orders', {
      batchSize: 1,
      maxConcurrency: 2,
      invoke: async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await release.opened;
        active -= 1;
        done += 1;
        return {};
      },
    });
    await waitFor(() => active === 2, 'two batches in flight');
    await sleep(300);
    const whileBlocked = {
      active,
      inFlight: source.inFlight,
      visible: h.emulator.queueMetrics('orders')?.visible,
    };
    release.open();
    await waitFor(() => done === 10 && h.depth('orders') === 0, 'all ten processed');

    // Assess
    expect(whileBlocked).toEqual({ active: 2, inFlight: 2, visible: 8 });
    expect(maxActive).toBe(2);
  });

  it('stop() waits for the batch in flight, which is then deleted', async () => {
    // Prepare
    const h = await start();
    await h.queue('orders');
    await h.send('orders', ['slow']);
    const release = gate();
    const order: string[] = [];
    let invoked = false;
    const source = h.source('orders', {
      invoke: async () => {
        invoked = true;
        await release.opened;
        order.push('invoke finished');
        return {};
      },
    });
    await waitFor(() => invoked, 'the batch to start');

    // Act
    const stopping = source.stop().then(() => order.push('stopped'));
    await sleep(1_500);
    const beforeRelease = [...order];
    release.open();
    await stopping;

    // Assess
    expect(beforeRelease).toEqual([]);
    expect(order).toEqual(['invoke finished', 'stopped']);
    expect(source.inFlight).toBe(0);
    expect(h.depth('orders')).toBe(0);
  });

  it('backs off while the queue cannot be reached and resumes when it can', async () => {
    // Prepare
    const first = await start();
    const port = Number(new URL(first.emulator.endpoint).port);
    await first.emulator.stop();
    const sqs = new SQSClient({ ...localClientConfig(first.emulator.endpoint), maxAttempts: 1 });
    cleanups.push(async () => sqs.destroy());
    const errors: unknown[] = [];
    const bodies: string[] = [];

    // Act
    first.source('orders', {
      sqs,
      onError: (error) => errors.push(error),
      invoke: async (event) => {
        bodies.push(...event.Records.map((record) => record.body));
        return {};
      },
    });
    await waitFor(() => errors.length >= 2, 'poll errors');
    const restarted = await start(port);
    await restarted.queue('orders');
    await restarted.send('orders', ['after restart']);
    await waitFor(() => bodies.length === 1 && restarted.depth('orders') === 0, 'delivery after the restart');

    // Assess
    expect(bodies).toEqual(['after restart']);
  });

  it('drives a local function end to end: failed records go to the DLQ, the rest are deleted', async () => {
    // Prepare
    const h = await start();
    await h.queue('orders', { maxReceiveCount: 1, visibilityTimeout: 1 });
    await h.send('orders', ['a', 'b', 'c', 'd']);
    const dir = await fixtureDir();
    cleanups.push(() => dir.remove());
    const fn = await startLocalFunction({
      name: 'transform',
      assetDir: await dir.asset('consumer'),
      handler: 'index.handler',
      env: { FAIL_BODIES: 'b,d' },
      timeoutSeconds: 5,
      onLog: () => {},
    });
    cleanups.push(() => fn.stop());
    const batches: BatchInfo[] = [];

    // Act
    h.source('orders', { invoke: (event) => fn.invoke(event), onBatch: (info) => batches.push(info) });
    await waitFor(() => h.depth('orders-dlq') === 2 && h.depth('orders') === 0, 'b and d in the DLQ');

    // Assess
    const dead = await h.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: h.emulator.queueUrl('orders-dlq'), MaxNumberOfMessages: 10 }),
    );
    expect(dead.Messages?.map((message) => message.Body).sort()).toEqual(['b', 'd']);
    expect(batches.reduce((sum, batch) => sum + batch.records - batch.failed, 0)).toBe(2);
  });
});
