/**
 * Local DynamoDB: dynalite (in memory or LevelDB on disk), on loopback only and behind the local trust
 * boundary (`local/http.ts`): our check runs before dynalite's request listener.
 */
import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import {
  closeServer,
  guardRequests,
  type LocalAccessRules,
  listenOnLoopback,
  localAwsCheck,
} from '../http.js';

export interface DynamoEmulatorOptions extends LocalAccessRules {
  /** The access key id every request must be signed with (the sandbox's per-run token). @default - any */
  readonly accessKeyId?: string;
  /** @default 0 - a free port */
  readonly port?: number;
  /** Directory for the LevelDB files; created when missing. @default - in memory, lost on stop */
  readonly dataDir?: string;
}

export interface DynamoEmulator {
  /** `http://127.0.0.1:<port>`: the DynamoDB client's `endpoint`, or `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoEmulator(opts: DynamoEmulatorOptions = {}): Promise<DynamoEmulator> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(opts.dataDir === undefined ? {} : { path: opts.dataDir }),
  });
  guardRequests(server, localAwsCheck(opts));
  const endpoint = await listenOnLoopback(server, opts.port);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    // dynalite's close() waits for pending database work, then closes the LevelDB; idle keep-alive
    // sockets of SDK clients would otherwise hold the server open.
    stop: () => (stopping ??= closeServer(server, 'idle')),
  };
}

/**
 * Resolves once `table` is ACTIVE. dynalite answers CreateTable with CREATING and switches to ACTIVE
 * on a timer (even with `createTableMs: 0`, and later under load when on disk); until then, item
 * operations fail with ResourceNotFoundException, as they would on AWS.
 */
export async function waitForActiveTable(
  client: DynamoDBClient,
  table: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      if (Table?.TableStatus === 'ACTIVE') return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`table ${table} is not ACTIVE after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
