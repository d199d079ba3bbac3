/**
 * The queue message contract between ingest, transformer, DLQ and on-call tooling: the body is the
 * partner's payload exactly as received; the attributes carry the event's identity and history.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

export const ATTR = {
  integration: 'integration',
  eventId: 'event-id',
  receivedAt: 'received-at',
  schemaVersion: 'schema-version',
  /**
   * What the transformer is idempotent on: the event id where the signature covers it, else a digest
   * of the signed bytes (so a replay under a fresh, unsigned id is still a duplicate). Set by ingest.
   */
  idempotencyKey: 'idempotency-key',
  /** Set on messages the transformer dead-letters itself (permanent failures); on-call filters on them. */
  errorClass: 'error-class',
  errorReason: 'error-reason',
  httpStatus: 'http-status',
  /** The rest of the failure, as JSON (`FailureHistory`): SQS allows 10 attributes per message. */
  failure: 'failure',
  /**
   * Set on a delayed copy the transformer queued on a message's last receive (a twin, or no delivery
   * slot in time): the copy starts at receive 1, yet its event has a failure record to clear once
   * delivered. At most 10 attributes: the envelope (5), a redriven message's failure (4) and this.
   */
  requeuedAt: 'requeued-at',
} as const;

export interface EventEnvelope {
  readonly integration: string;
  readonly eventId: string;
  readonly receivedAt: string;
  readonly schemaVersion: string;
  /** @default - the event id (messages queued before ingest set it) */
  readonly idempotencyKey?: string;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

export function envelopeAttributes(envelope: EventEnvelope): Record<string, MessageAttributeValue> {
  return {
    [ATTR.integration]: text(envelope.integration),
    [ATTR.eventId]: text(envelope.eventId),
    [ATTR.receivedAt]: text(envelope.receivedAt),
    [ATTR.schemaVersion]: text(envelope.schemaVersion),
    ...(envelope.idempotencyKey ? { [ATTR.idempotencyKey]: text(envelope.idempotencyKey) } : {}),
  };
}

/** A received record's message attributes, as SendMessage takes them (to queue a copy of it). */
export function attributesOfRecord(record: SQSRecord): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(record.messageAttributes).map(([name, a]) => [
      name,
      { DataType: a.dataType, StringValue: a.stringValue },
    ]),
  );
}

/** A delayed copy of a received record: its attributes, marked as requeued at `at`. */
export function requeuedCopyAttributes(record: SQSRecord, at: Date): Record<string, MessageAttributeValue> {
  return { ...attributesOfRecord(record), [ATTR.requeuedAt]: text(at.toISOString()) };
}

/** The record is a delayed copy the transformer queued (`requeuedCopyAttributes`). */
export function isRequeuedCopy(record: SQSRecord): boolean {
  return record.messageAttributes[ATTR.requeuedAt] !== undefined;
}

/** The envelope of a received record, or the name of the first attribute that is missing. */
export function readEnvelope(record: SQSRecord): EventEnvelope | { readonly missing: string } {
  const get = (name: string) => record.messageAttributes[name]?.stringValue;
  const integration = get(ATTR.integration);
  const eventId = get(ATTR.eventId);
  const receivedAt = get(ATTR.receivedAt);
  const schemaVersion = get(ATTR.schemaVersion);
  if (!integration) return { missing: ATTR.integration };
  if (!eventId) return { missing: ATTR.eventId };
  if (!receivedAt) return { missing: ATTR.receivedAt };
  if (!schemaVersion) return { missing: ATTR.schemaVersion };
  const idempotencyKey = get(ATTR.idempotencyKey);
  return { integration, eventId, receivedAt, schemaVersion, ...(idempotencyKey ? { idempotencyKey } : {}) };
}

/** When and how often an event failed, kept in the `failure` attribute. */
export interface FailureHistory {
  readonly attempts: number;
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
}

export interface FailureDetails extends FailureHistory {
  readonly errorClass: 'permanent' | 'transient';
  readonly reason: string;
  readonly status?: number;
}

/** SQS's limit on attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;
/** Code points kept of a reason: a reason is a sentence, not a dump. */
const MAX_REASON_CHARS = 500;
/** Code points kept of any other value (ids, timestamps, names). */
const MAX_VALUE_CHARS = 1024;

/**
 * Attributes for a dead-lettered message: the envelope kept, the failure added, at most 10 in all,
 * every value in SQS's character set (else the DLQ send itself would fail).
 */
export function failureAttributes(
  envelope: EventEnvelope,
  failure: FailureDetails,
): Record<string, MessageAttributeValue> {
  const history: FailureHistory = {
    attempts: failure.attempts,
    firstFailureAt: failure.firstFailureAt,
    lastFailureAt: failure.lastFailureAt,
  };
  const attrs: Record<string, MessageAttributeValue> = {
    ...envelopeAttributes(envelope),
    [ATTR.errorClass]: text(failure.errorClass),
    [ATTR.errorReason]: text(sqsAttributeText(failure.reason, MAX_REASON_CHARS)),
    [ATTR.failure]: text(JSON.stringify(history)),
  };
  if (failure.status !== undefined)
    attrs[ATTR.httpStatus] = { DataType: 'Number', StringValue: String(failure.status) };
  for (const value of Object.values(attrs))
    value.StringValue = sqsAttributeText(value.StringValue ?? '', MAX_VALUE_CHARS);
  return attrs;
}

/** The attributes `failureAttributes` adds to the envelope's (a redriven message starts without them). */
export const FAILURE_ATTRIBUTE_NAMES: readonly string[] = [
  ATTR.errorClass,
  ATTR.errorReason,
  ATTR.httpStatus,
  ATTR.failure,
];

/**
 * The record still carries the failure attributes the transformer dead-letters with: it was moved out
 * of the DLQ as it was (SQS's move task keeps attributes; `hookyard redrive` strips them).
 */
export function carriesFailureAttributes(record: SQSRecord): boolean {
  return FAILURE_ATTRIBUTE_NAMES.some((name) => record.messageAttributes[name] !== undefined);
}

/** The `failure` attribute of a dead-lettered message (on-call tools read it), or undefined. */
export function readFailureHistory(value: string | undefined): FailureHistory | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<FailureHistory>;
    return typeof parsed.attempts === 'number'
      ? {
          attempts: parsed.attempts,
          firstFailureAt: String(parsed.firstFailureAt ?? ''),
          lastFailureAt: String(parsed.lastFailureAt ?? ''),
        }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Characters SQS refuses in attribute values: anything outside #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD
 * #x10000–#x10FFFF. With the `u` flag a lone surrogate is one code point, outside every range.
 */
const NOT_SQS_TEXT = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `value` in SQS's character set (others become U+FFFD), cut to `maxChars` code points, never mid-pair. */
export function sqsAttributeText(value: string, maxChars: number): string {
  return Array.from(value.replace(NOT_SQS_TEXT, '\uFFFD')).slice(0, maxChars).join('');
}
