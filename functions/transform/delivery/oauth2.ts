/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4) with a cached access token.
 * The token is reused until shortly before it expires; concurrent callers share one token request.
 * Errors name the status (and the OAuth error code) only: never the client secret or a token.
 */
import { HookyardError } from '../../shared/errors.js';

export interface ClientCredentialsTokenProviderProps {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** @default - no scope parameter */
  readonly scope?: string;
  /** @default - the global fetch */
  readonly fetch?: typeof fetch;
  /** Epoch ms. */
  readonly now: () => number;
  /**
   * Renew this long before the token expires (at most half its lifetime).
   * @default 60
   */
  readonly skewSeconds?: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

/** The token endpoint did not issue a token. `status` is set when it answered with a non-2xx. */
export class TokenRequestError extends HookyardError {
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Lifetime assumed when the token response has no `expires_in`. */
const DEFAULT_EXPIRES_IN_SECONDS = 3600;

export class ClientCredentialsTokenProvider {
  private readonly props: ClientCredentialsTokenProviderProps;
  private readonly fetch: typeof fetch;
  private cached: { readonly token: string; readonly renewAt: number } | undefined;
  private inFlight: Promise<string> | undefined;
  private generation = 0;

  constructor(props: ClientCredentialsTokenProviderProps) {
    this.props = props;
    this.fetch = props.fetch ?? globalThis.fetch;
  }

  /** A valid access token: the cached one, or one shared request for a new one. */
  getToken(): Promise<string> {
    if (this.cached && this.props.now() < this.cached.renewAt) return Promise.resolve(this.cached.token);
    if (!this.inFlight) {
      const generation = this.generation;
      this.inFlight = this.requestToken()
        .then(({ token, expiresInSeconds }) => {
          if (generation === this.generation) {
            const skew = Math.min(this.props.skewSeconds ?? 60, expiresInSeconds / 2);
            this.cached = { token, renewAt: this.props.now() + (expiresInSeconds - skew) * 1000 };
          }
          return token;
        })
        .finally(() => {
          if (generation === this.generation) this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }

  /**
   * Forget the token (e.g. the target answered 401 with it); the next getToken() fetches a new one.
   * Given the refused token, nothing happens when it was already replaced or a new one is on its
   * way: several requests refused at once then share one refresh.
   */
  invalidate(refusedToken?: string): void {
    if (refusedToken !== undefined && (this.inFlight || (this.cached && this.cached.token !== refusedToken)))
      return;
    this.generation++;
    this.cached = undefined;
    this.inFlight = undefined;
  }

  private async requestToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const { tokenUrl, clientId, clientSecret, scope, timeoutMs = 10_000 } = this.props;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    let response: Response;
    try {
      response = await this.fetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basicCredentials(clientId, clientSecret)}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new TokenRequestError(`token request failed: ${describe(error)}`, undefined, { cause: error });
    }

    const payload = await readJson(response);
    if (!response.ok) {
      const code = oauthErrorCode(payload);
      throw new TokenRequestError(
        `token request failed with status ${response.status}${code ? ` (${code})` : ''}`,
        response.status,
      );
    }
    const token = isRecord(payload) ? payload.access_token : undefined;
    if (typeof token !== 'string' || token.length === 0) {
      throw new TokenRequestError('token response has no access_token');
    }
    return { token, expiresInSeconds: expiresIn(isRecord(payload) ? payload.expires_in : undefined) };
  }
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64');
}

function expiresIn(value: unknown): number {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? seconds
    : DEFAULT_EXPIRES_IN_SECONDS;
}

/** The standard `error` code (e.g. `invalid_client`), when it looks like one. Never the description. */
function oauthErrorCode(payload: unknown): string | undefined {
  const code = isRecord(payload) ? payload.error : undefined;
  return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : undefined;
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text());
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}
