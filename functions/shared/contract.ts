/**
 * What the stack, the functions, the sandbox, the CLI and the benchmarks must agree on, written once:
 * the environment variables of each function (a typed builder for the constructs, a typed parser for
 * the handlers), the metric names and dimensions, and the DynamoDB key prefixes.
 *
 * CDK-free and dependency-free: it is bundled into every function.
 */
import type { DriftKind } from '../../integrations/mapping/drift.js';
import type { ResolvedIntegration } from '../../integrations/resolve.js';
import { ConfigurationError } from './errors.js';

// ── Environment ─────────────────────────────────────────────────────────────────────────────────

/** Every environment variable a Hookyard function reads. */
export const ENV = {
  stage: 'STAGE',
  integration: 'INTEGRATION',
  /** Powertools reads it for the logger's and metrics' `service`. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  queueUrl: 'QUEUE_URL',
  deadLetterQueueUrl: 'DLQ_URL',
  table: 'IDEMPOTENCY_TABLE',
  signingSecretId: 'SIGNING_SECRET_ID',
  /** How long a function caches what it read from Secrets Manager. */
  secretCacheSeconds: 'SECRETS_TTL_SECONDS',
  /** After a failed signature check, how often ingest may re-read its signing secret (tests set 0). */
  signingSecretRefreshSeconds: 'SIGNING_SECRET_REFRESH_SECONDS',
  targetUrl: 'TARGET_URL',
  targetTokenUrl: 'TARGET_TOKEN_URL',
  targetSecretId: 'TARGET_SECRET_ID',
  deliverySigningSecretId: 'DELIVERY_SIGNING_SECRET_ID',
  /** Every delivery setting of the transformer, as JSON (`DeliverySettings`). */
  deliverySettings: 'DELIVERY_SETTINGS',
  breakerFunctionName: 'BREAKER_FUNCTION_NAME',
  eventSourceMappingId: 'EVENT_SOURCE_MAPPING_ID',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
type Env = Readonly<Record<string, string | undefined>>;

/** What every function gets. */
export interface CommonEnv {
  readonly stage: string;
  readonly integration: string;
}

export interface IngestEnv extends CommonEnv {
  readonly queueUrl: string;
  readonly signingSecretId: string;
  readonly secretCacheSeconds: number;
  /** @default 30 - a rotation applies within 30 s; a flood of forged webhooks costs no Secrets Manager calls */
  readonly signingSecretRefreshSeconds?: number;
}

/** How the transformer talks to its target: the one road every delivery setting takes. */
export interface DeliverySettings {
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** Per-attempt timeout. */
  readonly timeoutSeconds: number;
  /**
   * Requests per second the target accepts from us, all consumers together: they book their sends
   * from one shared schedule (functions/transform/delivery/rate-schedule.ts), so how many run at once
   * (the event source's MaximumConcurrency) does not enter the pacing.
   */
  readonly rateLimitPerSecond: number;
  /**
   * The event source mapping's BatchSize: a batch this full means the queue has more waiting, so a
   * record that would hold it may be released to SQS instead (functions/transform/delivery/batch-pace.ts).
   * @default - absent (a template from before it): no record is released
   */
  readonly batchSize?: number;
  readonly retryableStatuses: readonly number[];
  readonly maxAttemptsPerReceive: number;
  /**
   * The source queue's maxReceiveCount: the transformer keeps a waiting duplicate out of the DLQ, and
   * releases a record to SQS only while enough receives are left to retry it in-call (batch-pace.ts).
   */
  readonly maxReceiveCount: number;
  readonly backoff: { readonly baseMs: number; readonly capMs: number };
  readonly redelivery: { readonly baseSeconds: number; readonly capSeconds: number };
  readonly circuit: {
    readonly failureThreshold: number;
    readonly openSeconds: number;
    readonly maxOpenSeconds: number;
  };
  /**
   * How long an idempotency record (and an event's failure record) is kept: longer than any message
   * carrying the event can live, DLQ and redrive included (see `idempotencyTtlSecondsOf`).
   */
  readonly idempotencyTtlSeconds: number;
  /**
   * How long the DLQ keeps a message: a copy the transformer dead-lettered longer ago than this has
   * expired, so its mark no longer stands for a copy in the DLQ (functions/transform/dead-letter-mark.ts).
   * @default - absent (a template from before it): a mark stands until redrive or delivery clears it
   */
  readonly deadLetterRetentionSeconds?: number;
  /** Quote the target's (redacted) answer text in failure reasons; else only status, code and field names. */
  readonly quoteTargetAnswers: boolean;
}

const DAY_SECONDS = 24 * 3600;

/**
 * The idempotency TTL that keeps "at most once" through the DLQ: an event's record is written at its
 * first delivery, while a copy of it may wait in the source queue (`retentionDays`), then in the DLQ
 * (`dlqRetentionDays`, counted from the transformer's own send), then — redriven on the DLQ's last day —
 * in the source queue again. The record must outlive all three, plus a day of margin.
 */
export function idempotencyTtlSecondsOf(delivery: {
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
}): number {
  return (2 * delivery.retentionDays + delivery.dlqRetentionDays + 1) * DAY_SECONDS;
}

/** The delivery settings of a resolved registry entry (what the construct puts in the environment). */
export function deliverySettingsOf(i: ResolvedIntegration): DeliverySettings {
  return {
    method: i.target.method,
    timeoutSeconds: i.target.timeoutSeconds,
    rateLimitPerSecond: i.target.rateLimitPerSecond,
    batchSize: i.delivery.batchSize,
    retryableStatuses: [...i.target.retryableStatuses],
    maxAttemptsPerReceive: i.delivery.maxAttemptsPerReceive,
    maxReceiveCount: i.delivery.maxReceiveCount,
    backoff: { baseMs: i.delivery.backoffBaseMs, capMs: i.delivery.backoffCapMs },
    redelivery: {
      baseSeconds: i.delivery.redeliveryBaseSeconds,
      capSeconds: i.delivery.redeliveryCapSeconds,
    },
    circuit: {
      failureThreshold: i.delivery.circuitBreaker.failureThreshold,
      openSeconds: i.delivery.circuitBreaker.openSeconds,
      maxOpenSeconds: i.delivery.circuitBreaker.maxOpenSeconds,
    },
    idempotencyTtlSeconds: idempotencyTtlSecondsOf(i.delivery),
    deadLetterRetentionSeconds: i.delivery.dlqRetentionDays * DAY_SECONDS,
    quoteTargetAnswers: i.definition.target.quoteErrorAnswers ?? false,
  };
}

export interface TransformerEnv extends CommonEnv {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly table: string;
  readonly targetUrl: string;
  /** Set when the target's auth is OAuth2 client credentials. */
  readonly targetTokenUrl?: string;
  /** Set when the target needs credentials. */
  readonly targetSecretId?: string;
  /** Set when deliveries are signed (Standard Webhooks) for the target to verify. */
  readonly deliverySigningSecretId?: string;
  readonly secretCacheSeconds: number;
  readonly breakerFunctionName: string;
  readonly delivery: DeliverySettings;
}

export interface BreakerEnv extends CommonEnv {
  readonly table: string;
  readonly eventSourceMappingId: string;
}

function common(v: CommonEnv): Record<string, string> {
  return { [ENV.stage]: v.stage, [ENV.integration]: v.integration, [ENV.serviceName]: SERVICE_NAME };
}

function optional(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
}

/** The ingest function's environment (values may be CloudFormation tokens). */
export function ingestEnvironment(v: IngestEnv): Record<string, string> {
  return {
    ...common(v),
    [ENV.queueUrl]: v.queueUrl,
    [ENV.signingSecretId]: v.signingSecretId,
    [ENV.secretCacheSeconds]: String(v.secretCacheSeconds),
    ...optional(
      ENV.signingSecretRefreshSeconds,
      v.signingSecretRefreshSeconds === undefined ? undefined : String(v.signingSecretRefreshSeconds),
    ),
  };
}

/** The transformer's environment (values may be CloudFormation tokens). */
export function transformerEnvironment(v: TransformerEnv): Record<string, string> {
  return {
    ...common(v),
    [ENV.queueUrl]: v.queueUrl,
    [ENV.deadLetterQueueUrl]: v.deadLetterQueueUrl,
    [ENV.table]: v.table,
    [ENV.targetUrl]: v.targetUrl,
    ...optional(ENV.targetTokenUrl, v.targetTokenUrl),
    ...optional(ENV.targetSecretId, v.targetSecretId),
    ...optional(ENV.deliverySigningSecretId, v.deliverySigningSecretId),
    [ENV.secretCacheSeconds]: String(v.secretCacheSeconds),
    [ENV.breakerFunctionName]: v.breakerFunctionName,
    [ENV.deliverySettings]: JSON.stringify(v.delivery),
  };
}

/** The breaker function's environment (values may be CloudFormation tokens). */
export function breakerEnvironment(v: BreakerEnv): Record<string, string> {
  return {
    ...common(v),
    [ENV.table]: v.table,
    [ENV.eventSourceMappingId]: v.eventSourceMappingId,
  };
}

/** Reads one function's variables; every problem is reported at once, at init. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  text(name: EnvName): string {
    const value = this.env[name];
    if (!value) this.problems.push(`${name} is not set`);
    return value ?? '';
  }

  optionalText(name: EnvName): string | undefined {
    return this.env[name] || undefined;
  }

  number(name: EnvName, fallback: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) this.problems.push(`${name} is not a number ≥ 0: '${raw}'`);
    return value;
  }

  json<T>(name: EnvName, check: (value: unknown) => string[]): T {
    const raw = this.text(name);
    if (!raw) return undefined as T;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.problems.push(`${name} is not JSON`);
      return undefined as T;
    }
    this.problems.push(...check(value).map((p) => `${name}: ${p}`));
    return value as T;
  }

  common(): CommonEnv {
    return { stage: this.text(ENV.stage), integration: this.text(ENV.integration) };
  }

  done<T>(value: T, fn: string): T {
    if (this.problems.length > 0) {
      throw new ConfigurationError(`${fn} environment: ${this.problems.join('; ')}`);
    }
    return value;
  }
}

/** Default of `secretCacheSeconds` when the variable is absent (tests, older templates). */
const DEFAULT_SECRET_CACHE_SECONDS = 300;
const DEFAULT_SIGNING_SECRET_REFRESH_SECONDS = 30;

export function parseIngestEnv(
  env: Env = process.env,
): IngestEnv & { readonly signingSecretRefreshSeconds: number } {
  const r = new EnvReader(env);
  return r.done(
    {
      ...r.common(),
      queueUrl: r.text(ENV.queueUrl),
      signingSecretId: r.text(ENV.signingSecretId),
      secretCacheSeconds: r.number(ENV.secretCacheSeconds, DEFAULT_SECRET_CACHE_SECONDS),
      signingSecretRefreshSeconds: r.number(
        ENV.signingSecretRefreshSeconds,
        DEFAULT_SIGNING_SECRET_REFRESH_SECONDS,
      ),
    },
    'ingest',
  );
}

/** The Secrets Manager cache TTL, for `shared/secrets.ts` (ingest and transformer share it). */
export function parseSecretCacheSeconds(env: Env = process.env): number {
  const r = new EnvReader(env);
  return r.done(r.number(ENV.secretCacheSeconds, DEFAULT_SECRET_CACHE_SECONDS), 'secret cache');
}

export function parseTransformerEnv(env: Env = process.env): TransformerEnv {
  const r = new EnvReader(env);
  return r.done(
    {
      ...r.common(),
      queueUrl: r.text(ENV.queueUrl),
      deadLetterQueueUrl: r.text(ENV.deadLetterQueueUrl),
      table: r.text(ENV.table),
      targetUrl: r.text(ENV.targetUrl),
      targetTokenUrl: r.optionalText(ENV.targetTokenUrl),
      targetSecretId: r.optionalText(ENV.targetSecretId),
      deliverySigningSecretId: r.optionalText(ENV.deliverySigningSecretId),
      secretCacheSeconds: r.number(ENV.secretCacheSeconds, DEFAULT_SECRET_CACHE_SECONDS),
      breakerFunctionName: r.text(ENV.breakerFunctionName),
      delivery: r.json<DeliverySettings>(ENV.deliverySettings, deliverySettingsProblems),
    },
    'transformer',
  );
}

export function parseBreakerEnv(env: Env = process.env): BreakerEnv {
  const r = new EnvReader(env);
  return r.done(
    {
      ...r.common(),
      table: r.text(ENV.table),
      eventSourceMappingId: r.text(ENV.eventSourceMappingId),
    },
    'breaker',
  );
}

/** The transformer's settings with some values changed (tests and the sandbox shorten timings). */
export function withDeliverySettings(
  env: Readonly<Record<string, string>>,
  change: (settings: DeliverySettings) => DeliverySettings,
): Record<string, string> {
  const current = JSON.parse(env[ENV.deliverySettings] ?? 'null') as DeliverySettings | null;
  if (!current) throw new ConfigurationError(`${ENV.deliverySettings} is not set`);
  return { ...env, [ENV.deliverySettings]: JSON.stringify(change(current)) };
}

/**
 * What is wrong with a DELIVERY_SETTINGS value. Fields it does not know are ignored, not refused: a
 * template synthesized before a field was dropped (`maxConcurrency`, before the shared rate schedule)
 * must still start its transformer.
 */
function deliverySettingsProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['not an object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const num = (path: string, x: unknown, min = 0) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min)
      problems.push(`${path} must be a number ≥ ${min}`);
  };
  if (!['POST', 'PUT', 'PATCH'].includes(v.method as string))
    problems.push('method must be POST, PUT or PATCH');
  num('timeoutSeconds', v.timeoutSeconds, 0.001);
  num('rateLimitPerSecond', v.rateLimitPerSecond, 0.001);
  num('maxAttemptsPerReceive', v.maxAttemptsPerReceive, 1);
  num('maxReceiveCount', v.maxReceiveCount, 1);
  if (v.batchSize !== undefined) num('batchSize', v.batchSize, 1);
  if (!Array.isArray(v.retryableStatuses) || !v.retryableStatuses.every((s) => Number.isInteger(s)))
    problems.push('retryableStatuses must be a list of status codes');
  const group = (name: string, keys: string[]) => {
    const g = v[name] as Record<string, unknown> | undefined;
    if (typeof g !== 'object' || g === null) return problems.push(`${name} must be an object`);
    for (const key of keys) num(`${name}.${key}`, g[key]);
  };
  group('backoff', ['baseMs', 'capMs']);
  group('redelivery', ['baseSeconds', 'capSeconds']);
  group('circuit', ['failureThreshold', 'openSeconds', 'maxOpenSeconds']);
  num('idempotencyTtlSeconds', v.idempotencyTtlSeconds, 1);
  if (v.deadLetterRetentionSeconds !== undefined)
    num('deadLetterRetentionSeconds', v.deadLetterRetentionSeconds, 1);
  if (typeof v.quoteTargetAnswers !== 'boolean') problems.push('quoteTargetAnswers must be true or false');
  return problems;
}

// ── Metrics ─────────────────────────────────────────────────────────────────────────────────────

export const METRICS_NAMESPACE = 'Hookyard';
/** The `service` dimension (Powertools' service name) of every custom metric. */
export const SERVICE_NAME = 'hookyard';

/** The functions that emit custom metrics. */
export type EmittingFunction = 'ingest' | 'transformer' | 'breaker';

/**
 * Every custom metric: its name, the function that emits it, and the dimensions it carries besides
 * `service` and `integration` (Powertools adds `service`; every function adds `integration`).
 */
export const METRICS = {
  webhooksAccepted: { name: 'WebhooksAccepted', emittedBy: 'ingest', dimensions: [] },
  /** One per rejection, with its `reason` (see `REJECTION_REASONS`). */
  webhooksRejected: { name: 'WebhooksRejected', emittedBy: 'ingest', dimensions: ['reason'] },
  ingestFailures: { name: 'IngestFailures', emittedBy: 'ingest', dimensions: [] },
  eventsDelivered: { name: 'EventsDelivered', emittedBy: 'transformer', dimensions: [] },
  deliveryFailures: { name: 'DeliveryFailures', emittedBy: 'transformer', dimensions: [] },
  eventsDeadLettered: { name: 'EventsDeadLettered', emittedBy: 'transformer', dimensions: [] },
  /**
   * A message that failed for good while an earlier copy of the same event (same key, same body) is
   * known to be in the DLQ: acknowledged without a second DLQ copy.
   */
  deadLetterDuplicatesSkipped: {
    name: 'DeadLetterDuplicatesSkipped',
    emittedBy: 'transformer',
    dimensions: [],
  },
  duplicatesSkipped: { name: 'DuplicatesSkipped', emittedBy: 'transformer', dimensions: [] },
  /** A second message for an event already delivered or in flight, but with another body: dead-lettered. */
  conflictingPayloads: { name: 'ConflictingPayloads', emittedBy: 'transformer', dimensions: [] },
  /** A receive of an event whose delivery is in flight elsewhere, handed back until that delivery ends. */
  twinsDeferred: { name: 'TwinsDeferred', emittedBy: 'transformer', dimensions: [] },
  /** Such a receive on its last allowed receive: a delayed copy queued, so it never dead-letters unexplained. */
  twinsRequeued: { name: 'TwinsRequeued', emittedBy: 'transformer', dimensions: [] },
  /**
   * A record handed back unsent because no delivery slot came in time (the rate is booked by the other
   * consumers); on its last allowed receive, a delayed copy is queued instead. Not a failure.
   */
  releasedForRate: { name: 'RecordsReleasedForRate', emittedBy: 'transformer', dimensions: [] },
  recordsHeldBack: { name: 'RecordsHeldBack', emittedBy: 'transformer', dimensions: [] },
  circuitOpened: { name: 'CircuitOpened', emittedBy: 'transformer', dimensions: [] },
  /** 1 while the circuit is open, else 0; published by every breaker check. */
  circuitOpen: { name: 'CircuitOpen', emittedBy: 'breaker', dimensions: [] },
  /**
   * Schema drift findings of accepted and rejected webhooks together (unknown fields, new enum values,
   * unknown versions): what the `schema-drift` alarm watches.
   */
  schemaDrift: { name: 'SchemaDrift', emittedBy: 'ingest', dimensions: [] },
  /**
   * The same findings per `kind` (`DRIFT_KINDS`) and normalised source `field` (array indices as `[]`,
   * at most 64 characters, at most 5 findings per webhook: bounded cardinality), for the runbook.
   */
  schemaDriftByField: { name: 'SchemaDriftByField', emittedBy: 'ingest', dimensions: ['kind', 'field'] },
} as const satisfies Record<
  string,
  { name: string; emittedBy: EmittingFunction; dimensions: readonly MetricDimension[] }
>;

export type MetricKey = keyof typeof METRICS;
export type MetricName = (typeof METRICS)[MetricKey]['name'];

export const DIMENSIONS = {
  service: 'service',
  integration: 'integration',
  reason: 'reason',
  /** Of `SchemaDriftByField`: one of `DRIFT_KINDS`. */
  kind: 'kind',
  /** Of `SchemaDriftByField`: the normalised source path (or the version header/field). */
  field: 'field',
} as const;
export type MetricDimension = (typeof DIMENSIONS)[keyof typeof DIMENSIONS];

/** Every value of the `reason` dimension of `WebhooksRejected` (alarms and dashboards watch some). */
export const REJECTION_REASONS = {
  badSignature: 'bad-signature',
  staleTimestamp: 'stale-timestamp',
  schemaMismatch: 'schema-mismatch',
  payloadTooLarge: 'payload-too-large',
  /** A body flagged base64 that is not canonical base64. */
  invalidEncoding: 'invalid-encoding',
  invalidJson: 'invalid-json',
  missingEventId: 'missing-event-id',
  unsupportedCharacters: 'unsupported-characters',
  /** The version header/field is missing (and the integration has no `whenAbsent`) or names no declared version. */
  unknownVersion: 'unknown-version',
  /** An integration in `strict` mode received fields its schema does not declare. */
  unknownFields: 'unknown-fields',
} as const;
export type RejectionReason = (typeof REJECTION_REASONS)[keyof typeof REJECTION_REASONS];

/** Every value of the `kind` dimension of `SchemaDriftByField`. */
export const DRIFT_KINDS = {
  unknownField: 'unknown-field',
  newEnumValue: 'new-enum-value',
  unknownVersion: 'unknown-version',
} as const satisfies Record<string, DriftKind>;

// ── Log milestones ──────────────────────────────────────────────────────────────────────────────

/**
 * The log messages that mark an event's life. The sandbox prints them without --verbose, and on-call
 * tooling (trace) searches for them, so they are written once, here.
 */
export const MILESTONES = {
  webhookAccepted: 'webhook accepted',
  webhookRejected: 'webhook rejected',
  /** A webhook carried fields, enum values or a version the integration's contract does not know. */
  schemaDrift: 'schema drift',
  eventDelivered: 'event delivered',
  duplicateSkipped: 'duplicate skipped',
  twinDeferred: 'duplicate in flight elsewhere: handed back until that delivery ends',
  twinRequeued: 'duplicate in flight elsewhere on its last receive: a delayed copy queued',
  /** A transient failure, kept as the event's last failure; SQS redelivers the record. */
  deliveryFailed: 'delivery failed; will retry',
  rateSlotDeferred: 'no delivery slot in time: handed back unsent',
  rateSlotRequeued: 'no delivery slot in time on its last receive: a delayed copy queued',
  eventDeadLettered: 'event dead-lettered',
  /** A message failed for good, but the DLQ already holds a copy of its event: acknowledged, no second copy. */
  deadLetterDuplicateSkipped: 'already in the DLQ: duplicate acknowledged, no second copy',
  circuitHalfOpen: 'circuit half-open: probing the target with live traffic',
  circuitClosed: 'circuit closed: the target answers again',
} as const;

// ── DynamoDB keys ───────────────────────────────────────────────────────────────────────────────

/**
 * The keys an integration's items have in the shared idempotency table. The prefixes scope IAM
 * (`dynamodb:LeadingKeys`) to one integration, so they must never change once deployed.
 */
export function tableKeys(integration: string) {
  const idempotency = `hookyard.${integration}`;
  const failure = `hookyard-failure.${integration}#`;
  const circuit = `hookyard-breaker.${integration}#`;
  const rate = `hookyard-rate.${integration}#`;
  return {
    /** Powertools idempotency's `keyPrefix`; it writes `<prefix>#<hash of the key>`. */
    idempotencyPrefix: idempotency,
    /**
     * The last failure of an event (for `dlq show` and `trace`), and the mark of its DLQ copy while
     * the transformer knows one is there (functions/transform/failure-log.ts).
     */
    failure: (eventId: string) => `${failure}${eventId}`,
    /** The shared circuit state. */
    circuit: `${circuit}circuit`,
    /**
     * Set while on-call has paused the integration (`hookyard pause`): the breaker never re-enables
     * the event source mapping while it exists. Under the circuit prefix, so the breaker's leading
     * key already covers it.
     */
    paused: `${circuit}paused`,
    /** The delivery rate schedule every consumer books its send times from (rate-schedule.ts). */
    rateSchedule: `${rate}schedule`,
    /** Leading keys per function, for IAM. */
    leadingKeys: {
      transformer: [`${idempotency}#`, failure, circuit, rate],
      breaker: [circuit],
    },
  } as const;
}
