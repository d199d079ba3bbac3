/**
 * The local web console's HTTP side: a page (plain HTML + a little JS, no build step) and a JSON API
 * that calls the same `ops/` functions as the CLI. 127.0.0.1 only; loopback Host names only;
 * cross-site requests refused; every API call needs the per-run token, which is embedded in the page
 * (only a same-origin reader can see it).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { groupByEvent, peekDlq } from '../../ops/dlq.js';
import { traceEvent } from '../../ops/event.js';
import type { RedriveFilter } from '../../ops/filter.js';
import { validateFilter } from '../../ops/filter.js';
import { redrive } from '../../ops/redrive.js';
import { integrationOf, localClients, localStage } from '../../ops/stage.js';
import { integrationStatus, setPaused } from '../../ops/status.js';
import {
  adminTokenRefusal,
  closeServer,
  listenOnLoopback,
  readBody,
  untrustedRequestRefusal,
} from '../http.js';
import type { SandboxInfo } from '../sandbox-info.js';

const PAGE = new URL('./page.html', import.meta.url);
const ASSETS: Record<string, { file: URL; type: string }> = {
  '/console.js': { file: new URL('./console.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: new URL('./console.css', import.meta.url), type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}

const escapeAttr = (text: string) => text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startConsoleServer(opts: {
  port: number;
  info: () => SandboxInfo;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const untrusted = untrustedRequestRefusal(req);
    if (untrusted) return json(res, untrusted.status, { error: untrusted.code, message: untrusted.message });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const isApi = url.pathname.startsWith('/api/');
    const info = opts.info();
    // The page itself is readable only same-origin; every API call also needs the per-run token.
    const refused = isApi ? adminTokenRefusal(req, info.adminToken) : undefined;
    if (refused) return json(res, refused.status, { error: refused.code, message: refused.message });
    try {
      if (!isApi) {
        if (req.method !== 'GET') return json(res, 405, { error: 'method-not-allowed' });
        if (url.pathname === '/') {
          const page = readFileSync(PAGE, 'utf8').replace('__TOKEN__', escapeAttr(info.adminToken));
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
          return res.end(page);
        }
        const asset = ASSETS[url.pathname];
        if (asset) {
          res.writeHead(200, { 'content-type': asset.type, ...SECURITY_HEADERS });
          return res.end(readFileSync(asset.file));
        }
        return json(res, 404, { error: 'not-found' });
      }
      return await api(req.method ?? 'GET', url, info, req, res);
    } catch (error) {
      const kind = (error as { kind?: string }).kind;
      return json(res, kind === 'usage' ? 400 : 500, { error: (error as Error).message });
    }
  });
  const url = await listenOnLoopback(server, opts.port);
  return { url, stop: () => closeServer(server) };
}

async function api(method: string, url: URL, info: SandboxInfo, req: IncomingMessage, res: ServerResponse) {
  const [, , action, name, eventId] = url.pathname.split('/').map(decodeURIComponent);
  const stage = localStage(info);
  const clients = localClients(info);
  try {
    if (method === 'GET' && action === 'status') {
      const all = await Promise.all(stage.integrations.map((i) => integrationStatus(clients, i)));
      return json(res, 200, { integrations: all });
    }
    const integration = integrationOf(stage, name ?? '');
    if (method === 'GET' && action === 'dlq') {
      const peek = await peekDlq(clients.sqs, clients.dynamodb, {
        integration: integration.name,
        dlqUrl: integration.deadLetterQueue.url,
        table: integration.table,
      });
      return json(res, 200, { holdSeconds: peek.holdSeconds, events: groupByEvent(peek.messages) });
    }
    if (method === 'GET' && action === 'trace' && eventId) {
      return json(res, 200, await traceEvent(clients, stage, integration, eventId));
    }
    if (method === 'POST' && (action === 'pause' || action === 'resume')) {
      return json(res, 200, await setPaused(clients, stage, integration, action === 'pause'));
    }
    if (method === 'POST' && action === 'redrive') {
      const raw = (await readBody(req, 64 * 1024))?.toString('utf8') || '{}';
      const body = JSON.parse(raw) as { ids?: string[]; reason?: string; dryRun?: boolean };
      const filter: RedriveFilter = {
        ids: Array.isArray(body.ids) ? body.ids.map(String) : undefined,
        reason: typeof body.reason === 'string' ? body.reason : undefined,
      };
      validateFilter(filter);
      const result = await redrive(clients, stage, integration, {
        filter,
        dryRun: body.dryRun === true,
        profile: 'console',
      });
      return json(res, 200, result);
    }
    return json(res, 404, { error: 'not-found' });
  } finally {
    clients.destroy();
  }
}
