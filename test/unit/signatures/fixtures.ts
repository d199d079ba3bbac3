/** Shared inputs for the signature tests: a fixed receive time, so no test depends on the wall clock. */
import type { SignedRequest } from '../../../functions/shared/signatures/index.js';

export const RECEIVED_AT = new Date('2026-03-01T12:00:00.000Z');
export const OPTIONS = { toleranceSeconds: 300 } as const;
export const BODY = '{"id":"evt_1","type":"order.created","amount":4200}';

export function secondsAfter(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

export function signedRequest(
  headers: Readonly<Record<string, string | undefined>>,
  body: string | Buffer = BODY,
): SignedRequest {
  return { headers, rawBody: Buffer.from(body), receivedAt: RECEIVED_AT };
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The next character of the base64 alphabet. For the last data character of a canonical encoding
 * (its trailing bits zero) it keeps the decoded bytes and sets a trailing bit: a non-canonical spelling.
 */
export function nudgeBase64(c: string | undefined): string {
  return BASE64_ALPHABET[BASE64_ALPHABET.indexOf(c ?? 'A') + 1] ?? 'B';
}
