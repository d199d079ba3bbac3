/**
 * Builds a function handler with esbuild the two ways the cold-start benchmark compares: naive (one
 * bundle, no minify, no tree shaking) and shipped (the CDK bundling options of
 * lib/hookyard-function.ts, translated to esbuild's API as NodejsFunction passes them to its CLI),
 * and reads the esbuild metafile: which inputs the bytes of the output come from.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Metafile } from 'esbuild';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BuiltBundle {
  readonly file: string;
  /** Bytes of the JavaScript file (the source map, when there is one, is beside it and not counted). */
  readonly bytes: number;
  readonly sourceMap: boolean;
  readonly metafile: Metafile;
}

/** Same handler, bundled into one ESM file as any bundler would by default, without our options. */
export function naiveOptions(): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: false,
    treeShaking: false,
    // The bundle has CommonJS dependencies that call require(), as in the shipped build.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  };
}

/** Option names translated below; any other one set in SHIPPED_BUNDLING stops the benchmark (it would be ignored). */
const TRANSLATED = new Set([
  'format',
  'target',
  'platform',
  'mainFields',
  'minify',
  'sourceMap',
  'sourcesContent',
  'bundleAwsSDK',
  'externalModules',
  'banner',
  'define',
  'keepNames',
  'conditions',
  'esbuildArgs',
]);

/** The esbuild options NodejsFunction derives from `bundling` (see aws-lambda-nodejs/lib/bundling.ts). */
export function esbuildOptionsOf(bundling: nodejs.BundlingOptions): BuildOptions {
  const unknown = Object.keys(bundling).filter((key) => !TRANSLATED.has(key));
  if (unknown.length > 0) {
    throw new Error(`cold-build: translate these bundling options to esbuild first: ${unknown.join(', ')}`);
  }
  const args = bundling.esbuildArgs ?? {};
  const pure = Object.keys(args)
    .filter((flag) => flag.startsWith('--pure:'))
    .map((flag) => flag.slice('--pure:'.length));
  // `--alias:<module>` = <path>, as NodejsFunction passes it to the CLI (the path relative to the project root).
  const alias = Object.fromEntries(
    Object.entries(args)
      .filter(([flag]) => flag.startsWith('--alias:'))
      .map(([flag, to]) => [flag.slice('--alias:'.length), String(to)]),
  );
  const otherArgs = Object.keys(args).filter(
    (flag) => !flag.startsWith('--pure:') && !flag.startsWith('--alias:'),
  );
  if (otherArgs.length > 0)
    throw new Error(`cold-build: translate these esbuild args first: ${otherArgs.join(', ')}`);
  // Without bundleAwsSDK, NodejsFunction leaves the runtime's SDK out of the bundle.
  const external = bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : ['@aws-sdk/*']);
  return {
    bundle: true,
    format: bundling.format === 'esm' ? 'esm' : 'cjs',
    target: bundling.target,
    platform: bundling.platform === 'browser' ? 'browser' : 'node',
    mainFields: bundling.mainFields,
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    external,
    banner: bundling.banner ? { js: bundling.banner } : undefined,
    define: bundling.define,
    keepNames: bundling.keepNames,
    conditions: (bundling as { conditions?: string[] }).conditions,
    pure: pure.length > 0 ? pure : undefined,
    alias: Object.keys(alias).length > 0 ? alias : undefined,
  };
}

export async function buildBundle(
  entry: string,
  outDir: string,
  options: BuildOptions,
): Promise<BuiltBundle> {
  mkdirSync(outDir, { recursive: true });
  // Named for its format, as the Lambda runtime (and Node) tell ESM from CommonJS by the extension.
  const file = join(outDir, options.format === 'cjs' ? 'index.cjs' : 'index.mjs');
  const result = await build({
    // NodejsFunction runs esbuild in the project root: relative alias paths resolve there.
    absWorkingDir: PROJECT_ROOT,
    ...options,
    entryPoints: [entry],
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  return {
    file,
    bytes: statSync(file).size,
    sourceMap: Boolean(options.sourcemap),
    metafile: result.metafile,
  };
}

/** `node_modules/@scope/pkg/…` → `@scope/pkg`; project files → their top folders. */
export function ownerOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) {
    const name = parts[at + 1] ?? input;
    return name.startsWith('@') ? `${name}/${parts[at + 2] ?? ''}` : name;
  }
  return parts.slice(0, 2).join('/');
}

export interface Contribution {
  readonly owner: string;
  readonly bytes: number;
}

/** Bytes in the output per package (or project folder), largest first. */
export function contributions(metafile: Metafile): Contribution[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      totals.set(ownerOf(input), (totals.get(ownerOf(input)) ?? 0) + bytesInOutput);
    }
  }
  return [...totals]
    .map(([owner, bytes]) => ({ owner, bytes }))
    .filter((c) => c.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** The output cut into 100 KB slices, largest contributors first: "what each 100 KB is". */
export function hundredKbSlices(parts: readonly Contribution[], total: number): string[][] {
  const slices: string[][] = [];
  const at = (slice: number) => {
    slices[slice] = slices[slice] ?? [];
    return slices[slice];
  };
  let offset = 0;
  for (const part of parts) {
    const first = Math.floor(offset / 100_000);
    const last = Math.floor((offset + part.bytes - 1) / 100_000);
    for (let slice = first; slice <= last; slice++) at(slice).push(part.owner);
    offset += part.bytes;
  }
  // The rest of the file: the banner, esbuild's module wrappers, whitespace.
  if (total > offset) at(Math.floor(offset / 100_000)).push('(esbuild runtime and glue)');
  return slices;
}
