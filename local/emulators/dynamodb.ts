/**
 * Local DynamoDB: dynalite (the DynamoDB JSON API over LevelDB), bound to loopback only.
 *
 * Tables are ACTIVE at once (`createTableMs: 0` …), so CreateTable needs no waiter.
 *
 * Gaps against AWS, accepted for a local sandbox (Powertools idempotency works on it: it falls back
 * to a GetItem where AWS would return the item with the condition failure): no TTL (expired items
 * stay until deleted), no `ReturnValuesOnConditionCheckFailure`, no transactions, no PartiQL, no
 * streams. `dataDir` holds a LevelDB that only one emulator may open at a time.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface DynamoEmulatorOptions {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // dynalite's close() waits for pending database work, then closes the LevelDB.
      server.close((error?: Error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets of SDK clients would otherwise hold the server open.
      server.closeIdleConnections();
    });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => (stopping ??= stop()),
  };
}
