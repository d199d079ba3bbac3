/**
 * Request headers that authenticate us to a target, from the integration's `target.auth` and the
 * credentials secret (`{"apiKey"}`, `{"clientId","clientSecret"}` or `{"username","password"}`).
 */
import type { TargetAuth } from '../../../integrations/types.js';
import { ConfigurationError } from '../../shared/errors.js';
import { ClientCredentialsTokenProvider } from './oauth2.js';

type OAuth2Auth = Extract<TargetAuth, { type: 'oauth2-client-credentials' }>;

/** `TargetAuth` with the stage's token URL picked out. */
export type ResolvedTargetAuth =
  | Exclude<TargetAuth, OAuth2Auth>
  | (Omit<OAuth2Auth, 'tokenUrl'> & { readonly tokenUrl: string });

export interface TargetAuthenticator {
  /** Headers to add to the next request. */
  headers(): Promise<Record<string, string>>;
  /**
   * The target answered 401. Drops what may be stale (the OAuth2 token; the credentials, when
   * `forgetCredentials` is given) and says whether one retry with fresh headers makes sense.
   * `refused`: the headers the target refused, so concurrent refusals share one token refresh.
   */
  onUnauthorized(refused?: Readonly<Record<string, string>>): Promise<boolean>;
}

export interface TargetAuthenticatorDeps {
  /** For the OAuth2 token endpoint. @default - the global fetch */
  readonly fetch?: typeof fetch;
  /** Epoch ms. */
  readonly now: () => number;
  /**
   * Drops the cached credentials so the next read sees a rotated secret.
   * @default - credentials are not re-read after a 401, and only OAuth2 retries
   */
  readonly forgetCredentials?: () => void | Promise<void>;
  /** See ClientCredentialsTokenProviderProps. @default 60 */
  readonly tokenSkewSeconds?: number;
}

export function createTargetAuthenticator(
  auth: ResolvedTargetAuth,
  credentials: () => Promise<Readonly<Record<string, string>>>,
  deps: TargetAuthenticatorDeps,
): TargetAuthenticator {
  const forgetCredentials = async (): Promise<boolean> => {
    if (!deps.forgetCredentials) return false;
    await deps.forgetCredentials();
    return true;
  };

  switch (auth.type) {
    case 'none':
      return { headers: async () => ({}), onUnauthorized: async () => false };

    case 'api-key': {
      const header = (auth.header ?? 'x-api-key').toLowerCase();
      return {
        headers: async () => ({ [header]: required(await credentials(), 'apiKey') }),
        onUnauthorized: forgetCredentials,
      };
    }

    case 'basic':
      return {
        headers: async () => {
          const secret = await credentials();
          const username = required(secret, 'username');
          if (username.includes(':'))
            throw new ConfigurationError('target credential "username" must not contain ":"');
          const encoded = Buffer.from(`${username}:${required(secret, 'password')}`).toString('base64');
          return { authorization: `Basic ${encoded}` };
        },
        onUnauthorized: forgetCredentials,
      };

    case 'oauth2-client-credentials': {
      if (!auth.tokenUrl) throw new ConfigurationError('oauth2 target auth needs a token URL for this stage');
      // One provider per client id/secret pair: a rotated secret gets a fresh token.
      let provider: { readonly key: string; readonly instance: ClientCredentialsTokenProvider } | undefined;
      return {
        headers: async () => {
          const secret = await credentials();
          const clientId = required(secret, 'clientId');
          const clientSecret = required(secret, 'clientSecret');
          const key = `${clientId}\u0000${clientSecret}`;
          if (provider?.key !== key) {
            provider = {
              key,
              instance: new ClientCredentialsTokenProvider({
                tokenUrl: auth.tokenUrl,
                clientId,
                clientSecret,
                scope: auth.scope,
                fetch: deps.fetch,
                now: deps.now,
                skewSeconds: deps.tokenSkewSeconds,
              }),
            };
          }
          return { authorization: `Bearer ${await provider.instance.getToken()}` };
        },
        onUnauthorized: async (refused) => {
          provider?.instance.invalidate(refused?.authorization?.replace(/^Bearer /, ''));
          return true;
        },
      };
    }
  }
}

function required(secret: Readonly<Record<string, string>>, field: string): string {
  const value = secret[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigurationError(`target credentials have no "${field}"`);
  }
  return value;
}
