/**
 * Runs a deployed function's bundle (the `cdk.out/asset.<hash>/` directory the template points at)
 * on this machine, the way Lambda runs it, without Docker.
 *
 * Each execution environment is a `worker_threads` Worker running `lambda-bootstrap.mjs`:
 * - its own `process.env` (Lambda's variables + the function's), so functions never see each
 *   other's variables, nor the host's;
 * - its own module state: init (module import) once per environment, warm invokes after that;
 * - one invocation at a time; concurrency comes from more environments, created lazily up to
 *   `maxConcurrency`, further invokes wait in a queue;
 * - the timeout enforced: an overrun rejects with {@link FunctionTimeoutError} (`Sandbox.Timedout`)
 *   and the environment is discarded, so the next invoke is a cold start;
 * - a handler error rejects with {@link FunctionInvokeError} carrying Lambda's `errorType` /
 *   `errorMessage`; an uncaught exception, unhandled rejection, `process.exit` or a heap over the
 *   memory size ends that environment and rejects with {@link FunctionCrashError};
 * - events and results cross as JSON (6 MB each way), as through the Invoke API;
 * - stdout/stderr arrive as whole lines through `onLog`, unprefixed, with Lambda's own platform
 *   lines (START / END / REPORT, `Task timed out after …`) between them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../aws-local.js';

/** Lambda's synchronous invocation payload limit, request and response. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Lambda's limit on the init phase of an on-demand environment. */
const INIT_TIMEOUT_MS = 10_000;
const BOOTSTRAP = new URL('./lambda-bootstrap.mjs', import.meta.url);

/** Variables Lambda sets itself; a function's configuration may not set them. */
const RESERVED_VARIABLES = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

export type LambdaLogFormat = 'Text' | 'JSON';
export type LambdaLogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

export interface LocalFunctionOptions {
  /** The function name (`AWS_LAMBDA_FUNCTION_NAME`, the ARN, the log group). */
  readonly name: string;
  /** The bundle directory, e.g. `cdk.out/asset.<hash>` (`LAMBDA_TASK_ROOT`). */
  readonly assetDir: string;
  /** The template's `Handler`, e.g. `index.handler` (`dir/module.export`, nested `a.b` exports allowed). */
  readonly handler: string;
  /** The template's `Environment.Variables`. AWS credentials and region given here win over the dummies. */
  readonly env: Readonly<Record<string, string>>;
  /** The template's `Timeout`, in seconds. */
  readonly timeoutSeconds: number;
  /**
   * The template's `MemorySize`: `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `context.memoryLimitInMB`, and the
   * V8 old-generation heap limit of each environment (an approximation of Lambda's memory limit).
   * @default 128
   */
  readonly memoryMb?: number;
  /**
   * How many environments (workers) may run at once; further invokes queue.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /** @default - env.AWS_REGION, else LOCAL_REGION */
  readonly region?: string;
  /** The account in `invokedFunctionArn`. @default LOCAL_ACCOUNT */
  readonly accountId?: string;
  /**
   * The runtime: `AWS_EXECUTION_ENV`; from `nodejs24.x` on, callback-style handlers (3 parameters)
   * fail with `Runtime.CallbackHandlerDeprecated`. The Node.js version is always this process's.
   * @default 'nodejs24.x'
   */
  readonly runtime?: string;
  /** The template's `LoggingConfig.LogFormat`. @default 'Text' */
  readonly logFormat?: LambdaLogFormat;
  /** `LoggingConfig.ApplicationLogLevel`; filters console.* in JSON format only. @default 'INFO' */
  readonly applicationLogLevel?: LambdaLogLevel;
  /** Every line the function writes to stdout/stderr, plus Lambda's platform lines. @default - process.stdout */
  readonly onLog?: (line: string) => void;
}

export interface LocalFunction {
  /**
   * A synchronous (RequestResponse) invocation: resolves with the handler's JSON result, rejects with
   * a {@link LocalFunctionError}.
   */
  invoke<R = unknown>(event: unknown): Promise<R>;
  readonly name: string;
  /** Environments running, invocations running and invocations waiting for an environment. */
  readonly concurrency: { readonly environments: number; readonly active: number; readonly queued: number };
  /** Ends every environment now; invocations still running or queued reject. */
  stop(): Promise<void>;
}

/** A function error, as the Invoke API reports it (`X-Amz-Function-Error` + `{ errorType, errorMessage }`). */
export class LocalFunctionError extends Error {
  override readonly name: string = 'LocalFunctionError';
  readonly functionName: string;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
  readonly requestId: string | undefined;

  constructor(
    functionName: string,
    details: {
      readonly errorType: string;
      readonly errorMessage: string;
      readonly trace?: readonly string[];
    },
    requestId?: string,
    options?: ErrorOptions,
  ) {
    super(`${functionName}: ${details.errorType}: ${details.errorMessage}`, options);
    this.functionName = functionName;
    this.errorType = details.errorType;
    this.errorMessage = details.errorMessage;
    this.trace = details.trace ?? [];
    this.requestId = requestId;
  }
}

/** The handler threw or rejected, init failed, or the result could not be returned. */
export class FunctionInvokeError extends LocalFunctionError {
  override readonly name = 'FunctionInvokeError';
}

/** The invocation (or init) overran its time limit; the environment was killed (`Sandbox.Timedout`). */
export class FunctionTimeoutError extends LocalFunctionError {
  override readonly name = 'FunctionTimeoutError';
}

/** The environment died during the invocation (uncaught exception, unhandled rejection, exit, out of memory). */
export class FunctionCrashError extends LocalFunctionError {
  override readonly name = 'FunctionCrashError';
}

interface ErrorDetails {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

type WorkerMessage =
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'ready'; readonly initMs: number }
  | { readonly type: 'init-error'; readonly error: ErrorDetails }
  | { readonly type: 'fatal'; readonly error: ErrorDetails }
  | {
      readonly type: 'result';
      readonly requestId: string;
      readonly ok: true;
      readonly payload: string;
      readonly memoryMb: number;
    }
  | {
      readonly type: 'result';
      readonly requestId: string;
      readonly ok: false;
      readonly error: ErrorDetails;
      readonly memoryMb: number;
    };

interface ResolvedConfig {
  readonly name: string;
  readonly taskRoot: string;
  readonly modulePath: string;
  readonly handlerName: string;
  readonly handlerString: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly region: string;
  readonly functionArn: string;
  readonly runtime: string;
  readonly logFormat: LambdaLogFormat;
  readonly logLevel: LambdaLogLevel;
  readonly log: (line: string) => void;
}

/** `dir/index.handler` → module root `dir`, module `index`, export path `handler`. */
export function parseHandler(handler: string): {
  readonly moduleRoot: string;
  readonly moduleName: string;
  readonly handlerName: string;
} {
  if (handler.includes('..')) {
    throw new Error(`handler '${handler}' is not valid: no '..' allowed (Runtime.MalformedHandlerName)`);
  }
  const slash = handler.lastIndexOf('/');
  const moduleRoot = slash === -1 ? '' : handler.slice(0, slash);
  const match = /^([^.]*)\.(.+)$/.exec(handler.slice(slash + 1));
  if (match?.[1] === undefined || match[1] === '' || match[2] === undefined) {
    throw new Error(`handler '${handler}' is not valid: expected 'module.export', e.g. 'index.handler'`);
  }
  return { moduleRoot, moduleName: match[1], handlerName: match[2] };
}

/** The file the Node.js runtime would load for a handler: '', '.js', '.mjs', '.cjs' in that order. */
export function resolveHandlerFile(taskRoot: string, handler: string): string {
  const { moduleRoot, moduleName } = parseHandler(handler);
  const base = join(resolve(taskRoot), moduleRoot, moduleName);
  const candidates = ['', '.js', '.mjs', '.cjs'].map((extension) => `${base}${extension}`);
  const found = candidates.find((file) => existsSync(file) && statSync(file).isFile());
  if (found === undefined) {
    throw new Error(
      `handler '${handler}': no module file in ${taskRoot} (tried ${candidates.map((file) => file.slice(base.length - moduleName.length)).join(', ')})`,
    );
  }
  return found;
}

function validate(opts: LocalFunctionOptions): void {
  const problems: string[] = [];
  const rules: ReadonlyArray<readonly [boolean, string]> = [
    [opts.name.trim() === '', 'name must not be empty'],
    [
      !(Number.isFinite(opts.timeoutSeconds) && opts.timeoutSeconds > 0 && opts.timeoutSeconds <= 900),
      `timeoutSeconds must be in (0, 900], got ${opts.timeoutSeconds}`,
    ],
    [
      opts.memoryMb !== undefined &&
        !(Number.isInteger(opts.memoryMb) && opts.memoryMb >= 128 && opts.memoryMb <= 10_240),
      `memoryMb must be an integer in [128, 10240], got ${opts.memoryMb}`,
    ],
    [
      opts.maxConcurrency !== undefined &&
        !(Number.isInteger(opts.maxConcurrency) && opts.maxConcurrency >= 1),
      `maxConcurrency must be an integer >= 1, got ${opts.maxConcurrency}`,
    ],
  ];
  for (const [failed, message] of rules) if (failed) problems.push(message);
  const reserved = Object.keys(opts.env).filter((key) => RESERVED_VARIABLES.includes(key));
  if (reserved.length > 0) problems.push(`env sets variables Lambda reserves: ${reserved.join(', ')}`);
  if (problems.length > 0) throw new Error(`local function '${opts.name}': ${problems.join('; ')}`);
}

function resolveConfig(opts: LocalFunctionOptions): ResolvedConfig {
  validate(opts);
  const taskRoot = resolve(opts.assetDir);
  if (!existsSync(taskRoot) || !statSync(taskRoot).isDirectory()) {
    throw new Error(`local function '${opts.name}': asset directory ${opts.assetDir} does not exist`);
  }
  const modulePath = resolveHandlerFile(taskRoot, opts.handler);
  const region = opts.region ?? opts.env.AWS_REGION ?? LOCAL_REGION;
  return {
    name: opts.name,
    taskRoot,
    modulePath,
    handlerName: parseHandler(opts.handler).handlerName,
    handlerString: opts.handler,
    env: opts.env,
    timeoutMs: opts.timeoutSeconds * 1000,
    memoryMb: opts.memoryMb ?? 128,
    region,
    functionArn: `arn:aws:lambda:${region}:${opts.accountId ?? LOCAL_ACCOUNT}:function:${opts.name}`,
    runtime: opts.runtime ?? 'nodejs24.x',
    logFormat: opts.logFormat ?? 'Text',
    logLevel: opts.applicationLogLevel ?? 'INFO',
    log: opts.onLog ?? ((line) => process.stdout.write(`${line}\n`)),
  };
}

/** The variables a fresh execution environment sees: Lambda's, then the function's. */
function environmentVariables(config: ResolvedConfig, logStreamName: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    ...config.env,
    AWS_REGION: config.region,
    AWS_DEFAULT_REGION: config.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: config.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    LAMBDA_TASK_ROOT: config.taskRoot,
    _HANDLER: config.handlerString,
  };
  if (config.logFormat === 'JSON') {
    env.AWS_LAMBDA_LOG_FORMAT = 'JSON';
    env.AWS_LAMBDA_LOG_LEVEL = config.logLevel;
  }
  return env;
}

function newLogStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

function newTraceId(): string {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function majorVersion(runtime: string): number {
  const match = /^nodejs(\d+)/.exec(runtime);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

interface RunningInvocation {
  readonly requestId: string;
  readonly startedAt: number;
  readonly initMs: number | undefined;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (payload: string) => void;
  readonly reject: (error: Error) => void;
}

/** One Lambda execution environment: one worker, one invocation at a time. */
class ExecutionEnvironment {
  /** Resolves with the init duration once the handler is loaded; rejects when init fails. */
  readonly ready: Promise<number>;
  private readonly worker: Worker;
  private readonly config: ResolvedConfig;
  private current: RunningInvocation | undefined;
  private fatal: ErrorDetails | undefined;
  private initReported = false;
  /** Heap size at the end of the last invocation, for REPORT lines when the environment died. */
  private lastMemoryMb: number | undefined;
  private deadReason: Error | undefined;
  private settleReady!: { resolve: (initMs: number) => void; reject: (error: Error) => void };
  private readonly initTimer: NodeJS.Timeout;
  private readonly onDead: (environment: ExecutionEnvironment) => void;
  private terminated: Promise<unknown> = Promise.resolve();

  constructor(config: ResolvedConfig, onDead: (environment: ExecutionEnvironment) => void) {
    this.config = config;
    this.onDead = onDead;
    this.ready = new Promise<number>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // Callers always await `ready` through invoke(); keep an unobserved init failure from being unhandled.
    this.ready.catch(() => {});
    this.worker = new Worker(BOOTSTRAP, {
      name: `lambda:${config.name}`,
      env: environmentVariables(config, newLogStreamName()),
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: config.memoryMb },
      workerData: {
        modulePath: config.modulePath,
        handlerName: config.handlerName,
        handlerString: config.handlerString,
        logFormat: config.logFormat,
        logLevel: config.logLevel,
        rejectCallbackHandlers: majorVersion(config.runtime) >= 24,
      },
    });
    // Writes that bypass the bootstrap's capture (there should be none) still arrive as lines.
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) config.log(line);
      });
    }
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error: Error & { code?: string }) => {
      this.fatal ??=
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { errorType: 'Runtime.OutOfMemory', errorMessage: 'Runtime exited with error: out of memory' }
          : { errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') ?? [] };
    });
    this.worker.on('exit', (code) => this.onExit(code));
    this.initTimer = setTimeout(() => {
      void this.kill(
        new FunctionTimeoutError(config.name, {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds`,
        }),
      );
    }, INIT_TIMEOUT_MS);
  }

  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  /** Runs one invocation; resolves with the result's JSON text. */
  async invoke(eventJson: string): Promise<string> {
    const initMs = await this.ready;
    if (this.deadReason) throw this.deadReason;
    const requestId = randomUUID();
    const startedAt = performance.now();
    const reportInit = !this.initReported;
    this.initReported = true;
    this.config.log(`START RequestId: ${requestId} Version: $LATEST`);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(requestId), this.config.timeoutMs);
      this.current = {
        requestId,
        startedAt,
        initMs: reportInit ? initMs : undefined,
        timer,
        resolve,
        reject,
      };
      this.worker.postMessage({
        type: 'invoke',
        requestId,
        event: eventJson,
        deadlineMs: Date.now() + this.config.timeoutMs,
        invokedFunctionArn: this.config.functionArn,
        traceId: newTraceId(),
      });
    });
  }

  /** Ends the environment; a running invocation rejects with `reason`. Resolves once the worker is gone. */
  kill(reason: Error): Promise<unknown> {
    if (this.deadReason) return this.terminated;
    this.deadReason = reason;
    clearTimeout(this.initTimer);
    this.settleReady.reject(reason);
    const current = this.current;
    this.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.reject(reason);
    }
    this.terminated = this.worker.terminate().catch(() => undefined);
    this.onDead(this);
    return this.terminated;
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case 'log':
        this.config.log(message.line);
        return;
      case 'ready':
        clearTimeout(this.initTimer);
        this.settleReady.resolve(message.initMs);
        return;
      case 'init-error':
        void this.kill(new FunctionInvokeError(this.config.name, message.error));
        return;
      case 'fatal':
        this.fatal = message.error;
        return;
      case 'result':
        this.onResult(message);
        return;
    }
  }

  private onResult(message: Extract<WorkerMessage, { type: 'result' }>): void {
    const current = this.current;
    if (current === undefined || current.requestId !== message.requestId) return;
    this.current = undefined;
    clearTimeout(current.timer);
    this.lastMemoryMb = message.memoryMb;
    this.report(current, message.memoryMb);
    if (!message.ok) {
      current.reject(new FunctionInvokeError(this.config.name, message.error, current.requestId));
    } else if (Buffer.byteLength(message.payload) > MAX_PAYLOAD_BYTES) {
      current.reject(
        new FunctionInvokeError(
          this.config.name,
          {
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
          },
          current.requestId,
        ),
      );
    } else {
      current.resolve(message.payload);
    }
  }

  private onTimeout(requestId: string): void {
    const current = this.current;
    if (current === undefined || current.requestId !== requestId) return;
    const seconds = (this.config.timeoutMs / 1000).toFixed(2);
    this.config.log(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
    this.report(current, undefined, 'timeout');
    void this.kill(
      new FunctionTimeoutError(
        this.config.name,
        {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
        },
        requestId,
      ),
    );
  }

  private onExit(code: number): void {
    const current = this.current;
    const details: ErrorDetails = this.fatal ?? {
      errorType: 'Runtime.ExitError',
      errorMessage: `Runtime exited with error: exit status ${code}`,
    };
    if (current) {
      this.report(current, undefined, 'error', details.errorType);
      void this.kill(
        new FunctionCrashError(
          this.config.name,
          { ...details, errorMessage: `RequestId: ${current.requestId} ${details.errorMessage}` },
          current.requestId,
        ),
      );
    } else {
      void this.kill(new FunctionCrashError(this.config.name, details));
    }
  }

  /** END and REPORT lines, as Lambda writes them after every invocation. */
  private report(
    current: RunningInvocation,
    memoryMb: number | undefined,
    status?: string,
    errorType?: string,
  ): void {
    const duration = performance.now() - current.startedAt;
    const fields = [
      `REPORT RequestId: ${current.requestId}`,
      `Duration: ${duration.toFixed(2)} ms`,
      `Billed Duration: ${Math.ceil(duration)} ms`,
      `Memory Size: ${this.config.memoryMb} MB`,
      `Max Memory Used: ${memoryMb ?? this.lastMemoryMb ?? this.config.memoryMb} MB`,
    ];
    if (current.initMs !== undefined) fields.push(`Init Duration: ${current.initMs.toFixed(2)} ms`);
    if (status !== undefined) fields.push(`Status: ${status}`);
    if (errorType !== undefined) fields.push(`Error Type: ${errorType}`);
    this.config.log(`END RequestId: ${current.requestId}`);
    this.config.log(fields.join('\t'));
  }
}

interface QueuedInvocation {
  readonly eventJson: string;
  readonly resolve: (payload: string) => void;
  readonly reject: (error: Error) => void;
}

class LocalFunctionPool implements LocalFunction {
  readonly name: string;
  private readonly config: ResolvedConfig;
  private readonly maxConcurrency: number;
  private readonly environments = new Set<ExecutionEnvironment>();
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly queue: QueuedInvocation[] = [];
  private active = 0;
  private stopped = false;

  constructor(config: ResolvedConfig, maxConcurrency: number) {
    this.name = config.name;
    this.config = config;
    this.maxConcurrency = maxConcurrency;
  }

  get concurrency(): LocalFunction['concurrency'] {
    return { environments: this.environments.size, active: this.active, queued: this.queue.length };
  }

  async invoke<R = unknown>(event: unknown): Promise<R> {
    if (this.stopped) throw new Error(`local function '${this.name}' is stopped`);
    let eventJson: string;
    try {
      eventJson = JSON.stringify(event) ?? 'null';
    } catch (error) {
      throw new FunctionInvokeError(
        this.name,
        {
          errorType: 'InvalidRequestContentException',
          errorMessage: `Could not parse request body into json: ${String(error)}`,
        },
        undefined,
        { cause: error },
      );
    }
    if (Buffer.byteLength(eventJson) > MAX_PAYLOAD_BYTES) {
      throw new FunctionInvokeError(this.name, {
        errorType: 'RequestEntityTooLargeException',
        errorMessage: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      });
    }
    const payload = await new Promise<string>((resolve, reject) => {
      this.queue.push({ eventJson, resolve, reject });
      this.pump();
    });
    return JSON.parse(payload) as R;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const reason = new Error(`local function '${this.name}' stopped`);
    for (const queued of this.queue.splice(0)) queued.reject(reason);
    const environments = [...this.environments];
    this.environments.clear();
    this.idle.length = 0;
    await Promise.all(environments.map((environment) => environment.kill(reason)));
  }

  private pump(): void {
    while (!this.stopped && this.queue.length > 0) {
      let environment = this.idle.pop();
      if (environment === undefined) {
        if (this.environments.size >= this.maxConcurrency) return;
        environment = new ExecutionEnvironment(this.config, (dead) => this.forget(dead));
        this.environments.add(environment);
      }
      const next = this.queue.shift();
      if (next === undefined) return;
      void this.run(environment, next);
    }
  }

  private forget(environment: ExecutionEnvironment): void {
    this.environments.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index !== -1) this.idle.splice(index, 1);
  }

  private async run(environment: ExecutionEnvironment, invocation: QueuedInvocation): Promise<void> {
    this.active += 1;
    try {
      invocation.resolve(await environment.invoke(invocation.eventJson));
    } catch (error) {
      invocation.reject(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.active -= 1;
      if (!environment.dead && !this.stopped) this.idle.push(environment);
      this.pump();
    }
  }
}

/**
 * Prepares a local function from its bundle. Checks the asset and handler file now; environments
 * (workers) start on demand, so the first invoke is a cold start, as on Lambda.
 */
export async function startLocalFunction(opts: LocalFunctionOptions): Promise<LocalFunction> {
  const config = resolveConfig(opts);
  return new LocalFunctionPool(config, opts.maxConcurrency ?? 10);
}
