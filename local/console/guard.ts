/**
 * The local trust boundary (issue 7 item 9) for the console and the local CloudWatch endpoint: only
 * loopback host names (defeats DNS rebinding), no cross-site requests (Origin / Sec-Fetch-Site), and
 * state-changing requests carry the per-run token only the CLI and the console page know.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `Host` names this machine's loopback, with the port we listen on. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!match) return false;
  return LOOPBACK_HOSTS.has(match[1] as string) && Number(match[2] ?? 80) === port;
}

/** A browser request from another site: refuse it (non-browser clients send neither header). */
export function isCrossSite(req: IncomingMessage, selfOrigins: readonly string[]): boolean {
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = req.headers.origin;
  return origin !== undefined && !selfOrigins.includes(origin);
}

export function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Why a request is refused, or undefined when it may proceed. */
export function refusal(
  req: IncomingMessage,
  port: number,
  options: { token: string; needsToken: boolean },
): { status: number; error: string } | undefined {
  if (!isLoopbackHost(req.headers.host, port)) return { status: 421, error: 'host-not-allowed' };
  const self = [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
  if (isCrossSite(req, self)) return { status: 403, error: 'cross-site-refused' };
  if (options.needsToken && !hasToken(req, options.token)) return { status: 401, error: 'token-required' };
  return undefined;
}
