/**
 * An event is in the DLQ once, not once per SQS message of it. Each acceptance of an event is its own
 * SQS message (a partner's re-send), and a message can come back after it was dead-lettered (a crash
 * before its batch was acknowledged): each would be dead-lettered again. So once the DLQ send has
 * succeeded, the transformer marks the event's failure record with that copy; a later message of the
 * same copy that fails for good reads the mark and is acknowledged without a second DLQ copy.
 *
 * The rule is pure and errs towards a second copy: a message is dropped only while an earlier copy of
 * the same event is known to be in the DLQ. Whatever takes that copy out clears the mark first
 * (ops/redrive.ts), a delivery clears it, a copy older than the DLQ's retention has expired, and a
 * message that itself came out of the DLQ (it still carries the failure attributes: SQS's own move
 * task) may be the very copy the mark stands for, so it is dead-lettered again.
 */
import { createHash } from 'node:crypto';

/** The DLQ copy an event's failure record points at. */
export interface DeadLetterMark {
  /** When the DLQ send succeeded (ISO 8601). */
  readonly at: string;
  /** The DLQ send's MessageId (`dlq show` matches it to a message). */
  readonly messageId: string;
  /** `copyOf` the dead-lettered message: what a later message must match to count as the same. */
  readonly copy: string;
  /** Later messages of this copy acknowledged without a second DLQ copy. */
  readonly duplicatesSkipped: number;
}

/**
 * What makes two messages copies of one event: the idempotency key and the exact body. A message with
 * the same event id but another body is not a copy (dropping it would lose that body).
 */
export function copyOf(idempotencyKey: string, body: string): string {
  return createHash('sha256')
    .update(JSON.stringify([idempotencyKey, body]))
    .digest('base64url');
}

export interface AlreadyDeadLetteredInput {
  /** The event's mark, as the failure record holds it now. */
  readonly mark: DeadLetterMark | undefined;
  /** `copyOf` the message about to be dead-lettered. */
  readonly copy: string;
  /** The message carries the transformer's failure attributes: it was moved out of the DLQ as it was. */
  readonly cameFromDlq: boolean;
  readonly now: number;
  /** The DLQ's message retention; absent: the mark's age is not checked. */
  readonly retentionSeconds?: number;
}

/** True when the DLQ is known to hold a copy of this message already: skip the DLQ send. */
export function alreadyDeadLettered({
  mark,
  copy,
  cameFromDlq,
  now,
  retentionSeconds,
}: AlreadyDeadLetteredInput): boolean {
  if (!mark || cameFromDlq || mark.copy !== copy) return false;
  const at = Date.parse(mark.at);
  if (!Number.isFinite(at)) return false;
  return retentionSeconds === undefined || now - at < retentionSeconds * 1000;
}
