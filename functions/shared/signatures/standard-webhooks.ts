/** Standard Webhooks (https://www.standardwebhooks.com): `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
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

const SECRET_PREFIX = 'whsec_';

/** Key bytes of a `whsec_<base64>` secret, decoded the same way as the reference `standardwebhooks` package. */
function keyOf(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

function sign(key: Uint8Array, id: string, timestamp: string, body: string | Buffer): Buffer {
  return hmacDigest('sha256', key, `${id}.${timestamp}.`, body);
}

export function verifyStandardWebhook(
  request: SignedRequest,
  secrets: readonly string[],
  options: VerifyOptions,
): VerifyResult {
  const { headers } = request;
  const signatureHeader = headers['webhook-signature']?.trim();
  if (!signatureHeader) return fail('missing-signature', 'The webhook-signature header is missing.');
  const id = headers['webhook-id'];
  if (!id) return fail('malformed-signature', 'The webhook-id header is missing.');
  const timestampHeader = headers['webhook-timestamp']?.trim();
  if (!timestampHeader) return fail('missing-timestamp', 'The webhook-timestamp header is missing.');
  const timestamp = parseUnixSeconds(timestampHeader);
  if (!timestamp) return fail('malformed-signature', 'The webhook-timestamp header is not a Unix timestamp.');

  const entries = signatureHeader.split(/\s+/).map((entry) => entry.split(','));
  if (entries.some((parts) => parts.length !== 2 || !parts[0] || !parts[1])) {
    return fail(
      'malformed-signature',
      'The webhook-signature header is not a list of "<version>,<signature>".',
    );
  }
  // Other versions (v1a = asymmetric, future ones) are ignored, as the spec requires.
  const v1 = entries.filter(([version]) => version === 'v1').map(([, value]) => value ?? '');
  if (v1.length === 0) {
    return fail('missing-signature', 'The webhook-signature header has no v1 signature.');
  }
  const candidates = v1.map((value) => decodeDigest(value, 'base64'));
  if (candidates.some((candidate) => candidate === undefined)) {
    return fail(
      'malformed-signature',
      'A v1 signature in the webhook-signature header is not canonical base64.',
    );
  }

  const stale = checkTimestamp(timestamp, request.receivedAt, options);
  if (stale) return stale;

  const matches = secrets.some((secret) => {
    const key = keyOf(secret);
    if (key.length === 0) return false;
    const expected = sign(key, id, timestampHeader, request.rawBody);
    return candidates.some((candidate) => candidate !== undefined && safeEqual(candidate, expected));
  });
  return matches ? { ok: true, timestamp } : BAD_SIGNATURE;
}

/** The three Standard Webhooks headers for a message, for outbound deliveries and tests. */
export function signStandardWebhook(
  secret: string,
  msg: { readonly id: string; readonly timestamp: Date; readonly body: string | Buffer },
): Record<string, string> {
  const timestamp = String(unixSeconds(msg.timestamp));
  return {
    'webhook-id': msg.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${sign(keyOf(secret), msg.id, timestamp, msg.body).toString('base64')}`,
  };
}
