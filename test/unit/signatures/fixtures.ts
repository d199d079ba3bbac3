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
