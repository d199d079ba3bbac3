import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signStandardWebhook, verifySignature } from '../../../functions/shared/signatures/index.js';
import { BODY, nudgeBase64, OPTIONS, RECEIVED_AT, secondsAfter, signedRequest } from './fixtures.js';

const SCHEME = { type: 'standard-webhooks' } as const;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = 'whsec_c2VjcmV0LXRoYXQtZG9lcy1ub3QtbWF0Y2g=';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';

function signed(overrides: Record<string, string | undefined> = {}, timestamp = RECEIVED_AT) {
  return { ...signStandardWebhook(SECRET, { id: ID, timestamp, body: BODY }), ...overrides };
}

describe('standard-webhooks', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('verifies the published Standard Webhooks test vector', () => {
    // Prepare
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const request = {
      ...signedRequest(headers, '{"test": 2432232314}'),
      receivedAt: new Date(1614265330_000),
    };

    // Act
    const result = verifySignature(SCHEME, request, [SECRET], OPTIONS);

    // Assess
    expect(result).toEqual({ ok: true, timestamp: new Date(1614265330_000) });
  });

  it('verifies a message signed by the reference standardwebhooks package', () => {
    // Prepare
    const signature = new Webhook(SECRET).sign(ID, RECEIVED_AT, BODY);
    const headers = {
      'webhook-id': ID,
      'webhook-timestamp': String(RECEIVED_AT.getTime() / 1000),
      'webhook-signature': signature,
    };

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toEqual({ ok: true, timestamp: RECEIVED_AT });
  });

  it('signs messages the reference standardwebhooks package verifies', () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(RECEIVED_AT); // the reference verify() reads the clock itself
    const headers = signStandardWebhook(SECRET, { id: ID, timestamp: RECEIVED_AT, body: BODY });

    // Act
    const verify = () => new Webhook(SECRET).verify(BODY, headers);

    // Assess
    expect(verify).not.toThrow();
  });

  it('accepts a header with several signatures when one matches', () => {
    // Prepare
    const valid = signed()['webhook-signature'];
    const wrong = signStandardWebhook(OTHER_SECRET, { id: ID, timestamp: RECEIVED_AT, body: BODY })[
      'webhook-signature'
    ];
    const headers = signed({ 'webhook-signature': `${wrong} v1a,c2lnbmF0dXJl ${valid}` });

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts a message signed with the previous secret during a rotation', () => {
    // Prepare
    const headers = signed();

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [OTHER_SECRET, SECRET], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts a secret without the whsec_ prefix', () => {
    // Prepare
    const headers = signed();

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET.slice('whsec_'.length)], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([
    ['exactly at the tolerance in the past', -300],
    ['exactly at the tolerance in the future', 300],
  ])('accepts a timestamp %s', (_, offset) => {
    // Prepare
    const headers = signed({}, secondsAfter(RECEIVED_AT, offset));

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('fails when the signature was made with another secret', () => {
    // Prepare
    const headers = signed();

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [OTHER_SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('fails when the body was tampered with, without leaking anything in the message', () => {
    // Prepare
    const headers = signed();

    // Act
    const result = verifySignature(
      SCHEME,
      signedRequest(headers, BODY.replace('4200', '1')),
      [SECRET],
      OPTIONS,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
    const message = result.ok ? '' : result.message;
    for (const sensitive of [
      SECRET,
      SECRET.slice('whsec_'.length),
      headers['webhook-signature']?.slice(3),
      BODY,
    ]) {
      expect(message).not.toContain(sensitive);
    }
  });

  it('fails when no secret is configured', () => {
    // Prepare
    const headers = signed();

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['stale-timestamp', -301],
    ['future-timestamp', 301],
  ])(
    'fails with %s when the timestamp is outside the tolerance, even with a valid signature',
    (reason, offset) => {
      // Prepare
      const headers = signed({}, secondsAfter(RECEIVED_AT, offset));

      // Act
      const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

      // Assess
      expect(result).toMatchObject({ ok: false, reason });
    },
  );

  it.each([
    ['webhook-signature', 'missing-signature'],
    ['webhook-id', 'malformed-signature'],
    ['webhook-timestamp', 'missing-timestamp'],
  ])('fails when the %s header is missing', (header, reason) => {
    // Prepare
    const headers = signed({ [header]: undefined });

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['the signature is garbage', { 'webhook-signature': 'garbage' }, 'malformed-signature'],
    ['the signature is empty', { 'webhook-signature': '' }, 'missing-signature'],
    ['the signature has an empty value', { 'webhook-signature': 'v1,' }, 'malformed-signature'],
    [
      'the signature has only other versions',
      { 'webhook-signature': 'v1a,c2lnbmF0dXJl' },
      'missing-signature',
    ],
    ['the v1 signature is not base64', { 'webhook-signature': 'v1,!!not-base64!!' }, 'malformed-signature'],
    ['the timestamp is not numeric', { 'webhook-timestamp': 'yesterday' }, 'malformed-signature'],
    ['the timestamp has trailing garbage', { 'webhook-timestamp': '1772366400abc' }, 'malformed-signature'],
    ['the timestamp is empty', { 'webhook-timestamp': '' }, 'missing-timestamp'],
  ])('fails when %s', (_, overrides, reason) => {
    // Prepare
    const headers = signed(overrides);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason, message: expect.any(String) });
  });

  it.each([
    ['has non-canonical trailing bits', (s: string) => `${s.slice(0, -2)}${nudgeBase64(s.at(-2))}=`],
    ['lacks its padding', (s: string) => s.replace(/=+$/, '')],
    ['uses the URL-safe alphabet', (s: string) => s.replaceAll('+', '-').replaceAll('/', '_')],
  ])('fails as malformed when the v1 signature %s, though it decodes to the right bytes', (_, respell) => {
    // Prepare: a signature whose canonical base64 contains + and / (found by search over ids)
    const headers = signedWith((signature) => signature.includes('+') && signature.includes('/'));
    const signature = (headers['webhook-signature'] ?? '').slice('v1,'.length);

    // Act
    const result = verifySignature(
      SCHEME,
      signedRequest({ ...headers, 'webhook-signature': `v1,${respell(signature)}` }),
      [SECRET],
      OPTIONS,
    );

    // Assess
    expect(Buffer.from(respell(signature), 'base64')).toEqual(Buffer.from(signature, 'base64'));
    expect(result).toMatchObject({ ok: false, reason: 'malformed-signature' });
  });
});

function signedWith(wanted: (signature: string) => boolean): Record<string, string> {
  for (let i = 0; ; i++) {
    const headers = signStandardWebhook(SECRET, { id: `msg_${i}`, timestamp: RECEIVED_AT, body: BODY });
    if (wanted(headers['webhook-signature']?.slice(3) ?? '')) return headers;
  }
}
