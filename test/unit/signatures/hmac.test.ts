import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signHmac, verifySignature } from '../../../functions/shared/signatures/index.js';
import { BODY, nudgeBase64, OPTIONS, RECEIVED_AT, secondsAfter, signedRequest } from './fixtures.js';

const SECRET = 'partner-hmac-secret';
const T = RECEIVED_AT.getTime() / 1000;
const FULL = {
  type: 'hmac',
  header: 'X-Partner-Signature',
  algorithm: 'sha512',
  encoding: 'base64',
  prefix: 'sha512=',
  timestampHeader: 'X-Partner-Timestamp',
} as const;
const PLAIN = { type: 'hmac', header: 'x-signature' } as const;

describe('hmac', () => {
  it('verifies a base64 sha512 signature with a prefix over "<timestamp>.<body>"', () => {
    // Prepare
    const digest = createHmac('sha512', SECRET).update(`${T}.${BODY}`).digest('base64');
    const headers = { 'x-partner-signature': `sha512=${digest}`, 'x-partner-timestamp': String(T) };

    // Act
    const result = verifySignature(FULL, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toEqual({ ok: true, timestamp: RECEIVED_AT });
    expect(signHmac(FULL, SECRET, BODY, RECEIVED_AT)).toEqual(headers);
  });

  it('verifies a hex sha256 signature over the raw body by default', () => {
    // Prepare
    const headers = { 'x-signature': createHmac('sha256', SECRET).update(BODY).digest('hex') };

    // Act
    const result = verifySignature(PLAIN, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toEqual({ ok: true });
    expect(signHmac(PLAIN, SECRET, BODY)).toEqual(headers);
  });

  it('accepts a body signed with the previous secret during a rotation', () => {
    // Prepare
    const headers = signHmac(FULL, SECRET, BODY, RECEIVED_AT);

    // Act
    const result = verifySignature(FULL, signedRequest(headers), ['new-secret', SECRET], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts a timestamp exactly at the tolerance', () => {
    // Prepare
    const headers = signHmac(FULL, SECRET, BODY, secondsAfter(RECEIVED_AT, -300));

    // Act
    const result = verifySignature(FULL, signedRequest(headers), [SECRET], OPTIONS);

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
      const headers = signHmac(FULL, SECRET, BODY, secondsAfter(RECEIVED_AT, offset));

      // Act
      const result = verifySignature(FULL, signedRequest(headers), [SECRET], OPTIONS);

      // Assess
      expect(result).toMatchObject({ ok: false, reason });
    },
  );

  it('fails when the signature was made with another secret', () => {
    // Prepare
    const headers = signHmac(PLAIN, 'another-secret', BODY);

    // Act
    const result = verifySignature(PLAIN, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('fails when the body was tampered with', () => {
    // Prepare
    const headers = signHmac(FULL, SECRET, BODY, RECEIVED_AT);

    // Act
    const result = verifySignature(FULL, signedRequest(headers, `${BODY}\n`), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('fails when the timestamp header was changed after signing', () => {
    // Prepare
    const headers = { ...signHmac(FULL, SECRET, BODY, RECEIVED_AT), 'x-partner-timestamp': String(T + 1) };

    // Act
    const result = verifySignature(FULL, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['the signature header is missing', { 'x-partner-signature': undefined }, 'missing-signature'],
    ['the prefix is missing', { 'x-partner-signature': 'c2lnbmF0dXJl' }, 'malformed-signature'],
    ['the digest is not base64', { 'x-partner-signature': 'sha512=not base64!' }, 'malformed-signature'],
    ['the timestamp header is missing', { 'x-partner-timestamp': undefined }, 'missing-timestamp'],
    ['the timestamp is not numeric', { 'x-partner-timestamp': '2026-03-01' }, 'malformed-signature'],
  ])('fails when %s', (_, overrides, reason) => {
    // Prepare
    const headers = { ...signHmac(FULL, SECRET, BODY, RECEIVED_AT), ...overrides };

    // Act
    const result = verifySignature(FULL, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason });
  });

  it.each([
    // The same digest bytes under another spelling: Buffer.from() would decode each to the real digest.
    [
      'the base64 digest has non-canonical trailing bits',
      (d: string) => `${d.slice(0, -3)}${nudgeBase64(d.at(-3))}==`,
    ],
    ['the base64 digest lacks its padding', (d: string) => d.replace(/=+$/, '')],
    [
      'the base64 digest uses the URL-safe alphabet',
      (d: string) => d.replaceAll('+', '-').replaceAll('/', '_'),
    ],
    [
      'the base64 digest has a character outside the alphabet',
      (d: string) => `${d.slice(0, 10)}*${d.slice(10)}`,
    ],
  ])('fails when %s, even though it decodes to the right bytes', (_, respell) => {
    // Prepare: a digest whose canonical base64 ends in "==" and contains both + and / (found by search)
    const { body, digest } = base64DigestWith((d) => d.endsWith('==') && d.includes('+') && d.includes('/'));
    const headers = { 'x-partner-signature': `sha512=${respell(digest)}`, 'x-partner-timestamp': String(T) };

    // Act
    const result = verifySignature(FULL, signedRequest(headers, body), [SECRET], OPTIONS);

    // Assess
    expect(respell(digest)).not.toBe(digest);
    expect(result).toMatchObject({ ok: false, reason: 'malformed-signature' });
  });

  it('fails when signing without a timestamp for a scheme that needs one', () => {
    // Act
    const sign = () => signHmac(FULL, SECRET, BODY);

    // Assess
    expect(sign).toThrow(/needs a timestamp/);
  });
});

/** The base64 sha512 digest of the first body variant whose digest satisfies `wanted`. */
function base64DigestWith(wanted: (digest: string) => boolean): { body: string; digest: string } {
  for (let i = 0; ; i++) {
    const body = JSON.stringify({ id: `evt_${i}` });
    const digest = createHmac('sha512', SECRET).update(`${T}.${body}`).digest('base64');
    if (wanted(digest)) return { body, digest };
  }
}
