/** Pieces shared by the signature schemes: results, constant-time comparison, digests, timestamps. */
import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** Constant-time equality; buffers of different lengths are unequal (timingSafeEqual would throw). */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
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
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes a digest strictly: Buffer.from() silently drops bad characters, which would hide garbage. */
export function decodeDigest(value: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  const valid = encoding === 'hex' ? HEX.test(value) : BASE64.test(value) && value.length % 4 === 0;
  return valid ? Buffer.from(value, encoding) : undefined;
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
