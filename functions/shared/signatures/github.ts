/** GitHub: `x-hub-signature-256: sha256=<hex HMAC-SHA256 of the raw body>`; no timestamp. */
import {
  BAD_SIGNATURE,
  decodeDigest,
  fail,
  hmacDigest,
  type SignedRequest,
  safeEqual,
  type VerifyResult,
} from './common.js';

const HEADER = 'x-hub-signature-256';
const PREFIX = 'sha256=';

export function verifyGithub(request: SignedRequest, secrets: readonly string[]): VerifyResult {
  const header = request.headers[HEADER]?.trim();
  if (!header) return fail('missing-signature', `The ${HEADER} header is missing.`);
  const digest = header.startsWith(PREFIX) ? decodeDigest(header.slice(PREFIX.length), 'hex') : undefined;
  if (!digest) return fail('malformed-signature', `The ${HEADER} header is not "sha256=<hex>".`);
  const matches = secrets.some((secret) => safeEqual(digest, hmacDigest('sha256', secret, request.rawBody)));
  return matches ? { ok: true } : BAD_SIGNATURE;
}

export function signGithub(secret: string, body: string | Buffer): Record<string, string> {
  return { [HEADER]: `${PREFIX}${hmacDigest('sha256', secret, body).toString('hex')}` };
}
