import dynalite from 'dynalite';
import { closeServer, listenOnLoopback } from '../http.js';

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
  const endpoint = await listenOnLoopback(server, opts.port);

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    // dynalite's close() waits for pending database work, then closes the LevelDB; idle keep-alive
    // sockets of SDK clients would otherwise hold the server open.
    stop: () => (stopping ??= closeServer(server, 'idle')),
  };
}
