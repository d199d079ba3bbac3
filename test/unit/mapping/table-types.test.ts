/**
 * Compile-time guarantees of the field table: each `@ts-expect-error` below is a table that does not
 * fit its target schema, and `tsc --noEmit` fails if any of them starts to compile.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineVersion } from '../../../integrations/mapping/spec.js';
import { enumMap, unixSecondsToIso } from '../../../integrations/mapping/transforms.js';

const source = z.object({
  id: z.string(),
  at: z.number().int(),
  note: z.string().nullable(),
  status: z.string(),
  lines: z.array(z.object({ sku: z.string(), qty: z.number() })),
});
const target = z.strictObject({
  ref: z.string(),
  at: z.string(),
  note: z.string().optional(),
  status: z.enum(['OPEN', 'DONE']),
  lines: z.array(z.strictObject({ sku: z.string(), qty: z.number() })),
});
const status = enumMap({ open: 'OPEN', done: 'DONE' }, { unknown: 'fail' });

const base = { version: 'v1', schema: source, target } as const;

const fits = () =>
  defineVersion({
    version: 'v1',
    schema: source,
    target,
    table: (f) => ({
      ref: f.from('id'),
      at: f.from('at', unixSecondsToIso),
      note: f.from('note').nulls('drop'),
      status: f.from('status', status),
      lines: f.each('lines', (line) => ({ sku: line.from('sku'), qty: line.from('qty') })),
    }),
  });

describe('field table types', () => {
  it('a table that fits its target compiles and builds', () => {
    expect(fits().version).toBe('v1');
  });

  it('tables that do not fit fail tsc (see the @ts-expect-error lines)', () => {
    defineVersion({
      ...base,
      // @ts-expect-error a required target field (ref) is missing
      table: (f) => ({
        at: f.from('at', unixSecondsToIso),
        status: f.from('status', status),
        lines: f.constant([]),
      }),
    });
    defineVersion({
      ...base,
      table: (f) => ({
        ref: f.from('id'),
        at: f.from('at', unixSecondsToIso),
        status: f.from('status', status),
        lines: f.constant([]),
        // @ts-expect-error a target field the schema does not have
        reference: f.from('id'),
      }),
    });
    defineVersion({
      ...base,
      table: (f) => ({
        ref: f.from('id'),
        // @ts-expect-error a number where the target wants an ISO string (transform forgotten)
        at: f.from('at'),
        status: f.from('status', status),
        lines: f.constant([]),
      }),
    });
    defineVersion({
      ...base,
      table: (f) => ({
        ref: f.from('id'),
        at: f.from('at', unixSecondsToIso),
        // @ts-expect-error a nullable source without a null policy: null does not fit `string | undefined`
        note: f.from('note'),
        status: f.from('status', status),
        lines: f.constant([]),
      }),
    });
    defineVersion({
      ...base,
      table: (f) => ({
        ref: f.from('id'),
        at: f.from('at', unixSecondsToIso),
        // @ts-expect-error a plain string where the target wants the enum
        status: f.from('status'),
        lines: f.constant([]),
      }),
    });
    defineVersion({
      ...base,
      table: (f) => ({
        // @ts-expect-error a source path that does not exist
        ref: f.from('identifier'),
        at: f.from('at', unixSecondsToIso),
        status: f.from('status', status),
        lines: f.constant([]),
      }),
    });
    defineVersion({
      ...base,
      table: (f) => ({
        ref: f.from('id'),
        // @ts-expect-error a transform whose input type does not match the source (ISO parser on a number)
        at: f.from('at', enumMap({ a: 'b' }, { unknown: 'passthrough' })),
        status: f.from('status', status),
        lines: f.constant([]),
      }),
    });
    defineVersion({
      ...base,
      table: (f) => ({
        ref: f.from('id'),
        at: f.from('at', unixSecondsToIso),
        status: f.from('status', status),
        // @ts-expect-error an element field of the wrong type
        lines: f.each('lines', (line) => ({ sku: line.from('qty'), qty: line.from('qty') })),
      }),
    });
    expect(true).toBe(true);
  });
});
