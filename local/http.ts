/** The plumbing every local server shares: loopback only, a clean stop, bounded bodies, the trust boundary. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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

// ── The local trust boundary ────────────────────────────────────────────────────────────────────
//
// Listening on 127.0.0.1 keeps other machines out, but not this machine's web browser: a page on
// any site can send "simple" requests (a text/plain POST, no preflight) to 127.0.0.1, and through
// DNS rebinding (a name of the attacker's that resolves to 127.0.0.1) read the answers too. So every
// local endpoint also checks, before anything else:
//   - `Host` is a loopback name with the endpoint's own port (a rebound name fails this: 421);
//   - the request is not cross-site: no `Origin` other than the endpoint's own loopback origin, and
//     no `Sec-Fetch-Site: cross-site | same-site` (403);
// and the endpoints that change state or return payloads want a per-run token only the sandbox, the
// CLI and the console know: `Authorization: Bearer <token>` (or `x-hookyard-admin-token`) for the
// sample target's admin routes, the SigV4 access key id for the local AWS endpoints (401/403).

/** Why a request is refused: answered as JSON with `status`. */
export interface Refusal {
  readonly status: number;
  /** Also sent as `__type` and `x-amzn-errortype`, so AWS SDK clients report it by name. */
  readonly code: string;
  readonly message: string;
}

export interface LocalAccessRules {
  /** Origins besides the endpoint's own that may call it (e.g. the local console's). @default - none */
  readonly allowOrigins?: readonly string[];
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** The header that carries the admin token when `Authorization` is taken. */
export const ADMIN_TOKEN_HEADER = 'x-hookyard-admin-token';

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** The refusal for a request that does not come from this machine's own loopback origin, if any. */
export function untrustedRequestRefusal(
  req: Pick<IncomingMessage, 'headers' | 'socket'> & { readonly url?: string },
  rules: LocalAccessRules = {},
): Refusal | undefined {
  // A target such as `//` or `/%E0` makes `new URL`/`decodeURIComponent` throw in a handler, and one
  // throw in a listener would take the whole sandbox process down: refuse it here, first.
  if (!isValidRequestTarget(req.url)) {
    return { status: 400, code: 'BadRequestTarget', message: 'the request target is not a valid path' };
  }
  const port = req.socket.localPort;
  const own = LOOPBACK_NAMES.map((name) => `${name}:${port}`);
  const host = single(req.headers.host)?.toLowerCase();
  if (!host || !own.includes(host)) {
    return {
      status: 421,
      code: 'MisdirectedRequest',
      message: `this local endpoint answers only to Host ${own.join(', ')}`,
    };
  }
  const origin = single(req.headers.origin)?.toLowerCase();
  const fetchSite = single(req.headers['sec-fetch-site'])?.toLowerCase();
  const ownOrigin = origin !== undefined && own.some((h) => origin === `http://${h}`);
  const allowed = origin !== undefined && (rules.allowOrigins ?? []).includes(origin);
  if ((origin !== undefined && !ownOrigin && !allowed) || (!allowed && isCrossSite(fetchSite))) {
    return {
      status: 403,
      code: 'CrossSiteRequestRefused',
      message: 'cross-site requests to local endpoints are refused',
    };
  }
  return undefined;
}

function isValidRequestTarget(target: string | undefined): boolean {
  try {
    decodeURIComponent(new URL(target ?? '/', 'http://localhost').pathname);
    return true;
  } catch {
    return false;
  }
}

function isCrossSite(fetchSite: string | undefined): boolean {
  return fetchSite === 'cross-site' || fetchSite === 'same-site';
}

/** Constant-time equality of two strings of any length (compares their digests). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The refusal for a request without the per-run admin token, if any. */
export function adminTokenRefusal(req: Pick<IncomingMessage, 'headers'>, token: string): Refusal | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(single(req.headers.authorization) ?? '')?.[1];
  const given = bearer ?? single(req.headers[ADMIN_TOKEN_HEADER]);
  if (given !== undefined && sameSecret(given, token)) return undefined;
  return {
    status: 401,
    code: 'AdminTokenRequired',
    message: `this route needs the sandbox's admin token: Authorization: Bearer <adminToken from .hookyard/sandbox.json> (or ${ADMIN_TOKEN_HEADER})`,
  };
}

/** The access key id a SigV4-signed request names (`Credential=<id>/<date>/…`), if any. */
export function sigV4AccessKeyId(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(single(req.headers.authorization) ?? '')?.[1];
}

/** The refusal for an AWS request not signed with the per-run access key id, if any. */
export function accessKeyRefusal(
  req: Pick<IncomingMessage, 'headers'>,
  accessKeyId: string,
): Refusal | undefined {
  const given = sigV4AccessKeyId(req);
  if (given !== undefined && sameSecret(given, accessKeyId)) return undefined;
  return {
    status: 403,
    code: 'UnrecognizedClientException',
    message:
      'The security token included in the request is invalid: sign with the access key id in .hookyard/sandbox.json (adminToken)',
  };
}

export function refusalHeaders(refusal: Refusal): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-amzn-errortype': refusal.code,
    // The body may not have been read: do not reuse the connection.
    connection: 'close',
  };
}

export function refusalBody(refusal: Refusal): string {
  return JSON.stringify({ __type: refusal.code, error: refusal.code, message: refusal.message });
}

export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const body = refusalBody(refusal);
  res.writeHead(refusal.status, { ...refusalHeaders(refusal), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export type RequestCheck = (req: IncomingMessage) => Refusal | undefined;

/**
 * Puts `check` in front of every request listener of `server` (ours, or a library's such as
 * dynalite's): a refused request never reaches them. Call it after the listeners are attached.
 */
export function guardRequests(server: Server, check: RequestCheck): void {
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = check(req);
    if (refusal) return sendRefusal(res, refusal);
    for (const listener of listeners) listener.call(server, req, res);
  });
}

/** The usual check of a local endpoint: loopback origin only, then (when set) the per-run access key id. */
export function localAwsCheck(rules: LocalAccessRules & { readonly accessKeyId?: string }): RequestCheck {
  return (req) =>
    untrustedRequestRefusal(req, rules) ??
    (rules.accessKeyId === undefined ? undefined : accessKeyRefusal(req, rules.accessKeyId));
}
