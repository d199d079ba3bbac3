/**
 * Typed mapping failures. All extend the registry's `MappingError`, which the transformer already
 * treats as permanent (straight to the DLQ, no retries): a payload that cannot be mapped today will
 * not map on the next receive either.
 */
import { MappingError } from '../types.js';

/** Why one field could not be mapped. */
export type FieldErrorCode =
  /** The value has the wrong JSON type for the transform (e.g. a string where a number is needed). */
  | 'invalid-type'
  /** A string that does not have the expected format (an ISO 8601 time without a zone, "12,50"). */
  | 'invalid-format'
  /** A number outside what the transform can represent (a year after 9999, beyond 2^53). */
  | 'out-of-range'
  /** The conversion would silently drop digits (sub-second time to Unix seconds, 1.234 EUR). */
  | 'precision-loss'
  /** A currency whose ISO 4217 exponent we do not know: guessing it would shift amounts by 10^n. */
  | 'unknown-currency'
  /** An enum value missing from the table, under the `fail` unknown-value policy. */
  | 'unknown-enum-value'
  /** A null (or missing) source value under the `fail` null policy. */
  | 'null-value'
  /** Raised by a custom per-field or per-record function. */
  | 'rule-violated';

/** One field failed: `path` is where in the SOURCE payload, e.g. `data.items[1].unit_price_cents`. */
export class FieldMappingError extends MappingError {
  readonly code: FieldErrorCode;
  readonly path: string;

  constructor(code: FieldErrorCode, path: string, detail: string) {
    super(`${code} at ${path}: ${detail}`);
    this.code = code;
    this.path = path;
  }
}

/** One failing path of a Zod validation, as on-call reads it. */
export interface PathIssue {
  readonly path: string;
  readonly message: string;
}

/** The mapped body does not satisfy the target's request schema: a bug in the mapping, never sent. */
export class MappingOutputError extends MappingError {
  readonly code = 'mapping-invalid-output';
  readonly issues: readonly PathIssue[];

  constructor(integration: string, issues: readonly PathIssue[]) {
    super(
      `mapping-invalid-output: ${integration} produced a body the target schema rejects at ${issues
        .map((i) => `${i.path} (${i.message})`)
        .join(', ')}`,
    );
    this.issues = issues;
  }
}

/** The payload matches none of the mapping's versions, or names a version the integration lacks. */
export class MappingVersionError extends MappingError {
  readonly code: 'unknown-version' | 'invalid-payload';
  readonly issues: readonly PathIssue[];

  constructor(
    code: 'unknown-version' | 'invalid-payload',
    message: string,
    issues: readonly PathIssue[] = [],
  ) {
    super(`${code}: ${message}`);
    this.code = code;
    this.issues = issues;
  }
}

/** Zod issue paths → `a.b[2].c` (array indices in brackets, like the source paths of field errors). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}
