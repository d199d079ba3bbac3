/**
 * The inside of one local Lambda execution environment: runs in a `worker_threads` Worker started by
 * `lambda-runner.ts`, never imported by anything else. Plain ESM JavaScript on purpose: a Worker loads
 * it without any TypeScript loader, exactly like the bundled `index.mjs` it runs.
 *
 * It follows the Node.js 24 runtime interface client (aws/aws-lambda-nodejs-runtime-interface-client):
 * - handler string `dir/module.path.to.fn`, module tried as '', '.js', '.mjs', '.cjs'; the export is
 *   looked up in the module, then in its `default`;
 * - a handler declaring 3+ parameters fails with Runtime.CallbackHandlerDeprecated (nodejs24.x);
 * - console.* patched as Lambda does: Text (`time\trequestId\tLEVEL\tmessage`) or JSON format, newlines
 *   inside one message replaced by '\r' so one call is one line; writes straight to process.stdout
 *   (what Powertools Logger/Metrics use) pass through untouched;
 * - error results `{ errorType, errorMessage, trace }`, logged as `Invoke Error`;
 * - an uncaught exception or unhandled rejection ends the environment (exit 129 / 128).
 *
 * Protocol with the host (one port, so log lines and results arrive in order):
 *   worker → host  { type: 'log', line }            every whole line written to stdout/stderr
 *                  { type: 'ready', initMs }        init done
 *                  { type: 'init-error', error }    init failed; the environment is unusable
 *                  { type: 'result', requestId, ok: true, payload, memoryMb }  payload: JSON text
 *                  { type: 'result', requestId, ok: false, error, memoryMb }
 *                  { type: 'fatal', error }         just before the environment exits
 *   host → worker  { type: 'invoke', requestId, event, deadlineMs, invokedFunctionArn, traceId }
 */
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
if (port === null) throw new Error('lambda-bootstrap.mjs must run in a worker thread');

/** @type {{ modulePath: string; handlerName: string; handlerString: string; logFormat: 'Text' | 'JSON'; logLevel: string; rejectCallbackHandlers: boolean }} */
const config = workerData;

/** The request id of the invocation in progress (or the last one); undefined during init, as on Lambda. */
let requestId;

// ---------------------------------------------------------------------------------------------------
// stdout/stderr → whole lines on the port
// ---------------------------------------------------------------------------------------------------

/** @type {Map<'stdout' | 'stderr', { decoder: StringDecoder; partial: string }>} */
const buffers = new Map();

/** @param {'stdout' | 'stderr'} name */
function captureStream(name) {
  const state = { decoder: new StringDecoder('utf8'), partial: '' };
  buffers.set(name, state);
  const stream = process[name];
  stream.write = (chunk, encoding, callback) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    let text;
    if (typeof chunk === 'string') {
      text = chunk;
    } else if (chunk instanceof Uint8Array) {
      text = state.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } else {
      text = String(chunk);
    }
    const lines = (state.partial + text).split('\n');
    state.partial = lines.pop() ?? '';
    for (const line of lines) port.postMessage({ type: 'log', line });
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}

/** Delivers what was written without a trailing newline, so nothing of an invocation is held back. */
function flushPartialLines() {
  for (const state of buffers.values()) {
    if (state.partial !== '') port.postMessage({ type: 'log', line: state.partial });
    state.partial = '';
  }
}

captureStream('stdout');
captureStream('stderr');

// ---------------------------------------------------------------------------------------------------
// console patch (Lambda's log format)
// ---------------------------------------------------------------------------------------------------

const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };

function errorFields(value) {
  return {
    errorType: value?.constructor?.name ?? 'UnknownError',
    errorMessage: value.message,
    stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
  };
}

function jsonLine(timestamp, level, message, params) {
  const result = { timestamp, level, requestId };
  if (params.length === 0) {
    result.message = message;
    try {
      return JSON.stringify(result, (_key, value) =>
        value instanceof Error ? Object.assign(errorFields(value), value) : value,
      );
    } catch {
      result.message = format(message);
      return JSON.stringify(result);
    }
  }
  result.message = format(message, ...params);
  const error = params.find((param) => param instanceof Error);
  if (error !== undefined) Object.assign(result, errorFields(error));
  return JSON.stringify(result);
}

function patchConsole() {
  const minimum = config.logFormat === 'JSON' ? (LEVELS[config.logLevel] ?? LEVELS.INFO) : 0;
  const make = (level) => {
    if (LEVELS[level] < minimum) return () => {};
    return (message, ...params) => {
      const timestamp = new Date().toISOString();
      const line =
        config.logFormat === 'JSON'
          ? jsonLine(timestamp, level, message, params)
          : [timestamp, requestId, level, format(message, ...params)].join('\t');
      process.stdout.write(`${line.replace(/\n/g, '\r')}\n`);
    };
  };
  console.trace = make('TRACE');
  console.debug = make('DEBUG');
  console.info = make('INFO');
  console.warn = make('WARN');
  console.error = make('ERROR');
  console.fatal = make('FATAL');
  console.log = console.info;
}

patchConsole();

// ---------------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------------

/** What Lambda returns to the invoker for a function error. */
function formatError(error) {
  try {
    if (error instanceof Error) {
      return {
        errorType: String(error.name),
        errorMessage: String(error.message),
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

function intoError(value) {
  return value instanceof Error ? value : new Error(String(value));
}

function namedError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Logs an error the way the runtime does (`Invoke Error`, `Uncaught Exception`, …). */
function logError(label, value) {
  const error = intoError(value);
  if (config.logFormat === 'JSON') {
    console.error(error);
    return;
  }
  let formatted;
  try {
    formatted = JSON.stringify(error, (_key, v) => {
      if (!(v instanceof Error)) return v;
      const plain = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
      if (typeof v.stack === 'string') plain.stack = v.stack.split('\n');
      return plain;
    });
  } catch {
    formatted = JSON.stringify(formatError(error));
  }
  console.error(label, `\t${formatted}`);
}

function memoryUsedMb() {
  return Math.ceil(getHeapStatistics().total_heap_size / (1024 * 1024));
}

function exitWith(code, error) {
  flushPartialLines();
  port.postMessage({ type: 'fatal', error: formatError(error) });
  process.exit(code);
}

process.on('uncaughtException', (error) => {
  logError('Uncaught Exception', error);
  exitWith(129, error);
});

process.on('unhandledRejection', (reason) => {
  const error = namedError('Runtime.UnhandledPromiseRejection', String(reason));
  logError('Unhandled Promise Rejection', error);
  exitWith(128, error);
});

// ---------------------------------------------------------------------------------------------------
// init
// ---------------------------------------------------------------------------------------------------

function resolveExport(module) {
  const find = (root) =>
    config.handlerName
      .split('.')
      .reduce(
        (nested, key) => (nested !== null && typeof nested === 'object' ? nested[key] : undefined),
        root,
      );
  let handler = find(module);
  if (!handler && module !== null && typeof module === 'object' && 'default' in module) {
    handler = find(module.default);
  }
  if (!handler) {
    throw namedError('Runtime.HandlerNotFound', `${config.handlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw namedError('Runtime.HandlerNotFound', `${config.handlerString} is not a function`);
  }
  return handler;
}

async function loadHandler() {
  let module;
  try {
    module = await import(pathToFileURL(config.modulePath).href);
  } catch (error) {
    if (error instanceof SyntaxError) throw namedError('Runtime.UserCodeSyntaxError', String(error));
    if (error?.code === 'ERR_MODULE_NOT_FOUND' || error?.code === 'MODULE_NOT_FOUND') {
      throw namedError('Runtime.ImportModuleError', String(error));
    }
    throw error;
  }
  const handler = resolveExport(module);
  if (config.rejectCallbackHandlers && handler.length >= 3) {
    throw namedError(
      'Runtime.CallbackHandlerDeprecated',
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later.',
    );
  }
  return handler;
}

if ((process.env.NODE_OPTIONS ?? '').includes('--enable-source-maps')) process.setSourceMapsEnabled(true);

const initStarted = performance.now();
let handler;
try {
  handler = await loadHandler();
} catch (error) {
  logError('Uncaught Exception', error);
  flushPartialLines();
  port.postMessage({ type: 'init-error', error: formatError(error) });
}

// ---------------------------------------------------------------------------------------------------
// invoke loop: one invocation at a time (the host never sends a second before the first settled)
// ---------------------------------------------------------------------------------------------------

const noop = () => {};

async function invoke(message) {
  requestId = message.requestId;
  if (message.traceId) process.env._X_AMZN_TRACE_ID = message.traceId;
  else delete process.env._X_AMZN_TRACE_ID;
  const deadlineMs = message.deadlineMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: noop,
    fail: noop,
    succeed: noop,
  };
  try {
    const result = await handler(JSON.parse(message.event), context);
    // As the runtime does: let callbacks queued by the handler's last step run before responding.
    await new Promise((resolve) => setImmediate(resolve));
    let payload;
    try {
      payload = JSON.stringify(result) ?? 'null';
    } catch {
      throw namedError('Runtime.JSONStringifyError', 'Unable to stringify response body');
    }
    flushPartialLines();
    port.postMessage({ type: 'result', requestId, ok: true, payload, memoryMb: memoryUsedMb() });
  } catch (error) {
    await new Promise((resolve) => setImmediate(resolve));
    logError('Invoke Error', error);
    flushPartialLines();
    port.postMessage({
      type: 'result',
      requestId,
      ok: false,
      error: formatError(error),
      memoryMb: memoryUsedMb(),
    });
  }
}

if (handler !== undefined) {
  port.on('message', (message) => {
    if (message?.type === 'invoke') void invoke(message);
  });
  port.postMessage({ type: 'ready', initMs: performance.now() - initStarted });
}
