/**
 * Domain errors shared by the functions. Each carries what the caller needs to decide the outcome
 * (DESIGN.md §4); none carries a secret or a whole payload.
 */

export class HookyardError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A delivery failure worth retrying later: 408/429/5xx, timeout, connection error. */
export class TransientDeliveryError extends HookyardError {
  constructor(
    message: string,
    readonly details: {
      readonly status?: number;
      readonly attempts: number;
      /** What the target asked for in `Retry-After`, if anything. */
      readonly retryAfterMs?: number;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Why a record can never succeed as it is: it goes straight to the DLQ, no retries burnt. */
export type PermanentReason =
  | 'target-rejected'
  | 'mapping-error'
  /** The mapped body fails the target's request schema (a mapping bug): never sent. */
  | 'mapping-invalid-output'
  | 'invalid-payload'
  | 'invalid-message'
  /** Another body arrived under an idempotency key already delivered or in flight. */
  | 'conflicting-payload';

/** A failure that retrying cannot fix: other 4xx, mapping error, invalid payload. */
export class PermanentDeliveryError extends HookyardError {
  constructor(
    message: string,
    readonly details: {
      readonly reason: PermanentReason;
      readonly status?: number;
      readonly attempts: number;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Configuration the function cannot run without. */
export class ConfigurationError extends HookyardError {}
