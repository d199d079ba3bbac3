/** Stripe: `stripe-signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over `<t>.<body>`; v0 (test mode legacy) ignored. */
import {
  BAD_SIGNATURE,
  checkTimestamp,
  decodeDigest,
  fail,
  hmacDigest,
  parseUnixSeconds,
  type SignedRequest,
  safeEqual,
  unixSeconds,
  type VerifyOptions,
  type VerifyResult,
} from './common.js';

const HEADER = 'stripe-signature';

export function verifyStripe(
  request: SignedRequest,
  secrets: readonly string[],
  options: VerifyOptions,
): VerifyResult {
  const header = request.headers[HEADER]?.trim();
  if (!header) return fail('missing-signature', `The ${HEADER} header is missing.`);

  let timestampText: string | undefined;
  const candidates: Buffer[] = [];
  for (const item of header.split(',')) {
    const separator = item.indexOf('=');
    if (separator <= 0) {
      return fail('malformed-signature', `The ${HEADER} header is not a list of "key=value".`);
    }
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === 't') timestampText ??= value;
    if (key === 'v1') {
      const digest = decodeDigest(value, 'hex');
      if (!digest) return fail('malformed-signature', `A v1 signature in the ${HEADER} header is not hex.`);
      candidates.push(digest);
    }
  }
  if (timestampText === undefined) {
    return fail('missing-timestamp', `The ${HEADER} header has no t= timestamp.`);
  }
  const timestamp = parseUnixSeconds(timestampText);
  if (!timestamp) {
    return fail('malformed-signature', `The t= value in the ${HEADER} header is not a Unix timestamp.`);
  }
  if (candidates.length === 0) return fail('missing-signature', `The ${HEADER} header has no v1 signature.`);

  const stale = checkTimestamp(timestamp, request.receivedAt, options);
  if (stale) return stale;

  // Stripe secrets look like `whsec_…` but, unlike Standard Webhooks, are used verbatim as the key.
  const matches = secrets.some((secret) => {
    const expected = hmacDigest('sha256', secret, `${timestampText}.`, request.rawBody);
    return candidates.some((candidate) => safeEqual(candidate, expected));
  });
  return matches ? { ok: true, timestamp } : BAD_SIGNATURE;
}

export function signStripe(secret: string, body: string | Buffer, timestamp: Date): Record<string, string> {
  const t = unixSeconds(timestamp);
  return { [HEADER]: `t=${t},v1=${hmacDigest('sha256', secret, `${t}.`, body).toString('hex')}` };
}
