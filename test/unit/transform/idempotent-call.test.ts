/** The idempotent call against dynalite (a real DynamoDB emulator, started here). */
import { DeleteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryJob } from '../../../functions/transform/core.js';
import { idempotentCall } from '../../../functions/transform/idempotent-call.js';
import { type DynamoWithTable, startDynamoWithTable, TABLE } from '../../support/dynamo-table.js';
import { lambdaContext } from '../../support/lambda-context.js';

let dynamo: DynamoWithTable;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamoWithTable();
  client = dynamo.client;
});

afterAll(async () => {
  await dynamo?.stop();
});

/** Freezes every level, so a mutation of the idempotent function's input throws (ESM is strict). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const nested of Object.values(value)) deepFreeze(nested);
    Object.freeze(value);
  }
  return value;
}

const job = (key: string): DeliveryJob =>
  deepFreeze({
    integration: 'acme-orders',
    eventId: `evt-${key}`,
    receivedAt: '2026-11-30T12:00:00.000Z',
    schemaVersion: 'v1',
    idempotencyKey: key,
    body: '{"id":"ord_1"}',
  });

function call<R extends { ok: boolean }>(
  fn: (job: DeliveryJob) => Promise<R>,
  time: { remainingTimeMs: () => number; minRemainingMs: number } = {
    remainingTimeMs: () => 10_000,
    minRemainingMs: 0,
  },
) {
  const once = idempotentCall(fn, {
    client,
    tableName: TABLE,
    keyPrefix: 'hookyard.acme-orders',
    ttlSeconds: 3600,
    saveRetry: {
      attempts: 3,
      delayMs: 1,
      ...time,
      sleep: async () => undefined,
    },
  });
  once.registerLambdaContext(lambdaContext());
  return once;
}

async function statuses(): Promise<string[]> {
  const out = await client.send(new ScanCommand({ TableName: TABLE }));
  return (out.Items ?? []).map((item) => item.status?.S ?? '?');
}

describe('idempotentCall', () => {
  it('retries saving the completed record after a throttle, so a second call is a duplicate', async () => {
    // Prepare: the first save of a completed record is throttled
    let throttles = 1;
    const name = 'throttleOnce';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && throttles-- > 0)
          throw Object.assign(new Error('throughput exceeded'), {
            name: 'ProvisionedThroughputExceededException',
          });
        return next(args);
      },
      { step: 'initialize', name },
    );
    let runs = 0;
    const once = call(async () => {
      runs++;
      return { ok: true };
    });
    // Act
    const first = await once(job('save-retried'));
    client.middlewareStack.remove(name);
    const second = await once(job('save-retried'));
    // Assess
    expect([first, second]).toEqual([{ ok: true }, { ok: true }]);
    expect(runs).toBe(1);
    expect(await statuses()).toContain('COMPLETED');
  });

  it('gives up a save that stalls before the invocation ends, so the caller can still report the delivery', async () => {
    // Prepare: saving the completed record hangs (a stalled connection); 1.5 s left, 0.5 s kept back
    const name = 'stallSave';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') await new Promise((r) => setTimeout(r, 20_000));
        return next(args);
      },
      { step: 'initialize', name },
    );
    const deadline = Date.now() + 1500;
    const once = call(async () => ({ ok: true }), {
      remainingTimeMs: () => deadline - Date.now(),
      minRemainingMs: 500,
    });
    // Act
    const outcome = await once(job('save-stalls')).then(
      () => 'saved',
      (error: Error) => error.message,
    );
    const finishedAt = Date.now();
    client.middlewareStack.remove(name);
    // Assess: it failed on its own, before the deadline (a timeout would fail the whole batch instead)
    expect(outcome).toMatch(/Failed to update success record/);
    expect(finishedAt).toBeLessThan(deadline);
    // The record it left in progress is this test's only: clear it for the others.
    const left = await client.send(new ScanCommand({ TableName: TABLE }));
    for (const item of left.Items ?? [])
      if (item.status?.S === 'INPROGRESS')
        await client.send(new DeleteItemCommand({ TableName: TABLE, Key: { id: item.id! } }));
  });

  it('fails, completing nothing, when the function mutates its (frozen) job', async () => {
    // Prepare: a function that "normalises" its input, which the idempotency layer would then hash
    // differently (Powertools ≤ 2.35 completes or deletes the record under the mutated key)
    const once = call(async (j: DeliveryJob) => {
      (j as { idempotencyKey: string }).idempotencyKey = j.idempotencyKey.toLowerCase();
      return { ok: true };
    });
    // Act / Assess
    await expect(once(job('MUTATED'))).rejects.toThrow(TypeError);
    const out = await client.send(new ScanCommand({ TableName: TABLE }));
    expect(out.Items?.filter((item) => item.status?.S !== 'COMPLETED') ?? []).toEqual([]);
  });
});
