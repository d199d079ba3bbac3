import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws-local.js';
import { type DynamoEmulator, startDynamoEmulator } from '../../../local/emulators/dynamodb.js';
import { createTable, TABLE } from '../../support/dynamo-table.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir?: string): Promise<{ emulator: DynamoEmulator; ddb: DynamoDBClient }> {
  const emulator = await startDynamoEmulator(dataDir === undefined ? {} : { dataDir });
  const ddb = new DynamoDBClient(localClientConfig(emulator.endpoint));
  cleanups.push(async () => {
    ddb.destroy();
    await emulator.stop();
  });
  return { emulator, ddb };
}

/** PutItem as Powertools' DynamoDBPersistenceLayer issues it when a record starts. */
function putInProgress(id: string, nowSeconds: number) {
  return new PutItemCommand({
    TableName: TABLE,
    Item: {
      id: { S: id },
      expiration: { N: String(nowSeconds + 3600) },
      status: { S: 'INPROGRESS' },
      in_progress_expiration: { N: String(nowSeconds * 1000 + 30_000) },
    },
    ConditionExpression:
      'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)',
    ExpressionAttributeNames: {
      '#id': 'id',
      '#expiry': 'expiration',
      '#in_progress_expiry': 'in_progress_expiration',
      '#status': 'status',
    },
    ExpressionAttributeValues: {
      ':now': { N: String(nowSeconds) },
      ':now_in_millis': { N: String(nowSeconds * 1000) },
      ':inprogress': { S: 'INPROGRESS' },
    },
  });
}

describe('dynamodb emulator', () => {
  it('runs the idempotency record life cycle: conditional put, get, update, delete', async () => {
    // Prepare
    const { emulator, ddb } = await start();
    const now = Math.floor(Date.now() / 1000);

    // Act
    const status = await createTable(ddb);
    const described = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
    await ddb.send(putInProgress('acme-orders#evt_1', now));
    const second = await ddb.send(putInProgress('acme-orders#evt_1', now)).catch((error: unknown) => error);
    await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { id: { S: 'acme-orders#evt_1' } },
        UpdateExpression: 'SET #status = :status, #data = :data',
        ExpressionAttributeNames: { '#status': 'status', '#data': 'data' },
        ExpressionAttributeValues: { ':status': { S: 'COMPLETED' }, ':data': { S: '{"status":201}' } },
      }),
    );
    const { Item } = await ddb.send(
      new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'acme-orders#evt_1' } }, ConsistentRead: true }),
    );
    await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { id: { S: 'acme-orders#evt_1' } } }));
    const { Item: gone } = await ddb.send(
      new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'acme-orders#evt_1' } } }),
    );

    // Assess
    expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(status).toBe('CREATING'); // as AWS answers; ACTIVE right after (createTableMs: 0)
    expect(described.Table?.TableStatus).toBe('ACTIVE');
    expect(second).toBeInstanceOf(ConditionalCheckFailedException);
    expect(Item).toMatchObject({ status: { S: 'COMPLETED' }, data: { S: '{"status":201}' } });
    expect(gone).toBeUndefined();
  });

  it('accepts ReturnValuesOnConditionCheckFailure but returns no item with the failure', async () => {
    // Prepare
    const { ddb } = await start();
    const now = Math.floor(Date.now() / 1000);
    await createTable(ddb);
    await ddb.send(putInProgress('evt_2', now));
    const put = putInProgress('evt_2', now);
    put.input.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';

    // Act
    const error = await ddb.send(put).catch((e: unknown) => e);

    // Assess: AWS would carry the existing item; Powertools then falls back to a GetItem.
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toBeUndefined();
  });

  it('keeps tables and items across a restart when given a data directory', async () => {
    // Prepare
    const parent = await mkdtemp(join(tmpdir(), 'hookyard-ddb-'));
    cleanups.push(() => rm(parent, { recursive: true, force: true }));
    const dataDir = join(parent, 'nested', 'dynamodb');
    const before = await start(dataDir);
    await createTable(before.ddb);
    await before.ddb.send(putInProgress('evt_3', Math.floor(Date.now() / 1000)));
    await before.emulator.stop();

    // Act
    const after = await start(dataDir);
    const { Item } = await after.ddb.send(
      new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'evt_3' } } }),
    );

    // Assess
    expect(Item?.status).toEqual({ S: 'INPROGRESS' });
  });

  it('stops idempotently and frees its port', async () => {
    // Prepare
    const { emulator, ddb } = await start();
    await createTable(ddb);

    // Act
    await Promise.all([emulator.stop(), emulator.stop()]);

    // Assess
    await expect(fetch(emulator.endpoint, { method: 'POST' })).rejects.toThrow();
  });
});
