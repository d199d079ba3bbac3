/** A shared key sent as a header. No body integrity and no timestamp: only a constant-time comparison. */
import { BAD_SIGNATURE, fail, type SignedRequest, safeEqualSecret, type VerifyResult } from './common.js';

export function verifyApiKey(
  header: string,
  request: SignedRequest,
  secrets: readonly string[],
): VerifyResult {
  const headerName = header.toLowerCase();
  const value = request.headers[headerName];
  if (!value) return fail('missing-signature', `The ${headerName} header is missing.`);
  // Every configured key is compared (no short-circuit), each as a fixed-length digest.
  const matches = secrets.map((secret) => safeEqualSecret(value, secret));
  return matches.includes(true) ? { ok: true } : BAD_SIGNATURE;
}
