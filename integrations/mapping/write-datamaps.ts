/**
 * `npm run datamap`: writes docs/datamap/<integration>.md for every integration with a mapping spec.
 * The CLI's `hookyard datamap` calls `writeDataMaps`; the staleness test compares `dataMap` output
 * with the committed files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integrations } from '../index.js';
import type { AnyIntegration } from '../types.js';
import { dataMap } from './datamap.js';

/** Integrations with a data map: every registered one with a mapping spec. */
export const DATAMAP_INTEGRATIONS: readonly AnyIntegration[] = integrations.filter(
  (integration) => integration.mappingSpec !== undefined,
);

/** The data maps under `root` that differ from what the definitions produce (missing ones too). */
export function staleDataMaps(
  root: string,
  subjects: readonly AnyIntegration[] = DATAMAP_INTEGRATIONS,
): string[] {
  return subjects
    .map((integration) => ({ integration, path: dataMapPath(integration.name) }))
    .filter(({ integration, path }) => {
      const file = join(root, path);
      return !existsSync(file) || readFileSync(file, 'utf8') !== dataMap(integration);
    })
    .map(({ path }) => path);
}

/** `docs/datamap/<name>.md`, relative to the repository root. */
export function dataMapPath(name: string): string {
  return join('docs', 'datamap', `${name}.md`);
}

/** Writes every data map under `root`; returns the paths written (relative to `root`). */
export function writeDataMaps(
  root: string,
  subjects: readonly AnyIntegration[] = DATAMAP_INTEGRATIONS,
): string[] {
  mkdirSync(join(root, 'docs', 'datamap'), { recursive: true });
  return subjects.map((integration) => {
    const path = dataMapPath(integration.name);
    writeFileSync(join(root, path), dataMap(integration));
    return path;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of writeDataMaps(process.cwd())) console.log(`wrote ${path}`);
}
