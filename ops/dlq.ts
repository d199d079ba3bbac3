/**
 * Reading a DLQ without losing or keeping anything: messages are received with a short visibility
 * timeout (hidden from other readers for at most that long) and released again right after the
 * scan. Each message's failure attributes are decoded; messages SQS moved after maxReceiveCount carry
 * none, so their reason comes from the failure record in the idempotency table.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ATTR, readFailureHistory } from '../functions/shared/message.js';
import { type FailureRecordView, readFailureRecord } from './records.js';

/** How long a peek hides each message from other readers (the transformer never reads a DLQ). */
export const PEEK_VISIBILITY_SECONDS = 10;

export interface DlqMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** Every message attribute, decoded to strings. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly eventId: string;
  readonly eventType?: string;
  readonly errorClass?: string;
  readonly reason?: string;
  readonly httpStatus?: number;
  readonly attempts?: number;
  readonly receives?: number;
  readonly firstFailureAt?: string;
  readonly lastFailureAt?: string;
  /** When the message entered the DLQ (its SentTimestamp). */
  readonly sentAt: string;
  /** Where the failure facts come from: the message's attributes, the failure record, or nowhere. */
  readonly source: 'attributes' | 'failure-record' | 'unknown';
}

/** The event type a payload names (`type`, `event_type`, `event`, `action`), if any. */
export function eventTypeOf(body: string): string | undefined {
  try {
    const payload = JSON.parse(body) as Record<string, unknown>;
    for (const key of ['type', 'event_type', 'eventType', 'event', 'action']) {
      if (typeof payload[key] === 'string') return payload[key];
    }
  } catch {
    // not JSON: no type
  }
  return undefined;
}

const num = (value: string | undefined) =>
  value !== undefined && value !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;

/** Pure: an SQS message → what on-call needs to see. */
export function decodeMessage(message: Message, failure?: FailureRecordView): DlqMessage {
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
  );
  const sent = Number(message.Attributes?.SentTimestamp ?? 0);
  const body = message.Body ?? '';
  const base = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes,
    eventId: attributes[ATTR.eventId] ?? message.MessageId ?? '',
    eventType: eventTypeOf(body),
    sentAt: new Date(sent || Date.now()).toISOString(),
  };
  if (attributes[ATTR.errorClass] || attributes[ATTR.errorReason]) {
    const history = readFailureHistory(attributes[ATTR.failure]);
    return {
      ...base,
      source: 'attributes',
      errorClass: attributes[ATTR.errorClass],
      reason: attributes[ATTR.errorReason],
      httpStatus: num(attributes[ATTR.httpStatus]),
      attempts: history?.attempts,
      firstFailureAt: history?.firstFailureAt,
      lastFailureAt: history?.lastFailureAt,
      receives: failure?.receives,
    };
  }
  if (failure) {
    return {
      ...base,
      source: 'failure-record',
      errorClass: failure.errorClass,
      reason: failure.reason,
      httpStatus: failure.status,
      attempts: failure.attempts,
      receives: failure.receives,
      firstFailureAt: failure.firstFailureAt,
      lastFailureAt: failure.lastFailureAt,
    };
  }
  return { ...base, source: 'unknown' };
}

export interface Peeked {
  readonly messages: readonly Message[];
  /** Release them now (visibility 0), or let the hold run out. */
  release(): Promise<void>;
}

/**
 * Receives every message of a queue once, each hidden for `holdSeconds` (a message is never received
 * twice in one scan while hidden; if the hold runs out first, the scan stops at the first message it
 * sees again). Stops at `max` messages or when a receive, confirmed by a long poll, comes back empty.
 */
export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
  options: { holdSeconds: number; max?: number; waitSeconds?: number },
): Promise<Peeked> {
  const messages: Message[] = [];
  const max = options.max ?? 10_000;
  let confirmed = false;
  const ids = new Set<string>();
  /** Second receipts of a message: released too (their handles are the live ones). */
  const stale: Message[] = [];
  while (messages.length < max) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - messages.length),
        VisibilityTimeout: options.holdSeconds,
        WaitTimeSeconds: confirmed ? 1 : (options.waitSeconds ?? 0),
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const got = out.Messages ?? [];
    if (got.length === 0) {
      // A short-poll receive samples only some SQS servers and may come back empty while messages
      // remain: confirm with one long poll, which asks them all.
      if (confirmed) break;
      confirmed = true;
      continue;
    }
    confirmed = false;
    const fresh = got.filter((m) => !ids.has(m.MessageId ?? ''));
    for (const m of fresh) ids.add(m.MessageId ?? '');
    messages.push(...fresh);
    // A message seen twice came round again (the hold ran out): the scan has gone through the queue.
    if (fresh.length < got.length) {
      stale.push(...got.filter((m) => !fresh.includes(m)));
      break;
    }
  }
  return { messages, release: () => releaseMessages(sqs, queueUrl, [...messages, ...stale]) };
}

/** Makes held messages visible again at once (batches of 10; a message already gone is fine). */
export async function releaseMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]) {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, j) => ({
          Id: String(j),
          ReceiptHandle: m.ReceiptHandle ?? '',
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/** The messages decoded, with failure records read for those that carry no failure attributes. */
export async function decodeAll(
  messages: readonly Message[],
  lookup: (eventId: string) => Promise<FailureRecordView | undefined>,
): Promise<DlqMessage[]> {
  const cache = new Map<string, Promise<FailureRecordView | undefined>>();
  return Promise.all(
    messages.map(async (m) => {
      const eventId = m.MessageAttributes?.[ATTR.eventId]?.StringValue ?? m.MessageId ?? '';
      if (!cache.has(eventId))
        cache.set(
          eventId,
          lookup(eventId).catch(() => undefined),
        );
      return decodeMessage(m, await cache.get(eventId));
    }),
  );
}

export interface DlqPeek {
  readonly messages: readonly DlqMessage[];
  readonly holdSeconds: number;
}

/** Every DLQ message, decoded, each hidden for at most `holdSeconds` and released after. */
export async function peekDlq(
  sqs: SQSClient,
  dynamodb: Parameters<typeof readFailureRecord>[0],
  target: { integration: string; dlqUrl: string; table: string },
  options: { holdSeconds?: number; max?: number } = {},
): Promise<DlqPeek> {
  const holdSeconds = options.holdSeconds ?? PEEK_VISIBILITY_SECONDS;
  const peeked = await receiveAll(sqs, target.dlqUrl, { holdSeconds, max: options.max });
  try {
    const messages = await decodeAll(peeked.messages, (eventId) =>
      readFailureRecord(dynamodb, target.table, target.integration, eventId),
    );
    return { messages, holdSeconds };
  } finally {
    await peeked.release();
  }
}

/** One row of `dlq ls`: an event, however many copies of it the DLQ holds. */
export interface DlqGroup extends Omit<DlqMessage, 'receiptHandle' | 'messageId'> {
  readonly count: number;
  readonly messageIds: readonly string[];
}

/** Pure: messages grouped by event id, in the order first seen; the group shows its latest failure. */
export function groupByEvent(messages: readonly DlqMessage[]): DlqGroup[] {
  const groups = new Map<string, DlqMessage[]>();
  for (const m of messages) groups.set(m.eventId, [...(groups.get(m.eventId) ?? []), m]);
  return [...groups.values()].map((copies) => {
    const latest = copies.reduce((a, b) =>
      (b.lastFailureAt ?? b.sentAt) > (a.lastFailureAt ?? a.sentAt) ? b : a,
    );
    const { receiptHandle: _r, messageId: _m, ...rest } = latest;
    return { ...rest, count: copies.length, messageIds: copies.map((c) => c.messageId) };
  });
}
