/** Generic HMAC over the raw body, or over `<timestamp>.<body>` when a timestamp header is named. */
import type { SignatureScheme } from '../../../integrations/types.js';
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

export type HmacScheme = Extract<SignatureScheme, { type: 'hmac' }>;

export function verifyHmac(
  scheme: HmacScheme,
  request: SignedRequest,
  secrets: readonly string[],
  options: VerifyOptions,
): VerifyResult {
  const { algorithm = 'sha256', encoding = 'hex', prefix = '' } = scheme;
  const headerName = scheme.header.toLowerCase();
  const header = request.headers[headerName]?.trim();
  if (!header) return fail('missing-signature', `The ${headerName} header is missing.`);
  const digest = header.startsWith(prefix) ? decodeDigest(header.slice(prefix.length), encoding) : undefined;
  if (!digest) {
    return fail('malformed-signature', `The ${headerName} header is not "${prefix}<${encoding} digest>".`);
  }

  let signedPrefix = '';
  let timestamp: Date | undefined;
  if (scheme.timestampHeader) {
    const timestampName = scheme.timestampHeader.toLowerCase();
    const timestampText = request.headers[timestampName]?.trim();
    if (!timestampText) return fail('missing-timestamp', `The ${timestampName} header is missing.`);
    timestamp = parseUnixSeconds(timestampText);
    if (!timestamp) {
      return fail('malformed-signature', `The ${timestampName} header is not a Unix timestamp.`);
    }
    const stale = checkTimestamp(timestamp, request.receivedAt, options);
    if (stale) return stale;
    signedPrefix = `${timestampText}.`;
  }

  const matches = secrets.some((secret) =>
    safeEqual(digest, hmacDigest(algorithm, secret, signedPrefix, request.rawBody)),
  );
  if (!matches) return BAD_SIGNATURE;
  return timestamp ? { ok: true, timestamp } : { ok: true };
}

/** Headers signing `body` under an hmac scheme; `timestamp` is required when the scheme names a timestamp header. */
export function signHmac(
  scheme: HmacScheme,
  secret: string,
  body: string | Buffer,
  timestamp?: Date,
): Record<string, string> {
  const { algorithm = 'sha256', encoding = 'hex', prefix = '', timestampHeader } = scheme;
  if (timestampHeader && !timestamp) {
    throw new Error(`hmac scheme with timestampHeader ${timestampHeader} needs a timestamp`);
  }
  const t = timestampHeader && timestamp ? String(unixSeconds(timestamp)) : undefined;
  const digest = hmacDigest(algorithm, secret, t === undefined ? '' : `${t}.`, body).toString(encoding);
  return {
    [scheme.header.toLowerCase()]: `${prefix}${digest}`,
    ...(timestampHeader && t !== undefined && { [timestampHeader.toLowerCase()]: t }),
  };
}
