import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { acmeOrders } from '../../../integrations/acme-orders/index.js';
import { FieldMappingError, MappingOutputError } from '../../../integrations/mapping/errors.js';
import { mapAndValidate, selectVersion } from '../../../integrations/mapping/spec.js';
import { MappingError } from '../../../integrations/types.js';
import { catchError } from '../../support/errors.js';

const fixtures = new URL('../../../integrations/acme-orders/fixtures/', import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));
const context = {
  eventId: 'msg_fixture',
  integration: 'acme-orders',
  receivedAt: '2026-11-20T10:00:06.000Z',
  schemaVersion: 'v1',
};

describe('acme-orders mapping (golden fixtures, declarative engine)', () => {
  const inputs = readdirSync(fixtures).filter((f) => f.endsWith('.in.json'));

  it('has golden pairs', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(2);
  });

  it.each(inputs)('maps %s to its .out.json', (input) => {
    // Act
    const mapped = mapAndValidate(acmeOrders, read(input), context);
    // Assess: deep equality after a JSON round trip, so an `undefined` key counts as present
    expect(JSON.parse(JSON.stringify(mapped))).toEqual(read(input.replace('.in.json', '.out.json')));
    expect(Object.values(mapped as object)).not.toContain(undefined);
  });

  it.each(inputs)('the definition mapping (what the transformer calls today) agrees on %s', (input) => {
    const mapped = acmeOrders.mapping(read(input), context);
    expect(mapped).toEqual(mapAndValidate(acmeOrders, read(input), context));
  });
});

describe('acme-orders version selection', () => {
  it('selects v1 when the webhook names no version', () => {
    expect(selectVersion(acmeOrders, {}, read('order-created.in.json'))).toEqual({ ok: true, version: 'v1' });
  });

  it('selects the version named by the X-Acme-Schema-Version header (any case)', () => {
    expect(selectVersion(acmeOrders, { 'X-Acme-Schema-Version': 'v1' }, {})).toEqual({
      ok: true,
      version: 'v1',
    });
  });

  it('fails when the header names a version acme-orders does not declare', () => {
    const selection = selectVersion(acmeOrders, { 'x-acme-schema-version': 'v9' }, {});
    expect(selection).toMatchObject({ ok: false, reason: 'unknown-version', value: 'v9' });
  });
});

describe('acme-orders mapping failures', () => {
  it('fails when updated_at is before created_at, naming the field', () => {
    const payload = read('order-updated-jpy.in.json');
    payload.data.updated_at = payload.data.created_at - 1;
    const error = catchError(() => mapAndValidate(acmeOrders, payload, context));
    expect(error).toBeInstanceOf(FieldMappingError);
    expect(error).toMatchObject({ code: 'rule-violated', path: 'data.updated_at' });
  });

  it('fails with a MappingError, not a RangeError, when created_at is beyond the year 9999', () => {
    // Prepare: 8.64e12 + 1 s passed the schema and made the old mapping's toISOString() throw RangeError
    const payload = read('order-created.in.json');
    payload.data.created_at = 8.64e12 + 1;
    // Act + Assess: a typed, permanent mapping failure (out-of-range, or invalid-payload once the schema bounds it)
    expect(catchError(() => mapAndValidate(acmeOrders, payload, context))).toBeInstanceOf(MappingError);
  });

  it('fails with unknown-currency instead of guessing an exponent', () => {
    const payload = read('order-created.in.json');
    payload.data.currency = 'XYZ';
    expect(catchError(() => mapAndValidate(acmeOrders, payload, context))).toMatchObject({
      code: 'unknown-currency',
      path: 'data.currency',
    });
  });

  it('fails with mapping-invalid-output and the target paths when the body breaks the CRM schema', () => {
    const payload = read('order-created.in.json');
    // Prepare: an empty event id in the context breaks the target's source.eventId (min 1)
    const error = catchError(() => mapAndValidate(acmeOrders, payload, { ...context, eventId: '' }));
    // Assess
    expect(error).toBeInstanceOf(MappingOutputError);
    expect((error as MappingOutputError).issues.map((i) => i.path)).toEqual(['source.eventId']);
    expect((error as Error).message).toMatch(/^mapping-invalid-output: .*source\.eventId/);
  });

  it('fails with invalid-payload and the source paths when amounts are not integers', () => {
    const payload = read('order-created.in.json');
    payload.data.total_cents = 123.45;
    const error = catchError(() => mapAndValidate(acmeOrders, payload, context));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ code: 'invalid-payload', issues: [{ path: 'data.total_cents' }] });
  });

  // No classic `zod` is imported by this file: Zod Mini alone would say "Invalid input" for everything.
  it('explains a refused payload in English (Zod Mini loads no locale of its own)', () => {
    const payload = read('order-created.in.json');
    delete payload.data.customer.email;
    const error = catchError(() => mapAndValidate(acmeOrders, payload, context));
    expect(error).toMatchObject({
      issues: [
        { path: 'data.customer.email', message: 'Invalid input: expected string, received undefined' },
      ],
    });
  });
});
