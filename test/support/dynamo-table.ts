/**
 * dynalite with the table the functions use (Powertools idempotency records, failure records, the
 * shared rate schedule: partition key `id`), for tests that start their own DynamoDB emulator.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../local/aws-local.js';
import {
  type DynamoEmulator,
  type DynamoEmulatorOptions,
  startDynamoEmulator,
  waitForActiveTable,
} from '../../local/emulators/dynamodb.js';

export const TABLE = 'idempotency';

/**
 * Creates `table` (partition key `id`, on demand) and resolves once it is ACTIVE: dynalite answers
 * CREATING and turns ACTIVE on a timer, later under load and on disk; item calls before that fail with
 * ResourceNotFoundException (as on AWS). Resolves with the status CreateTable answered.
 */
export async function createTable(client: DynamoDBClient, table = TABLE): Promise<string | undefined> {
  const { TableDescription } = await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitForActiveTable(client, table);
  return TableDescription?.TableStatus;
}

export interface DynamoWithTable {
  readonly emulator: DynamoEmulator;
  /** A client of the emulator; `stop()` destroys it. */
  readonly client: DynamoDBClient;
  /** Another client (a container of its own); `stop()` destroys it too. */
  newClient(): DynamoDBClient;
  /** Destroys the clients, then stops the emulator. */
  stop(): Promise<void>;
}

/** Starts dynalite (in memory unless `dataDir`) with `TABLE` created and ACTIVE. */
export async function startDynamoWithTable(opts: DynamoEmulatorOptions = {}): Promise<DynamoWithTable> {
  const emulator = await startDynamoEmulator(opts);
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const client = new DynamoDBClient(localClientConfig(emulator.endpoint));
    clients.push(client);
    return client;
  };
  const client = newClient();
  try {
    await createTable(client);
  } catch (error) {
    client.destroy();
    await emulator.stop();
    throw error;
  }
  return {
    emulator,
    client,
    newClient,
    stop: async () => {
      for (const c of clients) c.destroy();
      await emulator.stop();
    },
  };
}
