import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Fixture function bundles, written at test time as `index.mjs` in their own asset directory, the
 * shape `cdk.out/asset.<hash>/` has. Each exports `handler`; the event says what to do.
 */
export const FIXTURES = {
  /** Reports its environment, its cold-start identity and the remaining time before and after a pause. */
  probe: `
import { randomUUID } from 'node:crypto';
const environmentId = randomUUID();
let invocations = 0;
export const handler = async (event, context) => {
  invocations += 1;
  const before = context.getRemainingTimeInMillis();
  await new Promise((resolve) => setTimeout(resolve, event.pauseMs ?? 0));
  const after = context.getRemainingTimeInMillis();
  if (event.setEnv) process.env[event.setEnv] = 'set';
  const env = {};
  for (const name of event.read ?? []) env[name] = process.env[name] ?? null;
  console.log('probe', JSON.stringify({ invocations }));
  return {
    environmentId,
    invocations,
    before,
    after,
    env,
    context: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
      methods: ['done', 'fail', 'succeed'].filter((name) => typeof context[name] === 'function'),
    },
  };
};
`,
  /** Throws a named error, spins forever, or returns its invocation count. */
  faulty: `
class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}
let invocations = 0;
export const handler = async (event) => {
  invocations += 1;
  if (event.throw) throw new ValidationError(event.throw);
  if (event.spin) for (;;) {}
  if (event.hang) await new Promise(() => {});
  return { invocations };
};
`,
  /** Logs 'start <id>', waits until the file event.gate exists, logs 'end <id>'. */
  gated: `
import { existsSync } from 'node:fs';
export const handler = async (event) => {
  console.log('start ' + event.id);
  while (!existsSync(event.gate)) await new Promise((resolve) => setTimeout(resolve, 10));
  console.log('end ' + event.id);
  return { id: event.id };
};
`,
  /** An SQS consumer reporting as failed every record whose body is listed in FAIL_BODIES. */
  consumer: `
const fail = new Set((process.env.FAIL_BODIES ?? '').split(',').filter(Boolean));
export const handler = async (event) => ({
  batchItemFailures: event.Records.filter((record) => fail.has(record.body)).map((record) => ({
    itemIdentifier: record.messageId,
  })),
});
`,
} as const;

export type FixtureName = keyof typeof FIXTURES;

export interface FixtureDir {
  readonly root: string;
  /** Writes a fixture bundle into its own asset directory and returns that directory. */
  asset(name: FixtureName, files?: Readonly<Record<string, string>>): Promise<string>;
  /** A path inside the temp dir (for gate files). */
  path(name: string): string;
  remove(): Promise<void>;
}

export async function fixtureDir(): Promise<FixtureDir> {
  const root = await mkdtemp(join(tmpdir(), 'hookyard-runtime-'));
  return {
    root,
    async asset(name, files = { 'index.mjs': FIXTURES[name] }) {
      const dir = join(root, `asset.${name}`);
      if (!existsSync(dir)) await mkdir(dir);
      for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
      return dir;
    },
    path: (name) => join(root, name),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
