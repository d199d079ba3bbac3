import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermanentDeliveryError, TransientDeliveryError } from '../../../functions/shared/errors.js';
import { buildTargetBody, summarizeFailure, toDeliveryJob } from '../../../functions/transform/core.js';
import { acmeOrders } from '../../../integrations/acme-orders/index.js';
import { resolveIntegration } from '../../../integrations/resolve.js';
import { sqsRecord } from '../../support/sqs-record.js';

const integration = resolveIntegration(acmeOrders, 'local');
const fixture = (name: string) =>
  readFileSync(new URL(`../../../integrations/acme-orders/fixtures/${name}`, import.meta.url), 'utf8');
const envelope = {
  integration: 'acme-orders',
  'event-id': 'msg_fixture',
  'received-at': '2026-11-20T10:00:06.000Z',
  'schema-version': 'v1',
};

/** Freezes every level, so a mutation of the idempotent function's input throws (ESM is strict). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const nested of Object.values(value)) deepFreeze(nested);
    Object.freeze(value);
  }
  return value;
}

function permanentReason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof PermanentDeliveryError) return error.details.reason;
    throw error;
  }
  return undefined;
}

describe('transformer core', () => {
  it('turns a queue record into the target body, as the golden fixture says, leaving the job as it was', () => {
    // Prepare: deep-frozen, as the idempotency layer hashes the job before and after the call
    const job = deepFreeze(toDeliveryJob(sqsRecord(fixture('order-created.in.json'), envelope)));
    const before = JSON.stringify(job);
    // Act
    const body = buildTargetBody(integration, job);
    // Assess
    expect(JSON.parse(JSON.stringify(body))).toEqual(JSON.parse(fixture('order-created.out.json')));
    expect(JSON.stringify(job)).toBe(before);
  });

  it('is idempotent on the envelope’s idempotency key, else on the event id', () => {
    const keyed = toDeliveryJob(sqsRecord('{}', { ...envelope, 'idempotency-key': 'sha256:abc' }));
    const legacy = toDeliveryJob(sqsRecord('{}', envelope));
    expect([keyed.idempotencyKey, keyed.eventId]).toEqual(['sha256:abc', 'msg_fixture']);
    expect(legacy.idempotencyKey).toBe('msg_fixture');
  });

  /** acme-orders with `step` appended to its v1 record steps (a mapping bug, for the tests below). */
  function withRecordStep(apply: (mapped: Record<string, unknown>) => unknown): typeof integration {
    const spec = integration.definition.mappingSpec;
    if (!spec) throw new Error('acme-orders has no mapping spec');
    return {
      ...integration,
      definition: {
        ...integration.definition,
        mappingSpec: {
          ...spec,
          versions: spec.versions.map((v) => ({
            ...v,
            record: [...v.record, { description: 'bug', apply }],
          })),
        },
      },
    } as typeof integration;
  }

  function failure(fn: () => unknown): PermanentDeliveryError {
    try {
      fn();
    } catch (error) {
      if (error instanceof PermanentDeliveryError) return error;
      throw error;
    }
    throw new Error('did not fail');
  }

  it('fails permanently with the cause when the mapping throws something unexpected', () => {
    // Prepare: a mapping that meets a value it cannot represent (e.g. a date past year 275760)
    const throwing = withRecordStep(() => new Date(8.64e15 + 1).toISOString());
    const job = deepFreeze(toDeliveryJob(sqsRecord(fixture('order-created.in.json'), envelope)));
    // Act
    const error = failure(() => buildTargetBody(throwing, job));
    // Assess
    expect(error.details.reason).toBe('mapping-error');
    expect(error.message).toBe('mapping failed: RangeError: Invalid time value');
  });

  it('fails permanently with mapping-invalid-output and the failing target paths when the mapped body breaks the target schema', () => {
    // Prepare: a mapping bug: the amount becomes a number, the contact loses its e-mail
    const buggy = withRecordStep((mapped) => ({
      ...mapped,
      amount: 12,
      contact: { ...(mapped.contact as object), email: undefined },
    }));
    const job = toDeliveryJob(sqsRecord(fixture('order-created.in.json'), envelope));
    // Act
    const error = failure(() => buildTargetBody(buggy, job));
    // Assess
    expect(error.details.reason).toBe('mapping-invalid-output');
    expect(error.message).toMatch(
      /^the target schema rejects the mapped body at amount \(.+\), contact\.email \(/,
    );
    expect(summarizeFailure(error).reason).toMatch(/^mapping-invalid-output: .*amount.*contact\.email/);
  });

  it('fails permanently when an envelope attribute is missing', () => {
    const { 'event-id': _, ...rest } = envelope;
    expect(permanentReason(() => toDeliveryJob(sqsRecord('{}', rest)))).toBe('invalid-message');
  });

  it('fails permanently when the schema version is no longer accepted', () => {
    const job = toDeliveryJob(
      sqsRecord(fixture('order-created.in.json'), { ...envelope, 'schema-version': 'v0' }),
    );
    expect(permanentReason(() => buildTargetBody(integration, job))).toBe('invalid-payload');
  });

  it('fails permanently when the mapping rejects the payload', () => {
    const payload = JSON.parse(fixture('order-updated-jpy.in.json'));
    payload.data.updated_at = payload.data.created_at - 10;
    const job = toDeliveryJob(sqsRecord(JSON.stringify(payload), envelope));
    expect(permanentReason(() => buildTargetBody(integration, job))).toBe('mapping-error');
  });

  it('fails permanently when the record belongs to another integration', () => {
    const job = toDeliveryJob(
      sqsRecord(fixture('order-created.in.json'), { ...envelope, integration: 'other' }),
    );
    expect(permanentReason(() => buildTargetBody(integration, job))).toBe('invalid-message');
  });
});

describe('summarizeFailure', () => {
  it('classifies permanent, transient and unexpected errors', () => {
    expect(
      summarizeFailure(
        new PermanentDeliveryError('target answered 400', {
          reason: 'target-rejected',
          status: 400,
          attempts: 1,
        }),
      ),
    ).toEqual({
      errorClass: 'permanent',
      reason: 'target-rejected: target answered 400',
      status: 400,
      attempts: 1,
    });
    expect(
      summarizeFailure(new TransientDeliveryError('target answered 503', { status: 503, attempts: 3 })),
    ).toEqual({
      errorClass: 'transient',
      reason: 'target answered 503',
      status: 503,
      attempts: 3,
    });
    expect(summarizeFailure(new TypeError('fetch failed'))).toMatchObject({
      errorClass: 'transient',
      reason: 'TypeError: fetch failed',
    });
  });
});
