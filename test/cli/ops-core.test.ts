/** The pure parts of the on-call core: filters, decoding and grouping of DLQ messages, record keys. */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { MILESTONES, tableKeys } from '../../functions/shared/contract.js';
import { envelopeAttributes, failureAttributes } from '../../functions/shared/message.js';
import { decodeMessage, groupByEvent } from '../../ops/dlq.js';
import { buildTrace } from '../../ops/event.js';
import { parseSandboxLog } from '../../ops/event-log.js';
import { matches, parseTime, statusMatcher, validateFilter } from '../../ops/filter.js';
import { idempotencyRecordId } from '../../ops/records.js';
import { redriveCommand } from '../../ops/redrive.js';

const envelope = {
  integration: 'acme-orders',
  eventId: 'evt_1',
  receivedAt: '2026-11-30T03:00:00.000Z',
  schemaVersion: 'v1',
};
const failure = {
  errorClass: 'permanent' as const,
  reason: 'target-rejected: 422 Unprocessable',
  status: 422,
  attempts: 1,
  firstFailureAt: '2026-11-30T03:00:01.000Z',
  lastFailureAt: '2026-11-30T03:00:02.000Z',
};

function message(id: string, attributes = failureAttributes(envelope, failure)): Message {
  return {
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    Body: JSON.stringify({ type: 'order.created', data: {} }),
    Attributes: { SentTimestamp: String(Date.parse('2026-11-30T03:00:03Z')) },
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k, { DataType: v.DataType, StringValue: v.StringValue }]),
    ),
  };
}

describe('DLQ messages', () => {
  it('decode the failure attributes the transformer writes', () => {
    expect(decodeMessage(message('m1'))).toMatchObject({
      eventId: 'evt_1',
      eventType: 'order.created',
      errorClass: 'permanent',
      reason: 'target-rejected: 422 Unprocessable',
      httpStatus: 422,
      attempts: 1,
      lastFailureAt: '2026-11-30T03:00:02.000Z',
      source: 'attributes',
    });
  });

  it('take the failure record when SQS moved the message (no failure attributes)', () => {
    const moved = message('m2', envelopeAttributes(envelope));
    const record = { ...failure, errorClass: 'transient' as const, status: 503, receives: 5 };
    expect(decodeMessage(moved, record)).toMatchObject({
      source: 'failure-record',
      httpStatus: 503,
      receives: 5,
    });
    expect(decodeMessage(moved).source).toBe('unknown');
    expect(decodeMessage(moved).reason).toBeUndefined();
  });

  it('group copies of one event into one row with a count', () => {
    const groups = groupByEvent([decodeMessage(message('m1')), decodeMessage(message('m2'))]);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ eventId: 'evt_1', count: 2, messageIds: ['m1', 'm2'] });
  });

  it('go back to the source queue with their envelope and without the failure attributes', () => {
    const input = redriveCommand('https://queue', message('m1')).input;
    expect(Object.keys(input.MessageAttributes ?? {}).sort()).toEqual(
      ['event-id', 'integration', 'received-at', 'schema-version'].sort(),
    );
    expect(input.MessageBody).toBe(message('m1').Body);
  });
});

describe('redrive filters', () => {
  const m = decodeMessage(message('m1'));
  const now = Date.parse('2026-11-30T04:00:00Z');

  it('match on every filter given', () => {
    expect(matches(m, {})).toBe(true);
    expect(matches(m, { status: '4xx', reason: 'TARGET-REJECTED', errorClass: 'permanent' })).toBe(true);
    expect(matches(m, { status: '5xx' })).toBe(false);
    expect(matches(m, { status: '429,422' })).toBe(true);
    expect(matches(m, { eventTypes: ['order.updated'] })).toBe(false);
    expect(matches(m, { ids: ['evt_2'] })).toBe(false);
    expect(matches(m, { since: parseTime('2h', now, '--since') })).toBe(true);
    expect(matches(m, { since: parseTime('30m', now, '--since') })).toBe(false);
    expect(matches(m, { until: parseTime('2026-11-30T03:00:00Z', now, '--until') })).toBe(false);
  });

  it('fails when a filter value makes no sense', () => {
    expect(() => statusMatcher('7xx')).toThrow('--status');
    expect(() => parseTime('yesterday', now, '--since')).toThrow('--since');
    expect(() => validateFilter({ errorClass: 'fatal' })).toThrow('--error-class');
    expect(() => validateFilter({ since: new Date(now), until: new Date(now - 1) })).toThrow('after');
  });
});

describe('redrive filters given empty', () => {
  // `--ids "$IDS"` with an empty variable once meant "no filter": a redrive of the whole DLQ.
  it.each([
    ['--ids', { ids: [] }],
    ['--event-type', { eventTypes: [] }],
    ['--reason', { reason: '' }],
    ['--reason', { reason: '  ' }],
    ['--error-class', { errorClass: '' }],
    ['--status', { status: '' }],
  ])('are a usage error (%s), never "redrive everything"', (flag, filter) => {
    expect(() => validateFilter(filter)).toThrow(`${flag} is empty`);
  });

  it('leave an absent filter alone', () => {
    expect(() => validateFilter({})).not.toThrow();
  });
});

describe('idempotency record id', () => {
  it('is the key Powertools itself computes for the event', () => {
    // Prepare: the transformer's persistence layer settings
    const layer = new DynamoDBPersistenceLayer({
      tableName: 't',
      awsSdkV3Client: new DynamoDBClient({ region: 'us-east-1' }),
    });
    layer.configure({
      config: new IdempotencyConfig({ eventKeyJmesPath: 'eventId' }),
      keyPrefix: tableKeys('acme-orders').idempotencyPrefix,
    });
    // Act
    const theirs = (
      layer as unknown as { getHashedIdempotencyKey(data: unknown): string }
    ).getHashedIdempotencyKey({
      eventId: 'evt_1',
      body: '{}',
    });
    // Assess
    expect(idempotencyRecordId('acme-orders', 'evt_1')).toBe(theirs);
  });
});

describe('sandbox log lines', () => {
  it('are found by exact event id, with values that contain spaces', () => {
    const log = [
      '2026-11-30T14:56:08.361Z [acme-orders-ingest] INFO  webhook accepted schemaVersion=v1 eventId=evt_1',
      '2026-11-30T14:56:09.220Z [acme-orders-transformer] WARN  event dead-lettered eventId=evt_1 reason=target-rejected: 400 Bad Request status=400',
      '2026-11-30T14:56:09.300Z [acme-orders-transformer] INFO  event delivered eventId=evt_10 status=201',
    ].join('\n');
    expect(parseSandboxLog(log, 'evt_1')).toEqual([
      {
        at: '2026-11-30T14:56:08.361Z',
        message: 'webhook accepted',
        fields: { schemaVersion: 'v1', eventId: 'evt_1' },
      },
      {
        at: '2026-11-30T14:56:09.220Z',
        message: 'event dead-lettered',
        fields: { eventId: 'evt_1', reason: 'target-rejected: 400 Bad Request', status: '400' },
      },
    ]);
  });
});

describe('sandbox log lines of one integration', () => {
  it('are only those of its own functions: an event id can be in two integrations', () => {
    // `trace evt_1` once showed acme-orders' lines as github-issues' story too
    const log = [
      '2026-11-30T14:56:08.361Z [AcmeOrders-Ingest] INFO  webhook accepted eventId=evt_1',
      '2026-11-30T14:56:08.400Z [GithubIssues-Ingest] INFO  webhook accepted eventId=evt_1',
      '2026-11-30T14:56:09.220Z [AcmeOrders-Transformer] INFO  event delivered eventId=evt_1 status=201',
    ].join('\n');
    const github = [
      'Hookyard-local-GithubIssues-Ingest-Function',
      'Hookyard-local-GithubIssues-Transformer-Function',
    ];
    expect(parseSandboxLog(log, 'evt_1', github).map((l) => l.at)).toEqual(['2026-11-30T14:56:08.400Z']);
  });
});

describe('trace', () => {
  it('shows the schema version ingest selected, from its log line', () => {
    // Prepare
    const details = { integration: 'github-issues', eventId: 'evt_1', dlq: [], holdSeconds: 0 };
    const [accepted] = parseSandboxLog(
      '2026-11-30T14:56:08.361Z [github-issues-ingest] INFO  webhook accepted schemaVersion=v1 eventId=evt_1',
      'evt_1',
    );
    // Act
    const trace = buildTrace(details, accepted ? [accepted] : []);
    // Assess
    expect(trace.steps[0]).toMatchObject({
      state: 'accepted',
      detail: 'webhook accepted and queued as schema version v1',
    });
  });

  it('tells a message acknowledged because its event is already in the DLQ', () => {
    // Prepare
    const details = { integration: 'acme-orders', eventId: 'evt_1', dlq: [], holdSeconds: 0 };
    const lines = parseSandboxLog(
      [
        '2026-11-30T14:56:09.220Z [acme-orders-transformer] WARN  event dead-lettered eventId=evt_1 reason=target-rejected: 400 Bad Request status=400',
        `2026-11-30T14:56:20.100Z [acme-orders-transformer] INFO  ${MILESTONES.deadLetterDuplicateSkipped} eventId=evt_1 reason=target-rejected: 400 Bad Request`,
      ].join('\n'),
      'evt_1',
    );
    // Act
    const trace = buildTrace(details, lines);
    // Assess
    expect(trace.steps.map((s) => s.state)).toEqual(['dead-lettered', 'duplicate']);
    expect(trace.steps[1]?.detail).toBe(
      'failed for good again (reason target-rejected: 400 Bad Request); already in the DLQ, no second copy',
    );
  });
  it('tells where an event’s time went while the rate had no slot for it, and when it was queued again', () => {
    // Prepare
    const details = { integration: 'acme-orders', eventId: 'evt_1', dlq: [], holdSeconds: 0 };
    const lines = parseSandboxLog(
      [
        `2026-11-30T14:56:09.220Z [acme-orders-transformer] WARN  ${MILESTONES.deliveryFailed} eventId=evt_1 reason=transient: target answered 503 status=503 receives=1`,
        `2026-11-30T14:56:40.100Z [acme-orders-transformer] INFO  ${MILESTONES.rateSlotDeferred} eventId=evt_1 receives=2 afterSeconds=12`,
        `2026-11-30T14:57:40.100Z [acme-orders-transformer] INFO  ${MILESTONES.rateSlotRequeued} eventId=evt_1 receives=5 afterSeconds=9`,
        `2026-11-30T14:57:52.000Z [acme-orders-transformer] INFO  ${MILESTONES.eventDelivered} eventId=evt_1 receives=1`,
      ].join('\n'),
      'evt_1',
    );
    // Act
    const trace = buildTrace(details, lines);
    // Assess
    expect(trace.steps.map((s) => s.state)).toEqual(['attempt', 'queued', 'queued', 'delivered']);
    expect(trace.steps[1]?.detail).toBe(
      'no delivery slot in time (the rate was booked): handed back unsent (receives 2, afterSeconds 12)',
    );
    expect(trace.steps[2]?.detail).toBe(
      'no delivery slot in time on its last receive: queued again as a delayed copy (receives 5, afterSeconds 9)',
    );
  });
});
