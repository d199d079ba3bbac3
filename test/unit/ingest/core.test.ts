import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as classic from 'zod';
import { decideIngest, type IngestRequest } from '../../../functions/ingest/core.js';
import {
  signGithub,
  signHmac,
  signStandardWebhook,
  signStripe,
} from '../../../functions/shared/signatures/index.js';
import { acmeOrders } from '../../../integrations/acme-orders/index.js';
import { githubIssues } from '../../../integrations/github-issues/index.js';
import { resolveIntegration } from '../../../integrations/resolve.js';
import type { SignatureScheme, SourceConfig } from '../../../integrations/types.js';
import { nudgeBase64 } from '../signatures/fixtures.js';

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
    expect(decision).toEqual({
      accepted: true,
      eventId: 'msg_2Kx9',
      idempotencyKey: 'msg_2Kx9',
      schemaVersion: 'v1',
      body: sample,
      drift: [],
    });
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

  it.each([
    ['is not valid base64', (b64: string) => `${b64.slice(0, 8)}!${b64.slice(8)}`],
    ['lacks its padding', (b64: string) => b64.replace(/=+$/, '')],
    ['uses the URL-safe alphabet', (b64: string) => b64.replaceAll('+', '-').replaceAll('/', '_')],
    ['has non-canonical trailing bits', (b64: string) => `${b64.slice(0, -2)}${nudgeBase64(b64.at(-2))}=`],
  ])('fails with 400 when a base64-flagged body %s', (_, respell) => {
    // Prepare: a body whose canonical base64 has one "=" and both + and /
    const body = bodyWhoseBase64((b64) => /^[^=]+=$/.test(b64) && b64.includes('+') && b64.includes('/'));
    const request = signed(body, { base64: true });
    // Act
    const decision = decideIngest(integration, { ...request, body: respell(request.body ?? '') }, [SECRET]);
    // Assess
    expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'invalid-encoding' });
  });

  it.each([
    [
      'data.created_at',
      'a timestamp beyond what a date can hold',
      (d: AcmeData) => ({ ...d, created_at: 8.64e12 + 1 }),
    ],
    ['data.updated_at', 'a timestamp after year 9999', (d: AcmeData) => ({ ...d, updated_at: 253402300800 })],
    ['data.total_cents', 'an amount above the bound', (d: AcmeData) => ({ ...d, total_cents: 1e15 })],
    ['data.tax_cents', 'an amount below the bound', (d: AcmeData) => ({ ...d, tax_cents: -1e15 })],
    [
      'data.items[0].unit_price_cents',
      'an item price above the bound',
      (d: AcmeData) => ({ ...d, items: [{ sku: 'X', quantity: 1, unit_price_cents: 2 ** 52 }] }),
    ],
  ])(
    'fails with 400 naming %s for %s, instead of accepting what the mapping cannot map',
    (path, _, change) => {
      // Prepare
      const payload = JSON.parse(sample);
      payload.data = change(payload.data);
      // Act
      const decision = decideIngest(integration, signed(JSON.stringify(payload)), [SECRET]);
      // Assess
      expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'schema-mismatch' });
      if (!decision.accepted) expect(decision.response.issues?.map((i) => i.path)).toEqual([path]);
    },
  );
});

type AcmeData = Record<string, unknown>;

describe('decideIngest idempotency key', () => {
  const body = JSON.stringify({ ...JSON.parse(sample), id: 'evt_body_1' });
  const bodyDigest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const at = new Date('2026-11-20T10:00:00Z');
  const withSource = (signature: SignatureScheme, source: Partial<SourceConfig> = {}) =>
    resolveIntegration(
      {
        ...acmeOrders,
        source: { ...acmeOrders.source, ...source, signature, acknowledgeReplayRisk: 'test' },
      },
      'local',
    );
  const request = (headers: Record<string, string>): IngestRequest => ({
    headers,
    body,
    isBase64Encoded: false,
    receivedAt: RECEIVED_AT,
  });
  const hmacScheme = { type: 'hmac', header: 'x-signature' } as const;
  const timedHmac = { ...hmacScheme, timestampHeader: 'x-timestamp' } as const;

  it('is the event id when the signature covers it (Standard Webhooks signs webhook-id)', () => {
    const decision = decideIngest(integration, signed(sample, { id: 'msg_signed' }), [SECRET]);
    expect(decision).toMatchObject({ accepted: true, eventId: 'msg_signed', idempotencyKey: 'msg_signed' });
  });

  it('is the event id when it is read from a signed body (Stripe)', () => {
    const decision = decideIngest(
      withSource({ type: 'stripe' }),
      request(signStripe('whsec_stripe', body, at)),
      ['whsec_stripe'],
    );
    expect(decision).toMatchObject({ accepted: true, eventId: 'evt_body_1', idempotencyKey: 'evt_body_1' });
  });

  it('is the event id for a generic HMAC whose id is a body field', () => {
    const decision = decideIngest(withSource(hmacScheme), request(signHmac(hmacScheme, 'k', body)), ['k']);
    expect(decision).toMatchObject({ accepted: true, eventId: 'evt_body_1', idempotencyKey: 'evt_body_1' });
  });

  it.each([
    [
      'GitHub, a captured webhook re-sent with a fresh X-GitHub-Delivery',
      { type: 'github' },
      {},
      'x-github-delivery',
    ],
    [
      'a generic HMAC with an unsigned id header',
      hmacScheme,
      { eventId: { header: 'x-event-id' } },
      'x-event-id',
    ],
    [
      'a timestamped HMAC with an unsigned id header',
      timedHmac,
      { eventId: { header: 'x-event-id' } },
      'x-event-id',
    ],
    [
      'Standard Webhooks with the id moved to an unsigned header',
      { type: 'standard-webhooks' },
      { eventId: { header: 'x-event-id' } },
      'x-event-id',
    ],
  ] as const)(
    'is the digest of the signed body for %s, so a fresh id is still the same event',
    (_, scheme, source, idHeader) => {
      // Prepare: the same signed request twice, each under a fresh unsigned id
      const resolved = withSource(scheme, source);
      const headers = signatureHeaders(scheme, body);
      // Act
      const first = decideIngest(resolved, request({ ...headers, [idHeader]: 'delivery-1' }), [SECRET]);
      const replay = decideIngest(resolved, request({ ...headers, [idHeader]: 'delivery-2' }), [SECRET]);
      // Assess: the partner's ids are kept, the identity is the signed bytes
      expect(first).toMatchObject({ accepted: true, eventId: 'delivery-1', idempotencyKey: bodyDigest });
      expect(replay).toMatchObject({ accepted: true, eventId: 'delivery-2', idempotencyKey: bodyDigest });
    },
  );

  it('is the digest of the body for an api-key integration (nothing is signed)', () => {
    const decision = decideIngest(
      withSource({ type: 'api-key', header: 'x-api-key' }),
      request({ 'x-api-key': 'key' }),
      ['key'],
    );
    expect(decision).toMatchObject({ accepted: true, eventId: 'evt_body_1', idempotencyKey: bodyDigest });
  });
});

describe('decideIngest version selection and schema drift', () => {
  const github = resolveIntegration(githubIssues, 'local');
  const githubSample = readFileSync(
    new URL('../../../integrations/github-issues/fixtures/issues-opened.in.json', import.meta.url),
    'utf8',
  );
  const githubRequest = (body: string, event = 'issues'): IngestRequest => ({
    headers: { ...signGithub(SECRET, body), 'x-github-delivery': 'delivery-1', 'x-github-event': event },
    body,
    isBase64Encoded: false,
    receivedAt: RECEIVED_AT,
  });
  const acmeWith = (change: (payload: { data: Record<string, unknown> }) => void) => {
    const payload = JSON.parse(sample);
    change(payload);
    return JSON.stringify(payload);
  };

  it('accepts unknown fields in passthrough mode and reports them with [] for array indices', () => {
    // Prepare
    const body = acmeWith((p) => {
      p.data.coupon = 'WINTER';
      (p.data.items as Record<string, unknown>[])[0] = {
        ...(p.data.items as Record<string, unknown>[])[0],
        gift_wrap: true,
      };
    });
    // Act
    const decision = decideIngest(integration, signed(body), [SECRET]);
    // Assess
    expect(decision).toMatchObject({ accepted: true, schemaVersion: 'v1' });
    expect(decision.drift).toHaveLength(2);
    expect(decision.drift).toEqual(
      expect.arrayContaining([
        { kind: 'unknown-field', field: 'data.coupon' },
        { kind: 'unknown-field', field: 'data.items[].gift_wrap' },
      ]),
    );
  });

  it('fails with 400 unknown-fields and their paths in strict mode', () => {
    // Prepare
    const strict = resolveIntegration(
      { ...acmeOrders, source: { ...acmeOrders.source, unknownFields: 'strict' } },
      'local',
    );
    const body = acmeWith((p) => {
      p.data.coupon = 'WINTER';
    });
    // Act
    const decision = decideIngest(strict, signed(body), [SECRET]);
    // Assess
    expect(decision).toMatchObject({
      accepted: false,
      status: 400,
      reason: 'unknown-fields',
      response: { error: 'unknown-fields', issues: [{ path: 'data.coupon' }] },
      drift: [{ kind: 'unknown-field', field: 'data.coupon' }],
    });
  });

  it('fails with 400 schema-mismatch and counts a new enum value of a schema enum', () => {
    const body = acmeWith((p) => {
      p.data.status = 'refunded';
    });
    const decision = decideIngest(integration, signed(body), [SECRET]);
    expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'schema-mismatch' });
    expect(decision.drift).toEqual([{ kind: 'new-enum-value', field: 'data.status', value: 'refunded' }]);
  });

  it('fails with 400 unknown-version and counts it when the version header names no declared version', () => {
    const request = signed(sample);
    const decision = decideIngest(
      integration,
      { ...request, headers: { ...request.headers, 'x-acme-schema-version': 'v9' } },
      [SECRET],
    );
    expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'unknown-version' });
    expect(decision.drift).toEqual([
      { kind: 'unknown-version', field: 'x-acme-schema-version', value: 'v9' },
    ]);
  });

  it('accepts a GitHub issues event with a new action (mapped to OTHER) and counts the new enum value', () => {
    const body = JSON.stringify({ ...JSON.parse(githubSample), action: 'typed' });
    const decision = decideIngest(github, githubRequest(body), [SECRET]);
    expect(decision).toMatchObject({ accepted: true, schemaVersion: 'v1', eventId: 'delivery-1' });
    expect(decision.drift).toEqual([{ kind: 'new-enum-value', field: 'action', value: 'typed' }]);
  });

  it('does not count the many fields GitHub adds to its open objects', () => {
    const payload = JSON.parse(githubSample);
    payload.issue.node_id = 'I_kwDO';
    payload.repository.private = false;
    const decision = decideIngest(github, githubRequest(JSON.stringify(payload)), [SECRET]);
    expect(decision).toMatchObject({ accepted: true, drift: [] });
  });

  it("fails with 400 unknown-version for GitHub's ping (and counts it)", () => {
    const decision = decideIngest(github, githubRequest('{"zen":"Keep it simple.","hook_id":1}', 'ping'), [
      SECRET,
    ]);
    expect(decision).toMatchObject({ accepted: false, status: 400, reason: 'unknown-version' });
    expect(decision.drift).toEqual([{ kind: 'unknown-version', field: 'x-github-event', value: 'ping' }]);
  });

  it('reports at most 5 findings per webhook, each field path at most 64 characters (bounded metric dimensions)', () => {
    const body = acmeWith((p) => {
      for (let i = 0; i < 20; i++) p.data[`extra_${i}_${'x'.repeat(100)}`] = i;
    });
    const decision = decideIngest(integration, signed(body), [SECRET]);
    expect(decision.accepted).toBe(true);
    expect(decision.drift).toHaveLength(5);
    for (const finding of decision.drift ?? []) expect(finding.field.length).toBeLessThanOrEqual(64);
  });
});

describe('decideIngest with either kind of Zod 4 schema', () => {
  // An integration written with classic `zod` (methods) works unchanged: our code reads any `$ZodType`.
  const classicV1 = classic.object({
    type: classic.enum(['order.created', 'order.updated']),
    timestamp: classic.iso.datetime({ offset: true }),
    data: classic.looseObject({ order_id: classic.string().min(1) }),
  });
  const spec = acmeOrders.mappingSpec;
  if (!spec) throw new Error('acme-orders has a mapping spec');
  const withClassic = resolveIntegration(
    {
      ...acmeOrders,
      source: { ...acmeOrders.source, schemas: [{ version: 'v1', schema: classicV1 }] },
      mappingSpec: { ...spec, versions: spec.versions.map((v) => ({ ...v, schema: classicV1 })) },
    },
    'local',
  );

  it('accepts a payload a classic schema validates and reports its unknown fields as drift', () => {
    const body = JSON.stringify({ ...JSON.parse(sample), coupon: 'WINTER' });
    const decision = decideIngest(withClassic, signed(body), [SECRET]);
    expect(decision).toMatchObject({ accepted: true, schemaVersion: 'v1' });
    expect(decision.drift).toEqual([{ kind: 'unknown-field', field: 'coupon' }]);
  });

  it('parses a payload once: schema drift reads the parse the version check made', () => {
    // Prepare: a schema that counts its runs
    let parses = 0;
    const counted = classicV1.refine(() => {
      parses += 1;
      return true;
    });
    const counting = resolveIntegration(
      {
        ...acmeOrders,
        source: { ...acmeOrders.source, schemas: [{ version: 'v1', schema: counted }] },
        mappingSpec: { ...spec, versions: spec.versions.map((v) => ({ ...v, schema: counted })) },
      },
      'local',
    );
    // Act
    const decision = decideIngest(counting, signed(sample), [SECRET]);
    // Assess
    expect(decision.accepted).toBe(true);
    expect(parses).toBe(1);
  });

  it('rejects what a classic schema refuses, with its paths and messages', () => {
    const payload = JSON.parse(sample);
    payload.data.order_id = '';
    const decision = decideIngest(withClassic, signed(JSON.stringify(payload)), [SECRET]);
    expect(decision).toMatchObject({
      accepted: false,
      status: 400,
      reason: 'schema-mismatch',
      response: {
        issues: [{ path: 'data.order_id', message: 'Too small: expected string to have >=1 characters' }],
      },
    });
  });
});

function signatureHeaders(scheme: SignatureScheme, body: string): Record<string, string> {
  switch (scheme.type) {
    case 'github':
      return signGithub(SECRET, body);
    case 'hmac':
      return signHmac(scheme, SECRET, body, RECEIVED_AT);
    case 'standard-webhooks':
      return signStandardWebhook(SECRET, { id: 'msg_signed', timestamp: RECEIVED_AT, body });
    default:
      throw new Error(`no signer for ${scheme.type} here`);
  }
}

function bodyWhoseBase64(wanted: (b64: string) => boolean): string {
  for (let i = 0; ; i++) {
    // "?" and ">" at every offset mod 3 put both "/" and "+" in the encoding; i varies the length.
    const body = JSON.stringify({ ...JSON.parse(sample), note: `?>?>?>${i}` });
    if (wanted(Buffer.from(body).toString('base64'))) return body;
  }
}
