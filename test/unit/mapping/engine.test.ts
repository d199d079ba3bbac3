import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FieldMappingError,
  MappingOutputError,
  MappingVersionError,
} from '../../../integrations/mapping/errors.js';
import { describeTable } from '../../../integrations/mapping/fields.js';
import {
  defineMappingSpec,
  defineVersion,
  mapAndValidate,
  mapperOf,
  selectVersion,
} from '../../../integrations/mapping/spec.js';
import {
  enumMap,
  minorUnitsToDecimal,
  trim,
  unixSecondsToIso,
} from '../../../integrations/mapping/transforms.js';
import { type AnyIntegration, defineIntegration, type MappingContext } from '../../../integrations/types.js';
import { catchError } from '../../support/errors.js';

const source = z.object({
  kind: z.string(),
  at: z.number().int(),
  title: z.string(),
  note: z.string().nullable(),
  currency: z.string(),
  lines: z.array(z.object({ sku: z.string(), cents: z.number().int(), tags: z.array(z.string()) })),
  owner: z.object({ login: z.string() }).nullable(),
});
const target = z.strictObject({
  kind: z.enum(['A', 'B', 'OTHER']),
  at: z.iso.datetime(),
  title: z.string().min(1),
  note: z.string().optional(),
  noteOrNull: z.string().nullable(),
  noteOrDefault: z.string(),
  lines: z.array(z.strictObject({ sku: z.string(), price: z.string(), tags: z.array(z.string()) })),
  owner: z.string().optional(),
  lineCount: z.number().int(),
  channel: z.literal('webhook'),
  eventId: z.string(),
});
const context: MappingContext = {
  eventId: 'evt_1',
  integration: 'sample',
  receivedAt: '2026-11-20T10:00:00.000Z',
  schemaVersion: 'v1',
};
const payload = {
  kind: 'a',
  at: 1_763_632_800,
  title: '  Broken login  ',
  note: null,
  currency: 'EUR',
  lines: [
    { sku: 'X', cents: 1250, tags: ['red'] },
    { sku: 'Y', cents: 5, tags: [] },
  ],
  owner: { login: 'octocat' },
};

const v1 = defineVersion({
  version: 'v1',
  schema: source,
  target,
  table: (f) => ({
    kind: f.from('kind', enumMap({ a: 'A', b: 'B' }, { unknown: 'default', value: 'OTHER' })),
    at: f.from('at', unixSecondsToIso),
    title: f.from('title', trim),
    note: f.from('note').nulls('drop'),
    noteOrNull: f.from('note').nulls('keep'),
    noteOrDefault: f.from('note').nulls('default', '(none)'),
    lines: f.each('lines', (line) => ({
      sku: line.from('sku'),
      price: line.from('cents', minorUnitsToDecimal('currency')),
      tags: line.each('tags', (tag) => tag.self(trim)),
    })),
    owner: f.from('owner.login').nulls('drop'),
    lineCount: f.compute('number of lines', ['lines'], (s) => s.lines.length),
    channel: f.constant('webhook'),
    eventId: f.context('eventId'),
  }),
});

const spec = defineMappingSpec({
  target,
  selector: { field: 'kind', values: { a: 'v1', b: 'v1' } },
  versions: [v1],
});
const integration: AnyIntegration = defineIntegration({
  name: 'sample',
  source: { signature: { type: 'github' }, schemas: [{ version: 'v1', schema: source }] },
  mapping: mapperOf('sample', spec),
  mappingSpec: spec,
  target: { baseUrl: { local: 'http://127.0.0.1:1' }, path: '/', auth: { type: 'none' } },
});

describe('mapAndValidate', () => {
  it('runs transforms, null policies, each, compute, constants and context', () => {
    expect(mapAndValidate(integration, payload, context)).toEqual({
      kind: 'A',
      at: '2025-11-20T10:00:00.000Z',
      title: 'Broken login',
      noteOrNull: null,
      noteOrDefault: '(none)',
      lines: [
        { sku: 'X', price: '12.50', tags: ['red'] },
        { sku: 'Y', price: '0.05', tags: [] },
      ],
      owner: 'octocat',
      lineCount: 2,
      channel: 'webhook',
      eventId: 'evt_1',
    });
  });

  it('drops a field whose nullable parent is null', () => {
    const mapped = mapAndValidate(integration, { ...payload, owner: null }, context) as Record<
      string,
      unknown
    >;
    expect(Object.hasOwn(mapped, 'owner')).toBe(false);
  });

  it('fails with the element path when a transform inside each fails', () => {
    const bad = { ...payload, lines: [payload.lines[0], { sku: 'Z', cents: 1, tags: ['ok', 7] }] };
    // the source schema rejects the number first: invalid-payload with the path
    expect(() => mapAndValidate(integration, bad, context)).toThrow(MappingVersionError);
    const badCurrency = { ...payload, currency: 'EURO' };
    const error = catchError(() => mapAndValidate(integration, badCurrency, context));
    expect(error).toBeInstanceOf(FieldMappingError);
    expect(error).toMatchObject({ code: 'unknown-currency', path: 'currency' });
  });

  it('fails with null-value and the path under the fail policy', () => {
    const strict = defineVersion({
      version: 'v1',
      schema: source,
      target: z.strictObject({ note: z.string() }),
      table: (f) => ({ note: f.from('note').nulls('fail') }),
    });
    const strictSpec = defineMappingSpec({
      target: z.strictObject({ note: z.string() }),
      selector: { header: 'v' },
      versions: [strict],
    });
    const error = catchError(() =>
      mapAndValidate({ ...integration, mappingSpec: strictSpec }, payload, context),
    );
    expect(error).toMatchObject({ code: 'null-value', path: 'note' });
  });

  it('fails with mapping-invalid-output listing every failing target path, never returning the body', () => {
    const error = catchError(() =>
      mapAndValidate(integration, { ...payload, title: '   ' }, { ...context, eventId: 7 as never }),
    );
    expect(error).toBeInstanceOf(MappingOutputError);
    expect((error as MappingOutputError).code).toBe('mapping-invalid-output');
    expect((error as MappingOutputError).issues.map((i) => i.path).sort()).toEqual(['eventId', 'title']);
  });

  it('fails with unknown-version when the context names an undeclared version', () => {
    const error = catchError(() => mapAndValidate(integration, payload, { ...context, schemaVersion: 'v2' }));
    expect(error).toMatchObject({ code: 'unknown-version' });
  });

  it('runs record steps after the table, with the parsed source', () => {
    const withStep = defineMappingSpec({
      target,
      selector: { header: 'v' },
      versions: [
        {
          ...v1,
          record: [
            {
              description: 'fails when there are more than 1 line',
              apply: (mapped, s: z.infer<typeof source>) => {
                if (s.lines.length > 1)
                  throw new FieldMappingError('rule-violated', 'lines', 'too many lines');
                return mapped;
              },
            },
          ],
        },
      ],
    });
    const error = catchError(() =>
      mapAndValidate({ ...integration, mappingSpec: withStep }, payload, context),
    );
    expect(error).toMatchObject({ code: 'rule-violated', path: 'lines' });
  });
});

describe('describeTable', () => {
  it('lists one row per target leaf with absolute source paths, transform and null policy', () => {
    const rows = describeTable(v1.table).map((r) => [
      r.target,
      r.sources.join(' + '),
      r.info.nulls ?? '',
      r.info.transform ?? '',
    ]);
    expect(rows).toContainEqual(['note', 'note', 'drop', '']);
    expect(rows).toContainEqual([
      'lines[].price',
      'lines[].cents',
      'keep',
      'minor units → decimal string (ISO 4217 exponent of currency)',
    ]);
    expect(rows).toContainEqual(['lines[].tags[]', 'lines[].tags[]', 'keep', 'trim whitespace']);
    expect(rows).toContainEqual(['eventId', 'context.eventId', '', '']);
    expect(rows).toContainEqual(['owner', 'owner.login', 'drop', '']);
  });
});

describe('selectVersion', () => {
  it('maps the selector field value through the declared values table', () => {
    expect(selectVersion(integration, {}, payload)).toEqual({ ok: true, version: 'v1' });
  });

  it('fails with unknown-version and the value for a value not in the table', () => {
    expect(selectVersion(integration, {}, { ...payload, kind: 'c' })).toMatchObject({
      ok: false,
      reason: 'unknown-version',
      value: 'c',
    });
  });

  it('fails with missing-version when the field is absent and no default is declared', () => {
    expect(selectVersion(integration, {}, {})).toMatchObject({ ok: false, reason: 'missing-version' });
  });

  it('does not treat Object.prototype keys as declared values', () => {
    expect(selectVersion(integration, {}, { kind: 'constructor' })).toMatchObject({
      ok: false,
      reason: 'unknown-version',
    });
  });
});

describe('defineMappingSpec', () => {
  it('fails when the selector names a version that is not declared', () => {
    expect(() =>
      defineMappingSpec({ target, selector: { header: 'v', whenAbsent: 'v2' }, versions: [v1] }),
    ).toThrow(/undeclared version\(s\) v2/);
  });

  it('fails when a version is declared twice', () => {
    expect(() => defineMappingSpec({ target, selector: { header: 'v' }, versions: [v1, v1] })).toThrow(
      /twice/,
    );
  });
});
