/**
 * The integration registry contract (DESIGN.md §2): one typed definition per partner, read by the
 * CDK stack at synth time and by the functions at run time. Nothing here may import aws-cdk-lib:
 * this module is bundled into the Lambda functions.
 */
import type { AnySchema } from './mapping/schema.js';
import type { MappingSpec } from './mapping/spec.js';

/** How the partner signs its webhooks. */
export type SignatureScheme =
  /** Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (space separated). */
  | { readonly type: 'standard-webhooks' }
  /** GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body; event id from `X-GitHub-Delivery`. */
  | { readonly type: 'github' }
  /** Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]` over `<t>.<body>`; event id from the body's `id`. */
  | { readonly type: 'stripe' }
  /** Generic HMAC over the raw body (or `<timestamp>.<body>` when a timestamp header is named). */
  | {
      readonly type: 'hmac';
      /** Header carrying the signature, e.g. `x-signature`. */
      readonly header: string;
      /** @default 'sha256' */
      readonly algorithm?: 'sha1' | 'sha256' | 'sha512';
      /** @default 'hex' */
      readonly encoding?: 'hex' | 'base64';
      /** Text before the digest in the header, e.g. `sha256=`. @default - none */
      readonly prefix?: string;
      /** Header with a Unix-seconds timestamp; when set it is signed as `<timestamp>.<body>` and checked. @default - no timestamp check */
      readonly timestampHeader?: string;
    }
  /** A shared key sent as a header, compared in constant time. Weaker than a signature: no body integrity. */
  | { readonly type: 'api-key'; readonly header: string };

export type SignatureSchemeType = SignatureScheme['type'];

/** Where the partner's event id (the identity from edge to target) is read from. */
export type EventIdSource = { readonly header: string } | { readonly bodyField: string };

/** One accepted version of the partner's payload. */
export interface PayloadVersion<P = unknown> {
  /** Written to the queue message as `schema-version`. */
  readonly version: string;
  /** Any Zod 4 schema: `zod/mini` (recommended: smaller bundle, faster cold start) or classic `zod`. */
  readonly schema: AnySchema<P>;
}

export interface SourceConfig<P = unknown> {
  readonly signature: SignatureScheme;
  /**
   * Name of an existing Secrets Manager secret holding the signing secret.
   * @default - the stack creates one secret per integration with a generated value
   */
  readonly secretName?: string;
  /** Accepted clock difference between the partner's timestamp and our receive time. @default 300 */
  readonly toleranceSeconds?: number;
  /** Largest accepted body, in bytes, after base64 decoding. @default 262144 (256 KiB) */
  readonly maxBodyBytes?: number;
  /** Accepted payload versions; a body is accepted when it matches one, tried in order. */
  readonly schemas: readonly PayloadVersion<P>[];
  /** @default - the scheme's own: `webhook-id`, `x-github-delivery`, Stripe's body `id`, else body `id` */
  readonly eventId?: EventIdSource;
  /**
   * How long the ingest function caches the signing secret at AWSCURRENT (0-300; AWSPREVIOUS at most
   * 60 s): a value removed from Secrets Manager stops being accepted within this. A failed check
   * re-reads it sooner. @default 300
   */
  readonly secretCacheSeconds?: number;
  /**
   * Why it is acceptable that this scheme leaves replay open: it signs no timestamp (`github`, `hmac`
   * without `timestampHeader`, `api-key`), so a captured webhook is a duplicate only while its
   * idempotency record lives and is accepted again after. Synth fails for such a scheme without it.
   * @default - none: synth fails for a scheme without a signed timestamp
   */
  readonly acknowledgeReplayRisk?: string;
  /**
   * Fields the payload's version schema does not declare: `strict` rejects the webhook (400
   * `unknown-fields` with their paths), `passthrough` accepts it. Both count them as schema drift.
   * Objects declared open (`z.looseObject`) never have unknown fields.
   * @default 'passthrough'
   */
  readonly unknownFields?: 'strict' | 'passthrough';
}

/** What the mapping knows besides the payload. */
export interface MappingContext {
  readonly eventId: string;
  readonly integration: string;
  /** When the ingest function received the webhook (ISO 8601). */
  readonly receivedAt: string;
  readonly schemaVersion: string;
}

/** A mapping throws this when a payload can never be mapped (a permanent failure, sent to the DLQ). */
export class MappingError extends Error {
  override readonly name = 'MappingError';
}

/** Per-stage value, e.g. `{ local: 'http://127.0.0.1:4010', prod: 'https://crm.example.com' }`. */
export type PerStage<T> = Readonly<Record<string, T>>;

export type TargetAuth =
  | {
      readonly type: 'api-key';
      /** @default 'x-api-key' */
      readonly header?: string;
    }
  | {
      readonly type: 'oauth2-client-credentials';
      /** Token endpoint per stage. */
      readonly tokenUrl: PerStage<string>;
      /** @default - no scope parameter */
      readonly scope?: string;
    }
  | { readonly type: 'basic' }
  | { readonly type: 'none' };

export interface TargetConfig {
  /** Base URL per stage; the stack fails to synth for a stage without one. */
  readonly baseUrl: PerStage<string>;
  /** Path appended to the base URL. */
  readonly path: string;
  /** @default 'POST' */
  readonly method?: 'POST' | 'PUT' | 'PATCH';
  readonly auth: TargetAuth;
  /**
   * Existing secret with the target credentials: `{"apiKey"}`, `{"clientId","clientSecret"}` or
   * `{"username","password"}`.
   * @default - the stack creates an empty secret for on-call to fill (not for auth `none`)
   */
  readonly secretName?: string;
  /** Per-attempt timeout. @default 10 */
  readonly timeoutSeconds?: number;
  /** Requests per second the target accepts from us. @default 10 */
  readonly rateLimitPerSecond?: number;
  /** Statuses worth retrying; other 4xx are permanent. @default [408, 425, 429, 500, 502, 503, 504] */
  readonly retryableStatuses?: readonly number[];
  /** Sign deliveries with Standard Webhooks headers so the target can verify us. @default false */
  readonly signDeliveries?: boolean;
  /** How long the transformer caches the target credentials; a 401 re-reads them at once. @default 300 */
  readonly secretCacheSeconds?: number;
  /**
   * Quote the start of the target's error answer (credentials redacted) in failure reasons: logs, the
   * DLQ's `error-reason`, the failure record. Off, a reason keeps the status, a stable error code and
   * the names of the answer's JSON fields: a target that echoes the request cannot leak partner data.
   * @default false
   */
  readonly quoteErrorAnswers?: boolean;
}

export interface DeliveryConfig {
  /** Records per transformer invocation. @default 10 */
  readonly batchSize?: number;
  /**
   * Event source mapping MaximumBatchingWindowInSeconds (0–300): how long Lambda gathers records
   * before invoking. A second fills batches at partial load, so there are fewer invocations, receives
   * and deletes per webhook (README "Cost"); 0 invokes with whatever one receive returned.
   * AWS: at very low traffic a batch may wait up to 20 s even with a shorter window.
   * @default 1
   */
  readonly maxBatchingWindowSeconds?: number;
  /** Event source mapping MaximumConcurrency (2–1000). @default - derived from the target rate limit, at least 2 */
  readonly maxConcurrency?: number;
  /** Receives before SQS moves a message to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** Transformer timeout. @default 30 */
  readonly functionTimeoutSeconds?: number;
  /** Queue visibility timeout; must be at least 6 × the function timeout. @default 6 × functionTimeoutSeconds */
  readonly visibilityTimeoutSeconds?: number;
  /** Source queue retention. @default 4 */
  readonly retentionDays?: number;
  /** DLQ retention; must be longer than the source queue's. @default 14 */
  readonly dlqRetentionDays?: number;
  /** Full-jitter backoff base for in-call retries. @default 200 */
  readonly backoffBaseMs?: number;
  /** Full-jitter backoff cap for in-call retries. @default 5000 */
  readonly backoffCapMs?: number;
  /** In-call attempts per receive (time allowing). @default 3 */
  readonly maxAttemptsPerReceive?: number;
  /** After a failed receive the message stays invisible base × 2^(receives−1) seconds… @default 30 */
  readonly redeliveryBaseSeconds?: number;
  /** …capped here, so SQS-level retries back off instead of hammering the target. @default 900 */
  readonly redeliveryCapSeconds?: number;
  /** When the target fails consistently, stop consuming instead of draining the queue into the DLQ. */
  readonly circuitBreaker?: CircuitBreakerConfig;
}

export interface CircuitBreakerConfig {
  /** Consecutive transient failures (in one consumer) that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before a half-open probe; doubles after a failed probe. @default 60 */
  readonly openSeconds?: number;
  /** Cap of the doubling open period. @default 900 */
  readonly maxOpenSeconds?: number;
  /** How often the breaker function checks the circuit (minutes). @default 1 */
  readonly checkEveryMinutes?: number;
}

export interface AlarmThresholds {
  /** Messages in the DLQ. @default 1 */
  readonly dlqDepth?: number;
  /** Oldest message age in the source queue. @default 900 */
  readonly oldestMessageAgeSeconds?: number;
  /** Transformer errors in 5 minutes. @default 5 */
  readonly transformerErrors?: number;
  /** Ingest function errors in 5 minutes. @default 1 */
  readonly ingestErrors?: number;
  /** Lambda throttles (either function) in 5 minutes. @default 1 */
  readonly throttles?: number;
  /** Webhooks rejected for a bad signature in 5 minutes (rotation gone wrong, or an attack). @default 20 */
  readonly signatureRejections?: number;
  /**
   * Schema drift findings (unknown fields, new enum values, unknown versions) in 5 minutes: the partner
   * changed its payload; see docs/runbooks/schema-drift.md. @default 1
   */
  readonly schemaDrift?: number;
}

export interface EndpointConfig {
  /** `http-api`: a route on the shared HTTP API; `function-url`: a Lambda function URL of its own. @default 'http-api' */
  readonly type?: 'http-api' | 'function-url';
  /** Route throttling on the HTTP API stage. @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** One partner integration: everything the stack and the functions need to know. */
export interface IntegrationDefinition<P = unknown, T = unknown> {
  /** Route `/webhooks/{name}`, resource ids and alarm names. Lowercase letters, digits, dashes. */
  readonly name: string;
  readonly description?: string;
  readonly source: SourceConfig<P>;
  /** Pure: partner payload → target request body. Throw `MappingError` for unmappable input. */
  readonly mapping: (payload: P, context: MappingContext) => T;
  /**
   * Declarative data contract (integrations/mapping): target request schema, versioned inbound
   * schemas with their field tables, and the version selector. Introspectable for the data map.
   * @default - none: `source.schemas` + `mapping` only, the body is not validated before sending
   */
  readonly mappingSpec?: MappingSpec<T>;
  readonly target: TargetConfig;
  readonly delivery?: DeliveryConfig;
  readonly alarms?: AlarmThresholds;
  readonly endpoint?: EndpointConfig;
}

/** Identity function that keeps the payload and target types tied together. */
export function defineIntegration<P, T>(
  definition: IntegrationDefinition<P, T>,
): IntegrationDefinition<P, T> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds integrations of different payload types
export type AnyIntegration = IntegrationDefinition<any, any>;
