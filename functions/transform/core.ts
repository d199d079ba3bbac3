/**
 * The transformer's pure steps: a queue record → a delivery job → the target's request body.
 * Every way a record can never succeed is a PermanentDeliveryError with a reason on-call can read.
 */
import type { SQSRecord } from 'aws-lambda';
import {
  formatPath,
  MappingOutputError,
  MappingVersionError,
  type PathIssue,
} from '../../integrations/mapping/errors.js';
import { parseWith } from '../../integrations/mapping/schema.js';
import { mapAndValidate } from '../../integrations/mapping/spec.js';
import type { ResolvedIntegration } from '../../integrations/resolve.js';
import { MappingError } from '../../integrations/types.js';
import { PermanentDeliveryError, TransientDeliveryError } from '../shared/errors.js';
import { type EventEnvelope, readEnvelope } from '../shared/message.js';

/**
 * What the idempotent step receives; JSON-serialisable, keyed on `idempotencyKey`, its `body`
 * validated against the body stored under that key. Never mutated (the handler freezes it).
 */
export interface DeliveryJob extends EventEnvelope {
  /** The envelope's, else the event id (messages queued before ingest set it). */
  readonly idempotencyKey: string;
  readonly body: string;
}

export function toDeliveryJob(record: SQSRecord): DeliveryJob {
  const envelope = readEnvelope(record);
  if ('missing' in envelope) {
    throw new PermanentDeliveryError(`message attribute '${envelope.missing}' is missing`, {
      reason: 'invalid-message',
      attempts: 0,
    });
  }
  return { ...envelope, idempotencyKey: envelope.idempotencyKey ?? envelope.eventId, body: record.body };
}

/**
 * Parse, map with the version ingest recorded (`mapAndValidate`: the version's schema, its field
 * table, then the target's request schema), and return the body to send. Throws PermanentDeliveryError:
 * a body the target schema rejects is `mapping-invalid-output` with the failing paths, never sent.
 */
export function buildTargetBody(integration: ResolvedIntegration, job: DeliveryJob): unknown {
  if (job.integration !== integration.name) {
    throw permanent(
      'invalid-message',
      `message is for integration '${job.integration}', not '${integration.name}'`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(job.body);
  } catch {
    throw permanent('invalid-payload', 'message body is not valid JSON');
  }
  const { definition } = integration;
  const context = {
    eventId: job.eventId,
    integration: integration.name,
    receivedAt: job.receivedAt,
    schemaVersion: job.schemaVersion,
  };
  try {
    return definition.mappingSpec
      ? mapAndValidate(definition, payload, context)
      : definition.mapping(parseLegacy(integration, job.schemaVersion, payload), context);
  } catch (error) {
    throw mappingFailure(error);
  }
}

/** A definition without a mapping spec: its `source.schemas` entry, then its mapping function. */
function parseLegacy(integration: ResolvedIntegration, schemaVersion: string, payload: unknown): unknown {
  const version = integration.definition.source.schemas.find((v) => v.version === schemaVersion);
  if (!version)
    throw new MappingVersionError('unknown-version', `version '${schemaVersion}' is not declared`);
  const parsed = parseWith(version.schema, payload);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new MappingVersionError('invalid-payload', `payload fails schema ${schemaVersion}`, [
    { path: formatPath(first?.path ?? []), message: first?.message ?? 'invalid' },
  ]);
}

function mappingFailure(error: unknown): PermanentDeliveryError {
  const paths = (issues: readonly PathIssue[]) => issues.map((i) => `${i.path} (${i.message})`).join(', ');
  if (error instanceof MappingOutputError) {
    // The paths are target fields: the mapping (our code) is wrong, not the partner's payload.
    return new PermanentDeliveryError(
      `the target schema rejects the mapped body at ${paths(error.issues)}`,
      { reason: 'mapping-invalid-output', attempts: 0 },
      { cause: error },
    );
  }
  if (error instanceof MappingVersionError) {
    const at = error.issues.length > 0 ? ` at ${paths(error.issues)}` : '';
    return new PermanentDeliveryError(
      `${error.message}${at}`,
      { reason: 'invalid-payload', attempts: 0 },
      { cause: error },
    );
  }
  // The cause is what on-call needs (a RangeError's "Invalid time value", not "unexpected error").
  const message =
    error instanceof MappingError
      ? error.message
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : `threw ${String(error)}`;
  return new PermanentDeliveryError(
    `mapping failed: ${message}`,
    { reason: 'mapping-error', attempts: 0 },
    { cause: error },
  );
}

function permanent(reason: 'invalid-message' | 'invalid-payload', message: string): PermanentDeliveryError {
  return new PermanentDeliveryError(message, { reason, attempts: 0 });
}

/** A failure as on-call reads it: class, short reason, HTTP status, attempts. */
export interface FailureSummary {
  readonly errorClass: 'permanent' | 'transient';
  readonly reason: string;
  readonly status?: number;
  readonly attempts: number;
}

export function summarizeFailure(error: unknown): FailureSummary {
  if (error instanceof PermanentDeliveryError) {
    return {
      errorClass: 'permanent',
      reason: `${error.details.reason}: ${error.message}`,
      status: error.details.status,
      attempts: error.details.attempts,
    };
  }
  if (error instanceof TransientDeliveryError) {
    return {
      errorClass: 'transient',
      reason: error.message,
      status: error.details.status,
      attempts: error.details.attempts,
    };
  }
  const name = error instanceof Error ? error.name : 'Error';
  return {
    errorClass: 'transient',
    reason: `${name}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300),
    attempts: 0,
  };
}
