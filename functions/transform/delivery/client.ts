/**
 * One delivery to the target API, with the outcomes of DESIGN.md §4:
 * 2xx → delivered · 401 → fresh credentials, one more try · other 4xx → PermanentDeliveryError
 * (straight to the DLQ) · 408/429/5xx, timeout, connection error → retried here with full-jitter
 * backoff (or the target's Retry-After) while attempts and the function's remaining time allow,
 * then TransientDeliveryError (SQS redelivers later).
 *
 * Every request carries `idempotency-key: <eventId>`, so the target can drop our retries.
 * Error messages carry the status, its text, the answer's error code and field names (its text only
 * where the integration opts in, redacted): never our request body, headers or credentials.
 */
import { ConfigurationError, PermanentDeliveryError, TransientDeliveryError } from '../../shared/errors.js';
import { MIN_ATTEMPT_MS } from '../time-budget.js';
import { fullJitterDelayMs, type JitterBackoff, SQS_MAX_DELAY_SECONDS } from './backoff.js';
import { classifyStatus, isTransientRequestError } from './classify.js';
import { TokenRequestError } from './oauth2.js';
import { NoSlotInTimeError } from './rate-schedule.js';
import { parseRetryAfter } from './retry-after.js';
import type { TargetAuthenticator } from './target-auth.js';

/**
 * A transient failure handed back to SQS after fewer attempts than allowed, because waiting for the
 * next one would have held the rest of the batch (batch-pace.ts). SQS brings it back in `retryInSeconds`.
 */
export class ReleasedToQueueError extends TransientDeliveryError {
  constructor(
    message: string,
    details: TransientDeliveryError['details'],
    readonly retryInSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, details, options);
  }
}

/**
 * Released before the target was asked at all, because no delivery slot comes while this invocation
 * can still use it: the rate is fully booked by the other consumers. Nothing is wrong with the event
 * nor the target, so it is not recorded as a failure (outcome.ts). It still costs a receive; on the
 * last one the record is requeued as a delayed copy rather than left to SQS's DLQ move. (A call that
 * got a failed answer first and then no slot for its retry ends in a plain ReleasedToQueueError: that
 * answer is a failure of the event.)
 */
export class NoSlotReleaseError extends ReleasedToQueueError {}

/** Whether a record that may be released (batch-pace.ts) waits in-call for its next attempt. */
export interface ReleasePolicy {
  /** Wait `delayMs` in-call for the next attempt (true), or release the record to SQS (false). */
  waitInCall(delayMs: number): boolean;
  /** Whole seconds until SQS hands a released record out again. */
  releaseVisibilitySeconds(retryAfterMs: number | undefined): number;
}

/** Paces the requests (rate-schedule.ts): a slot before each one, and what the target said of the rate. */
export interface RateGate {
  /**
   * Resolves when the request may go; send right away. Rejects with NoSlotInTimeError when no slot
   * comes before `deadline` (epoch ms).
   */
  acquire(deadline?: number): Promise<number>;
  onSuccess(): void;
  /** The target answered 429. */
  onThrottled(): void;
}

export interface DeliveryRequest {
  readonly url: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** Serialised as JSON. */
  readonly body: unknown;
  /** The partner's event id: sent as `idempotency-key`. */
  readonly eventId: string;
  /** Added first: they cannot replace content-type, idempotency-key or auth headers. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

export interface DeliveryOptions {
  /** Per-attempt timeout (shortened when the function has less time left). */
  readonly timeoutMs: number;
  /** Requests per call that may end in a transient failure (a 401 refresh does not count). */
  readonly maxAttempts: number;
  readonly backoff: JitterBackoff;
  readonly retryableStatuses: readonly number[];
  /**
   * Time kept back from `remainingTimeMs()` for the caller to record the outcome: every request is
   * over (answered or aborted) this long before the invocation's deadline.
   * @default 1000
   */
  readonly safetyMarginMs?: number;
  /**
   * A request is not started with less time than this for it (nor with less than `timeoutMs`).
   * @default 1000
   */
  readonly minAttemptMs?: number;
  /**
   * Quote the start of the target's error answer (credentials redacted) in a PermanentDeliveryError
   * message. Off, the message keeps the status, the answer's error code and its JSON field names: a
   * target that echoes the request cannot put partner data in logs, the DLQ or the failure record.
   * @default false
   */
  readonly quoteAnswers?: boolean;
  /**
   * Characters of the target's error answer kept when `quoteAnswers` is on.
   * @default 200
   */
  readonly maxReasonChars?: number;
}

export interface DeliveryDeps {
  fetch: typeof fetch;
  /** Epoch ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
  /** Time left in this invocation, e.g. `context.getRemainingTimeInMillis()`. */
  remainingTimeMs(): number;
  authenticator: TargetAuthenticator;
  rateLimiter?: RateGate;
  /** Extra headers computed from the exact body sent, per attempt (e.g. Standard Webhooks signing). */
  sign?: (body: string) => Readonly<Record<string, string>>;
  /** The abort signal of one request. @default AbortSignal.timeout */
  timeoutSignal?: (ms: number) => AbortSignal;
  /** Set when the record may be released to SQS rather than waited on (batch-pace.ts). */
  release?: ReleasePolicy;
}

export interface DeliveryResult {
  readonly status: number;
  /** Requests sent, the 401 refresh included. */
  readonly attempts: number;
}

/** Why an attempt did not deliver, when it is worth trying again. */
interface TransientOutcome {
  readonly description: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export async function deliver(
  request: DeliveryRequest,
  deps: DeliveryDeps,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const body = serialize(request.body);
  assertHttpUrl(request.url);
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts));
  let attempts = 0;
  let transientFailures = 0;
  let refreshedAfter401 = false;
  let last: TransientOutcome | undefined;
  const giveUp = (why: string, cause?: unknown) =>
    new TransientDeliveryError(
      last ? `${last.description}; ${why}` : why,
      { status: last?.status, attempts, retryAfterMs: last?.retryAfterMs },
      { cause: cause ?? last?.cause },
    );

  const noTimeLeft = 'no time left in this invocation for another attempt';
  for (;;) {
    // Not even worth a token request; the real check is made again right before sending.
    if (timeForRequestMs(deps, options) < minAttemptMs(options)) throw giveUp(noTimeLeft);

    const result = await attempt(request, body, deps, options, {
      mayRefreshAfter401: !refreshedAfter401,
      attemptsBefore: attempts,
    });
    attempts += result.sent ? 1 : 0;
    if (result.kind === 'delivered') return { status: result.status, attempts };
    if (result.kind === 'no-time-left') throw giveUp(noTimeLeft);
    if (result.kind === 'no-slot') {
      // Nothing was sent and the target is not to blame: back to the queue until the rate has room
      // (on a last receive as a delayed copy, hence SendMessage's bound).
      const retryInSeconds = Math.min(
        SQS_MAX_DELAY_SECONDS,
        Math.max(1, Math.ceil((result.retryAt - deps.now()) / 1000)),
      );
      const released = `${result.reason}; released to the queue (back in ${retryInSeconds} s)`;
      // After a failed attempt in this call the event has a failure to record and count: a plain release.
      if (last)
        throw new ReleasedToQueueError(
          `${last.description}; ${released} before another attempt`,
          { status: last.status, attempts, retryAfterMs: last.retryAfterMs },
          retryInSeconds,
          { cause: last.cause },
        );
      throw new NoSlotReleaseError(`${released} without sending`, { attempts }, retryInSeconds);
    }
    if (result.kind === 'refreshed-after-401') {
      refreshedAfter401 = true;
      continue;
    }

    last = result.outcome;
    transientFailures++;
    if (transientFailures >= maxAttempts) throw giveUp(`gave up after ${attempts} attempt(s)`);
    const delayMs = Math.max(
      fullJitterDelayMs(transientFailures - 1, options.backoff, deps.random),
      last.retryAfterMs ?? 0,
    );
    if (delayMs + options.timeoutMs > usableTimeMs(deps, options)) {
      throw giveUp(`not enough time left to wait ${delayMs} ms and try again`);
    }
    if (deps.release && !deps.release.waitInCall(delayMs)) {
      const retryInSeconds = deps.release.releaseVisibilitySeconds(last.retryAfterMs);
      throw new ReleasedToQueueError(
        `${last.description}; released to the queue (back in ${retryInSeconds} s) rather than holding its batch ${delayMs} ms`,
        { status: last.status, attempts, retryAfterMs: last.retryAfterMs },
        retryInSeconds,
        { cause: last.cause },
      );
    }
    await deps.sleep(delayMs);
  }
}

/** Time left for requests: what the invocation has left, less the margin kept for recording the outcome. */
const usableTimeMs = (deps: DeliveryDeps, options: DeliveryOptions) =>
  deps.remainingTimeMs() - (options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS);

/** Time a request may take from now: the per-attempt timeout, cut to what the invocation has left. */
const timeForRequestMs = (deps: DeliveryDeps, options: DeliveryOptions) =>
  Math.min(options.timeoutMs, usableTimeMs(deps, options));

const minAttemptMs = (options: DeliveryOptions) =>
  Math.min(options.timeoutMs, options.minAttemptMs ?? MIN_ATTEMPT_MS);

const DEFAULT_SAFETY_MARGIN_MS = 1000;

type AttemptResult =
  | { readonly kind: 'delivered'; readonly sent: true; readonly status: number }
  | { readonly kind: 'no-time-left'; readonly sent: false }
  | { readonly kind: 'no-slot'; readonly sent: false; readonly retryAt: number; readonly reason: string }
  | { readonly kind: 'refreshed-after-401'; readonly sent: true }
  | { readonly kind: 'transient'; readonly sent: boolean; readonly outcome: TransientOutcome };

interface AttemptContext {
  readonly mayRefreshAfter401: boolean;
  readonly attemptsBefore: number;
}

/** One request. Throws PermanentDeliveryError, or what is not a delivery failure. */
async function attempt(
  request: DeliveryRequest,
  body: string,
  deps: DeliveryDeps,
  options: DeliveryOptions,
  context: AttemptContext,
): Promise<AttemptResult> {
  const { authenticator, rateLimiter } = deps;
  let authHeaders: Record<string, string>;
  try {
    authHeaders = await authenticator.headers();
  } catch (error) {
    if (!(error instanceof TokenRequestError) && !isTransientRequestError(error)) throw error;
    const description = error instanceof TokenRequestError ? error.message : 'token request failed';
    return { kind: 'transient', sent: false, outcome: { description, cause: error } };
  }

  // The slot is taken right before sending: auth lookups in between would bunch requests together.
  // Not one that leaves less than a minimal attempt before the invocation must save its result.
  const slotDeadline = deps.now() + usableTimeMs(deps, options) - minAttemptMs(options);
  try {
    await rateLimiter?.acquire(slotDeadline);
  } catch (error) {
    if (!(error instanceof NoSlotInTimeError)) throw error;
    return { kind: 'no-slot', sent: false, retryAt: error.retryAt, reason: error.message };
  }
  // Measured now, after the token request and the limiter's wait: a request that could still be in
  // flight (or answered 2xx) when the invocation must save its result is never started.
  const timeoutMs = timeForRequestMs(deps, options);
  if (timeoutMs < minAttemptMs(options)) return { kind: 'no-time-left', sent: false };
  let response: Response;
  try {
    const headers = requestHeaders(request, body, authHeaders, deps.sign);
    response = await deps.fetch(request.url, {
      method: request.method,
      headers,
      body,
      signal: (deps.timeoutSignal ?? AbortSignal.timeout)(Math.floor(timeoutMs)),
    });
  } catch (error) {
    if (!isTransientRequestError(error)) throw error;
    return {
      kind: 'transient',
      sent: true,
      outcome: { description: describeRequestError(error), cause: error },
    };
  }

  const { status } = response;
  const kind = classifyStatus(status, options.retryableStatuses);
  if (kind === 'success') {
    rateLimiter?.onSuccess();
    await discard(response);
    return { kind: 'delivered', sent: true, status };
  }
  if (kind === 'permanent') {
    // A 401 may mean a stale token or a rotated secret: one more try with fresh credentials.
    if (status === 401 && context.mayRefreshAfter401 && (await authenticator.onUnauthorized(authHeaders))) {
      await discard(response);
      return { kind: 'refreshed-after-401', sent: true };
    }
    const secrets = secretsIn(authHeaders);
    const reason = options.quoteAnswers
      ? await quoteReason(response, options.maxReasonChars ?? 200, secrets)
      : await describeAnswer(response, secrets);
    throw new PermanentDeliveryError(`target rejected the request: ${reason}`, {
      reason: 'target-rejected',
      status,
      attempts: context.attemptsBefore + 1,
    });
  }
  if (status === 429) rateLimiter?.onThrottled();
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), deps.now());
  await discard(response);
  return {
    kind: 'transient',
    sent: true,
    outcome: {
      description: `target answered ${redact(statusLine(response), secretsIn(authHeaders))}`,
      status,
      retryAfterMs,
    },
  };
}

function serialize(body: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    throw new PermanentDeliveryError('target body is not JSON-serialisable', {
      reason: 'invalid-payload',
      attempts: 0,
    });
  }
  return text;
}

function assertHttpUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = '';
  }
  // The URL itself stays out of the message: a query string may hold a key.
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new ConfigurationError('target url is not an http(s) URL');
  }
}

function requestHeaders(
  request: DeliveryRequest,
  body: string,
  authHeaders: Readonly<Record<string, string>>,
  sign: DeliveryDeps['sign'],
): Headers {
  const headers = new Headers(request.extraHeaders);
  for (const [name, value] of Object.entries(sign?.(body) ?? {})) headers.set(name, value);
  headers.set('content-type', 'application/json');
  headers.set('idempotency-key', request.eventId);
  for (const [name, value] of Object.entries(authHeaders)) headers.set(name, value);
  return headers;
}

function describeRequestError(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return 'request timed out';
  return 'request failed before the target answered';
}

function statusLine(response: Response): string {
  return response.statusText ? `${response.status} ${clean(response.statusText)}` : String(response.status);
}

/** Values that must never reach a message: auth header values, and the token or key inside them. */
function secretsIn(authHeaders: Readonly<Record<string, string>>): string[] {
  const values = Object.values(authHeaders).flatMap((value) => [value, value.replace(/^\S+\s+/, '')]);
  return values.filter((value) => value.length >= 4).sort((a, b) => b.length - a.length);
}

/** Longest answer read to find its error code and field names. */
const MAX_DESCRIBED_ANSWER_BYTES = 16 * 1024;
/** A JSON key or error code worth naming: a short identifier, never free text. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const MAX_FIELD_NAMES = 10;

/**
 * `<status> <text>[; code <code>][; fields <a, b.c>]`: what on-call needs (the error code, which fields
 * the target complained about), none of the answer's values.
 */
async function describeAnswer(response: Response, secrets: readonly string[]): Promise<string> {
  const parts = [redact(statusLine(response), secrets)];
  let answer: unknown;
  try {
    answer = JSON.parse(await readStart(response, MAX_DESCRIBED_ANSWER_BYTES));
  } catch {
    answer = undefined;
  }
  if (answer && typeof answer === 'object' && !Array.isArray(answer)) {
    const fields = answer as Record<string, unknown>;
    const code = ['code', 'error_code', 'errorCode', 'error', 'type']
      .map((name) => fields[name])
      .find((value) => typeof value === 'string' && IDENTIFIER.test(value));
    if (typeof code === 'string') parts.push(`code ${code}`);
    const names = fieldNames(fields).filter((name) => !secrets.some((secret) => name.includes(secret)));
    if (names.length > 0) parts.push(`fields ${names.join(', ')}`);
  }
  return parts.join('; ');
}

/** Key paths of a JSON object, two levels deep, identifiers only (an echoed value is never a name here). */
function fieldNames(object: Record<string, unknown>, prefix = ''): string[] {
  const names: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (!IDENTIFIER.test(key)) continue;
    const path = `${prefix}${key}`;
    const nested =
      !prefix && value && typeof value === 'object' && !Array.isArray(value)
        ? fieldNames(value as Record<string, unknown>, `${path}.`)
        : [];
    names.push(...(nested.length > 0 ? nested : [path]));
    if (names.length >= MAX_FIELD_NAMES) break;
  }
  return names.slice(0, MAX_FIELD_NAMES);
}

/** `<status> <text>: <start of the answer>`, whitespace collapsed and credentials redacted. */
async function quoteReason(
  response: Response,
  maxChars: number,
  secrets: readonly string[],
): Promise<string> {
  // Redact before cutting, so a credential across the cut cannot leave a prefix behind.
  const head = redact(clean(await readStart(response, maxChars * 4)), secrets).slice(0, maxChars);
  const line = redact(statusLine(response), secrets);
  return head ? `${line}: ${head}` : line;
}

function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('[redacted]');
  return result;
}

/** At most about `maxBytes` of the body; the rest is never downloaded. */
async function readStart(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    while (bytes < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A broken body still leaves the status to report.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}

function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

/** Release the connection without reading an answer we do not need. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
