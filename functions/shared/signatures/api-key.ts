/** A shared key sent as a header. No body integrity and no timestamp: only a constant-time comparison. */
import { BAD_SIGNATURE, fail, type SignedRequest, safeEqual, type VerifyResult } from './common.js';

export function verifyApiKey(
  header: string,
  request: SignedRequest,
  secrets: readonly string[],
): VerifyResult {
  const headerName = header.toLowerCase();
  const value = request.headers[headerName];
  if (!value) return fail('missing-signature', `The ${headerName} header is missing.`);
  const given = Buffer.from(value);
  return secrets.some((secret) => safeEqual(given, Buffer.from(secret))) ? { ok: true } : BAD_SIGNATURE;
}
