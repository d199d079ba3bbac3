import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapAcmeOrder, toDecimal } from '../../../integrations/acme-orders/mapping.js';
import { acmeOrderV1 } from '../../../integrations/acme-orders/schema.js';
import { MappingError } from '../../../integrations/types.js';

const fixtures = new URL('../../../integrations/acme-orders/fixtures/', import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));
const context = {
  eventId: 'msg_fixture',
  integration: 'acme-orders',
  receivedAt: '2026-11-20T10:00:06.000Z',
  schemaVersion: 'v1',
};

describe('acme-orders mapping (golden fixtures)', () => {
  const inputs = readdirSync(fixtures).filter((f) => f.endsWith('.in.json'));

  it('has golden pairs', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(2);
  });

  it.each(inputs)('maps %s to its .out.json', (input) => {
    // Prepare
    const payload = acmeOrderV1.parse(read(input));
    // Act
    const mapped = mapAcmeOrder(payload, context);
    // Assess: deep equality after a JSON round trip, so an `undefined` key counts as present
    expect(JSON.parse(JSON.stringify(mapped))).toEqual(read(input.replace('.in.json', '.out.json')));
    expect(Object.values(mapped)).not.toContain(undefined);
  });
});

describe('toDecimal', () => {
  it.each([
    [12345, 'EUR', '123.45'],
    [5, 'USD', '0.05'],
    [-250, 'EUR', '-2.50'],
    [0, 'EUR', '0.00'],
    [500, 'JPY', '500'],
    [1234, 'KWD', '1.234'],
  ])('%i %s → %s', (minor, currency, expected) => {
    expect(toDecimal(minor, currency)).toBe(expected);
  });
});

describe('acme-orders schema and mapping failures', () => {
  it('fails when amounts are not integers of cents', () => {
    const payload = read('order-created.in.json');
    payload.data.total_cents = 123.45;
    const result = acmeOrderV1.safeParse(payload);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['data', 'total_cents']);
  });

  it('fails when updated_at is before created_at', () => {
    const payload = acmeOrderV1.parse(read('order-updated-jpy.in.json'));
    const broken = { ...payload, data: { ...payload.data, updated_at: payload.data.created_at - 1 } };
    expect(() => mapAcmeOrder(broken, context)).toThrow(MappingError);
  });
});
