import { writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  FunctionCrashError,
  FunctionInvokeError,
  FunctionTimeoutError,
  type LocalFunction,
  type LocalFunctionOptions,
  startLocalFunction,
} from '../../../local/runtime/lambda-runner.js';
import { type FixtureDir, type FixtureName, fixtureDir, waitFor } from './fixtures.js';

interface ProbeResult {
  readonly environmentId: string;
  readonly invocations: number;
  readonly before: number;
  readonly after: number;
  readonly env: Record<string, string | null>;
  readonly context: Record<string, unknown>;
}

let dir: FixtureDir;
const functions: LocalFunction[] = [];

beforeEach(async () => {
  dir = await fixtureDir();
});

afterEach(async () => {
  for (const fn of functions.splice(0)) await fn.stop();
  await dir.remove();
});

/** Starts `fixture`'s asset (or, given `files`, an asset of those files instead) as a local function. */
async function start(
  fixture: FixtureName,
  overrides: Partial<LocalFunctionOptions> = {},
  files?: Readonly<Record<string, string>>,
): Promise<{ fn: LocalFunction; logs: string[] }> {
  const logs: string[] = [];
  const fn = await startLocalFunction({
    name: fixture,
    assetDir: await dir.asset(fixture, files),
    handler: 'index.handler',
    env: {},
    timeoutSeconds: 5,
    onLog: (line) => logs.push(line),
    ...overrides,
  });
  functions.push(fn);
  return { fn, logs };
}

describe('startLocalFunction', () => {
  it('gives each function its own environment variables, with the ones Lambda sets', async () => {
    // Prepare
    process.env.HOOKYARD_HOST_ONLY = 'host';
    onTestFinished(() => {
      delete process.env.HOOKYARD_HOST_ONLY;
    });
    const read = [
      'HOOKYARD_COLOR',
      'HOOKYARD_SET_BY_OTHER',
      'HOOKYARD_HOST_ONLY',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
    ];
    const { fn: red } = await start('probe', { name: 'red', env: { HOOKYARD_COLOR: 'red' }, memoryMb: 256 });
    const { fn: blue } = await start('probe', { name: 'blue', env: { HOOKYARD_COLOR: 'blue' } });
    await red.invoke({ setEnv: 'HOOKYARD_SET_BY_OTHER' });

    // Act
    const fromRed = await red.invoke<ProbeResult>({
      read: [...read, 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'LAMBDA_TASK_ROOT'],
    });
    const fromBlue = await blue.invoke<ProbeResult>({
      read: [...read, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
    });

    // Assess
    expect(fromRed.env).toEqual({
      HOOKYARD_COLOR: 'red',
      HOOKYARD_SET_BY_OTHER: 'set',
      HOOKYARD_HOST_ONLY: null,
      AWS_LAMBDA_FUNCTION_NAME: 'red',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      LAMBDA_TASK_ROOT: dir.path('asset.probe'),
    });
    expect(fromBlue.env).toEqual({
      HOOKYARD_COLOR: 'blue',
      HOOKYARD_SET_BY_OTHER: null,
      HOOKYARD_HOST_ONLY: null,
      AWS_LAMBDA_FUNCTION_NAME: 'blue',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_ACCESS_KEY_ID: expect.any(String),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
    });
    expect(process.env.HOOKYARD_COLOR).toBeUndefined();
    expect(process.env.HOOKYARD_SET_BY_OTHER).toBeUndefined();
  });

  it('passes a Lambda context whose remaining time counts down from the timeout', async () => {
    // Prepare
    const { fn, logs } = await start('probe', { name: 'ctx', timeoutSeconds: 3, memoryMb: 512 });

    // Act
    const result = await fn.invoke<ProbeResult>({ pauseMs: 50 });

    // Assess
    expect(result.before).toBeLessThanOrEqual(3000);
    expect(result.before).toBeGreaterThan(0);
    expect(result.after).toBeLessThan(result.before);
    expect(result.context).toEqual({
      awsRequestId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      functionName: 'ctx',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ctx',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/ctx',
      logStreamName: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/),
      callbackWaitsForEmptyEventLoop: true,
      methods: ['done', 'fail', 'succeed'],
    });
    const requestId = result.context.awsRequestId as string;
    expect(logs).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(logs.find((line) => line.includes('\tINFO\tprobe'))).toMatch(
      new RegExp(`^\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\t${requestId}\\tINFO\\tprobe \\{"invocations":1\\}$`),
    );
    expect(logs).toContain(`END RequestId: ${requestId}`);
    expect(logs.find((line) => line.startsWith(`REPORT RequestId: ${requestId}`))).toContain(
      'Init Duration:',
    );
  });

  it('fails with the errorType and errorMessage when the handler throws, and stays warm', async () => {
    // Prepare
    const { fn, logs } = await start('faulty');

    // Act
    const error = await fn.invoke({ throw: 'amount is negative' }).catch((caught: unknown) => caught);
    const next = await fn.invoke<{ invocations: number }>({});

    // Assess
    expect(error).toBeInstanceOf(FunctionInvokeError);
    expect(error).toMatchObject({ errorType: 'ValidationError', errorMessage: 'amount is negative' });
    expect((error as FunctionInvokeError).trace[0]).toBe('ValidationError: amount is negative');
    expect(logs.some((line) => /\tERROR\tInvoke Error \t\{"errorType":"ValidationError"/.test(line))).toBe(
      true,
    );
    expect(next).toEqual({ invocations: 2 });
  });

  it('fails when the handler overruns its timeout, and the next invoke is a cold start', async () => {
    // Prepare
    const { fn, logs } = await start('faulty', { timeoutSeconds: 1 });
    await fn.invoke({});

    // Act
    const error = await fn.invoke({ spin: true }).catch((caught: unknown) => caught);
    const next = await fn.invoke<{ invocations: number }>({});

    // Assess
    expect(error).toBeInstanceOf(FunctionTimeoutError);
    expect(error).toMatchObject({ name: 'FunctionTimeoutError', errorType: 'Sandbox.Timedout' });
    expect((error as FunctionTimeoutError).errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    expect(logs.some((line) => line.endsWith('Task timed out after 1.00 seconds'))).toBe(true);
    expect(logs.some((line) => line.startsWith('REPORT') && line.endsWith('Status: timeout'))).toBe(true);
    expect(next).toEqual({ invocations: 1 });
    expect(fn.concurrency.environments).toBe(1);
  });

  it('runs one invocation per environment and queues past maxConcurrency', async () => {
    // Prepare
    const { fn, logs } = await start('gated', { maxConcurrency: 2 });
    const gate = dir.path('gate');

    // Act
    const results = ['a', 'b', 'c'].map((id) => fn.invoke<{ id: string }>({ id, gate }));
    await waitFor(
      () => logs.filter((line) => line.endsWith('\tstart a') || line.endsWith('\tstart b')).length === 2,
      'a and b to start',
    );
    const whileBlocked = { ...fn.concurrency, startedC: logs.some((line) => line.endsWith('\tstart c')) };
    await writeFile(gate, '');
    const done = await Promise.all(results);

    // Assess
    expect(whileBlocked).toEqual({ environments: 2, active: 2, queued: 1, startedC: false });
    expect(done.map((result) => result.id)).toEqual(['a', 'b', 'c']);
    const order = logs
      .filter((line) => /\t(start|end) [abc]$/.test(line))
      .map((line) => line.split('\t').at(-1));
    expect(order.indexOf('start c')).toBeGreaterThan(
      Math.min(order.indexOf('end a'), order.indexOf('end b')),
    );
    expect(fn.concurrency).toEqual({ environments: 2, active: 0, queued: 0 });
  });

  it('fails with Runtime.HandlerNotFound when the export is missing', async () => {
    // Prepare
    const { fn } = await start('probe', { handler: 'index.nope' });

    // Act
    const error = await fn.invoke({}).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(FunctionInvokeError);
    expect(error).toMatchObject({
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.nope is undefined or not exported',
    });
  });

  it('fails with Runtime.CallbackHandlerDeprecated for a callback-style handler on nodejs24.x', async () => {
    // Prepare
    const { fn } = await start(
      'probe',
      { name: 'cb', timeoutSeconds: 3 },
      { 'index.mjs': 'export const handler = (event, context, callback) => callback(null, 1);' },
    );

    // Act
    const error = await fn.invoke({}).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ errorType: 'Runtime.CallbackHandlerDeprecated' });
  });

  it('fails with a crash error when a rejection goes unhandled, and recovers with a cold start', async () => {
    // Prepare
    const { fn } = await start(
      'probe',
      { name: 'leaky', timeoutSeconds: 3 },
      {
        'index.mjs': `let n = 0;
export const handler = async (event) => {
  n += 1;
  if (event.leak) { Promise.reject(new Error('lost')); await new Promise((r) => setTimeout(r, 200)); }
  return n;
};`,
      },
    );
    await fn.invoke({});

    // Act
    const error = await fn.invoke({ leak: true }).catch((caught: unknown) => caught);
    const next = await fn.invoke({});

    // Assess
    expect(error).toBeInstanceOf(FunctionCrashError);
    expect(error).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection' });
    expect(next).toBe(1);
  });

  it('fails at start when the asset has no handler module', async () => {
    // Prepare
    const assetDir = await dir.asset('probe', { 'other.mjs': '' });

    // Act
    const starting = startLocalFunction({
      name: 'x',
      assetDir,
      handler: 'main.handler',
      env: {},
      timeoutSeconds: 3,
    });

    // Assess
    await expect(starting).rejects.toThrow(/no module file/);
  });
});
