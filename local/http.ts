/** The plumbing every local server shares: loopback only, a clean stop, bounded bodies. */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 (never 0.0.0.0); port 0 picks a free one. Resolves to `http://127.0.0.1:<port>`. */
export async function listenOnLoopback(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Stops accepting, ends open connections (`idle`: only those without a request in flight, so answers
 * being written still go out), and resolves when the server is closed. Safe to call twice.
 */
export function closeServer(server: Server, connections: 'all' | 'idle' = 'all'): Promise<void> {
  const closing = new Promise<void>((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) =>
      error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(error) : resolve(),
    );
  });
  if (connections === 'all') server.closeAllConnections();
  else server.closeIdleConnections();
  return closing;
}

/** The whole body, or undefined when it is larger than `maxBytes` (read to the end either way). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= maxBytes) chunks.push(buffer);
  }
  return size > maxBytes ? undefined : Buffer.concat(chunks);
}
