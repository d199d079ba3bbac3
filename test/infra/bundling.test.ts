/**
 * What the shipped bundles leave out, and why that is safe: the ingest function's SDK clients never
 * reach the module replaced by the throwing stand-in, and zod's 40 locales stay out of every bundle.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambdaSdk from '@aws-sdk/client-lambda';
import * as secretsManagerSdk from '@aws-sdk/client-secrets-manager';
import * as sqsSdk from '@aws-sdk/client-sqs';
import { NormalizedSchema } from '@smithy/core/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle, esbuildOptionsOf } from '../../bench/lib/cold-build.js';
import { bundlingOf, INGEST_UNREACHABLE_MODULES } from '../../lib/hookyard-function.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'hookyard-bundling-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type SdkModule = Readonly<Record<string, unknown>>;

/** The SDK's operation schemas a client module exports (`SendMessage$` = [9, namespace, name, traits, input, output]). */
function operationsWithEventStreams(sdk: SdkModule): string[] {
  return Object.entries(sdk)
    .filter(([name, value]) => name.endsWith('$') && Array.isArray(value) && value[0] === 9)
    .filter(([, operation]) => {
      const [, , , , input, output] = operation as unknown[];
      return [input, output].some(
        (schema) =>
          NormalizedSchema.of(schema as Parameters<typeof NormalizedSchema.of>[0]).getEventStreamMember() !==
          '',
      );
    })
    .map(([name]) => name);
}

describe('the SDK event stream support left out of the ingest bundle', () => {
  it('is replaced only where no operation of the clients the function uses has an event stream', () => {
    // Assess: the check finds one where there is one (Lambda's InvokeWithResponseStream)...
    expect(operationsWithEventStreams(lambdaSdk)).toEqual(['InvokeWithResponseStream$']);
    // ...and none in the two clients the ingest function uses.
    expect(INGEST_UNREACHABLE_MODULES).toContain('@smithy/core/event-streams');
    expect(operationsWithEventStreams(sqsSdk)).toEqual([]);
    expect(operationsWithEventStreams(secretsManagerSdk)).toEqual([]);
  });

  it('fails loudly if the stand-in is ever loaded', async () => {
    await expect(import('../../functions/shared/unreachable-module.js')).rejects.toThrow(
      /left out of this bundle as unreachable was loaded/,
    );
  });

  it('fails the build when a replaced module is imported statically (it would be undefined at run time)', async () => {
    // Prepare: what the Lambda client does at construction
    const entry = join(work, 'static-import.ts');
    writeFileSync(
      entry,
      "import { resolveEventStreamSerdeConfig } from '@smithy/core/event-streams';\nexport const config = resolveEventStreamSerdeConfig({});\n",
    );
    // Act / Assess
    await expect(
      buildBundle(entry, join(work, 'static'), esbuildOptionsOf(bundlingOf(INGEST_UNREACHABLE_MODULES))),
    ).rejects.toThrow(/No matching export/);
  });
});

describe('the shipped ingest bundle', () => {
  it('leaves out the SDK event stream code, classic zod and every zod locale but English', async () => {
    // Act
    const built = await buildBundle(
      join(ROOT, 'functions/ingest/handler.ts'),
      join(work, 'ingest'),
      esbuildOptionsOf(bundlingOf(INGEST_UNREACHABLE_MODULES)),
    );
    // Assess: an `import { z } from 'zod'` anywhere brings all 40 locales back (+360 KB)
    const inputs = Object.values(built.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .map(([input]) => input),
    );
    expect(inputs.filter((input) => input.includes('zod/v4/locales/'))).toEqual([
      'node_modules/zod/v4/locales/en.js',
    ]);
    expect(inputs.filter((input) => input.includes('submodules/event-streams/'))).toEqual([]);
    // The sample integrations use zod/mini and our code zod/v4/core: classic zod's classes stay out.
    expect(inputs.filter((input) => input.includes('zod/v4/classic/'))).toEqual([]);
  });
});
