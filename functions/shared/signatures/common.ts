/** Pieces shared by the signature schemes: results, constant-time comparison, digests, timestamps. */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SignedRequest {
  /** Header names lowercased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Exact bytes received (already base64-decoded if needed). */
  readonly rawBody: Buffer;
  /** When our endpoint received the request; passed in so verification stays a pure function. */
  readonly receivedAt: Date;
}

export type SignatureFailureReason =
  | 'missing-signature'
  | 'malformed-signature'
  | 'bad-signature'
  | 'missing-timestamp'
  | 'stale-timestamp'
  | 'future-timestamp';

export type VerifyFailure = {
  readonly ok: false;
  readonly reason: SignatureFailureReason;
  /** Safe to return to the partner: never the secret, the expected signature or the body. */
  readonly message: string;
};

export type VerifyResult = { readonly ok: true; readonly timestamp?: Date } | VerifyFailure;

export interface VerifyOptions {
  readonly toleranceSeconds: number;
}

export function fail(reason: SignatureFailureReason, message: string): VerifyFailure {
  return { ok: false, reason, message };
}

export const BAD_SIGNATURE = fail('bad-signature', 'The signature does not match.');

/**
 * Constant-time equality of two digests; digests of different lengths are unequal (timingSafeEqual
 * would throw). A digest's length is public (it follows from the algorithm), so the early exit leaks
 * nothing; for secrets of any length use `safeEqualSecret`.
 */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A per-process key, so the digests compared below are of no use outside this comparison. */
const COMPARISON_KEY = randomBytes(32);

/**
 * Constant-time equality of secrets of any length: compares HMAC-SHA256 digests (always 32 bytes), so
 * neither the outcome's timing nor an early length check tells a caller how long the secret is.
 */
export function safeEqualSecret(given: string | Uint8Array, expected: string | Uint8Array): boolean {
  const digest = (value: string | Uint8Array) => createHmac('sha256', COMPARISON_KEY).update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** `sha256:<hex>` of some bytes: an identity for signed material that carries no usable id. */
export function sha256Identity(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function hmacDigest(
  algorithm: string,
  key: Uint8Array | string,
  ...parts: (string | Buffer)[]
): Buffer {
  const hmac = createHmac(algorithm, key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

const HEX = /^(?:[0-9a-f]{2})+$/i;

/** Decodes a digest strictly: Buffer.from() silently drops bad characters, which would hide garbage. */
export function decodeDigest(value: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  if (encoding === 'base64') return value === '' ? undefined : decodeCanonicalBase64(value);
  return HEX.test(value) ? Buffer.from(value, 'hex') : undefined;
}

/**
 * Decodes base64 only in its canonical spelling (RFC 4648 §3.5: standard alphabet, padded, trailing
 * bits zero), else undefined. Buffer.from() accepts other characters, missing padding, the URL-safe
 * alphabet and non-zero trailing bits, so many strings decode to the same bytes; re-encoding the
 * result and requiring the same string accepts exactly one spelling per byte string.
 */
export function decodeCanonicalBase64(value: string): Buffer | undefined {
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : undefined;
}

/** Unix seconds, digits only (parseInt would accept `12abc`); at most 12 digits keeps it a safe integer. */
export function parseUnixSeconds(value: string): Date | undefined {
  return /^\d{1,12}$/.test(value) ? new Date(Number(value) * 1000) : undefined;
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** Rejects timestamps more than the tolerance away from receivedAt; exactly at the tolerance is accepted. */
export function checkTimestamp(
  timestamp: Date,
  receivedAt: Date,
  options: VerifyOptions,
): VerifyFailure | undefined {
  const age = unixSeconds(receivedAt) - unixSeconds(timestamp);
  // Written as negations so a NaN receivedAt or tolerance fails closed instead of passing every check.
  if (!(age <= options.toleranceSeconds)) return fail('stale-timestamp', 'The webhook timestamp is too old.');
  if (!(-age <= options.toleranceSeconds)) {
    return fail('future-timestamp', 'The webhook timestamp is too far in the future.');
  }
  return undefined;
}
