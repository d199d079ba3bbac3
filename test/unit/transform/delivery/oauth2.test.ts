import { describe, expect, it } from 'vitest';
import {
  ClientCredentialsTokenProvider,
  TokenRequestError,
} from '../../../../functions/transform/delivery/oauth2.js';
import { fakeClock, respond, scriptedFetch } from './fakes.js';

const CLIENT_ID = 'hookyard-client';
const CLIENT_SECRET = 's3cr3t-Value+/=';
const TOKEN_URL = 'https://auth.example.com/oauth2/token';

function provider(
  fetchFn: typeof fetch,
  now: () => number,
  extra: { scope?: string; skewSeconds?: number } = {},
) {
  return new ClientCredentialsTokenProvider({
    tokenUrl: TOKEN_URL,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch: fetchFn,
    now,
    ...extra,
  });
}

describe('ClientCredentialsTokenProvider', () => {
  it('posts the client credentials grant with HTTP Basic client auth and a form body', async () => {
    // Prepare
    const target = scriptedFetch(
      respond(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 300 }),
    );
    const clock = fakeClock();
    const tokens = provider(target.fetch, clock.now, { scope: 'orders:write crm' });

    // Act
    const token = await tokens.getToken();

    // Assess
    expect(token).toBe('tok-1');
    const [request] = target.requests;
    expect(request?.url).toBe(TOKEN_URL);
    expect(request?.method).toBe('POST');
    expect(request?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const basic = Buffer.from(request?.headers.get('authorization')?.replace(/^Basic /, '') ?? '', 'base64');
    expect(basic.toString()).toBe('hookyard-client:s3cr3t-Value%2B%2F%3D');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'orders:write crm',
    });
    expect(request?.body).not.toContain(CLIENT_SECRET);
  });

  it('omits the scope when none is set', async () => {
    // Prepare
    const target = scriptedFetch(respond(200, { access_token: 'tok-1' }));
    const tokens = provider(target.fetch, fakeClock().now);

    // Act
    await tokens.getToken();

    // Assess
    expect(target.requests[0]?.body).toBe('grant_type=client_credentials');
  });

  it('makes one token request for many concurrent callers', async () => {
    // Prepare
    const target = scriptedFetch(respond(200, { access_token: 'tok-1', expires_in: 3600 }));
    const tokens = provider(target.fetch, fakeClock().now);

    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken()));

    // Assess
    expect(new Set(results)).toEqual(new Set(['tok-1']));
    expect(target.requests).toHaveLength(1);
  });

  it('reuses the token until expires_in minus the skew, then fetches a new one', async () => {
    // Prepare
    const target = scriptedFetch(
      respond(200, { access_token: 'tok-1', expires_in: 300 }),
      respond(200, { access_token: 'tok-2', expires_in: 300 }),
    );
    const clock = fakeClock();
    const tokens = provider(target.fetch, clock.now, { skewSeconds: 60 });
    await tokens.getToken();

    // Act
    clock.advance(239_999);
    const beforeRenewal = await tokens.getToken();
    clock.advance(1);
    const afterRenewal = await tokens.getToken();

    // Assess
    expect(beforeRenewal).toBe('tok-1');
    expect(afterRenewal).toBe('tok-2');
    expect(target.requests).toHaveLength(2);
  });

  it('assumes an hour when the response has no expires_in', async () => {
    // Prepare
    const target = scriptedFetch(
      respond(200, { access_token: 'tok-1' }),
      respond(200, { access_token: 'tok-2' }),
    );
    const clock = fakeClock();
    const tokens = provider(target.fetch, clock.now);
    await tokens.getToken();

    // Act
    clock.advance((3600 - 60) * 1000 - 1);
    const cached = await tokens.getToken();
    clock.advance(1);
    const renewed = await tokens.getToken();

    // Assess
    expect([cached, renewed]).toEqual(['tok-1', 'tok-2']);
  });

  it('fetches a new token after invalidate()', async () => {
    // Prepare
    const target = scriptedFetch(
      respond(200, { access_token: 'tok-1' }),
      respond(200, { access_token: 'tok-2' }),
    );
    const tokens = provider(target.fetch, fakeClock().now);
    await tokens.getToken();

    // Act
    tokens.invalidate();
    const token = await tokens.getToken();

    // Assess
    expect(token).toBe('tok-2');
    expect(target.requests).toHaveLength(2);
  });

  it('fails when the token endpoint refuses, without leaking the credentials', async () => {
    // Prepare
    const target = scriptedFetch(
      respond(401, {
        error: 'invalid_client',
        error_description: `client ${CLIENT_ID} secret ${CLIENT_SECRET} unknown`,
      }),
    );
    const tokens = provider(target.fetch, fakeClock().now);

    // Act
    const error = await tokens.getToken().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TokenRequestError);
    const { message, status } = error as TokenRequestError;
    expect(status).toBe(401);
    expect(message).toBe('token request failed with status 401 (invalid_client)');
    expect(message).not.toContain(CLIENT_SECRET);
    expect(message).not.toContain(CLIENT_ID);
    expect(message).not.toContain(target.requests[0]?.headers.get('authorization'));
  });

  it('fails when the response has no access_token, without echoing the body', async () => {
    // Prepare
    const target = scriptedFetch(respond(200, { token: 'tok-leaked' }));
    const tokens = provider(target.fetch, fakeClock().now);

    // Act
    const error = await tokens.getToken().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as Error).message).toBe('token response has no access_token');
  });

  it('fails when the token endpoint is unreachable, and tries again on the next call', async () => {
    // Prepare
    const target = scriptedFetch(new TypeError('fetch failed'), respond(200, { access_token: 'tok-1' }));
    const tokens = provider(target.fetch, fakeClock().now);

    // Act
    const first = await tokens.getToken().catch((e: unknown) => e);
    const second = await tokens.getToken();

    // Assess
    expect(first).toBeInstanceOf(TokenRequestError);
    expect((first as TokenRequestError).status).toBeUndefined();
    expect(second).toBe('tok-1');
  });
});
