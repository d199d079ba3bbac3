import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acmeOrders } from '../../../integrations/acme-orders/index.js';
import { dataMap } from '../../../integrations/mapping/datamap.js';
import { fieldsOf } from '../../../integrations/mapping/fields.js';
import { enumMap } from '../../../integrations/mapping/transforms.js';
import {
  DATAMAP_INTEGRATIONS,
  dataMapPath,
  staleDataMaps,
  writeDataMaps,
} from '../../../integrations/mapping/write-datamaps.js';

const root = new URL('../../../', import.meta.url);

describe('committed data maps', () => {
  it('covers acme-orders and github-issues', () => {
    expect(DATAMAP_INTEGRATIONS.map((i) => i.name)).toEqual(['acme-orders', 'github-issues']);
  });

  it.each(DATAMAP_INTEGRATIONS.map((i) => [i.name, i] as const))(
    'docs/datamap/%s.md matches the definition (run `npm run datamap` when this fails)',
    (_name, integration) => {
      const committed = readFileSync(new URL(dataMapPath(integration.name), root), 'utf8');
      expect(committed).toBe(dataMap(integration));
    },
  );
});

describe('dataMap', () => {
  const map = dataMap(acmeOrders);

  it('has one row per target field with source, types, transform and null policy', () => {
    expect(map).toContain(
      '| `tax` | string `^-?\\d+(\\.\\d+)?$`, optional | `data.tax_cents` | integer \\| null | minor units → decimal string (ISO 4217 exponent of data.currency) | drop (key omitted) |',
    );
    expect(map).toContain(
      '| `lineItems[].sku` | string | `data.items[].sku` | string | copy | — (never null) |',
    );
  });

  it('lists the enum tables with their unknown-value policy', () => {
    expect(map).toContain('`stage` ← `data.status`; unknown values: fail (permanent mapping error).');
    expect(map).toContain('| `cancelled` | `LOST` |');
  });

  it('lists the record rules and the version selector', () => {
    expect(map).toContain('- fails when data.updated_at is before data.created_at');
    expect(map).toContain('header `x-acme-schema-version` (its value is the version name; absent → v1)');
  });

  it('fails for an integration without a mapping spec', () => {
    expect(() => dataMap({ ...acmeOrders, mappingSpec: undefined })).toThrow(/declares no mappingSpec/);
  });
});

describe('dataMap enum coverage', () => {
  it('flags source enum values an enum map does not list', () => {
    // Prepare: a v1 whose stage table forgets `shipped`
    const spec = acmeOrders.mappingSpec;
    if (!spec) throw new Error('acme-orders has no mapping spec');
    const [v1] = spec.versions;
    if (!v1) throw new Error('acme-orders has no v1');
    const table = v1.table as Record<string, unknown>;
    const stage = fieldsOf<{ data: { status: string } }>().from(
      'data.status',
      enumMap({ pending: 'NEW', paid: 'WON', cancelled: 'LOST' }, { unknown: 'fail' }),
    );
    const broken = {
      ...acmeOrders,
      mappingSpec: { ...spec, versions: [{ ...v1, table: { ...table, stage } }] },
    };
    // Act
    const map = dataMap(broken as unknown as typeof acmeOrders);
    // Assess
    expect(map).toContain(
      '**Source values the table does not list** (they take the unknown-value policy): `shipped`.',
    );
  });

  it.each(DATAMAP_INTEGRATIONS.map((i) => [i.name, i] as const))(
    '%s lists every source enum value',
    (_name, integration) => {
      expect(dataMap(integration)).not.toContain('Source values the table does not list');
    },
  );
});

describe('staleDataMaps (what `hookyard datamap --check` reports)', () => {
  it('fails when a committed data map differs from the definitions, or is missing', () => {
    // Prepare: a copy of the data maps, one edited by hand, one removed
    const dir = mkdtempSync(join(tmpdir(), 'hookyard-datamap-'));
    writeDataMaps(dir);
    writeFileSync(join(dir, dataMapPath('acme-orders')), '# edited by hand\n');
    rmSync(join(dir, dataMapPath('github-issues')));
    // Act + Assess
    expect(staleDataMaps(dir)).toEqual([dataMapPath('acme-orders'), dataMapPath('github-issues')]);
    writeDataMaps(dir);
    expect(staleDataMaps(dir)).toEqual([]);
  });
});
