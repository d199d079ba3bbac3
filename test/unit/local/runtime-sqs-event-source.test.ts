import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { settleBatch, startSqsEventSource, toSqsRecord } from '../../../local/runtime/sqs-event-source.js';

const ARN = 'arn:aws:sqs:eu-west-1:123456789012:orders';
const records = [{ messageId: 'm1' }, { messageId: 'm2' }, { messageId: 'm3' }];

describe('settleBatch', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty object', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
    ['a string', 'ok'],
  ])('treats %s as complete success', (_, response) => {
    // Act
    const outcome = settleBatch(records, response, true);

    // Assess
    expect(outcome).toEqual({ succeeded: records, failed: [] });
  });

  it('keeps only the listed records', () => {
    // Act
    const outcome = settleBatch(
      records,
      { batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm2' }] },
      true,
    );

    // Assess
    expect(outcome).toEqual({
      succeeded: [{ messageId: 'm1' }, { messageId: 'm3' }],
      failed: [{ messageId: 'm2' }],
    });
  });

  it('ignores batchItemFailures without ReportBatchItemFailures', () => {
    // Act
    const outcome = settleBatch(records, { batchItemFailures: [{ itemIdentifier: 'm2' }] }, false);

    // Assess
    expect(outcome).toEqual({ succeeded: records, failed: [] });
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a bad key name', { batchItemFailures: [{ itemId: 'm1' }] }],
    ['an id not in the batch', { batchItemFailures: [{ itemIdentifier: 'm9' }] }],
    ['a list that is not a list', { batchItemFailures: { itemIdentifier: 'm1' } }],
    ['a bare string entry', { batchItemFailures: ['m1'] }],
  ])('fails the whole batch for %s', (_, response) => {
    // Act
    const outcome = settleBatch(records, response, true);

    // Assess
    expect(outcome.succeeded).toEqual([]);
    expect(outcome.failed).toEqual(records);
    expect(outcome.invalidResponse).toEqual(expect.any(String));
  });
});

describe('toSqsRecord', () => {
  it('builds the record Lambda sends, FIFO attributes included', () => {
    // Prepare
    const message: Message = {
      MessageId: 'id-1',
      ReceiptHandle: 'rh-1',
      Body: 'hello',
      MD5OfBody: '5d41402abc4b2a76b9719d911017c592',
      MD5OfMessageAttributes: 'abc',
      Attributes: {
        MessageGroupId: 'g1',
        SentTimestamp: '1700000000000',
        ApproximateFirstReceiveTimestamp: '1700000000100',
        SenderId: 'AIDAEXAMPLE',
        ApproximateReceiveCount: '3',
        SequenceNumber: '1',
      },
      MessageAttributes: {
        tags: { DataType: 'String', StringListValues: ['a'], StringValue: 'x' },
      },
    };

    // Act
    const record = toSqsRecord(message, ARN, 'eu-west-1');

    // Assess
    expect(record).toEqual({
      messageId: 'id-1',
      receiptHandle: 'rh-1',
      body: 'hello',
      attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: '1700000000000',
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: '1700000000100',
        MessageGroupId: 'g1',
        SequenceNumber: '1',
      },
      messageAttributes: {
        tags: { stringValue: 'x', stringListValues: ['a'], binaryListValues: [], dataType: 'String' },
      },
      md5OfMessageAttributes: 'abc',
      md5OfBody: '5d41402abc4b2a76b9719d911017c592',
      eventSource: 'aws:sqs',
      eventSourceARN: ARN,
      awsRegion: 'eu-west-1',
    });
    expect(Object.keys(record.attributes).slice(0, 4)).toEqual([
      'ApproximateReceiveCount',
      'SentTimestamp',
      'SenderId',
      'ApproximateFirstReceiveTimestamp',
    ]);
  });
});

describe('startSqsEventSource', () => {
  it('fails when the mapping is not one Lambda accepts, listing every problem', () => {
    // Act
    const start = () =>
      startSqsEventSource({
        sqs: {} as never,
        queueUrl: 'http://127.0.0.1:1/000000000000/orders',
        queueArn: ARN,
        batchSize: 50,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: 1,
        reportBatchItemFailures: true,
        invoke: async () => undefined,
      });

    // Assess
    expect(start).toThrow(
      /batchSize 50 > 10 needs maxBatchingWindowSeconds >= 1.*maxConcurrency must be an integer in \[2, 1000\], got 1/,
    );
  });
});
