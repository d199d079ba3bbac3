import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws-local.js';
import { type SqsEmulator, startSqsEmulator } from '../../../local/emulators/sqs.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir?: string): Promise<{ emulator: SqsEmulator; sqs: SQSClient }> {
  const emulator = await startSqsEmulator(dataDir === undefined ? {} : { dataDir });
  const sqs = new SQSClient(localClientConfig(emulator.endpoint));
  cleanups.push(async () => {
    sqs.destroy();
    await emulator.stop();
  });
  return { emulator, sqs };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hookyard-sqs-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A source queue with a DLQ, as the reliable-queue construct declares them. */
async function createPair(emulator: SqsEmulator, sqs: SQSClient, maxReceiveCount = 2) {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'orders-dlq',
      Attributes: {
        MessageRetentionPeriod: '1209600',
        RedriveAllowPolicy: JSON.stringify({
          redrivePermission: 'byQueue',
          sourceQueueArns: [emulator.queueArn('orders')],
        }),
      },
    }),
  );
  const source = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'orders',
      Attributes: {
        VisibilityTimeout: '30',
        MessageRetentionPeriod: '345600',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: emulator.queueArn('orders-dlq'),
          maxReceiveCount,
        }),
      },
    }),
  );
  return { sourceUrl: source.QueueUrl ?? '', dlqUrl: dlq.QueueUrl ?? '' };
}

async function receiveOne(sqs: SQSClient, queueUrl: string): Promise<Message | undefined> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages?.[0];
}

/** Makes a received message visible again at once (a failed receive, as the event source reports it). */
async function release(sqs: SQSClient, queueUrl: string, message: Message | undefined): Promise<void> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: message?.ReceiptHandle,
      VisibilityTimeout: 0,
    }),
  );
}

async function counts(sqs: SQSClient, queueUrl: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    notVisible: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

describe('sqs emulator', () => {
  it('hands out loopback queue URLs and keeps the declared attributes', async () => {
    // Prepare
    const { emulator, sqs } = await start();

    // Act
    const { sourceUrl, dlqUrl } = await createPair(emulator, sqs);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ['All'] }),
    );
    const { Attributes: dlqAttributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['RedriveAllowPolicy'] }),
    );
    const { QueueUrls } = await sqs.send(new ListQueuesCommand({}));
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }));

    // Assess
    expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sourceUrl).toBe(emulator.queueUrl('orders'));
    expect(sourceUrl).toBe(`${emulator.endpoint}/000000000000/orders`);
    expect(QueueUrl).toBe(sourceUrl);
    expect(QueueUrls).toEqual([emulator.queueUrl('orders'), emulator.queueUrl('orders-dlq')]);
    expect(Attributes).toMatchObject({
      QueueArn: emulator.queueArn('orders'),
      VisibilityTimeout: '30',
      MessageRetentionPeriod: '345600',
      ApproximateNumberOfMessages: '0',
    });
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:orders-dlq',
      maxReceiveCount: 2,
    });
    expect(JSON.parse(dlqAttributes?.RedriveAllowPolicy ?? '{}')).toMatchObject({
      redrivePermission: 'byQueue',
    });
  });

  it('sends, receives with attributes, changes visibility and deletes', async () => {
    // Prepare
    const { emulator, sqs } = await start();
    const { sourceUrl } = await createPair(emulator, sqs, 5);

    // Act
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: JSON.stringify({ orderId: 'o-1' }),
        MessageAttributes: {
          'event-id': { DataType: 'String', StringValue: 'evt_1' },
          attempt: { DataType: 'Number', StringValue: '1' },
        },
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sourceUrl,
        Entries: [
          { Id: 'a', MessageBody: '{"orderId":"o-2"}' },
          { Id: 'b', MessageBody: '{"orderId":"o-3"}' },
        ],
      }),
    );
    const first = await receiveOne(sqs, sourceUrl);
    const afterReceive = await counts(sqs, sourceUrl);
    await release(sqs, sourceUrl, first);
    const afterRelease = await counts(sqs, sourceUrl);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sourceUrl,
        MaxNumberOfMessages: 10,
        AttributeNames: ['All'], // the deprecated spelling, still sent by older pollers
        MessageAttributeNames: ['All'],
      }),
    );
    const again = Messages.find((m) => m.MessageId === first?.MessageId);
    const [one, ...rest] = Messages;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: sourceUrl, ReceiptHandle: one?.ReceiptHandle }));
    const batch = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: sourceUrl,
        Entries: rest.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    const afterDelete = await counts(sqs, sourceUrl);

    // Assess
    expect(first?.Body).toBe('{"orderId":"o-1"}');
    expect(first?.MessageAttributes).toEqual({
      'event-id': { DataType: 'String', StringValue: 'evt_1' },
      attempt: { DataType: 'Number', StringValue: '1' },
    });
    expect(first?.Attributes).toMatchObject({ ApproximateReceiveCount: '1' });
    expect(first?.Attributes?.SentTimestamp).toMatch(/^\d+$/);
    expect(first?.Attributes?.ApproximateFirstReceiveTimestamp).toMatch(/^\d+$/);
    expect(afterReceive).toEqual({ visible: 2, notVisible: 1 });
    expect(afterRelease).toEqual({ visible: 3, notVisible: 0 });
    expect(Messages).toHaveLength(3);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(batch.Successful).toHaveLength(2);
    expect(batch.Failed ?? []).toEqual([]);
    expect(afterDelete).toEqual({ visible: 0, notVisible: 0 });
  });

  it('accepts characters outside the BMP (an emoji) and refuses what SQS refuses, by code point', async () => {
    // Prepare
    const { emulator, sqs } = await start();
    const { sourceUrl } = await createPair(emulator, sqs, 5);
    const emoji = JSON.stringify({ note: 'thanks 🎉 — 𝄞' });

    // Act
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: emoji }));
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sourceUrl,
        Entries: [
          { Id: 'emoji', MessageBody: emoji },
          { Id: 'lone', MessageBody: 'half an emoji \ud83c' },
          { Id: 'nonchar', MessageBody: 'U+FFFF \uffff' },
        ],
      }),
    );
    const single = (body: string) =>
      sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: body })).then(
        () => 'accepted',
        (error: Error) => error.name.replace('AWS.SimpleQueueService.', ''),
      );
    const received = await receiveOne(sqs, sourceUrl);

    // Assess
    expect(sent.MessageId).toBeDefined();
    expect(received?.Body).toBe(emoji);
    expect(batch.Successful?.map((s) => s.Id)).toEqual(['emoji']);
    expect(batch.Failed?.map((f) => [f.Id, f.Code]).sort()).toEqual([
      ['lone', 'InvalidMessageContents'],
      ['nonchar', 'InvalidMessageContents'],
    ]);
    expect(await single('half an emoji \ud83c')).toBe('InvalidMessageContents');
    expect(await single('\udf89 the other half')).toBe('InvalidMessageContents');
    expect(await single('U+FFFF \uffff')).toBe('InvalidMessageContents');
    expect(await single('a NUL \u0000')).toBe('InvalidMessageContents');
  });

  it('moves a message to the DLQ once it has been received maxReceiveCount times', async () => {
    // Prepare
    const { emulator, sqs } = await start();
    const { sourceUrl, dlqUrl } = await createPair(emulator, sqs, 2);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: '{"orderId":"o-9"}',
        MessageAttributes: { 'event-id': { DataType: 'String', StringValue: 'evt_9' } },
      }),
    );

    // Act: two failed receives (released at once), then a third receive finds nothing.
    const receipts: (Message | undefined)[] = [];
    for (let i = 0; i < 2; i++) {
      const message = await receiveOne(sqs, sourceUrl);
      receipts.push(message);
      await release(sqs, sourceUrl, message);
    }
    const third = await receiveOne(sqs, sourceUrl);
    const dlqCounts = await counts(sqs, dlqUrl);
    const dead = await receiveOne(sqs, dlqUrl);

    // Assess
    expect(receipts.map((m) => m?.Attributes?.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(third).toBeUndefined();
    expect(await counts(sqs, sourceUrl)).toEqual({ visible: 0, notVisible: 0 });
    expect(dlqCounts).toEqual({ visible: 1, notVisible: 0 });
    expect(dead?.MessageId).toBe(receipts[0]?.MessageId);
    expect(dead?.Body).toBe('{"orderId":"o-9"}');
    expect(dead?.MessageAttributes?.['event-id']?.StringValue).toBe('evt_9');
  });

  it('counts a message whose visibility timeout ran out as visible again', async () => {
    // Prepare
    const { emulator, sqs } = await start();
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'short', Attributes: { VisibilityTimeout: '1' } }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    await receiveOne(sqs, emulator.queueUrl('short'));
    const during = await counts(sqs, emulator.queueUrl('short'));

    // Act
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await counts(sqs, emulator.queueUrl('short'));

    // Assess: fauxqs alone would report it in flight until the next ReceiveMessage.
    expect(during).toEqual({ visible: 0, notVisible: 1 });
    expect(after).toEqual({ visible: 1, notVisible: 0 });
    expect(emulator.queueMetrics('short')).toMatchObject({ visible: 1, notVisible: 0 });
  });

  it('reports queue metrics, including the age of the oldest message', async () => {
    // Prepare
    const { emulator, sqs } = await start();
    const { sourceUrl } = await createPair(emulator, sqs);
    await sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: 'a' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: 'b', DelaySeconds: 60 }));
    await receiveOne(sqs, sourceUrl);

    // Act
    const metrics = emulator.queueMetrics('orders');

    // Assess
    expect(metrics).toEqual({
      visible: 0,
      notVisible: 1,
      delayed: 1,
      oldestMessageAgeSeconds: expect.any(Number),
    });
    expect(emulator.queueMetrics('orders-dlq')).toEqual({
      visible: 0,
      notVisible: 0,
      delayed: 0,
      oldestMessageAgeSeconds: 0,
    });
    expect(emulator.queueMetrics('nope')).toBeUndefined();
  });

  it('keeps queues and messages across a restart when given a data directory', async () => {
    // Prepare: one message dead-lettered, one in flight, one waiting.
    const dataDir = await tempDir();
    const before = await start(dataDir);
    const { sourceUrl, dlqUrl } = await createPair(before.emulator, before.sqs, 1);
    await before.sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: 'dead',
        MessageAttributes: { 'event-id': { DataType: 'String', StringValue: 'evt_dead' } },
      }),
    );
    const dying = await receiveOne(before.sqs, sourceUrl);
    await release(before.sqs, sourceUrl, dying);
    await receiveOne(before.sqs, sourceUrl); // second receive > maxReceiveCount 1: moved to the DLQ
    await before.sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: 'in-flight' }));
    await receiveOne(before.sqs, sourceUrl);
    await before.sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: 'waiting' }));
    expect(await counts(before.sqs, dlqUrl)).toEqual({ visible: 1, notVisible: 0 });
    await before.emulator.stop();

    // Act
    const after = await start(dataDir);
    const { QueueUrl: restoredDlqUrl } = await after.sqs.send(
      new GetQueueUrlCommand({ QueueName: 'orders-dlq' }),
    );
    const recreated = await after.sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
    const dlqCounts = await counts(after.sqs, after.emulator.queueUrl('orders-dlq'));
    const sourceCounts = await counts(after.sqs, after.emulator.queueUrl('orders'));
    const dead = await receiveOne(after.sqs, after.emulator.queueUrl('orders-dlq'));
    const { Attributes } = await after.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: after.emulator.queueUrl('orders'),
        AttributeNames: ['RedrivePolicy'],
      }),
    );

    // Assess
    expect(restoredDlqUrl).toBe(after.emulator.queueUrl('orders-dlq'));
    expect(recreated.QueueUrl).toBe(after.emulator.queueUrl('orders'));
    expect(dlqCounts).toEqual({ visible: 1, notVisible: 0 });
    expect(sourceCounts).toEqual({ visible: 1, notVisible: 1 });
    expect(dead?.Body).toBe('dead');
    expect(dead?.MessageId).toBe(dying?.MessageId);
    expect(dead?.MessageAttributes?.['event-id']?.StringValue).toBe('evt_dead');
    expect(Number(dead?.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 1 });
  });

  it('stops idempotently and frees its port', async () => {
    // Prepare
    const { emulator } = await start();

    // Act
    await Promise.all([emulator.stop(), emulator.stop()]);

    // Assess
    await expect(fetch(`${emulator.endpoint}/health`)).rejects.toThrow();
  });
});
