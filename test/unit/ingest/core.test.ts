import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideIngest, type IngestRequest } from '../../../functions/ingest/core.js';
import { signStandardWebhook, signStripe } from '../../../functions/shared/signatures/index.js';
import { acmeOrders } from '../../../integrations/acme-orders/index.js';
import { resolveIntegration } from '../../../integrations/resolve.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const RECEIVED_AT = new Date('2026-11-20T10:00:06Z');
const integration = resolveIntegration(acmeOrders, 'local');
const sample = readFileSync(
  new URL('../../../integrations/acme-orders/fixtures/order-created.in.json', import.meta.url),
  'utf8',
);

function signed(
  body: string,
  options: { id?: string; at?: Date; secret?: string; base64?: boolean } = {},
): IngestRequest {
  const headers = signStandardWebhook(options.secret ?? SECRET, {
    id: options.id ?? 'msg_2Kx9',
    timestamp: options.at ?? new Date('2026-11-20T10:00:05Z'),
    body,
  });
  return {
    headers,
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
    receivedAt: RECEIVED_AT,
  };
}

describe('decideIngest', () => {
  it('accepts a signed, valid webhook with its event id and schema version', () => {
    // Act
    const decision = decideIngest(integration, signed(sample), [SECRET]);
    // Assess
    expect(decision).toEqual({ accepted: true, eventId: 'msg_2Kx9', schemaVersion: 'v1', body: sample });
  });

  it('decodes a base64 body before verifying and keeps the original bytes', () => {
    const decision = decideIngest(integration, signed(sample, { base64: true }), [SECRET]);
    expect(decision).toMatchObject({ accepted: true, body: sample });
  });

  it('accepts the previous secret during a rotation', () => {
    const decision = decideIngest(integration, signed(sample, { secret: OLD_SECRET }), [SECRET, OLD_SECRET]);
    expect(decision.accepted).toBe(true);
  });

  it('fails when the signature was made with another secret', () => {
    const decision = decideIngest(integration, signed(sample, { secret: OLD_SECRET }), [SECRET]);
    expect(decision).toMatchObject({ accepted: false, status: 401, reason: 'bad-signature' });
  });

  it('fails when the body was altered after signing', () => {
    const request = signed(sample);
    const decision = decideIngest(integration, { ...request, body: sample.replace('12345', '99999') }, [
      SECRET,
    ]);
    expect(decision).toMatchObject({ accepted: false, status: 401, reason: 'bad-signature' });
  });

  it('fails when the signature headers are missing', () => {
    const decision = decideIngest(integration, { ...signed(sample), headers: {} }, [SECRET]);
    expect(decision).toMatchObject({ accepted: false, status: 401, reason: 'bad-signature' });
    if (!decision.accepted) expect(decision.response.message).not.toContain(SECRET);
  });

  it.each([
    ['stale', new Date(RECEIVED_AT.getTime() - 301_000)],
    ['from the future', new Date(RECEIVED_AT.getTime() + 301_000)],
  ])('fails when the timestamp is %s, judged against the receive time', (_, at) => {
    const decision = decideIngest(integration, signed(sample, { at }), [SECRET]);
    expect(decision).toMatchObject({ accepted: false, status: 401, reason: 'stale-timestamp' });
  });

  it('fails with 413 when the body is larger than the limit, before checking anything else', () => {
    // Prepare: a body one byte over the limit, unsigned
    const big = 'x'.repeat(integration.maxBodyBytes + 1);
    // Act
    const plain = decideIngest(
      integration,
      { headers: {}, body: big, isBase64Encoded: false, receivedAt: RECEIVED_AT },
      [],
    );
    const encoded = decideIngest(
      integration,
      {
        headers: {},
        body: Buffer.from(big).toString('base64'),
        isBase64Encoded: true,
        receivedAt: RECEIVED_AT,
      },
      [],
    );
    // Assess
    expect(plain).toMatchObject({ accepted: false, status: 413, reason: 'payload-too-large' });
    expect(encoded).toMatchObject({ accepted: false, status: 413, reason: 'payload-too-large' });
  });

  it('fails with 400 when the signed body is not JSON', () => {
    const decision = decideIngest(integration, signed('not json'), [SECRET]);
    expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'invalid-json' });
  });

  it('fails with 400 and the failing paths when the payload does not match the schema', () => {
    // Prepare
    const payload = JSON.parse(sample);
    payload.data.total_cents = '123.45';
    delete payload.data.customer.email;
    // Act
    const decision = decideIngest(integration, signed(JSON.stringify(payload)), [SECRET]);
    // Assess
    expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'schema-mismatch' });
    if (decision.accepted) return;
    expect(decision.response.issues?.map((i) => i.path).sort()).toEqual([
      'data.customer.email',
      'data.total_cents',
    ]);
    expect(JSON.stringify(decision.response)).not.toContain('ada@example.com');
  });

  it('fails when the event id is not plain printable ASCII', () => {
    const decision = decideIngest(integration, signed(sample, { id: 'id with spaces' }), [SECRET]);
    expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'missing-event-id' });
  });

  it('reads the event id from the body for Stripe-signed integrations', () => {
    // Prepare
    const stripe = resolveIntegration(
      { ...acmeOrders, source: { ...acmeOrders.source, signature: { type: 'stripe' } } },
      'local',
    );
    const body = JSON.stringify({ ...JSON.parse(sample), id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy' });
    const headers = signStripe('whsec_stripe', body, new Date('2026-11-20T10:00:00Z'));
    // Act
    const decision = decideIngest(
      stripe,
      { headers, body, isBase64Encoded: false, receivedAt: RECEIVED_AT },
      ['whsec_stripe'],
    );
    // Assess
    expect(decision).toMatchObject({ accepted: true, eventId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy' });
  });
});
