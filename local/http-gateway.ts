/**
 * The local stand-in for the HTTP API: routes from the template, events in payload format 2.0 as
 * API Gateway builds them (lowercased headers, base64 for binary bodies, `requestContext.timeEpoch`),
 * and the function's result mapped back to the HTTP response. Behind the local trust boundary
 * (`local/http.ts`): loopback `Host` only, no cross-site requests (a partner posts server-to-server).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT } from './aws-local.js';
import { closeServer, guardRequests, listenOnLoopback, readBody, untrustedRequestRefusal } from './http.js';

/** HTTP APIs accept payloads up to 10 MB. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]+\+json|xml|x-www-form-urlencoded|javascript))/i;

export interface GatewayRoute {
  readonly method: string;
  readonly path: string;
  invoke(event: unknown): Promise<unknown>;
  /** Called when the function fails (the gateway answers 500, as API Gateway does). */
  onError?(error: unknown): void;
}

export interface HttpGateway {
  readonly url: string;
  stop(): Promise<void>;
}

export function toApiGatewayEvent(
  req: { method: string; url: string; headers: IncomingMessage['headers']; remoteAddress?: string },
  body: Buffer,
  routeKey: string,
  now: number,
): APIGatewayProxyEventV2 {
  const url = new URL(req.url, 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const text = TEXT_TYPES.test(headers['content-type'] ?? '') && isUtf8(body);
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function isUtf8(buffer: Buffer): boolean {
  return Buffer.from(buffer.toString('utf8'), 'utf8').equals(buffer);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export async function startHttpGateway(opts: {
  port: number;
  routes: readonly GatewayRoute[];
}): Promise<HttpGateway> {
  const routes = new Map(opts.routes.map((r) => [`${r.method} ${r.path}`, r]));
  const server = createServer(async (req, res) => {
    const now = Date.now();
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const routeKey = `${req.method} ${path}`;
    const route = routes.get(routeKey);
    const body = await readBody(req, MAX_PAYLOAD_BYTES);
    if (!body) return send(res, 413, { message: 'Request Entity Too Large' });
    if (!route) return send(res, 404, { message: 'Not Found', routes: [...routes.keys()] });
    const event = toApiGatewayEvent(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress,
      },
      body,
      routeKey,
      now,
    );
    try {
      const result = (await route.invoke(event)) as APIGatewayProxyStructuredResultV2 | string | undefined;
      if (result === undefined || typeof result === 'string' || !('statusCode' in result)) {
        // Payload 2.0: a result without statusCode is a 200 with the value as JSON body.
        return send(res, 200, JSON.stringify(result ?? null));
      }
      const headers = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      res.writeHead(result.statusCode ?? 200, headers);
      res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
    } catch (error) {
      route.onError?.(error);
      send(res, 500, { message: 'Internal Server Error' });
    }
  });
  guardRequests(server, (req) => untrustedRequestRefusal(req));
  return { url: await listenOnLoopback(server, opts.port), stop: () => closeServer(server) };
}
