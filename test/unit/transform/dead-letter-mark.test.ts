import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { carriesFailureAttributes } from '../../../functions/shared/message.js';
import {
  type AlreadyDeadLetteredInput,
  alreadyDeadLettered,
  copyOf,
  type DeadLetterMark,
} from '../../../functions/transform/dead-letter-mark.js';

const NOW = Date.UTC(2026, 10, 30, 12);
const DAY_SECONDS = 24 * 3600;
const body = '{"id":"evt_1","type":"order.created"}';
const copy = copyOf('evt_1', body);
const mark: DeadLetterMark = {
  at: new Date(NOW - 60_000).toISOString(),
  messageId: 'dlq-message-1',
  copy,
  duplicatesSkipped: 0,
};
const input = (change: Partial<AlreadyDeadLetteredInput> = {}): AlreadyDeadLetteredInput => ({
  mark,
  copy,
  cameFromDlq: false,
  now: NOW,
  retentionSeconds: 14 * DAY_SECONDS,
  ...change,
});

describe('alreadyDeadLettered', () => {
  it('skips the DLQ send for a copy whose earlier copy is marked as in the DLQ', () => {
    expect(alreadyDeadLettered(input())).toBe(true);
  });

  it('fails when nothing is marked: the first copy is always sent', () => {
    expect(alreadyDeadLettered(input({ mark: undefined }))).toBe(false);
  });

  it('fails when the body differs: another body under the same id is not a copy', () => {
    expect(alreadyDeadLettered(input({ copy: copyOf('evt_1', `${body} `) }))).toBe(false);
  });

  it('fails when the idempotency key differs', () => {
    expect(alreadyDeadLettered(input({ copy: copyOf('sha256:other', body) }))).toBe(false);
  });

  it('fails when the message came out of the DLQ as it was: it may be the very copy the mark stands for', () => {
    expect(alreadyDeadLettered(input({ cameFromDlq: true }))).toBe(false);
  });

  it('fails when the marked copy is older than the DLQ retention: it has expired from the DLQ', () => {
    const expired = new Date(NOW - 14 * DAY_SECONDS * 1000).toISOString();
    const justBefore = new Date(NOW - 14 * DAY_SECONDS * 1000 + 1).toISOString();
    expect(alreadyDeadLettered(input({ mark: { ...mark, at: expired } }))).toBe(false);
    expect(alreadyDeadLettered(input({ mark: { ...mark, at: justBefore } }))).toBe(true);
  });

  it('fails when the mark has no readable time', () => {
    expect(alreadyDeadLettered(input({ mark: { ...mark, at: 'soon' } }))).toBe(false);
  });

  it('keeps a mark of unknown age when the retention is not configured (older templates)', () => {
    const old = new Date(NOW - 30 * DAY_SECONDS * 1000).toISOString();
    expect(alreadyDeadLettered(input({ mark: { ...mark, at: old }, retentionSeconds: undefined }))).toBe(
      true,
    );
  });
});

describe('copyOf', () => {
  it('does not confuse a key/body split', () => {
    expect(copyOf('a', 'bc')).not.toBe(copyOf('ab', 'c'));
  });
});

describe('carriesFailureAttributes', () => {
  const record = (names: string[]) =>
    ({
      messageAttributes: Object.fromEntries(
        names.map((n) => [
          n,
          { dataType: 'String', stringValue: 'x', stringListValues: [], binaryListValues: [] },
        ]),
      ),
    }) as unknown as SQSRecord;

  it('recognises a message moved out of the DLQ with its failure attributes', () => {
    expect(carriesFailureAttributes(record(['event-id', 'error-class', 'failure']))).toBe(true);
  });

  it('fails for a message as ingest queues it (or as `hookyard redrive` sends it back)', () => {
    expect(carriesFailureAttributes(record(['event-id', 'integration', 'received-at']))).toBe(false);
  });
});
