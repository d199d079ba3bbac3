import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signStripe, verifySignature } from '../../../functions/shared/signatures/index.js';
import { BODY, OPTIONS, RECEIVED_AT, secondsAfter, signedRequest } from './fixtures.js';

const SCHEME = { type: 'stripe' } as const;
// Looks like a Standard Webhooks secret but Stripe uses it verbatim as the HMAC key.
const SECRET = 'whsec_test_5f2b8c1e9d';
const T = RECEIVED_AT.getTime() / 1000;

function v1(secret: string, timestamp: number, body = BODY): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

describe('stripe', () => {
  it('verifies a header with several v1 signatures and a v0 one when one v1 matches', () => {
    // Prepare
    const header = `t=${T},v1=${v1('old-secret', T)},v0=${v1('x', T)},v1=${v1(SECRET, T)}`;

    // Act
    const result = verifySignature(SCHEME, signedRequest({ 'stripe-signature': header }), [SECRET], OPTIONS);

    // Assess
    expect(result).toEqual({ ok: true, timestamp: RECEIVED_AT });
  });

  it('signs with the secret verbatim, not base64-decoded', () => {
    // Act
    const headers = signStripe(SECRET, BODY, RECEIVED_AT);

    // Assess
    expect(headers).toEqual({ 'stripe-signature': `t=${T},v1=${v1(SECRET, T)}` });
    expect(verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS).ok).toBe(true);
  });

  it('accepts a body signed with the previous secret during a rotation', () => {
    // Prepare
    const headers = signStripe(SECRET, BODY, RECEIVED_AT);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), ['whsec_new', SECRET], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([-300, 300])('accepts a timestamp exactly at the tolerance (%i s)', (offset) => {
    // Prepare
    const headers = signStripe(SECRET, BODY, secondsAfter(RECEIVED_AT, offset));

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([
    ['stale-timestamp', -301],
    ['future-timestamp', 301],
  ])(
    'fails with %s when the timestamp is outside the tolerance, even with a valid signature',
    (reason, offset) => {
      // Prepare
      const headers = signStripe(SECRET, BODY, secondsAfter(RECEIVED_AT, offset));

      // Act
      const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

      // Assess
      expect(result).toMatchObject({ ok: false, reason });
    },
  );

  it('fails when the signature was made with another secret', () => {
    // Prepare
    const headers = signStripe('whsec_other', BODY, RECEIVED_AT);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('fails when the body was tampered with', () => {
    // Prepare
    const headers = signStripe(SECRET, BODY, RECEIVED_AT);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers, '{}'), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['the header is missing', undefined, 'missing-signature'],
    ['the header is empty', '', 'missing-signature'],
    ['the header is garbage', 'garbage', 'malformed-signature'],
    ['there is no timestamp', `v1=${v1(SECRET, T)}`, 'missing-timestamp'],
    ['the timestamp is not numeric', `t=now,v1=${v1(SECRET, T)}`, 'malformed-signature'],
    ['there is no v1 signature', `t=${T},v0=${v1(SECRET, T)}`, 'missing-signature'],
    ['a v1 signature is not hex', `t=${T},v1=xyz`, 'malformed-signature'],
  ])('fails when %s', (_, value, reason) => {
    // Act
    const result = verifySignature(SCHEME, signedRequest({ 'stripe-signature': value }), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason });
  });
});
