/**
 * The sample target APIs of the sample integrations, on 127.0.0.1: the "CRM" (acme-orders) and the
 * ticketing API (github-issues).
 *
 * API routes (subject to faults):
 *   POST /oauth/token          client credentials (HTTP Basic or form client_id/client_secret) →
 *                              { access_token, token_type: 'Bearer', expires_in[, scope] }
 *   POST /v1/contacts/orders   a delivery: JSON object, `Idempotency-Key` header, and
 *                              `Authorization: Bearer <token>` (auth 'oauth2') or `x-api-key` ('api-key').
 *                              201 { id, externalId, status } the first time a key is seen, then
 *                              200 with that same body and `Idempotent-Replayed: true`; 429 with
 *                              `Retry-After` (seconds) above the declared rate; 401 without valid
 *                              credentials; 400 for a missing key, a body that is not a JSON object or
 *                              an explicit null (the CRM rejects them).
 *   POST /v2/tickets           the same for tickets, with its own auth (`ticketsAuth`, default
 *                              'api-key': `x-api-key`); 201 { id, externalRef, status }.
 * Admin routes (never faulted), for tests, the CLI and the console. They change state or return
 * delivered payloads, so they need the per-run admin token: `Authorization: Bearer <adminToken>` or
 * `x-hookyard-admin-token: <adminToken>` (the sandbox's is in `.hookyard/sandbox.json`); 401 without.
 * Every route is behind the local trust boundary (`local/http.ts`: loopback Host, not cross-site).
 *   GET  /_admin/stats         counters, see TargetStats
 *   GET  /_admin/received      accepted unique deliveries
 *   GET  /_admin/arrivals      when each delivery request arrived, whatever its answer
 *   GET  /_admin/replays       requests for an already accepted Idempotency-Key, with their time
 *   GET  /_admin/permanently-refused  Idempotency-Keys the fault mix refuses for good (400)
 *   GET  /_admin/faults        current faults
 *   POST /_admin/faults        merge a JSON object of faults, e.g. {"errorRate":0.3} or {"down":true}
 *   POST /_admin/reset         counters, deliveries, keys, rate windows and faults back to empty
 *   POST /_admin/revoke-tokens every issued token becomes invalid (exercises the 401 → new token path)
 *
 *   curl -s -XPOST localhost:4010/_admin/faults -H "authorization: Bearer $TOKEN" -d '{"status":503}'
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Faults,
  parseFaults,
  type ReceivedDelivery,
  type ReplayedRequest,
  SampleTargetCore,
  type SampleTargetCoreOptions,
  type TargetAnswer,
  type TargetOutcome,
  type TargetStats,
  validateOptions,
} from './core.js';

export type {
  Faults,
  ReceivedDelivery,
  ReplayedRequest,
  TargetAuthMode,
  TargetStats,
} from './core.js';

import {
  adminTokenRefusal,
  closeServer,
  guardRequests,
  type LocalAccessRules,
  listenOnLoopback,
  readBody,
  untrustedRequestRefusal,
} from '../http.js';

export { DEFAULTS as SAMPLE_TARGET_DEFAULTS, NO_FAULTS } from './core.js';

export const DELIVERY_PATH = '/v1/contacts/orders';
/** The ticketing API's route (integrations/github-issues), API-key auth (`ticketsAuth`). */
export const TICKETS_PATH = '/v2/tickets';
export const TOKEN_PATH = '/oauth/token';
export const ADMIN_PATH_PREFIX = '/_admin/';

const MAX_BODY_BYTES = 1024 * 1024;

export interface SampleTargetOptions
  extends Omit<SampleTargetCoreOptions, 'maxReceivedKept'>,
    LocalAccessRules {
  /** @default 0 - a free port */
  readonly port?: number;
  /** The token the admin routes require. @default - a random one (see `SampleTarget.adminToken`) */
  readonly adminToken?: string;
}

export interface SampleTarget {
  /** Base URL, e.g. `http://127.0.0.1:4010`; deliveries go to `${url}/v1/contacts/orders`. */
  readonly url: string;
  /** `${url}/oauth/token`. */
  readonly tokenUrl: string;
  /** What `/_admin/*` requires as `Authorization: Bearer <adminToken>`. */
  readonly adminToken: string;
  /** Merges into the current faults; throws on invalid values. */
  setFaults(faults: Partial<Faults>): void;
  stats(): TargetStats;
  received(): readonly ReceivedDelivery[];
  /** When each request reached a delivery route, whatever its answer (epoch ms). */
  arrivals(): readonly number[];
  /** Requests for an already accepted Idempotency-Key, with their time. */
  replays(): readonly ReplayedRequest[];
  /** Idempotency-Keys the fault mix refused permanently (400). */
  permanentlyRefusedKeys(): readonly string[];
  /** Counters, deliveries, Idempotency-Keys, rate windows and faults back to empty; tokens stay valid. */
  reset(): void;
  /** Invalidates every issued access token. */
  revokeTokens(): void;
  stop(): Promise<void>;
}

export async function startSampleTarget(opts: SampleTargetOptions = {}): Promise<SampleTarget> {
  const problems = validateOptions(opts);
  if (problems.length > 0) throw new Error(`invalid sample target options: ${problems.join('; ')}`);
  const { port = 0, adminToken = randomBytes(24).toString('base64url'), allowOrigins, ...coreOptions } = opts;
  const core = new SampleTargetCore(coreOptions);
  const stopped = new AbortController();

  const route = async (req: IncomingMessage): Promise<TargetOutcome> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    const body = (await readBody(req, MAX_BODY_BYTES))?.toString('utf8');
    if (body === undefined) return answer(413, { error: 'too_large', message: 'the body is over 1 MiB' });

    if (path === DELIVERY_PATH || path === TICKETS_PATH || path === TOKEN_PATH) {
      if (method !== 'POST') return answer(405, { error: 'method_not_allowed' }, { allow: 'POST' });
      const request = { headers: flatten(req.headers), body };
      const outcome =
        path === TOKEN_PATH
          ? core.token(request)
          : core.delivery(request, path === TICKETS_PATH ? 'tickets' : 'orders');
      const delayMs = 'drop' in outcome ? 0 : core.faults.latencyMs + (outcome.delayMs ?? 0);
      if (delayMs > 0) await sleep(delayMs, undefined, { signal: stopped.signal });
      return outcome;
    }

    switch (`${method} ${path}`) {
      case 'GET /_admin/stats':
        return answer(200, core.stats());
      case 'GET /_admin/received':
        return answer(200, core.received());
      case 'GET /_admin/arrivals':
        return answer(200, core.arrivals());
      case 'GET /_admin/replays':
        return answer(200, core.replays());
      case 'GET /_admin/permanently-refused':
        return answer(200, core.permanentlyRefusedKeys());
      case 'GET /_admin/faults':
        return answer(200, core.faults);
      case 'POST /_admin/faults': {
        let input: unknown;
        try {
          input = body === '' ? {} : JSON.parse(body);
        } catch {
          return answer(400, { error: 'invalid_json', problems: ['the body is not JSON'] });
        }
        const parsed = parseFaults(input);
        if (parsed.problems.length > 0)
          return answer(400, { error: 'invalid_faults', problems: parsed.problems });
        return answer(200, core.setFaults(parsed.faults));
      }
      case 'POST /_admin/reset':
        core.reset();
        return answer(200, core.stats());
      case 'POST /_admin/revoke-tokens':
        core.revokeTokens();
        return answer(200, { revoked: true });
      default:
        return answer(404, { error: 'not_found', message: `no route ${method} ${path}` });
    }
  };

  const server = createServer((req, res) => {
    route(req)
      .then((outcome) => write(res, outcome))
      .catch(() => {
        // Stopped during a latency fault, or the client went away.
        res.destroy();
      });
  });
  guardRequests(
    server,
    (req) =>
      untrustedRequestRefusal(req, { allowOrigins }) ??
      (new URL(req.url ?? '/', 'http://localhost').pathname.startsWith(ADMIN_PATH_PREFIX)
        ? adminTokenRefusal(req, adminToken)
        : undefined),
  );
  const url = await listenOnLoopback(server, port);

  let stopping: Promise<void> | undefined;
  return {
    url,
    tokenUrl: `${url}${TOKEN_PATH}`,
    adminToken,
    setFaults: (faults) => {
      core.setFaults(faults);
    },
    stats: () => core.stats(),
    received: () => core.received(),
    arrivals: () => core.arrivals(),
    replays: () => core.replays(),
    permanentlyRefusedKeys: () => core.permanentlyRefusedKeys(),
    reset: () => core.reset(),
    revokeTokens: () => core.revokeTokens(),
    stop: () => {
      stopped.abort(); // ends latency-fault waits
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

function answer(status: number, body: unknown, headers?: Record<string, string>): TargetAnswer {
  return headers === undefined ? { status, body } : { status, body, headers };
}

function write(res: ServerResponse, outcome: TargetOutcome): void {
  if ('drop' in outcome) {
    // What a crashed target looks like to a client: the connection goes away, no answer.
    res.socket?.resetAndDestroy();
    return;
  }
  const payload = JSON.stringify(outcome.body);
  res.writeHead(outcome.status, {
    ...outcome.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function flatten(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers))
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
