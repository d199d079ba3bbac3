/**
 * Webhook signature verification for the ingest function: one pure entry point over every
 * `SignatureScheme`. Failures are returned, never thrown, with a message safe to show the partner.
 */
import type { SignatureScheme } from '../../../integrations/types.js';
import { verifyApiKey } from './api-key.js';
import type { SignedRequest, VerifyOptions, VerifyResult } from './common.js';
import { verifyGithub } from './github.js';
import { verifyHmac } from './hmac.js';
import { verifyStandardWebhook } from './standard-webhooks.js';
import { verifyStripe } from './stripe.js';

export type { SignatureFailureReason, SignedRequest, VerifyResult } from './common.js';
export { decodeCanonicalBase64, sha256Identity } from './common.js';
export { signGithub } from './github.js';
export { signHmac } from './hmac.js';
export { signStandardWebhook } from './standard-webhooks.js';
export { signStripe } from './stripe.js';

/**
 * Verifies `request` against any of `secrets` (AWSCURRENT and, during a rotation, AWSPREVIOUS).
 * Header presence and format are checked first, then the timestamp, then the signature, so a
 * validly signed but stale request is still reported as stale.
 */
export function verifySignature(
  scheme: SignatureScheme,
  request: SignedRequest,
  secrets: readonly string[],
  options: VerifyOptions,
): VerifyResult {
  // An empty secret would make the signature forgeable (or, for api-key, match nothing useful): never use one.
  const usable = secrets.filter((secret) => secret.length > 0);
  switch (scheme.type) {
    case 'standard-webhooks':
      return verifyStandardWebhook(request, usable, options);
    case 'github':
      return verifyGithub(request, usable);
    case 'stripe':
      return verifyStripe(request, usable, options);
    case 'hmac':
      return verifyHmac(scheme, request, usable, options);
    case 'api-key':
      return verifyApiKey(scheme.header, request, usable);
  }
}
