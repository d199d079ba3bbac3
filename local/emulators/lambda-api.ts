/**
 * The part of the Lambda API that Hookyard's functions call: GetEventSourceMapping and
 * UpdateEventSourceMapping (enable/disable), so the real `@aws-sdk/client-lambda` in the breaker
 * function can stop and resume the sandbox's own event source mappings. No npm package emulates
 * Lambda's control plane; the sandbox is the local Lambda, so it answers for its mappings.
 */
import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from '../http.js';

export interface LocalEventSourceMapping {
  readonly uuid: string;
  readonly functionArn: string;
  readonly eventSourceArn: string;
  readonly batchSize: number;
  enabled(): boolean;
  setEnabled(enabled: boolean): Promise<void>;
}

export interface LambdaApiEmulator {
  /** `http://127.0.0.1:<port>`: `AWS_ENDPOINT_URL_LAMBDA` for the functions. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

const MAPPING_PATH = /^\/2015-03-31\/event-source-mappings\/([^/?]+)\/?$/;

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

export async function startLambdaApiEmulator(opts: {
  port?: number;
  mappings: readonly LocalEventSourceMapping[];
}): Promise<LambdaApiEmulator> {
  const byId = new Map(opts.mappings.map((m) => [m.uuid, m]));
  const server = createServer(async (req, res) => {
    const raw = (await readBody(req, 1024 * 1024)) ?? Buffer.alloc(0);
    const match = MAPPING_PATH.exec(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
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
  return { endpoint: await listenOnLoopback(server, opts.port), stop: () => closeServer(server) };
}
