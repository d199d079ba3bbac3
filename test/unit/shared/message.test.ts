import { describe, expect, it } from 'vitest';
import {
  ATTR,
  type EventEnvelope,
  type FailureDetails,
  failureAttributes,
  MAX_MESSAGE_ATTRIBUTES,
} from '../../../functions/shared/message.js';

const envelope: EventEnvelope = {
  integration: 'acme-orders',
  eventId: 'evt-1',
  receivedAt: '2026-11-20T10:00:06.000Z',
  schemaVersion: 'v1',
  idempotencyKey: 'sha256:0f1e2d',
};
const failure: FailureDetails = {
  errorClass: 'permanent',
  reason: 'target-rejected: target rejected the request: 422',
  status: 422,
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:07.000Z',
  lastFailureAt: '2026-11-20T10:00:07.000Z',
};

/** What SQS accepts in an attribute value (#x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD #x10000–#x10FFFF). */
const SQS_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

describe('failureAttributes', () => {
  it('keeps a dead-lettered message within SQS’s 10 attributes, the on-call filters as their own', () => {
    // Act: the fullest envelope (with an idempotency key) and a failure with a status
    const attrs = failureAttributes(envelope, failure);

    // Assess
    expect(Object.keys(attrs).length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
    expect(attrs[ATTR.errorClass]?.StringValue).toBe('permanent');
    expect(attrs[ATTR.errorReason]?.StringValue).toBe(failure.reason);
    expect(attrs[ATTR.httpStatus]).toEqual({ DataType: 'Number', StringValue: '422' });
    expect(JSON.parse(attrs[ATTR.failure]?.StringValue ?? '')).toEqual({
      attempts: 1,
      firstFailureAt: failure.firstFailureAt,
      lastFailureAt: failure.lastFailureAt,
    });
    expect(attrs[ATTR.idempotencyKey]?.StringValue).toBe('sha256:0f1e2d');
  });

  it('puts only characters SQS accepts in every attribute: no U+FFFF, no half of an emoji', () => {
    // Prepare: a target answer with a U+FFFF, a lone surrogate and a control character, in every field
    const bad = 'bad \uFFFF answer \uD83D end \u0007 bell \uFFFE';
    const attrs = failureAttributes(
      { ...envelope, eventId: `evt-${bad}` },
      { ...failure, reason: `target-rejected: ${bad} 😀 ok` },
    );

    // Assess: every value is valid; the emoji that was whole is kept
    for (const [name, value] of Object.entries(attrs)) expect(value.StringValue, name).toMatch(SQS_TEXT);
    expect(attrs[ATTR.errorReason]?.StringValue).toBe(
      'target-rejected: bad \uFFFD answer \uFFFD end \uFFFD bell \uFFFD 😀 ok',
    );
  });

  it('cuts a long reason on a code point, never between the halves of an emoji', () => {
    // Prepare: the 500th code point is an emoji (two UTF-16 units)
    const reason = `${'x'.repeat(499)}😀${'y'.repeat(100)}`;

    // Act
    const value = failureAttributes(envelope, { ...failure, reason })[ATTR.errorReason]?.StringValue ?? '';

    // Assess
    expect(value).toMatch(SQS_TEXT);
    expect(Array.from(value)).toHaveLength(500);
    expect(value.endsWith('😀')).toBe(true);
  });
});
