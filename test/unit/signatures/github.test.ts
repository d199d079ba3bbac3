import { describe, expect, it } from 'vitest';
import { signGithub, verifySignature } from '../../../functions/shared/signatures/index.js';
import { BODY, OPTIONS, signedRequest } from './fixtures.js';

const SCHEME = { type: 'github' } as const;
const SECRET = 'gh-webhook-secret';

describe('github', () => {
  it('verifies GitHub published test vector', () => {
    // Prepare
    const headers = {
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    };

    // Act
    const result = verifySignature(
      SCHEME,
      signedRequest(headers, 'Hello, World!'),
      ["It's a Secret to Everybody"],
      OPTIONS,
    );

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('signs the GitHub published test vector', () => {
    // Act
    const headers = signGithub("It's a Secret to Everybody", 'Hello, World!');

    // Assess
    expect(headers).toEqual({
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    });
  });

  it('accepts a body signed with the previous secret during a rotation', () => {
    // Prepare
    const headers = signGithub(SECRET, BODY);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), ['new-secret', SECRET], OPTIONS);

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('fails when the signature was made with another secret', () => {
    // Prepare
    const headers = signGithub('another-secret', BODY);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('fails when the body was tampered with', () => {
    // Prepare
    const headers = signGithub(SECRET, BODY);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers, `${BODY} `), [SECRET], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('fails when the only configured secret is empty', () => {
    // Prepare
    const headers = signGithub('', BODY);

    // Act
    const result = verifySignature(SCHEME, signedRequest(headers), [''], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['the header is missing', undefined, 'missing-signature'],
    ['the header is empty', '', 'missing-signature'],
    ['the header is garbage', 'garbage', 'malformed-signature'],
    ['the header uses sha1', 'sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0', 'malformed-signature'],
    ['the digest is not hex', 'sha256=zz', 'malformed-signature'],
    ['the digest is empty', 'sha256=', 'malformed-signature'],
    ['the digest is truncated', 'sha256=757107ea', 'bad-signature'],
  ])('fails when %s', (_, value, reason) => {
    // Act
    const result = verifySignature(
      SCHEME,
      signedRequest({ 'x-hub-signature-256': value }),
      [SECRET],
      OPTIONS,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, reason });
  });
});
