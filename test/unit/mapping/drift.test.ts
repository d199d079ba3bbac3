import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { unknownFieldsOf } from '../../../integrations/mapping/drift.js';

describe('unknownFieldsOf', () => {
  const schema = z.object({
    id: z.string(),
    customer: z.object({ name: z.string() }).nullable(),
    items: z.array(z.object({ sku: z.string() })).optional(),
    meta: z.looseObject({ source: z.string() }),
    tags: z.strictObject({ a: z.string() }).default({ a: 'x' }),
  });

  it('reports keys the schema does not declare, at any depth, with [] for array elements', () => {
    const payload = {
      id: '1',
      extra: true,
      customer: { name: 'Ada', vip: true },
      items: [{ sku: 'A' }, { sku: 'B', colour: 'red' }],
      meta: { source: 'x' },
      tags: { a: 'y', b: 'z' },
    };
    expect(unknownFieldsOf(schema, payload).sort()).toEqual([
      'customer.vip',
      'extra',
      'items[].colour',
      'tags.b',
    ]);
  });

  it('never reports the keys of an object declared open (z.looseObject)', () => {
    expect(unknownFieldsOf(schema, { id: '1', customer: null, meta: { source: 'x', anything: 1 } })).toEqual(
      [],
    );
  });

  it('ignores values of the wrong type (that is the schema check’s job, not drift)', () => {
    expect(unknownFieldsOf(schema, { id: 1, customer: 'nobody', items: 'none' })).toEqual([]);
  });
});
