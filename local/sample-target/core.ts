/**
 * The sample CRM's behaviour without HTTP: token issuing, authentication, the declared rate limit,
 * Idempotency-Key dedupe, switchable faults and the counters. `index.ts` is the thin node:http shell.
 * Time and randomness come in from outside, so all of it is testable without a clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sameSecret } from '../http.js';

export type TargetAuthMode = 'oauth2' | 'api-key' | 'none';

/** Faults applied to the API routes (`/v1/…` and `/oauth/token`); never to `/_admin/…`. */
export interface Faults {
  /** Share of deliveries answered 500 (0..1), drawn with `random()`. */
  readonly errorRate: number;
  /** Added before every API answer (0..60000 ms); a dropped connection is not delayed. */
  readonly latencyMs: number;
  /** Drop API requests without an answer (connection reset), as a crashed target would. */
  readonly down: boolean;
  /** Answer every delivery with this status (400..599), e.g. 400 for a permanent failure; null: off. */
  readonly status: number | null;
  /** Idempotency keys (event ids) answered 503, e.g. to fail one record of a batch. */
  readonly failKeys: readonly string[];
  /**
   * An imperfect target, as shares of deliveries (0..1, together at most 1): `503`, `429` (with
   * `Retry-After: retryAfterSeconds`) and `slow` are drawn per request; `slow` answers 504 after
   * `slowMs` and does not accept the delivery (the work timed out). `400` is drawn per
   * Idempotency-Key, so the same event is always refused: a permanent failure.
   */
  readonly mix: FaultMix;
  /** `Retry-After` of the mix's 429 answers. */
  readonly retryAfterSeconds: number;
  /** How long the mix's slow answers take (longer than Hookyard's 10 s attempt timeout by default). */
  readonly slowMs: number;
}

export interface FaultMix {
  readonly '503'?: number;
  readonly '429'?: number;
  readonly slow?: number;
  readonly '400'?: number;
}

export const NO_FAULTS: Faults = {
  errorRate: 0,
  latencyMs: 0,
  down: false,
  status: null,
  failKeys: [],
  mix: {},
  retryAfterSeconds: 1,
  slowMs: 11_000,
};

const MIX_KINDS = ['503', '429', 'slow', '400'] as const;

export interface TargetStats {
  /** Requests that reached the delivery route, whatever their answer. */
  readonly received: number;
  /** Deliveries accepted with an Idempotency-Key not seen before (the unique deliveries). */
  readonly delivered: number;
  /** Requests with an already accepted Idempotency-Key, answered with the first answer. */
  readonly duplicates: number;
  /** Idempotency-Keys the fault mix refuses permanently (400), each counted once. */
  readonly permanentlyRefused: number;
  /** Delivery requests not accepted: 401, 429, 400, fault answers and dropped connections. */
  readonly rejected: number;
  /** 429s answered by the declared rate limit itself (not the fault mix's injected ones). */
  readonly rateLimited: number;
  /** Answers to delivery requests by status; `reset` counts dropped connections. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly tokensIssued: number;
  /**
   * Most delivery requests that arrived within any 1-second span (sliding, half-open `(t − 1 s, t]`,
   * measured at arrival here). At most `rateLimitPerSecond` exactly when no request was answered
   * 429 for the rate limit.
   */
  readonly maxRequestsPerSecond: number;
  /** The declared limit; null when unlimited. */
  readonly rateLimitPerSecond: number | null;
}

export interface ReceivedDelivery {
  readonly idempotencyKey: string;
  readonly body: unknown;
  /** ISO 8601, when the target accepted it. */
  readonly receivedAt: string;
}

/** A request for an Idempotency-Key the target had already accepted (answered with the first answer). */
export interface ReplayedRequest {
  readonly idempotencyKey: string;
  /** ISO 8601, when the repeat arrived. */
  readonly at: string;
}

export interface TargetAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Answer this much later (a slow fault). */
  readonly delayMs?: number;
}

/** An answer, or `drop` to reset the connection without one. */
export type TargetOutcome = TargetAnswer | { readonly drop: true };

export interface SampleTargetCoreOptions {
  /** @default 'api-key' when `apiKey` is given, else 'oauth2' */
  readonly auth?: TargetAuthMode;
  /** @default 'hookyard-local' */
  readonly clientId?: string;
  /** @default 'hookyard-local-secret' */
  readonly clientSecret?: string;
  /**
   * Auth of the ticketing route (`/v2/tickets`, the github-issues sample), beside `auth` for the CRM's
   * orders route. @default 'api-key'
   */
  readonly ticketsAuth?: TargetAuthMode;
  /** Expected in `x-api-key` when a route's auth is 'api-key'. @default 'hookyard-local-key' */
  readonly apiKey?: string;
  /** Requests per second accepted on the delivery route; 0 for no limit. @default 10 */
  readonly rateLimitPerSecond?: number;
  /** Lifetime of issued access tokens. @default 3600 */
  readonly tokenTtlSeconds?: number;
  /** Decides errorRate faults; [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Most recent accepted deliveries kept for `received()`. @default 100000 */
  readonly maxReceivedKept?: number;
}

export const DEFAULTS = {
  clientId: 'hookyard-local',
  clientSecret: 'hookyard-local-secret',
  apiKey: 'hookyard-local-key',
  rateLimitPerSecond: 10,
  tokenTtlSeconds: 3600,
  maxReceivedKept: 100_000,
} as const;

const AUTH_MODES: readonly TargetAuthMode[] = ['oauth2', 'api-key', 'none'];

/** Every problem with the options, or an empty list. */
export function validateOptions(opts: SampleTargetCoreOptions & { readonly port?: number }): string[] {
  const problems: string[] = [];
  const { port, auth, ticketsAuth, rateLimitPerSecond, tokenTtlSeconds, maxReceivedKept } = opts;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    problems.push(`port must be an integer 0..65535, got ${port}`);
  }
  if (auth !== undefined && !AUTH_MODES.includes(auth)) {
    problems.push(`auth must be one of ${AUTH_MODES.join(', ')}, got ${String(auth)}`);
  }
  if (ticketsAuth !== undefined && !AUTH_MODES.includes(ticketsAuth)) {
    problems.push(`ticketsAuth must be one of ${AUTH_MODES.join(', ')}, got ${String(ticketsAuth)}`);
  }
  if (
    rateLimitPerSecond !== undefined &&
    !(Number.isInteger(rateLimitPerSecond) && rateLimitPerSecond >= 0)
  ) {
    problems.push(`rateLimitPerSecond must be a whole number ≥ 0 (0: unlimited), got ${rateLimitPerSecond}`);
  }
  if (tokenTtlSeconds !== undefined && !(Number.isInteger(tokenTtlSeconds) && tokenTtlSeconds > 0)) {
    problems.push(`tokenTtlSeconds must be a whole number > 0, got ${tokenTtlSeconds}`);
  }
  if (maxReceivedKept !== undefined && !(Number.isInteger(maxReceivedKept) && maxReceivedKept >= 0)) {
    problems.push(`maxReceivedKept must be a whole number ≥ 0, got ${maxReceivedKept}`);
  }
  for (const key of ['clientId', 'clientSecret', 'apiKey'] as const) {
    if (opts[key] === '') problems.push(`${key} must not be empty`);
  }
  return problems;
}

/** Checks a partial Faults object from an untrusted source; lists every problem. */
export function parseFaults(input: unknown): { faults: Partial<Faults>; problems: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { faults: {}, problems: ['faults must be a JSON object'] };
  }
  const problems: string[] = [];
  const faults: { -readonly [K in keyof Faults]?: Faults[K] } = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'errorRate':
        if (typeof value === 'number' && value >= 0 && value <= 1) faults.errorRate = value;
        else problems.push(`errorRate must be a number 0..1, got ${JSON.stringify(value)}`);
        break;
      case 'latencyMs':
        if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 60_000) {
          faults.latencyMs = value as number;
        } else problems.push(`latencyMs must be a whole number 0..60000, got ${JSON.stringify(value)}`);
        break;
      case 'down':
        if (typeof value === 'boolean') faults.down = value;
        else problems.push(`down must be true or false, got ${JSON.stringify(value)}`);
        break;
      case 'status':
        if (
          value === null ||
          (Number.isInteger(value) && (value as number) >= 400 && (value as number) <= 599)
        ) {
          faults.status = value as number | null;
        } else problems.push(`status must be null or a whole number 400..599, got ${JSON.stringify(value)}`);
        break;
      case 'failKeys':
        if (Array.isArray(value) && value.every((k) => typeof k === 'string'))
          faults.failKeys = value as string[];
        else problems.push(`failKeys must be a list of strings, got ${JSON.stringify(value)}`);
        break;
      case 'mix': {
        const mix = parseMix(value);
        if (typeof mix === 'string') problems.push(mix);
        else faults.mix = mix;
        break;
      }
      case 'retryAfterSeconds':
        if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 3600)
          faults.retryAfterSeconds = value as number;
        else problems.push(`retryAfterSeconds must be a whole number 0..3600, got ${JSON.stringify(value)}`);
        break;
      case 'slowMs':
        if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 60_000)
          faults.slowMs = value as number;
        else problems.push(`slowMs must be a whole number 0..60000, got ${JSON.stringify(value)}`);
        break;
      default:
        problems.push(
          `unknown fault ${JSON.stringify(key)}; known: errorRate, latencyMs, down, status, failKeys, mix, retryAfterSeconds, slowMs`,
        );
    }
  }
  return { faults, problems };
}

function parseMix(value: unknown): FaultMix | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `mix must be an object like {"503":0.2,"429":0.05,"slow":0.02,"400":0.01}`;
  const mix: Record<string, number> = {};
  for (const [kind, share] of Object.entries(value)) {
    if (!(MIX_KINDS as readonly string[]).includes(kind))
      return `mix: unknown kind ${JSON.stringify(kind)}; known: ${MIX_KINDS.join(', ')}`;
    if (typeof share !== 'number' || !(share >= 0 && share <= 1))
      return `mix.${kind} must be a number 0..1, got ${JSON.stringify(share)}`;
    mix[kind] = share;
  }
  const perRequest = (mix['503'] ?? 0) + (mix['429'] ?? 0) + (mix.slow ?? 0);
  if (perRequest > 1) return `mix: 503 + 429 + slow must be at most 1, got ${perRequest}`;
  return mix;
}

/** A stable fraction in [0, 1) for a key: the same event always draws the same. */
function keyFraction(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * At most `limit` accepted requests in any 1-second span `(t − 1 s, t]`: a sliding-window log.
 * Refused requests do not count against later ones.
 */
export class SlidingWindowLimiter {
  private accepted: number[] = [];

  constructor(private readonly limit: number) {}

  /** Accepts a request at `now`, or says how many whole seconds to wait (≥ 1). */
  tryAcquire(
    now: number,
  ): { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number } {
    this.accepted = dropBefore(this.accepted, now - 1000);
    if (this.accepted.length < this.limit) {
      this.accepted.push(now);
      return { ok: true };
    }
    const oldest = this.accepted[0] ?? now;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + 1000 - now) / 1000)) };
  }

  reset(): void {
    this.accepted = [];
  }
}

/** The most events seen within any 1-second span `(t − 1 s, t]`. */
export class PeakRateMeter {
  private recent: number[] = [];
  private peak = 0;
  private all: number[] = [];

  constructor(private readonly keep = 100_000) {}

  record(now: number): void {
    this.recent = dropBefore(this.recent, now - 1000);
    this.recent.push(now);
    this.peak = Math.max(this.peak, this.recent.length);
    this.all.push(now);
    if (this.all.length > this.keep) this.all.splice(0, this.all.length - this.keep);
  }

  /** Arrival times of the last `keep` requests (epoch ms), oldest first. */
  arrivals(): readonly number[] {
    return [...this.all];
  }

  get max(): number {
    return this.peak;
  }

  reset(): void {
    this.recent = [];
    this.peak = 0;
    this.all = [];
  }
}

/** Times strictly after `cutoff` (the input is in arrival order; clocks that step back are tolerated). */
function dropBefore(times: number[], cutoff: number): number[] {
  let i = 0;
  while (i < times.length && (times[i] ?? 0) <= cutoff) i++;
  return i === 0 ? times : times.slice(i);
}

/** Opaque bearer tokens with a lifetime. */
export class TokenIssuer {
  private readonly tokens = new Map<string, number>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  issue(): { readonly accessToken: string; readonly expiresIn: number } {
    const now = this.now();
    for (const [token, expiresAt] of this.tokens) if (expiresAt <= now) this.tokens.delete(token);
    const accessToken = randomBytes(24).toString('base64url');
    this.tokens.set(accessToken, now + this.ttlSeconds * 1000);
    return { accessToken, expiresIn: this.ttlSeconds };
  }

  isValid(token: string): boolean {
    const expiresAt = this.tokens.get(token);
    return expiresAt !== undefined && this.now() < expiresAt;
  }

  revokeAll(): void {
    this.tokens.clear();
  }
}

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1: form-encoded, then base64) or the form body. */
export function clientCredentials(
  authorization: string | undefined,
  form: URLSearchParams,
): { readonly clientId: string; readonly clientSecret: string; readonly via: 'basic' | 'form' } | undefined {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '')?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    try {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
        via: 'basic',
      };
    } catch {
      return undefined;
    }
  }
  const clientId = form.get('client_id');
  const clientSecret = form.get('client_secret');
  return clientId !== null && clientSecret !== null ? { clientId, clientSecret, via: 'form' } : undefined;
}

/** Path of the first explicit null in a JSON value (the CRM rejects them), or undefined. */
export function firstNullPath(value: unknown, path = '$'): string | undefined {
  if (value === null) return path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = firstNullPath(item, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = firstNullPath(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** The sample's two API routes: the CRM's orders (acme-orders) and the ticketing API (github-issues). */
export type DeliveryRoute = 'orders' | 'tickets';

export interface DeliveryRequest {
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body text. */
  readonly body: string;
}

export interface TokenRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

const json = (status: number, body: unknown, headers?: Record<string, string>): TargetAnswer =>
  headers === undefined ? { status, body } : { status, body, headers };

/** The sample CRM's state and decisions. */
export class SampleTargetCore {
  readonly auth: TargetAuthMode;
  readonly ticketsAuth: TargetAuthMode;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly apiKey: string;
  private readonly rateLimit: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxReceivedKept: number;
  private readonly tokens: TokenIssuer;
  private readonly limiter: SlidingWindowLimiter;
  private readonly meter = new PeakRateMeter();
  private readonly answered = new Map<string, TargetAnswer>();
  private log: ReceivedDelivery[] = [];
  private replayLog: ReplayedRequest[] = [];
  private currentFaults: Faults = NO_FAULTS;
  private counts = { received: 0, delivered: 0, duplicates: 0, rejected: 0, rateLimited: 0, tokensIssued: 0 };
  private permanentlyRefused = new Set<string>();
  private byStatus = new Map<string, number>();
  private nextId = 1;

  constructor(opts: SampleTargetCoreOptions = {}) {
    const problems = validateOptions(opts);
    if (problems.length > 0) throw new Error(`invalid sample target options: ${problems.join('; ')}`);
    this.auth = opts.auth ?? (opts.apiKey === undefined ? 'oauth2' : 'api-key');
    this.ticketsAuth = opts.ticketsAuth ?? 'api-key';
    this.clientId = opts.clientId ?? DEFAULTS.clientId;
    this.clientSecret = opts.clientSecret ?? DEFAULTS.clientSecret;
    this.apiKey = opts.apiKey ?? DEFAULTS.apiKey;
    this.rateLimit = opts.rateLimitPerSecond ?? DEFAULTS.rateLimitPerSecond;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.maxReceivedKept = opts.maxReceivedKept ?? DEFAULTS.maxReceivedKept;
    this.tokens = new TokenIssuer(opts.tokenTtlSeconds ?? DEFAULTS.tokenTtlSeconds, this.now);
    this.limiter = new SlidingWindowLimiter(this.rateLimit === 0 ? Number.POSITIVE_INFINITY : this.rateLimit);
  }

  get faults(): Faults {
    return this.currentFaults;
  }

  /** Merges `faults` into the current ones; throws listing every invalid value. */
  setFaults(faults: Partial<Faults>): Faults {
    const parsed = parseFaults(faults);
    if (parsed.problems.length > 0) throw new Error(`invalid faults: ${parsed.problems.join('; ')}`);
    this.currentFaults = { ...this.currentFaults, ...parsed.faults };
    return this.currentFaults;
  }

  /** POST /oauth/token. */
  token(request: TokenRequest): TargetOutcome {
    if (this.currentFaults.down) return { drop: true };
    const form = new URLSearchParams(request.body);
    const type = request.headers['content-type'] ?? '';
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return json(400, {
        error: 'invalid_request',
        error_description: 'use application/x-www-form-urlencoded',
      });
    }
    const credentials = clientCredentials(request.headers.authorization, form);
    const known =
      credentials !== undefined &&
      sameSecret(credentials.clientId, this.clientId) &&
      sameSecret(credentials.clientSecret, this.clientSecret);
    if (!known) {
      return json(
        401,
        { error: 'invalid_client', error_description: 'client authentication failed' },
        credentials?.via === 'form' ? undefined : { 'www-authenticate': 'Basic realm="sample-crm"' },
      );
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return json(400, {
        error: 'unsupported_grant_type',
        error_description: 'only client_credentials is supported',
      });
    }
    const { accessToken, expiresIn } = this.tokens.issue();
    this.counts.tokensIssued++;
    const scope = form.get('scope');
    return json(
      200,
      { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, ...(scope ? { scope } : {}) },
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    );
  }

  /**
   * POST /v1/contacts/orders (`route` 'orders', auth `auth`) or /v2/tickets ('tickets', auth
   * `ticketsAuth`). Checks, in order: down, rate limit, auth, faults, key, dedupe, body. Both routes
   * share the rate limit, the faults, the Idempotency-Keys and the log of deliveries.
   */
  delivery(request: DeliveryRequest, route: DeliveryRoute = 'orders'): TargetOutcome {
    const now = this.now();
    this.counts.received++;
    this.meter.record(now);
    const outcome = this.decide(request, now, route);
    this.count(outcome);
    return outcome;
  }

  stats(): TargetStats {
    return {
      ...this.counts,
      permanentlyRefused: this.permanentlyRefused.size,
      byStatus: Object.fromEntries([...this.byStatus].sort(([a], [b]) => a.localeCompare(b))),
      maxRequestsPerSecond: this.meter.max,
      rateLimitPerSecond: this.rateLimit === 0 ? null : this.rateLimit,
    };
  }

  /** Idempotency-Keys the fault mix refused permanently (400). */
  permanentlyRefusedKeys(): readonly string[] {
    return [...this.permanentlyRefused];
  }

  /** Accepted unique deliveries, oldest first (at most the last `maxReceivedKept`). */
  received(): readonly ReceivedDelivery[] {
    return [...this.log];
  }

  /** When each request reached a delivery route, whatever its answer (epoch ms, the last 100,000). */
  arrivals(): readonly number[] {
    return this.meter.arrivals();
  }

  /**
   * Requests for an already accepted Idempotency-Key, oldest first (at most the last
   * `maxReceivedKept`): what a chaos run must explain (each should follow a crash of the sender).
   */
  replays(): readonly ReplayedRequest[] {
    return [...this.replayLog];
  }

  /** Forgets counters, deliveries, Idempotency-Keys, rate windows and faults; issued tokens stay valid. */
  reset(): void {
    this.counts = { received: 0, delivered: 0, duplicates: 0, rejected: 0, rateLimited: 0, tokensIssued: 0 };
    this.permanentlyRefused = new Set();
    this.byStatus = new Map();
    this.answered.clear();
    this.log = [];
    this.replayLog = [];
    this.limiter.reset();
    this.meter.reset();
    this.currentFaults = NO_FAULTS;
  }

  /** Invalidates every issued token, so clients must fetch a new one (after a 401). */
  revokeTokens(): void {
    this.tokens.revokeAll();
  }

  private decide(request: DeliveryRequest, now: number, route: DeliveryRoute): TargetOutcome {
    const faults = this.currentFaults;
    if (faults.down) return { drop: true };

    const slot = this.limiter.tryAcquire(now);
    if (!slot.ok) {
      this.counts.rateLimited++;
      return json(
        429,
        { error: 'rate_limited', message: `at most ${this.rateLimit} requests per second` },
        { 'retry-after': String(slot.retryAfterSeconds) },
      );
    }

    const unauthorized = this.checkAuth(request.headers, route === 'tickets' ? this.ticketsAuth : this.auth);
    if (unauthorized) return unauthorized;

    if (faults.status !== null) return json(faults.status, { error: 'fault', message: 'forced status' });
    if (faults.errorRate > 0 && this.random() < faults.errorRate) {
      return json(500, { error: 'internal_error', message: 'injected fault' });
    }

    const key = request.headers['idempotency-key'];
    if (key !== undefined && faults.failKeys.includes(key)) {
      return json(503, { error: 'unavailable', message: 'injected fault for this key' });
    }
    if (key === undefined || key.trim() === '') {
      return json(400, { error: 'missing_idempotency_key', message: 'send an Idempotency-Key header' });
    }
    const mixed = this.mixFault(faults, key);
    if (mixed) return mixed;
    const first = this.answered.get(key);
    if (first) {
      this.replayLog.push({ idempotencyKey: key, at: new Date(now).toISOString() });
      if (this.replayLog.length > this.maxReceivedKept) this.replayLog.splice(0, 1);
      return { status: 200, body: first.body, headers: { 'idempotent-replayed': 'true' } };
    }

    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return json(400, { error: 'invalid_json', message: 'the body is not JSON' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return json(400, { error: 'invalid_body', message: 'the body must be a JSON object' });
    }
    const nullAt = firstNullPath(body);
    if (nullAt) return json(400, { error: 'invalid_body', message: `explicit null at ${nullAt}` });

    const id = `${route === 'tickets' ? 'tkt' : 'crm_ord'}_${this.nextId++}`;
    const { externalId, externalRef } = body as Record<string, unknown>;
    const answer = json(201, {
      id,
      ...(typeof externalId === 'string' ? { externalId } : {}),
      ...(typeof externalRef === 'string' ? { externalRef } : {}),
      status: 'created',
    });
    this.answered.set(key, answer);
    this.log.push({ idempotencyKey: key, body, receivedAt: new Date(now).toISOString() });
    if (this.log.length > this.maxReceivedKept) this.log.splice(0, this.log.length - this.maxReceivedKept);
    return answer;
  }

  /** The fault mix's answer for this request, if it draws one. */
  private mixFault(faults: Faults, key: string): TargetAnswer | undefined {
    const { mix } = faults;
    if ((mix['400'] ?? 0) > 0 && keyFraction(key) < (mix['400'] ?? 0)) {
      this.permanentlyRefused.add(key);
      return json(400, { error: 'invalid_order', message: 'injected permanent fault for this key' });
    }
    const p503 = mix['503'] ?? 0;
    const p429 = mix['429'] ?? 0;
    const pSlow = mix.slow ?? 0;
    if (p503 + p429 + pSlow === 0) return undefined;
    const draw = this.random();
    if (draw < p503) return json(503, { error: 'unavailable', message: 'injected fault' });
    if (draw < p503 + p429) {
      return json(
        429,
        { error: 'rate_limited', message: 'injected throttle' },
        { 'retry-after': String(faults.retryAfterSeconds) },
      );
    }
    if (draw < p503 + p429 + pSlow) {
      return { ...json(504, { error: 'timeout', message: 'injected slow answer' }), delayMs: faults.slowMs };
    }
    return undefined;
  }

  private checkAuth(headers: DeliveryRequest['headers'], mode: TargetAuthMode): TargetAnswer | undefined {
    switch (mode) {
      case 'none':
        return undefined;
      case 'api-key': {
        const key = headers['x-api-key'];
        return key !== undefined && sameSecret(key, this.apiKey)
          ? undefined
          : json(401, { error: 'unauthorized', message: 'missing or wrong x-api-key' });
      }
      case 'oauth2': {
        const token = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
        if (token === undefined) {
          return json(
            401,
            { error: 'unauthorized', message: 'send Authorization: Bearer <token>' },
            { 'www-authenticate': 'Bearer realm="sample-crm"' },
          );
        }
        return this.tokens.isValid(token)
          ? undefined
          : json(
              401,
              { error: 'invalid_token', message: 'the access token is unknown or expired' },
              { 'www-authenticate': 'Bearer realm="sample-crm", error="invalid_token"' },
            );
      }
    }
  }

  private count(outcome: TargetOutcome): void {
    const label = 'drop' in outcome ? 'reset' : String(outcome.status);
    this.byStatus.set(label, (this.byStatus.get(label) ?? 0) + 1);
    if ('drop' in outcome || outcome.status >= 300) this.counts.rejected++;
    else if (outcome.headers?.['idempotent-replayed'] === 'true') this.counts.duplicates++;
    else this.counts.delivered++;
  }
}
