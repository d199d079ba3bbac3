import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../functions/shared/secret-cache.js';
import { fakeClock } from '../transform/delivery/fakes.js';

/** A loader whose value can be rotated, counting its calls. */
function rotatingLoader(initial: string) {
  const state = { value: initial, calls: 0, fail: false };
  const load = async (id: string) => {
    state.calls++;
    if (state.fail) throw new Error(`secrets manager unavailable for ${id}`);
    return `${id}=${state.value}`;
  };
  return { state, load };
}

describe('SecretCache', () => {
  it('serves a loaded value for the TTL without loading again', async () => {
    // Prepare
    const clock = fakeClock();
    const loader = rotatingLoader('v1');
    const cache = new SecretCache({ ttlMs: 300_000, now: clock.now, load: loader.load });
    await cache.get('target');

    // Act
    clock.advance(299_999);
    const value = await cache.get('target');

    // Assess
    expect(value).toBe('target=v1');
    expect(loader.state.calls).toBe(1);
  });

  it('picks up a rotated value once the TTL has passed', async () => {
    // Prepare
    const clock = fakeClock();
    const loader = rotatingLoader('v1');
    const cache = new SecretCache({ ttlMs: 300_000, now: clock.now, load: loader.load });
    await cache.get('target');
    loader.state.value = 'v2';

    // Act
    const beforeTtl = await cache.get('target');
    clock.advance(300_000);
    const afterTtl = await cache.get('target');

    // Assess
    expect(beforeTtl).toBe('target=v1');
    expect(afterTtl).toBe('target=v2');
  });

  it('shares one load between concurrent readers of an id, and keeps ids apart', async () => {
    // Prepare
    const loader = rotatingLoader('v1');
    const cache = new SecretCache({ ttlMs: 1000, now: fakeClock().now, load: loader.load });

    // Act
    const values = await Promise.all([cache.get('a'), cache.get('a'), cache.get('b'), cache.get('a')]);

    // Assess
    expect(values).toEqual(['a=v1', 'a=v1', 'b=v1', 'a=v1']);
    expect(loader.state.calls).toBe(2);
  });

  it('fails when the load fails, and does not cache the failure', async () => {
    // Prepare
    const loader = rotatingLoader('v1');
    const cache = new SecretCache({ ttlMs: 300_000, now: fakeClock().now, load: loader.load });
    loader.state.fail = true;

    // Act
    const failed = await cache.get('target').catch((e: unknown) => e);
    loader.state.fail = false;
    const value = await cache.get('target');

    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect(value).toBe('target=v1');
    expect(loader.state.calls).toBe(2);
  });

  it('loads again after forget(), and a load started before it does not refill the cache', async () => {
    // Prepare
    const loader = rotatingLoader('v1');
    const cache = new SecretCache({ ttlMs: 300_000, now: fakeClock().now, load: loader.load });
    const stale = cache.get('target');
    cache.forget('target');
    loader.state.value = 'v2';

    // Act
    const staleValue = await stale;
    const fresh = await cache.get('target');

    // Assess
    expect(staleValue).toBe('target=v1');
    expect(fresh).toBe('target=v2');
    expect(loader.state.calls).toBe(2);
  });

  it('fails when the TTL is negative', () => {
    // Act
    const create = () => new SecretCache({ ttlMs: -1, now: Date.now, load: async () => '' });

    // Assess
    expect(create).toThrow('ttlMs must be a number ≥ 0, got -1');
  });
});
