/**
 * The part of the Lambda API that Hookyard's functions call: Invoke (the transformer wakes the
 * breaker), GetEventSourceMapping and UpdateEventSourceMapping (enable/disable), so the real
 * `@aws-sdk/client-lambda` can reach the sandbox's own functions and event source mappings. No npm package emulates
 * Lambda's control plane; the sandbox is the local Lambda, so it answers for its mappings.
 * Behind the local trust boundary (`local/http.ts`); with `accessKeyId` set, requests must be signed
 * with it (the sandbox's per-run token): pausing a mapping is a state change.
 */
import { createServer, type ServerResponse } from 'node:http';
import {
  closeServer,
  guardRequests,
  type LocalAccessRules,
  listenOnLoopback,
  localAwsCheck,
  readBody,
} from '../http.js';

export interface LocalEventSourceMapping {
  readonly uuid: string;
  readonly functionArn: string;
  readonly eventSourceArn: string;
  readonly batchSize: number;
  enabled(): boolean;
  setEnabled(enabled: boolean): Promise<void>;
}

/** Runs a local function by name; `async` for InvocationType Event (answered 202 before it runs). */
export type LocalInvoke = (functionName: string, payload: unknown) => Promise<unknown> | undefined;

export interface LambdaApiEmulator {
  /** `http://127.0.0.1:<port>`: `AWS_ENDPOINT_URL_LAMBDA` for the functions. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

const MAPPING_PATH = /^\/2015-03-31\/event-source-mappings\/([^/?]+)\/?$/;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/invocations\/?$/;

function describe(mapping: LocalEventSourceMapping) {
  return {
    UUID: mapping.uuid,
    FunctionArn: mapping.functionArn,
    EventSourceArn: mapping.eventSourceArn,
    BatchSize: mapping.batchSize,
    State: mapping.enabled() ? 'Enabled' : 'Disabled',
    StateTransitionReason: 'USER_INITIATED',
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    LastModified: Math.floor(Date.now() / 1000),
  };
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string) {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
}

export interface LambdaApiEmulatorOptions extends LocalAccessRules {
  readonly port?: number;
  readonly mappings: readonly LocalEventSourceMapping[];
  /** Undefined when there is no such function. */
  readonly invoke?: LocalInvoke;
  /** The access key id every request must be signed with (the sandbox's per-run token). @default - any */
  readonly accessKeyId?: string;
}

export async function startLambdaApiEmulator(opts: LambdaApiEmulatorOptions): Promise<LambdaApiEmulator> {
  const byId = new Map(opts.mappings.map((m) => [m.uuid, m]));
  const server = createServer(async (req, res) => {
    const raw = (await readBody(req, 1024 * 1024)) ?? Buffer.alloc(0);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const invocation = INVOKE_PATH.exec(path);
    if (invocation && req.method === 'POST') {
      // FunctionName may be a name or an ARN.
      const name =
        decodeURIComponent(invocation[1] ?? '')
          .split(':')
          .pop() ?? '';
      let payload: unknown = {};
      try {
        payload = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        return send(
          res,
          400,
          { Type: 'User', message: 'payload is not JSON' },
          'InvalidRequestContentException',
        );
      }
      const running = opts.invoke?.(name, payload);
      if (!running) {
        return send(
          res,
          404,
          { Type: 'User', message: `Function not found: ${name}` },
          'ResourceNotFoundException',
        );
      }
      if (req.headers['x-amz-invocation-type'] === 'Event') {
        running.catch(() => undefined); // failures are the sandbox's to log
        res.writeHead(202).end();
        return;
      }
      try {
        return send(res, 200, (await running) ?? null);
      } catch (error) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        res.end(JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }));
        return;
      }
    }
    const match = MAPPING_PATH.exec(path);
    if (!match) {
      return send(
        res,
        400,
        { Type: 'User', message: `not emulated locally: ${req.method} ${req.url}` },
        'InvalidRequestContentException',
      );
    }
    const mapping = byId.get(decodeURIComponent(match[1] ?? ''));
    if (!mapping) {
      return send(
        res,
        404,
        { Type: 'User', message: 'The resource you requested does not exist.' },
        'ResourceNotFoundException',
      );
    }
    if (req.method === 'GET') return send(res, 200, describe(mapping));
    if (req.method === 'PUT') {
      let body: { Enabled?: unknown } = {};
      try {
        body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        return send(
          res,
          400,
          { Type: 'User', message: 'body is not JSON' },
          'InvalidRequestContentException',
        );
      }
      if (typeof body.Enabled === 'boolean') await mapping.setEnabled(body.Enabled);
      return send(res, 202, describe(mapping));
    }
    return send(
      res,
      405,
      { Type: 'User', message: `method ${req.method} not allowed` },
      'InvalidRequestContentException',
    );
  });
  guardRequests(server, localAwsCheck(opts));
  return { endpoint: await listenOnLoopback(server, opts.port), stop: () => closeServer(server) };
}
