/**
 * What becomes of one record (DESIGN.md §4), decided in one place and free of I/O: what happened to
 * it × its receive count × the shared circuit → acknowledge, dead-letter with a reason, retry after
 * N seconds, or hold back until the circuit may be probed. The handler only carries it out.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import type { MetricKey, MILESTONES } from '../shared/contract.js';
import { PermanentDeliveryError, TransientDeliveryError } from '../shared/errors.js';
import {
  type RedeliveryBackoff,
  SQS_MAX_DELAY_SECONDS,
  SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
  visibilityTimeoutForReceive,
} from './delivery/backoff.js';
import { NoSlotReleaseError, ReleasedToQueueError } from './delivery/client.js';

/** Log lines of a record handed back without a failure of its own (MILESTONES). */
type HandedBack = Extract<
  keyof typeof MILESTONES,
  'twinDeferred' | 'twinRequeued' | 'rateSlotDeferred' | 'rateSlotRequeued'
>;

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
  /** The queue's maxReceiveCount: one more failed receive past it and SQS moves the message. */
  readonly maxReceiveCount: number;
}

export type Outcome = (
  | { readonly action: 'acknowledge'; readonly as: 'delivered' | 'duplicate' }
  /**
   * Send a copy of the message to its queue, delayed by `afterSeconds`, then count the record as
   * handled: the event is kept whichever message is in flight, and never reaches the DLQ unexplained.
   */
  | { readonly action: 'requeue'; readonly afterSeconds: number; readonly logAs: HandedBack }
  /** Straight to the DLQ with the reason; the record is then handled. */
  | { readonly action: 'dead-letter'; readonly error: PermanentDeliveryError }
  /** Fail the record; SQS hands it out again after `afterSeconds`. */
  | ({
      readonly action: 'retry';
      readonly afterSeconds: number;
      readonly error: unknown;
    } & (
      | {
          /** Keep it as the event's last failure (for `dlq show` once SQS gives up on it). */
          readonly recordFailure: true;
        }
      | {
          /** Not a failure of the event (it was never tried): the last real failure stays on record. */
          readonly recordFailure: false;
          readonly logAs: HandedBack;
        }
    ))
  /** Fail the record without trying: the circuit is open until it may be probed. */
  | { readonly action: 'hold-back'; readonly afterSeconds: number }
) & {
  /** Metrics to add, one count each. */
  readonly metrics: readonly MetricKey[];
  /** The event was delivered but its completed record could not be saved: say so loudly. */
  readonly unrecorded?: boolean;
};

/** How long to wait for an in-progress record whose expiry is unknown (the default function timeout). */
const IN_PROGRESS_FALLBACK_SECONDS = 30;

export function decideOutcome({
  happened,
  receives,
  circuitOpenUntil,
  now,
  redelivery,
  maxReceiveCount,
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
      return decideFailure(happened, { receives, circuitOpenUntil, now, redelivery, maxReceiveCount });
  }
}

function decideFailure(
  { error, sent }: Extract<Happened, { kind: 'failed' }>,
  { receives, circuitOpenUntil, now, redelivery, maxReceiveCount }: Omit<OutcomeInput, 'happened'>,
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
    // Another receive is delivering this event: a twin (another message, same key) or this very
    // message handed out twice by SQS — nothing here tells which, so deleting it could delete the
    // one in flight. Come back once that delivery has ended (completed: a duplicate; failed: ours).
    return handBack('twin', error, inProgressWaitSeconds(error, now), receives, maxReceiveCount);
  }
  // Never sent: the other consumers had booked the rate past this invocation. Back when a slot may be
  // free; on the last allowed receive as a delayed copy, so a busy rate never dead-letters an event.
  if (error instanceof NoSlotReleaseError)
    return handBack('rateSlot', error, error.retryInSeconds, receives, maxReceiveCount);
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

/** The log line and metric of each way a record is handed back without a failure of its own. */
const HANDED_BACK = {
  twin: {
    deferred: { logAs: 'twinDeferred', metric: 'twinsDeferred' },
    requeued: { logAs: 'twinRequeued', metric: 'twinsRequeued' },
  },
  rateSlot: {
    deferred: { logAs: 'rateSlotDeferred', metric: 'releasedForRate' },
    requeued: { logAs: 'rateSlotRequeued', metric: 'releasedForRate' },
  },
} as const satisfies Record<string, Record<string, { logAs: HandedBack; metric: MetricKey }>>;

/**
 * Back after `afterSeconds` without recording a failure while receives are left; on the last one a
 * delayed copy instead, as one more failed receive would move it to the DLQ with no reason.
 */
function handBack(
  why: keyof typeof HANDED_BACK,
  error: unknown,
  afterSeconds: number,
  receives: number,
  maxReceiveCount: number,
): Outcome {
  if (receives < maxReceiveCount) {
    const { logAs, metric } = HANDED_BACK[why].deferred;
    return { action: 'retry', afterSeconds, error, recordFailure: false, logAs, metrics: [metric] };
  }
  const { logAs, metric } = HANDED_BACK[why].requeued;
  return { action: 'requeue', afterSeconds, logAs, metrics: [metric] };
}

/** Seconds until the in-progress record expires (its holder's deadline), plus a second, within SQS's bounds. */
function inProgressWaitSeconds(error: IdempotencyAlreadyInProgressError, now: number): number {
  const expiresAt = error.existingRecord?.inProgressExpiryTimestamp;
  const seconds = expiresAt ? Math.ceil((expiresAt - now) / 1000) + 1 : IN_PROGRESS_FALLBACK_SECONDS;
  return Math.min(SQS_MAX_DELAY_SECONDS, Math.max(1, seconds));
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
