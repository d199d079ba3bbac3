/**
 * The ingest decision, pure: given what arrived and the valid signing secrets, accept the webhook
 * (with the message to enqueue) or reject it with a status and a JSON body safe to return.
 * Order matters: size before any work, signature before parsing anything the partner sent.
 */
import { type DriftFinding, schemaDriftOf } from '../../integrations/mapping/drift.js';
import { formatPath } from '../../integrations/mapping/errors.js';
import { type AnySchema, parseWith, type SchemaParse } from '../../integrations/mapping/schema.js';
import { selectVersion } from '../../integrations/mapping/spec.js';
import type { ResolvedIntegration } from '../../integrations/resolve.js';
import { REJECTION_REASONS, type RejectionReason } from '../shared/contract.js';
import {
  decodeCanonicalBase64,
  type SignatureFailureReason,
  sha256Identity,
  verifySignature,
} from '../shared/signatures/index.js';

export type { RejectionReason } from '../shared/contract.js';

export interface IngestRequest {
  /** Header names lowercased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  readonly receivedAt: Date;
}

export interface Accepted {
  readonly accepted: true;
  /** The partner's id: returned in the 202, logged, sent as the target's `Idempotency-Key`. */
  readonly eventId: string;
  /**
   * What the transformer is idempotent on: the event id when the signature covers it, else the
   * digest of the signed body (`sha256:<hex>`), so a replay under a fresh unsigned id is a duplicate.
   */
  readonly idempotencyKey: string;
  readonly schemaVersion: string;
  /** The body exactly as the partner sent it (decoded from base64 if needed), for the queue. */
  readonly body: string;
  /** What the payload carries that the contract does not know (counted, not refused: passthrough). */
  readonly drift: readonly DriftFinding[];
}

export interface Rejected {
  readonly accepted: false;
  readonly status: 400 | 401 | 413;
  readonly reason: RejectionReason;
  readonly response: {
    readonly error: RejectionReason;
    readonly message: string;
    readonly issues?: readonly { readonly path: string; readonly message: string }[];
  };
  /** Schema drift found before the rejection (a verified, parsed payload only): counted too. */
  readonly drift?: readonly DriftFinding[];
}

export type IngestDecision = Accepted | Rejected;

/** An event id becomes an SQS attribute, a DynamoDB key and an HTTP header: keep it plain. */
const EVENT_ID = /^[\x21-\x7e]{1,128}$/;
/** Characters SQS accepts in a message body. */
const SQS_UNSAFE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const MAX_ISSUES = 10;

function reject(
  status: Rejected['status'],
  reason: RejectionReason,
  message: string,
  issues?: Rejected['response']['issues'],
): Rejected {
  return {
    accepted: false,
    status,
    reason,
    response: issues ? { error: reason, message, issues } : { error: reason, message },
  };
}

function signatureRejection(reason: SignatureFailureReason, message: string): Rejected {
  const stale = reason === 'stale-timestamp' || reason === 'future-timestamp';
  return reject(401, stale ? REJECTION_REASONS.staleTimestamp : REJECTION_REASONS.badSignature, message);
}

export function decideIngest(
  integration: ResolvedIntegration,
  request: IngestRequest,
  secrets: readonly string[],
): IngestDecision {
  const raw = request.body ?? '';
  // Reject before decoding: base64 is 4 characters per 3 bytes.
  const roughBytes = request.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
  if (roughBytes > integration.maxBodyBytes + 3) return tooLarge(integration);
  // One spelling per body: lenient decoding would let many strings stand for the same signed bytes.
  const bytes = request.isBase64Encoded ? decodeCanonicalBase64(raw) : Buffer.from(raw, 'utf8');
  if (!bytes) {
    return reject(
      400,
      REJECTION_REASONS.invalidEncoding,
      'body is flagged base64 but is not canonical base64',
    );
  }
  if (bytes.length > integration.maxBodyBytes) return tooLarge(integration);

  const verified = verifySignature(
    integration.signature,
    { headers: request.headers, rawBody: bytes, receivedAt: request.receivedAt },
    secrets,
    { toleranceSeconds: integration.toleranceSeconds },
  );
  if (!verified.ok) return signatureRejection(verified.reason, verified.message);

  const body = bytes.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return reject(400, REJECTION_REASONS.invalidJson, 'body is not valid JSON');
  }
  if (SQS_UNSAFE.test(body)) {
    return reject(
      400,
      REJECTION_REASONS.unsupportedCharacters,
      'body contains characters outside the Unicode ranges queues accept',
    );
  }

  // The version comes from the integration's declared header or field, never from trying each schema.
  const selection = integration.definition.mappingSpec
    ? selectVersion(integration.definition, request.headers, payload)
    : undefined;
  if (selection && !selection.ok) {
    const drift = schemaDriftOf(integration.definition, selection, payload);
    return { ...reject(400, REJECTION_REASONS.unknownVersion, selection.message), drift };
  }
  const matched = matchSchema(integration, payload, selection?.version);
  // Drift reads the same parse: a payload is parsed once (the first parse of a cold start is the slow one).
  const drift = selection ? schemaDriftOf(integration.definition, selection, payload, matched.parsed) : [];
  if (!matched.ok) {
    return {
      ...reject(
        400,
        REJECTION_REASONS.schemaMismatch,
        `payload matches no accepted version (${matched.versions})`,
        matched.issues,
      ),
      drift,
    };
  }
  const unknownFields = drift.filter((f) => f.kind === 'unknown-field');
  if (integration.unknownFields === 'strict' && unknownFields.length > 0) {
    return {
      ...reject(
        400,
        REJECTION_REASONS.unknownFields,
        `payload has fields version ${matched.version} does not declare`,
        unknownFields.map((f) => ({ path: f.field, message: 'not declared by the schema' })),
      ),
      drift,
    };
  }

  const eventId = readEventId(integration, request.headers, payload);
  if (!eventId || !EVENT_ID.test(eventId)) {
    const where =
      'header' in integration.eventId
        ? `header ${integration.eventId.header}`
        : `body field ${integration.eventId.bodyField}`;
    return reject(
      400,
      REJECTION_REASONS.missingEventId,
      `event id (${where}) is missing or not 1-128 printable ASCII characters`,
    );
  }
  const idempotencyKey = integration.replayProtection.eventIdSigned ? eventId : sha256Identity(bytes);
  return { accepted: true, eventId, idempotencyKey, schemaVersion: matched.version, body, drift };
}

function tooLarge(integration: ResolvedIntegration): Rejected {
  return reject(413, REJECTION_REASONS.payloadTooLarge, `body exceeds ${integration.maxBodyBytes} bytes`);
}

type SchemaMatch = (
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly versions: string; readonly issues: { path: string; message: string }[] }
) & {
  /** The last parse made, for schema drift to reuse. */
  readonly parsed?: { readonly schema: AnySchema; readonly result: SchemaParse<unknown> };
};

/**
 * With a selected version, that version's schema must parse. Without one (an integration with no
 * mapping spec), the first accepted version that parses wins; on no match, report the issues of the
 * newest (last) version.
 */
function matchSchema(integration: ResolvedIntegration, payload: unknown, selected?: string): SchemaMatch {
  const all = integration.definition.source.schemas;
  const versions = selected === undefined ? all : all.filter((v) => v.version === selected);
  let issues: { path: string; message: string }[] = [];
  let parsed: SchemaMatch['parsed'];
  for (const { version, schema } of versions) {
    const result = parseWith(schema, payload);
    parsed = { schema, result };
    if (result.success) return { ok: true, version, parsed };
    issues = result.error.issues.slice(0, MAX_ISSUES).map((issue) => ({
      path: formatPath(issue.path),
      message: issue.message,
    }));
  }
  return { ok: false, versions: versions.map((v) => v.version).join(', '), issues, parsed };
}

function readEventId(
  integration: ResolvedIntegration,
  headers: Readonly<Record<string, string | undefined>>,
  payload: unknown,
): string | undefined {
  const source = integration.eventId;
  if ('header' in source) return headers[source.header.toLowerCase()]?.trim();
  const value =
    payload && typeof payload === 'object'
      ? (payload as Record<string, unknown>)[source.bodyField]
      : undefined;
  return typeof value === 'string' ? value : undefined;
}
