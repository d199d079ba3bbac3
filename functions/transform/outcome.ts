/**
 * What becomes of one record (DESIGN.md §4), decided in one place and free of I/O: what happened to
 * it × its receive count × the shared circuit → acknowledge, dead-letter with a reason, retry after
 * N seconds, or hold back until the circuit may be probed. The handler only carries it out.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import type { MetricKey } from '../shared/contract.js';
import { PermanentDeliveryError, TransientDeliveryError } from '../shared/errors.js';
import {
  type RedeliveryBackoff,
  SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
  visibilityTimeoutForReceive,
} from './delivery/backoff.js';
import { ReleasedToQueueError } from './delivery/client.js';

/** What happened when the record was handled. */
export type Happened =
  /** This invocation sent it and the target answered 2xx. */
  | { readonly kind: 'sent' }
  /** The idempotency layer returned the stored result of an earlier delivery. */
  | { readonly kind: 'replayed' }
  | {
      readonly kind: 'failed';
      readonly error: unknown;
      /** The target answered 2xx before the error (saving the completed record failed). */
      readonly sent: boolean;
      /** Another record of this batch with the same SQS message id is being handled right now. */
      readonly sameMessageInFlight?: boolean;
    }
  /** The shared circuit was open when the batch arrived: nothing was attempted. */
  | { readonly kind: 'circuit-open'; readonly openUntil: number };

export interface OutcomeInput {
  readonly happened: Happened;
  /** The record's ApproximateReceiveCount (1 on the first receive). */
  readonly receives: number;
  /** Set when the circuit is open after this record's failure was counted (it may have opened it). */
  readonly circuitOpenUntil?: number;
  readonly now: number;
  readonly redelivery: RedeliveryBackoff;
}

export type Outcome = (
  | { readonly action: 'acknowledge'; readonly as: 'delivered' | 'duplicate' | 'twin-retired' }
  /** Straight to the DLQ with the reason; the record is then handled. */
  | { readonly action: 'dead-letter'; readonly error: PermanentDeliveryError }
  /** Fail the record; SQS hands it out again after `afterSeconds`. */
  | {
      readonly action: 'retry';
      readonly afterSeconds: number;
      readonly error: unknown;
      /** Keep it as the event's last failure (for `dlq show` once SQS gives up on it). */
      readonly recordFailure: boolean;
    }
  /** Fail the record without trying: the circuit is open until it may be probed. */
  | { readonly action: 'hold-back'; readonly afterSeconds: number }
) & {
  /** Metrics to add, one count each. */
  readonly metrics: readonly MetricKey[];
  /** The event was delivered but its completed record could not be saved: say so loudly. */
  readonly unrecorded?: boolean;
};

/** A same-message duplicate (one SQS message received twice) comes back this soon. */
const SAME_MESSAGE_RETRY_SECONDS = 2;

export function decideOutcome({
  happened,
  receives,
  circuitOpenUntil,
  now,
  redelivery,
}: OutcomeInput): Outcome {
  switch (happened.kind) {
    case 'sent':
      return { action: 'acknowledge', as: 'delivered', metrics: ['eventsDelivered'] };
    case 'replayed':
      return { action: 'acknowledge', as: 'duplicate', metrics: ['duplicatesSkipped'] };
    case 'circuit-open':
      return {
        action: 'hold-back',
        afterSeconds: secondsUntil(happened.openUntil, now),
        metrics: ['recordsHeldBack'],
      };
    case 'failed':
      return decideFailure(happened, receives, circuitOpenUntil, now, redelivery);
  }
}

function decideFailure(
  { error, sent, sameMessageInFlight }: Extract<Happened, { kind: 'failed' }>,
  receives: number,
  circuitOpenUntil: number | undefined,
  now: number,
  redelivery: RedeliveryBackoff,
): Outcome {
  // The target has it: the record could not be completed (the idempotency record stays in progress
  // until it expires), but retrying would only POST again.
  if (sent) return { action: 'acknowledge', as: 'delivered', metrics: ['eventsDelivered'], unrecorded: true };
  if (error instanceof PermanentDeliveryError)
    return { action: 'dead-letter', error, metrics: ['eventsDeadLettered'] };
  // Records saved before payload validation was on have no hash to compare: a plain duplicate.
  if (error instanceof IdempotencyValidationError && !error.existingRecord?.payloadHash)
    return { action: 'acknowledge', as: 'duplicate', metrics: ['duplicatesSkipped'] };
  if (error instanceof IdempotencyValidationError) {
    return {
      action: 'dead-letter',
      error: new PermanentDeliveryError(
        'another body was already accepted under this idempotency key',
        { reason: 'conflicting-payload', attempts: 0 },
        { cause: error },
      ),
      metrics: ['eventsDeadLettered', 'conflictingPayloads'],
    };
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    // Another message carries the same event and is being delivered: it stays in the queue until it
    // is delivered or dead-lettered with its reason, so this twin can go. A second receive of the
    // *same* message must not: deleting it would delete the one in flight.
    if (sameMessageInFlight)
      return {
        action: 'retry',
        afterSeconds: SAME_MESSAGE_RETRY_SECONDS,
        error,
        recordFailure: false,
        metrics: [],
      };
    return { action: 'acknowledge', as: 'twin-retired', metrics: ['twinsRetired'] };
  }
  // Released rather than waited on (batch-pace.ts): back soon, as the target asked, jittered.
  if (error instanceof ReleasedToQueueError && circuitOpenUntil === undefined)
    return {
      action: 'retry',
      afterSeconds: error.retryInSeconds,
      error,
      recordFailure: true,
      metrics: ['deliveryFailures'],
    };
  const afterSeconds =
    circuitOpenUntil !== undefined
      ? secondsUntil(circuitOpenUntil, now)
      : visibilityTimeoutForReceive(receives, redelivery);
  return { action: 'retry', afterSeconds, error, recordFailure: true, metrics: ['deliveryFailures'] };
}

/** What the record's result tells the shared circuit: the target answered, failed, or nothing. */
export function targetSignal(happened: Happened): 'answered' | 'failed' | undefined {
  if (happened.kind === 'sent') return 'answered';
  if (happened.kind !== 'failed' || happened.sent) return happened.kind === 'failed' ? 'answered' : undefined;
  const { error } = happened;
  // A 4xx means the target is up: it answered, just not for this record.
  if (error instanceof PermanentDeliveryError)
    return error.details.reason === 'target-rejected' ? 'answered' : undefined;
  // Throttling (429) is the limiter's business; the circuit is for a target that is down or broken.
  // A record released after one failed attempt says too little about the target: its later
  // receives, retried in-call, do.
  if (error instanceof ReleasedToQueueError) return undefined;
  if (error instanceof TransientDeliveryError) return error.details.status === 429 ? undefined : 'failed';
  return undefined;
}

/** Whole seconds from `now` until `at`, within what SQS accepts as a visibility timeout. */
function secondsUntil(at: number, now: number): number {
  return Math.min(SQS_MAX_VISIBILITY_TIMEOUT_SECONDS, Math.max(1, Math.ceil((at - now) / 1000)));
}
