/**
 * `npm run datamap`: writes docs/datamap/<integration>.md for every integration with a mapping spec.
 * The CLI's `hookyard datamap` calls `writeDataMaps`; the staleness test compares `dataMap` output
 * with the committed files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { githubIssues } from '../github-issues/index.js';
import { integrations } from '../index.js';
import type { AnyIntegration } from '../types.js';
import { dataMap } from './datamap.js';

/**
 * Integrations with a data map: the registry, plus samples not registered yet (github-issues joins
 * the registry in a later change; then it is found there and the extra entry is a no-op).
 */
export const DATAMAP_INTEGRATIONS: readonly AnyIntegration[] = [...integrations, githubIssues].filter(
  (integration, index, all) =>
    integration.mappingSpec !== undefined &&
    all.findIndex((other) => other.name === integration.name) === index,
);

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
