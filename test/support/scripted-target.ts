/**
 * A scripted third-party HTTP API for handler tests: an OAuth2 token endpoint and a delivery
 * endpoint whose answer per request the test decides. (Not an AWS API: nothing to emulate.)
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedDelivery {
  readonly idempotencyKey: string | undefined;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

export type ScriptedAnswer = number | { readonly status: number; readonly body: string };

export interface ScriptedTarget {
  readonly url: string;
  readonly tokenUrl: string;
  readonly deliveries: ScriptedDelivery[];
  tokensIssued: number;
  /** Decides the answer to a delivery (a status, or a status and the exact body text); default 200. */
  respond: (delivery: ScriptedDelivery) => ScriptedAnswer | Promise<ScriptedAnswer>;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startScriptedTarget(): Promise<ScriptedTarget> {
  const target: Omit<ScriptedTarget, 'url' | 'tokenUrl' | 'stop'> = {
    deliveries: [],
    tokensIssued: 0,
    respond: () => 200,
  };
  const server = createServer(async (req, res) => {
    const text = await readBody(req);
    if (req.url === '/oauth/token') {
      target.tokensIssued++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: `token-${target.tokensIssued}`,
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      );
      return;
    }
    const delivery: ScriptedDelivery = {
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      authorization: req.headers.authorization,
      body: text ? JSON.parse(text) : undefined,
    };
    target.deliveries.push(delivery);
    const answer = await target.respond(delivery);
    const status = typeof answer === 'number' ? answer : answer.status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      typeof answer === 'number'
        ? JSON.stringify(status < 300 ? { ok: true } : { error: `scripted ${status}` })
        : answer.body,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return Object.assign(target, {
    url,
    tokenUrl: `${url}/oauth/token`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
