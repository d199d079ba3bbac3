import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { verifySignature } from '../../../functions/shared/signatures/index.js';
import { OPTIONS, signedRequest } from './fixtures.js';

const SCHEME = { type: 'api-key', header: 'X-Api-Key' } as const;
const KEY = 'k_live_8f3a2c9e71d4';

// The real timingSafeEqual, watched: which lengths does the comparison see?
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

describe('api-key', () => {
  it('accepts the current key', () => {
    // Act
    const result = verifySignature(SCHEME, signedRequest({ 'x-api-key': KEY }), [KEY], OPTIONS);

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('accepts the previous key during a rotation', () => {
    // Act
    const result = verifySignature(SCHEME, signedRequest({ 'x-api-key': KEY }), ['k_live_new', KEY], OPTIONS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([
    ['the key is wrong', 'k_live_000000000000', 'bad-signature'],
    ['the key has a different length', 'short', 'bad-signature'],
    ['the header is missing', undefined, 'missing-signature'],
    ['the header is empty', '', 'missing-signature'],
  ])('fails when %s', (_, value, reason) => {
    // Act
    const result = verifySignature(SCHEME, signedRequest({ 'x-api-key': value }), [KEY], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('fails when no key is configured', () => {
    // Act
    const result = verifySignature(SCHEME, signedRequest({ 'x-api-key': KEY }), [], OPTIONS);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['shorter', 'k'],
    ['longer', `${KEY}${'x'.repeat(100)}`],
    ['as long', 'k_live_000000000000'],
  ])('compares fixed-length digests in constant time when the given key is %s', (_, given) => {
    // Prepare
    const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);
    timingSafeEqual.mockClear();

    // Act
    const result = verifySignature(SCHEME, signedRequest({ 'x-api-key': given }), [KEY], OPTIONS);

    // Assess: the work done does not depend on whether the lengths match (no early length exit)
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = timingSafeEqual.mock.calls[0] ?? [];
    expect(a?.byteLength).toBe(32);
    expect(b?.byteLength).toBe(32);
  });
});
