import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  parseHandler,
  resolveHandlerFile,
  startLocalFunction,
} from '../../../local/runtime/lambda-runner.js';

describe('parseHandler', () => {
  it.each([
    ['index.handler', { moduleRoot: '', moduleName: 'index', handlerName: 'handler' }],
    ['src/app.main', { moduleRoot: 'src', moduleName: 'app', handlerName: 'main' }],
    ['index.handlers.ingest', { moduleRoot: '', moduleName: 'index', handlerName: 'handlers.ingest' }],
  ])('splits %s', (handler, expected) => {
    // Act & Assess
    expect(parseHandler(handler)).toEqual(expected);
  });

  it.each(['index', '.handler', '../index.handler'])('fails when the handler is %s', (handler) => {
    // Act & Assess
    expect(() => parseHandler(handler)).toThrow(/is not valid/);
  });
});

describe('resolveHandlerFile', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookyard-resolve-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tries .js before .mjs before .cjs, as the Node.js runtime does', async () => {
    // Prepare
    await writeFile(join(dir, 'index.mjs'), '');
    await writeFile(join(dir, 'index.cjs'), '');
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'lib', 'app.cjs'), '');

    // Act & Assess
    expect(resolveHandlerFile(dir, 'index.handler')).toBe(join(dir, 'index.mjs'));
    expect(resolveHandlerFile(dir, 'lib/app.handler')).toBe(join(dir, 'lib', 'app.cjs'));
  });

  it('fails when no module file exists', () => {
    // Act & Assess
    expect(() => resolveHandlerFile(dir, 'index.handler')).toThrow(
      /no module file .* \(tried index, index\.js, index\.mjs, index\.cjs\)/,
    );
  });
});

describe('startLocalFunction', () => {
  it('fails on settings Lambda would refuse, listing every problem', async () => {
    // Act
    const starting = startLocalFunction({
      name: 'fn',
      assetDir: tmpdir(),
      handler: 'index.handler',
      env: { AWS_LAMBDA_FUNCTION_NAME: 'other' },
      timeoutSeconds: 901,
      memoryMb: 64,
    });

    // Assess
    await expect(starting).rejects.toThrow(
      /timeoutSeconds must be in \(0, 900\], got 901; memoryMb must be an integer in \[128, 10240\], got 64; env sets variables Lambda reserves: AWS_LAMBDA_FUNCTION_NAME/,
    );
  });
});
