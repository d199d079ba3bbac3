/** Test doubles for the delivery cores: a virtual clock and a fetch that plays a script. */

/** Fixed start so HTTP-date tests are stable: 2026-11-01T00:00:00Z. */
export const START_MS = Date.UTC(2026, 10, 1);

export interface FakeClock {
  now(): number;
  /** Resolves at once, after moving virtual time forward by `ms`. */
  sleep(ms: number): Promise<void>;
  advance(ms: number): void;
  /** Every sleep asked for, in order. */
  readonly sleeps: number[];
}

export function fakeClock(start = START_MS): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
    sleeps,
  };
}

export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string;
  readonly signal: AbortSignal | undefined;
}

export type ScriptStep = Response | Error | ((request: RecordedRequest) => Response | Promise<Response>);

export interface ScriptedFetch {
  readonly fetch: typeof fetch;
  readonly requests: RecordedRequest[];
  /** Steps not played yet. */
  readonly remaining: () => number;
}

/** A fetch that answers each request with the next step of the script, and records the requests. */
export function scriptedFetch(...script: ScriptStep[]): ScriptedFetch {
  const steps = [...script];
  const requests: RecordedRequest[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request: RecordedRequest = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : '',
      signal: init?.signal ?? undefined,
    };
    requests.push(request);
    const step = steps.shift();
    if (step === undefined) throw new Error(`unexpected request #${requests.length} to ${request.url}`);
    if (step instanceof Error) throw step;
    return typeof step === 'function' ? step(request) : step;
  };
  return { fetch: fake as typeof fetch, requests, remaining: () => steps.length };
}

export function respond(
  status: number,
  body?: unknown,
  headers?: Record<string, string>,
  statusText?: string,
): Response {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(status === 204 ? null : text, { status, headers, statusText });
}

/** What undici's fetch throws when the connection fails. */
export function connectionRefused(): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
}

/** What fetch throws when AbortSignal.timeout fires. */
export function timedOut(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}
