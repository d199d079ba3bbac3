/**
 * Fills every default of an integration definition and checks the rules the stack relies on.
 * Both the CDK stack (at synth) and the functions (at cold start) call this, so they can never
 * disagree about a default.
 */
import { consumersServedInTime, slotsWithin } from '../functions/transform/delivery/rate-schedule.js';
import { MIN_ATTEMPT_MS, SAVE_RESERVE_MS, slotWaitBudgetMs } from '../functions/transform/time-budget.js';
import type {
  AnyIntegration,
  EventIdSource,
  SignatureScheme,
  SignatureSchemeType,
  TargetAuth,
} from './types.js';

export const SIGNATURE_SCHEMES: readonly SignatureSchemeType[] = [
  'standard-webhooks',
  'github',
  'stripe',
  'hmac',
  'api-key',
];
const TARGET_AUTH_TYPES: readonly TargetAuth['type'][] = [
  'api-key',
  'oauth2-client-credentials',
  'basic',
  'none',
];
const DEFAULT_RETRYABLE_STATUSES = [408, 425, 429, 500, 502, 503, 504] as const;
/** SQS's largest message is 1 MiB; leave room for the message attributes. */
const MAX_BODY_BYTES_LIMIT = 1_000_000;
/** The longest a signing secret removed from AWSCURRENT may still be accepted (the cache TTL's cap). */
export const MAX_SIGNING_SECRET_CACHE_SECONDS = 300;

/** What an integration's signature covers, which decides how replays are caught. */
export interface ReplayProtection {
  /**
   * The event id is signed (Standard Webhooks' `webhook-id`, or a field of the signed body): it is the
   * idempotency key. When false, a replay can bring a fresh id, so the key is a digest of the signed body.
   */
  readonly eventIdSigned: boolean;
  /** A signed timestamp is checked: a replay older than the tolerance is refused (`stale-timestamp`). */
  readonly signedTimestamp: boolean;
}

export interface ResolvedIntegration {
  readonly definition: AnyIntegration;
  readonly name: string;
  readonly signature: SignatureScheme;
  readonly eventId: EventIdSource;
  readonly toleranceSeconds: number;
  readonly maxBodyBytes: number;
  readonly secretCacheSeconds: number;
  readonly replayProtection: ReplayProtection;
  /** Whether ingest rejects (`strict`) or only counts (`passthrough`) fields its schema lacks. */
  readonly unknownFields: 'strict' | 'passthrough';
  readonly target: {
    readonly url: string;
    readonly method: 'POST' | 'PUT' | 'PATCH';
    readonly auth: TargetAuth;
    /** Token URL for this stage when auth is OAuth2. */
    readonly tokenUrl?: string;
    readonly timeoutSeconds: number;
    readonly rateLimitPerSecond: number;
    readonly retryableStatuses: readonly number[];
    readonly signDeliveries: boolean;
    readonly needsCredentials: boolean;
    readonly secretCacheSeconds: number;
  };
  readonly delivery: {
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly maxReceiveCount: number;
    readonly functionTimeoutSeconds: number;
    readonly visibilityTimeoutSeconds: number;
    readonly retentionDays: number;
    readonly dlqRetentionDays: number;
    readonly backoffBaseMs: number;
    readonly backoffCapMs: number;
    readonly maxAttemptsPerReceive: number;
    readonly redeliveryBaseSeconds: number;
    readonly redeliveryCapSeconds: number;
    readonly circuitBreaker: {
      readonly failureThreshold: number;
      readonly openSeconds: number;
      readonly maxOpenSeconds: number;
      readonly checkEveryMinutes: number;
    };
  };
  readonly alarms: {
    readonly dlqDepth: number;
    readonly oldestMessageAgeSeconds: number;
    readonly transformerErrors: number;
    readonly ingestErrors: number;
    readonly throttles: number;
    readonly signatureRejections: number;
    readonly schemaDrift: number;
  };
  readonly endpoint: {
    readonly type: 'http-api' | 'function-url';
    readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  };
}

function defaultEventId(scheme: SignatureScheme): EventIdSource {
  switch (scheme.type) {
    case 'standard-webhooks':
      return { header: 'webhook-id' };
    case 'github':
      return { header: 'x-github-delivery' };
    default:
      return { bodyField: 'id' };
  }
}

function replayProtectionOf(scheme: SignatureScheme, eventId: EventIdSource): ReplayProtection {
  if (scheme.type === 'api-key') return { eventIdSigned: false, signedTimestamp: false };
  // Every other scheme signs the body; Standard Webhooks also signs its webhook-id header.
  const eventIdSigned =
    'bodyField' in eventId ||
    (scheme.type === 'standard-webhooks' && eventId.header.toLowerCase() === 'webhook-id');
  const signedTimestamp =
    scheme.type === 'standard-webhooks' ||
    scheme.type === 'stripe' ||
    (scheme.type === 'hmac' && Boolean(scheme.timestampHeader));
  return { eventIdSigned, signedTimestamp };
}

/** Resolve one integration for a stage, without validating it (see `validateIntegrations`). */
export function resolveIntegration(definition: AnyIntegration, stage: string): ResolvedIntegration {
  const { source, target, delivery = {}, alarms = {}, endpoint = {} } = definition;
  const functionTimeoutSeconds = delivery.functionTimeoutSeconds ?? 30;
  const rateLimitPerSecond = target.rateLimitPerSecond ?? 10;
  const batchSize = delivery.batchSize ?? 10;
  const auth = target.auth;
  const eventId = source.eventId ?? defaultEventId(source.signature);
  return {
    definition,
    name: definition.name,
    signature: source.signature,
    eventId,
    replayProtection: replayProtectionOf(source.signature, eventId),
    toleranceSeconds: source.toleranceSeconds ?? 300,
    maxBodyBytes: source.maxBodyBytes ?? 256 * 1024,
    secretCacheSeconds: source.secretCacheSeconds ?? 300,
    unknownFields: source.unknownFields ?? 'passthrough',
    target: {
      url: joinUrl(target.baseUrl[stage] ?? '', target.path),
      method: target.method ?? 'POST',
      auth,
      tokenUrl: auth.type === 'oauth2-client-credentials' ? auth.tokenUrl[stage] : undefined,
      timeoutSeconds: target.timeoutSeconds ?? 10,
      rateLimitPerSecond,
      retryableStatuses: target.retryableStatuses ?? DEFAULT_RETRYABLE_STATUSES,
      signDeliveries: target.signDeliveries ?? false,
      needsCredentials: auth.type !== 'none',
      secretCacheSeconds: target.secretCacheSeconds ?? 300,
    },
    delivery: {
      batchSize,
      maxBatchingWindowSeconds: delivery.maxBatchingWindowSeconds ?? 1,
      maxConcurrency:
        delivery.maxConcurrency ?? concurrencyForRate(rateLimitPerSecond, batchSize, functionTimeoutSeconds),
      maxReceiveCount: delivery.maxReceiveCount ?? 5,
      functionTimeoutSeconds,
      visibilityTimeoutSeconds: delivery.visibilityTimeoutSeconds ?? 6 * functionTimeoutSeconds,
      retentionDays: delivery.retentionDays ?? 4,
      dlqRetentionDays: delivery.dlqRetentionDays ?? 14,
      backoffBaseMs: delivery.backoffBaseMs ?? 200,
      backoffCapMs: delivery.backoffCapMs ?? 5000,
      maxAttemptsPerReceive: delivery.maxAttemptsPerReceive ?? 3,
      redeliveryBaseSeconds: delivery.redeliveryBaseSeconds ?? 30,
      redeliveryCapSeconds: delivery.redeliveryCapSeconds ?? 900,
      circuitBreaker: {
        failureThreshold: delivery.circuitBreaker?.failureThreshold ?? 5,
        openSeconds: delivery.circuitBreaker?.openSeconds ?? 60,
        maxOpenSeconds: delivery.circuitBreaker?.maxOpenSeconds ?? 900,
        checkEveryMinutes: delivery.circuitBreaker?.checkEveryMinutes ?? 1,
      },
    },
    alarms: {
      dlqDepth: alarms.dlqDepth ?? 1,
      oldestMessageAgeSeconds: alarms.oldestMessageAgeSeconds ?? 900,
      transformerErrors: alarms.transformerErrors ?? 5,
      ingestErrors: alarms.ingestErrors ?? 1,
      throttles: alarms.throttles ?? 1,
      signatureRejections: alarms.signatureRejections ?? 20,
      schemaDrift: alarms.schemaDrift ?? 1,
    },
    endpoint: {
      type: endpoint.type ?? 'http-api',
      throttle: endpoint.throttle ?? { rateLimit: 50, burstLimit: 100 },
    },
  };
}

/**
 * Seconds a batch holds its consumer, on average, that the default concurrency is sized for: its
 * records' requests and in-call retries, and the wait for its slowest record. With 2 % of answers
 * slower than a 10 s timeout about one batch of 10 in five is held that long (issue 11's fault mix).
 * Measured there with acme-orders (`npm run bench:efficiency`): 2 s (10 consumers) used 67 % of the
 * declared rate, 3 s (15) 95 %.
 */
export const SECONDS_PER_BATCH = 3;

/**
 * The default MaximumConcurrency, by Little's law: batches in flight = batches started per second
 * (rate ÷ batchSize at the declared rate) × seconds each holds its consumer (SECONDS_PER_BATCH).
 * The consumers share one rate schedule (rate-schedule.ts), so spare ones never send faster; SQS
 * invokes them only when the queue has messages. Under a backlog each waits for its slots, billed:
 * about concurrency ÷ rate seconds per event. Capped at what the schedule serves while an invocation
 * of `functionTimeoutSeconds` can still wait (`consumersServedInTime`): more consumers would only
 * hand records back unsent. Within the event source mapping's limits, 2–1000.
 */
export function concurrencyForRate(
  ratePerSecond: number,
  batchSize: number,
  functionTimeoutSeconds: number,
): number {
  const needed = Math.ceil((ratePerSecond * SECONDS_PER_BATCH) / Math.max(1, batchSize));
  const servedInTime = consumersServedInTime(
    ratePerSecond,
    batchSize,
    slotWaitBudgetMs(functionTimeoutSeconds),
  );
  return Math.min(1000, Math.max(2, Math.min(needed, servedInTime)));
}

function joinUrl(base: string, path: string): string {
  if (!base) return '';
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

type Rule = (r: ResolvedIntegration, stage: string) => string | undefined;

const between = (value: number, min: number, max: number) =>
  Number.isFinite(value) && value >= min && value <= max;

/** Each rule returns a problem sentence naming the values given and what is allowed. */
const RULES: readonly Rule[] = [
  (r) =>
    /^[a-z][a-z0-9-]{1,39}$/.test(r.name)
      ? undefined
      : `name '${r.name}' must be 2-40 lowercase letters, digits or dashes, starting with a letter`,
  (r) =>
    SIGNATURE_SCHEMES.includes(r.signature.type)
      ? undefined
      : `unknown signature scheme '${String(r.signature.type)}' (allowed: ${SIGNATURE_SCHEMES.join(', ')})`,
  (r) =>
    (r.signature.type === 'hmac' || r.signature.type === 'api-key') && !r.signature.header
      ? `signature scheme '${r.signature.type}' needs a header`
      : undefined,
  (r) =>
    TARGET_AUTH_TYPES.includes(r.target.auth.type)
      ? undefined
      : `unknown target auth '${String(r.target.auth.type)}' (allowed: ${TARGET_AUTH_TYPES.join(', ')})`,
  (r) =>
    r.definition.source.schemas.length > 0
      ? undefined
      : 'source.schemas must list at least one payload version',
  (r) =>
    between(r.toleranceSeconds, 1, 3600)
      ? undefined
      : `toleranceSeconds ${r.toleranceSeconds} must be 1-3600`,
  (r) =>
    between(r.maxBodyBytes, 1, MAX_BODY_BYTES_LIMIT)
      ? undefined
      : `maxBodyBytes ${r.maxBodyBytes} must be 1-${MAX_BODY_BYTES_LIMIT} (SQS messages are at most 1 MiB)`,
  (r, stage) => (r.target.url ? undefined : `target.baseUrl has no URL for stage '${stage}'`),
  (r, stage) =>
    !r.target.url ||
    /^https:\/\//.test(r.target.url) ||
    (stage === 'local' && /^http:\/\//.test(r.target.url))
      ? undefined
      : `target URL '${r.target.url}' must use https (plain http only on the local stage)`,
  (r, stage) =>
    r.target.auth.type === 'oauth2-client-credentials' && !r.target.tokenUrl
      ? `target.auth.tokenUrl has no URL for stage '${stage}'`
      : undefined,
  (r) =>
    between(r.target.timeoutSeconds, 1, 300)
      ? undefined
      : `target.timeoutSeconds ${r.target.timeoutSeconds} must be 1-300`,
  (r) =>
    r.target.rateLimitPerSecond > 0 && Number.isFinite(r.target.rateLimitPerSecond)
      ? undefined
      : `target.rateLimitPerSecond ${r.target.rateLimitPerSecond} must be above 0`,
  (r) =>
    r.target.timeoutSeconds < r.delivery.functionTimeoutSeconds
      ? undefined
      : `target.timeoutSeconds ${r.target.timeoutSeconds} must be below the function timeout ${r.delivery.functionTimeoutSeconds}`,
  (r) =>
    // The transformer keeps SAVE_RESERVE_MS back to save each result, and starts no request with under MIN_ATTEMPT_MS left.
    between(r.delivery.functionTimeoutSeconds, 5, 900)
      ? undefined
      : `delivery.functionTimeoutSeconds ${r.delivery.functionTimeoutSeconds} must be 5-900 (${SAVE_RESERVE_MS / 1000} s of it are kept for saving results)`,
  (r) =>
    r.delivery.visibilityTimeoutSeconds >= 6 * r.delivery.functionTimeoutSeconds
      ? undefined
      : `delivery.visibilityTimeoutSeconds ${r.delivery.visibilityTimeoutSeconds} must be at least 6 x the function timeout (${6 * r.delivery.functionTimeoutSeconds})`,
  (r) =>
    r.delivery.visibilityTimeoutSeconds <= 43200
      ? undefined
      : `delivery.visibilityTimeoutSeconds ${r.delivery.visibilityTimeoutSeconds} must be at most 43200`,
  (r) =>
    between(r.delivery.retentionDays, 1, 14)
      ? undefined
      : `delivery.retentionDays ${r.delivery.retentionDays} must be 1-14`,
  (r) =>
    r.delivery.dlqRetentionDays > r.delivery.retentionDays && r.delivery.dlqRetentionDays <= 14
      ? undefined
      : `delivery.dlqRetentionDays ${r.delivery.dlqRetentionDays} must be longer than the source retention ${r.delivery.retentionDays} and at most 14`,
  (r) =>
    between(r.delivery.maxReceiveCount, 1, 1000)
      ? undefined
      : `delivery.maxReceiveCount ${r.delivery.maxReceiveCount} must be 1-1000`,
  (r) =>
    between(r.delivery.batchSize, 1, r.delivery.maxBatchingWindowSeconds > 0 ? 10000 : 10)
      ? undefined
      : `delivery.batchSize ${r.delivery.batchSize} must be 1-10 (up to 10000 with a batching window)`,
  (r) =>
    Number.isInteger(r.delivery.maxBatchingWindowSeconds) &&
    between(r.delivery.maxBatchingWindowSeconds, 0, 300)
      ? undefined
      : `delivery.maxBatchingWindowSeconds ${r.delivery.maxBatchingWindowSeconds} must be a whole number of seconds, 0-300`,
  (r) =>
    between(r.delivery.maxConcurrency, 2, 1000)
      ? undefined
      : `delivery.maxConcurrency ${r.delivery.maxConcurrency} must be 2-1000 (the event source mapping's limits)`,
  (r) => {
    // Records that wait for slots at once (every consumer's batch) beyond the slots an invocation can
    // wait for: the last ones are handed back unsent on every receive.
    const { rateLimitPerSecond: rate } = r.target;
    const { maxConcurrency, batchSize, functionTimeoutSeconds } = r.delivery;
    if (!(rate > 0 && Number.isFinite(rate))) return undefined; // the rate's own rule says why
    const waitMs = slotWaitBudgetMs(functionTimeoutSeconds);
    const slots = slotsWithin(rate, waitMs);
    if (maxConcurrency * batchSize <= slots) return undefined;
    return `delivery.maxConcurrency ${maxConcurrency} x delivery.batchSize ${batchSize} = ${maxConcurrency * batchSize} records can wait for delivery slots at once, but at ${rate} req/s only ${slots} slots come within the ${waitMs / 1000} s an invocation of delivery.functionTimeoutSeconds ${functionTimeoutSeconds} can wait (${SAVE_RESERVE_MS / 1000} s are kept to save results, ${MIN_ATTEMPT_MS / 1000} s for the request): lower maxConcurrency (at least 2) or batchSize, or raise the function timeout`;
  },
  (r) =>
    between(r.delivery.maxAttemptsPerReceive, 1, 10)
      ? undefined
      : `delivery.maxAttemptsPerReceive ${r.delivery.maxAttemptsPerReceive} must be 1-10`,
  (r) =>
    r.delivery.backoffBaseMs > 0 && r.delivery.backoffCapMs >= r.delivery.backoffBaseMs
      ? undefined
      : `delivery backoff base ${r.delivery.backoffBaseMs} ms must be above 0 and at most the cap ${r.delivery.backoffCapMs} ms`,
  (r) =>
    r.delivery.redeliveryBaseSeconds >= 0 &&
    r.delivery.redeliveryCapSeconds >= r.delivery.redeliveryBaseSeconds &&
    r.delivery.redeliveryCapSeconds <= 43200
      ? undefined
      : `delivery redelivery base ${r.delivery.redeliveryBaseSeconds} s must be 0 or more and at most the cap ${r.delivery.redeliveryCapSeconds} s (at most 43200)`,
  (r) => {
    const c = r.delivery.circuitBreaker;
    return between(c.failureThreshold, 1, 1000) &&
      c.openSeconds >= 1 &&
      c.maxOpenSeconds >= c.openSeconds &&
      between(c.checkEveryMinutes, 1, 60)
      ? undefined
      : `delivery.circuitBreaker failureThreshold ${c.failureThreshold} (1-1000), openSeconds ${c.openSeconds} (≥ 1), maxOpenSeconds ${c.maxOpenSeconds} (≥ openSeconds), checkEveryMinutes ${c.checkEveryMinutes} (1-60) out of range`;
  },
  (r) =>
    between(r.secretCacheSeconds, 0, MAX_SIGNING_SECRET_CACHE_SECONDS)
      ? undefined
      : `source.secretCacheSeconds ${r.secretCacheSeconds} must be 0-${MAX_SIGNING_SECRET_CACHE_SECONDS} (a removed signing secret is accepted until the cache expires)`,
  (r) =>
    between(r.target.secretCacheSeconds, 0, 3600)
      ? undefined
      : `target.secretCacheSeconds ${r.target.secretCacheSeconds} must be 0-3600`,
  (r) =>
    r.replayProtection.signedTimestamp || r.definition.source.acknowledgeReplayRisk?.trim()
      ? undefined
      : `signature '${r.signature.type}' signs no timestamp, so a captured webhook is accepted again once its idempotency record expires; set source.acknowledgeReplayRisk to the reason this is acceptable, or use a scheme with a signed timestamp`,
  (r) =>
    r.endpoint.throttle.rateLimit > 0 && r.endpoint.throttle.burstLimit >= 1
      ? undefined
      : `endpoint.throttle rate ${r.endpoint.throttle.rateLimit} and burst ${r.endpoint.throttle.burstLimit} must be positive`,
  (r) =>
    Object.values(r.alarms).every((v) => v > 0 && Number.isFinite(v))
      ? undefined
      : 'alarm thresholds must be above 0',
];

/** Resolve every integration for a stage; throws once, listing every problem with its integration. */
export function validateIntegrations(
  definitions: readonly AnyIntegration[],
  stage: string,
): readonly ResolvedIntegration[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const resolved = definitions.map((definition) => {
    const r = resolveIntegration(definition, stage);
    if (seen.has(r.name)) problems.push(`integration '${r.name}': duplicate name`);
    seen.add(r.name);
    for (const rule of RULES) {
      const problem = rule(r, stage);
      if (problem) problems.push(`integration '${r.name}': ${problem}`);
    }
    return r;
  });
  if (problems.length > 0) {
    throw new Error(`invalid integration registry for stage '${stage}':\n  - ${problems.join('\n  - ')}`);
  }
  return resolved;
}
