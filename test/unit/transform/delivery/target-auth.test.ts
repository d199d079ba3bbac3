import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../../../functions/shared/errors.js';
import { createTargetAuthenticator } from '../../../../functions/transform/delivery/target-auth.js';
import { fakeClock, respond, scriptedFetch } from './fakes.js';

const noFetch = scriptedFetch().fetch;

describe('createTargetAuthenticator', () => {
  it('adds nothing for auth none, and never retries a 401', async () => {
    // Prepare
    const auth = createTargetAuthenticator({ type: 'none' }, async () => ({}), {
      now: Date.now,
      fetch: noFetch,
    });

    // Act
    const headers = await auth.headers();
    const retry = await auth.onUnauthorized();

    // Assess
    expect(headers).toEqual({});
    expect(retry).toBe(false);
  });

  it('sends the api key in x-api-key by default', async () => {
    // Prepare
    const auth = createTargetAuthenticator({ type: 'api-key' }, async () => ({ apiKey: 'key-123' }), {
      now: Date.now,
    });

    // Act
    const headers = await auth.headers();

    // Assess
    expect(headers).toEqual({ 'x-api-key': 'key-123' });
  });

  it('sends the api key in the configured header', async () => {
    // Prepare
    const auth = createTargetAuthenticator(
      { type: 'api-key', header: 'X-Partner-Key' },
      async () => ({ apiKey: 'k' }),
      {
        now: Date.now,
      },
    );

    // Act
    const headers = await auth.headers();

    // Assess
    expect(headers).toEqual({ 'x-partner-key': 'k' });
  });

  it('re-reads rotated credentials after a 401 when it can forget them', async () => {
    // Prepare
    let apiKey = 'old';
    const forgetCredentials = vi.fn(() => {
      apiKey = 'new';
    });
    const auth = createTargetAuthenticator({ type: 'api-key' }, async () => ({ apiKey }), {
      now: Date.now,
      forgetCredentials,
    });
    await auth.headers();

    // Act
    const retry = await auth.onUnauthorized();
    const headers = await auth.headers();

    // Assess
    expect(retry).toBe(true);
    expect(forgetCredentials).toHaveBeenCalledOnce();
    expect(headers).toEqual({ 'x-api-key': 'new' });
  });

  it('does not retry an api-key 401 when it cannot refresh the credentials', async () => {
    // Prepare
    const auth = createTargetAuthenticator({ type: 'api-key' }, async () => ({ apiKey: 'k' }), {
      now: Date.now,
    });

    // Act
    const retry = await auth.onUnauthorized();

    // Assess
    expect(retry).toBe(false);
  });

  it('sends HTTP Basic from username and password', async () => {
    // Prepare
    const auth = createTargetAuthenticator(
      { type: 'basic' },
      async () => ({ username: 'hookyard', password: 'p@ss:word' }),
      { now: Date.now },
    );

    // Act
    const headers = await auth.headers();

    // Assess
    expect(headers).toEqual({
      authorization: `Basic ${Buffer.from('hookyard:p@ss:word').toString('base64')}`,
    });
  });

  it('sends an OAuth2 bearer token and fetches a new one after a 401', async () => {
    // Prepare
    const tokenEndpoint = scriptedFetch(
      respond(200, { access_token: 'tok-1', expires_in: 3600 }),
      respond(200, { access_token: 'tok-2', expires_in: 3600 }),
    );
    const auth = createTargetAuthenticator(
      { type: 'oauth2-client-credentials', tokenUrl: 'https://auth.example.com/token', scope: 'crm' },
      async () => ({ clientId: 'id', clientSecret: 'secret' }),
      { now: fakeClock().now, fetch: tokenEndpoint.fetch },
    );

    // Act
    const first = await auth.headers();
    const cached = await auth.headers();
    const retry = await auth.onUnauthorized();
    const refreshed = await auth.headers();

    // Assess
    expect(first).toEqual({ authorization: 'Bearer tok-1' });
    expect(cached).toEqual({ authorization: 'Bearer tok-1' });
    expect(retry).toBe(true);
    expect(refreshed).toEqual({ authorization: 'Bearer tok-2' });
    expect(tokenEndpoint.requests.map((r) => r.url)).toEqual([
      'https://auth.example.com/token',
      'https://auth.example.com/token',
    ]);
    expect(tokenEndpoint.requests[0]?.body).toBe('grant_type=client_credentials&scope=crm');
  });

  it('gets a new OAuth2 token when the client secret has been rotated', async () => {
    // Prepare
    let clientSecret = 'secret-1';
    const tokenEndpoint = scriptedFetch(
      respond(200, { access_token: 'tok-1' }),
      respond(200, { access_token: 'tok-2' }),
    );
    const auth = createTargetAuthenticator(
      { type: 'oauth2-client-credentials', tokenUrl: 'https://auth.example.com/token' },
      async () => ({ clientId: 'id', clientSecret }),
      { now: fakeClock().now, fetch: tokenEndpoint.fetch },
    );
    await auth.headers();

    // Act
    clientSecret = 'secret-2';
    const headers = await auth.headers();

    // Assess
    expect(headers).toEqual({ authorization: 'Bearer tok-2' });
    const basic = tokenEndpoint.requests[1]?.headers.get('authorization') ?? '';
    expect(Buffer.from(basic.replace('Basic ', ''), 'base64').toString()).toBe('id:secret-2');
  });

  it.each([
    ['api-key', { type: 'api-key' } as const, { apikey: 'wrong-case' }, 'apiKey'],
    ['basic', { type: 'basic' } as const, { username: 'u' }, 'password'],
    [
      'oauth2',
      { type: 'oauth2-client-credentials', tokenUrl: 'https://auth.example.com/token' } as const,
      { clientId: 'id' },
      'clientSecret',
    ],
  ])(
    'fails when the %s credentials lack a field, naming the field but no value',
    async (_, authConfig, secret, field) => {
      // Prepare
      const auth = createTargetAuthenticator(authConfig, async () => secret, {
        now: Date.now,
        fetch: noFetch,
      });

      // Act
      const error = await auth.headers().catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toBe(`target credentials have no "${field}"`);
      for (const value of Object.values(secret)) expect((error as Error).message).not.toContain(value);
    },
  );

  it('fails when a basic username contains a colon', async () => {
    // Prepare
    const auth = createTargetAuthenticator(
      { type: 'basic' },
      async () => ({ username: 'a:b', password: 'p' }),
      {
        now: Date.now,
      },
    );

    // Act
    const error = await auth.headers().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
  });

  it('fails when oauth2 has no token URL for the stage', () => {
    // Act
    const create = () =>
      createTargetAuthenticator({ type: 'oauth2-client-credentials', tokenUrl: '' }, async () => ({}), {
        now: Date.now,
      });

    // Assess
    expect(create).toThrow(ConfigurationError);
  });
});
