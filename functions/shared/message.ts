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
  /** Set on messages the transformer dead-letters itself (permanent failures). */
  errorClass: 'error-class',
  errorReason: 'error-reason',
  httpStatus: 'http-status',
  attempts: 'attempts',
  firstFailureAt: 'first-failure-at',
  lastFailureAt: 'last-failure-at',
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

export interface FailureDetails {
  readonly errorClass: 'permanent' | 'transient';
  readonly reason: string;
  readonly status?: number;
  readonly attempts: number;
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
}

/** Attributes for a dead-lettered message: the envelope kept, the failure added (SQS allows 10). */
export function failureAttributes(
  envelope: EventEnvelope,
  failure: FailureDetails,
): Record<string, MessageAttributeValue> {
  const attrs: Record<string, MessageAttributeValue> = {
    ...envelopeAttributes(envelope),
    [ATTR.errorClass]: text(failure.errorClass),
    // Attribute values are capped; a reason is a sentence, not a dump.
    [ATTR.errorReason]: text(failure.reason.slice(0, 500)),
    [ATTR.attempts]: { DataType: 'Number', StringValue: String(failure.attempts) },
    [ATTR.firstFailureAt]: text(failure.firstFailureAt),
    [ATTR.lastFailureAt]: text(failure.lastFailureAt),
  };
  if (failure.status !== undefined)
    attrs[ATTR.httpStatus] = { DataType: 'Number', StringValue: String(failure.status) };
  return attrs;
}
