/**
 * `npm start`: the synthesized stack, run on this machine. Synthesizes the `local` stage with the
 * CDK CLI, reads the template and cloud assembly, and runs what it finds — queues, tables, secrets,
 * the bundled function code, event source mappings, HTTP routes, alarms — against local emulators.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { integrations } from '../integrations/index.js';
import { validateIntegrations } from '../integrations/resolve.js';
import { AlarmWatcher, MetricStore } from './alarms.js';
import { startLocalOnCall } from './console/index.js';
import { type DynamoEmulator, startDynamoEmulator } from './emulators/dynamodb.js';
import { type LocalEventSourceMapping, startLambdaApiEmulator } from './emulators/lambda-api.js';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from './emulators/secrets-manager.js';
import { type SqsEmulator, startSqsEmulator } from './emulators/sqs.js';
import { formatFunctionLog, shortFunctionName } from './function-logs.js';
import { type HttpGateway, startHttpGateway } from './http-gateway.js';
import { type LocalFunction, startLocalFunction } from './runtime/lambda-runner.js';
import { type SqsEventSource, startSqsEventSource } from './runtime/sqs-event-source.js';
import { type SampleTarget, startSampleTarget } from './sample-target/index.js';
import { writeSandboxInfo } from './sandbox-info.js';
import {
  type EventSourcePlan,
  LOCAL_REGION,
  readCloudAssembly,
  type SandboxPlan,
  type SecretPlan,
} from './stack-template.js';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the sample integration's target lives on the local stage (integrations/acme-orders). */
export const SAMPLE_TARGET_BASE = 'http://127.0.0.1:4010';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface SandboxOptions {
  /** HTTP gateway port. @default 3000 (PORT) */
  readonly port?: number;
  /** Sample target port. @default 4010; 0 picks a free one (the template's URL is rewritten to it) */
  readonly targetPort?: number;
  /** Emulator ports. @default 9324 (SQS), 8000 (DynamoDB), 4584 (Secrets Manager); 0 picks free ones */
  readonly sqsPort?: number;
  readonly dynamoPort?: number;
  readonly secretsPort?: number;
  /** Queues, tables, secrets and the cloud assembly. @default `.hookyard` in the project */
  readonly stateDir?: string;
  /** Forget queued messages and idempotency records (secrets are kept). @default false */
  readonly fresh?: boolean;
  /** Where the sandbox's lines go. @default console.log */
  readonly log?: (line: string) => void;
  /** Print every function log line (not only warnings, errors and deliveries). @default false */
  readonly verbose?: boolean;
  /** Run every scheduled function this often instead of at its rule's rate (tests). @default - the rule's rate */
  readonly scheduleIntervalMs?: number;
  /** How often alarms are evaluated. @default 2000 */
  readonly alarmIntervalMs?: number;
  /** Reuse an existing cloud assembly instead of synthesizing (tests that start many sandboxes). */
  readonly assemblyDir?: string;
  /** Requests/s the sample target accepts. @default - the rate the integration declares */
  readonly sampleTargetRateLimit?: number;
  /** Change the plan before it runs (tests: shorter timeouts, a wrapped handler). */
  readonly adjust?: (plan: SandboxPlan) => SandboxPlan;
}

/**
 * A sandbox that shares nothing with `npm start` or another test: free ports, state under `dir`,
 * and the cloud assembly synthesized into `assemblyDir` (see `synthesizeLocal`).
 */
export function isolatedSandboxOptions(dir: string, assemblyDir: string): SandboxOptions {
  return {
    port: 0,
    targetPort: 0,
    sqsPort: 0,
    dynamoPort: 0,
    secretsPort: 0,
    stateDir: dir,
    assemblyDir,
  };
}

export interface Sandbox {
  readonly plan: SandboxPlan;
  readonly gatewayUrl: string;
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly secretsEndpoint: string;
  readonly sampleTarget?: SampleTarget;
  readonly secretsFile: string;
  readonly alarms: AlarmWatcher;
  /** Runs every scheduled function now, as its rule would (e.g. the breaker's check). */
  runSchedules(): Promise<void>;
  /** Signing secret of an integration's ingest function (from the local secrets file). */
  signingSecret(integration: string): string;
  stop(): Promise<void>;
}

const STACK_NAME = 'Hookyard-local';

/** Runs `cdk synth` for the local stage into `outDir`, exactly as a deploy would synthesize. */
export async function synthesizeLocal(outDir: string): Promise<void> {
  const bin = join(PROJECT_ROOT, 'node_modules', '.bin');
  const output: string[] = [];
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(
      join(bin, 'cdk'),
      ['synth', '-c', 'stage=local', '--quiet', '-o', outDir, STACK_NAME],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CDK_DISABLE_VERSION_CHECK: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.on('data', (chunk) => output.push(String(chunk)));
    child.stderr.on('data', (chunk) => output.push(String(chunk)));
    child.on('error', fail);
    child.on('close', done);
  });
  if (code !== 0) throw new Error(`cdk synth failed (exit ${code}):\n${output.join('').trim()}`);
}

/** The value a generated secret gets locally: what Secrets Manager would generate for the template. */
function generateSecretValue(secret: SecretPlan): string {
  const random = (length: number) =>
    randomBytes(length * 2)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, length);
  if (secret.generate?.template && secret.generate.key) {
    return JSON.stringify({ ...JSON.parse(secret.generate.template), [secret.generate.key]: random(32) });
  }
  // Signing secrets: the Standard Webhooks form, so partners' libraries take it as is.
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function readJson<T>(file: string, fallback: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : fallback;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stateDir = resolve(options.stateDir ?? join(PROJECT_ROOT, '.hookyard'));
  mkdirSync(stateDir, { recursive: true });
  if (options.fresh) {
    for (const dir of ['sqs', 'dynamodb']) rmSync(join(stateDir, dir), { recursive: true, force: true });
  }
  await refuseIfRunning(stateDir);
  const assemblyDir = options.assemblyDir ?? join(stateDir, 'cdk.out');
  if (!options.assemblyDir) {
    log('synthesizing the local stage (cdk synth -c stage=local)…');
    await synthesizeLocal(assemblyDir);
  }

  const stoppers: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  try {
    const sqsEmulator: SqsEmulator = await startSqsEmulator({
      port: options.sqsPort ?? 9324,
      dataDir: join(stateDir, 'sqs'),
    });
    stoppers.push(() => sqsEmulator.stop());
    const dynamo: DynamoEmulator = await startDynamoEmulator({
      port: options.dynamoPort ?? 8000,
      dataDir: join(stateDir, 'dynamodb'),
    });
    stoppers.push(() => dynamo.stop());
    const secretsFile = join(stateDir, 'secrets.json');

    let plan = readCloudAssembly(assemblyDir, STACK_NAME, { sqs: sqsEmulator.endpoint });
    if (options.adjust) plan = options.adjust(plan);

    // Secrets: keep what the file has (yours), generate what is missing.
    const existing = readJson<Record<string, unknown>>(secretsFile, {});
    const seeds = Object.fromEntries(
      plan.secrets.filter((s) => !(s.name in existing)).map((s) => [s.name, generateSecretValue(s)]),
    );
    const secrets: SecretsManagerEmulator = await startSecretsManagerEmulator({
      port: options.secretsPort ?? 4584,
      file: secretsFile,
      secrets: seeds,
    });
    stoppers.push(() => secrets.stop());
    const secretValue = (name: string): string => {
      const entry = readJson<Record<string, string | { current: string }>>(secretsFile, {})[name];
      return typeof entry === 'string' ? entry : (entry?.current ?? '');
    };

    const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const sqs = new SQSClient({ ...clientConfig, endpoint: sqsEmulator.endpoint });
    const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: dynamo.endpoint });
    stoppers.push(async () => {
      sqs.destroy();
      dynamodb.destroy();
    });
    await createQueues(plan, sqs);
    await createTables(plan, dynamodb);

    // The sample target, when some function delivers to it.
    const targetFn = plan.functions.find((f) => f.environment.TARGET_URL?.startsWith(SAMPLE_TARGET_BASE));
    let sampleTarget: SampleTarget | undefined;
    let targetBase = SAMPLE_TARGET_BASE;
    if (targetFn) {
      const credentials = targetFn.environment.TARGET_SECRET_ID
        ? (JSON.parse(secretValue(secretNameOf(plan, targetFn.environment.TARGET_SECRET_ID))) as Record<
            string,
            string
          >)
        : {};
      sampleTarget = await startSampleTarget({
        port: options.targetPort ?? 4010,
        auth: targetFn.environment.TARGET_TOKEN_URL ? 'oauth2' : credentials.apiKey ? 'api-key' : 'none',
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        apiKey: credentials.apiKey,
        // The target enforces the rate the integration declares, as the real one would.
        rateLimitPerSecond: options.sampleTargetRateLimit ?? declaredRate(targetFn.environment.INTEGRATION),
      });
      stoppers.push(() => sampleTarget?.stop() ?? Promise.resolve());
      targetBase = sampleTarget.url;
    }

    // Event source mappings the breaker function can switch through the Lambda API; started below.
    const controls = plan.eventSources.map(
      (source) => new SwitchableEventSource(source.uuid, source.enabled, log),
    );
    const lambdaApi = await startLambdaApiEmulator({
      mappings: controls.map((control, i): LocalEventSourceMapping => {
        const source = plan.eventSources[i] as EventSourcePlan;
        const fnName = plan.functions.find((f) => f.logicalId === source.functionLogicalId)?.name;
        return {
          uuid: source.uuid,
          functionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${fnName}`,
          eventSourceArn: plan.queues.find((q) => q.logicalId === source.queueLogicalId)?.arn ?? '',
          batchSize: source.batchSize,
          enabled: () => control.enabled,
          setEnabled: async (enabled) => control.setEnabled(enabled),
        };
      }),
      invoke: (name, payload) => {
        const fn = plan.functions.find((f) => f.name === name);
        const local = fn && functions.get(fn.logicalId);
        if (!local) return undefined;
        return local.invoke(payload).catch((error: Error) => {
          log(`[${shortFunctionName(name)}] invocation failed: ${error.message}`);
          throw error;
        });
      },
    });
    stoppers.push(() => lambdaApi.stop());

    const metrics = new MetricStore();
    const functions = new Map<string, LocalFunction>();
    for (const fn of plan.functions) {
      const env: Record<string, string> = {
        ...Object.fromEntries(
          Object.entries(fn.environment).map(([k, v]) => [k, v.replace(SAMPLE_TARGET_BASE, targetBase)]),
        ),
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
      };
      const eventSource = plan.eventSources.find((e) => e.functionLogicalId === fn.logicalId);
      const local = await startLocalFunction({
        name: fn.name,
        assetDir: fn.assetDir,
        handler: fn.handler,
        env,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        runtime: fn.runtime,
        maxConcurrency: eventSource?.maxConcurrency ?? 4,
        logFormat: 'JSON',
        onLog: (line) => {
          const at = Date.now();
          if (metrics.putEmf(line, at)) return;
          const text = formatFunctionLog(fn.name, line, options.verbose ?? false);
          if (text) log(text);
        },
      });
      functions.set(fn.logicalId, local);
      stoppers.push(() => local.stop());
    }

    plan.eventSources.forEach((source, i) => {
      const queue = plan.queues.find((q) => q.logicalId === source.queueLogicalId);
      const fn = functions.get(source.functionLogicalId);
      const fnPlan = plan.functions.find((f) => f.logicalId === source.functionLogicalId);
      if (!queue || !fn || !fnPlan)
        throw new Error(`event source ${source.queueLogicalId} → ${source.functionLogicalId}: unknown`);
      const control = controls[i] as SwitchableEventSource;
      control.describe = `${queue.name} → ${shortFunctionName(fnPlan.name)}`;
      control.start = () =>
        startSqsEventSource({
          sqs,
          queueUrl: queue.url,
          queueArn: queue.arn,
          batchSize: source.batchSize,
          maxBatchingWindowSeconds: source.maxBatchingWindowSeconds,
          maxConcurrency: Math.max(2, source.maxConcurrency),
          reportBatchItemFailures: source.reportBatchItemFailures,
          invoke: (event: SQSEvent) => fn.invoke(event),
          onBatch: (info) => {
            if (info.error) {
              metrics.put('AWS/Lambda', 'Errors', { FunctionName: fnPlan.name }, 1, Date.now());
              log(
                `[${shortFunctionName(fnPlan.name)}] batch of ${info.records} failed and returns to ${queue.name}: ${info.error}`,
              );
            }
          },
        });
      void control.resume();
      // Stopping the sources first lets in-flight batches finish before the functions go away.
      stoppers.push(() => control.stop());
    });

    const scheduledRuns: (() => Promise<void>)[] = [];
    for (const schedule of plan.schedules) {
      const fn = functions.get(schedule.functionLogicalId);
      const fnPlan = plan.functions.find((f) => f.logicalId === schedule.functionLogicalId);
      if (!fn || !fnPlan) continue;
      let running: Promise<void> | undefined;
      const run = () => {
        running ??= fn
          .invoke(scheduledEvent(schedule.name))
          .then(
            () => undefined,
            (error: Error) => {
              metrics.put('AWS/Lambda', 'Errors', { FunctionName: fnPlan.name }, 1, Date.now());
              log(`[${shortFunctionName(fnPlan.name)}] scheduled run failed: ${error.message}`);
            },
          )
          .finally(() => {
            running = undefined;
          });
        return running;
      };
      scheduledRuns.push(run);
      const tick = setInterval(run, options.scheduleIntervalMs ?? schedule.everySeconds * 1000);
      tick.unref();
      stoppers.push(async () => clearInterval(tick));
    }

    const gateway: HttpGateway = await startHttpGateway({
      port: options.port ?? 3000,
      routes: plan.routes.map((route) => {
        const fn = functions.get(route.functionLogicalId);
        const fnPlan = plan.functions.find((f) => f.logicalId === route.functionLogicalId);
        if (!fn || !fnPlan) throw new Error(`route ${route.method} ${route.path} has no local function`);
        return {
          ...route,
          invoke: (event: unknown) => fn.invoke(event),
          onError: () => metrics.put('AWS/Lambda', 'Errors', { FunctionName: fnPlan.name }, 1, Date.now()),
        };
      }),
    });
    stoppers.push(() => gateway.stop());

    const alarms = new AlarmWatcher(plan.alarms, metrics);
    const sampleQueues = () => {
      const now = Date.now();
      for (const queue of plan.queues) {
        const m = sqsEmulator.queueMetrics(queue.name);
        if (!m) continue;
        const dims = { QueueName: queue.name };
        metrics.put('AWS/SQS', 'ApproximateNumberOfMessagesVisible', dims, m.visible, now);
        metrics.put('AWS/SQS', 'ApproximateAgeOfOldestMessage', dims, m.oldestMessageAgeSeconds, now);
      }
      for (const t of alarms.evaluate(now)) {
        const runbook = t.runbook ? ` — runbook: ${t.runbook}` : '';
        log(
          t.state === 'ALARM'
            ? `ALARM ${t.alarm.name} (value ${t.value ?? 'n/a'} vs threshold ${t.alarm.threshold})${runbook}`
            : `OK    ${t.alarm.name} recovered`,
        );
      }
    };
    const timer = setInterval(sampleQueues, options.alarmIntervalMs ?? 2000);
    timer.unref();
    stoppers.push(async () => clearInterval(timer));

    const sandbox: Sandbox = {
      plan,
      gatewayUrl: gateway.url,
      sqsEndpoint: sqsEmulator.endpoint,
      dynamoEndpoint: dynamo.endpoint,
      secretsEndpoint: secrets.endpoint,
      sampleTarget,
      secretsFile,
      alarms,
      runSchedules: async () => {
        await Promise.all(scheduledRuns.map((run) => run()));
      },
      signingSecret(integration: string) {
        const ingest = plan.functions.find(
          (f) => f.environment.INTEGRATION === integration && f.environment.SIGNING_SECRET_ID,
        );
        if (!ingest) throw new Error(`no integration '${integration}' in the sandbox`);
        return secretValue(secretNameOf(plan, ingest.environment.SIGNING_SECRET_ID ?? ''));
      },
      stop: async () => {
        await stopAll();
        rmSync(join(stateDir, 'sandbox.json'), { force: true });
      },
    };
    // ── On-call tools (cli helper): local CloudWatch endpoint, web console, sandbox.json for the CLI ──
    const onCall = await startLocalOnCall({
      stateDir,
      plan,
      alarms,
      metrics,
      adminToken: randomBytes(24).toString('hex'),
      region: LOCAL_REGION,
      gatewayUrl: gateway.url,
      secretsFile,
      sampleTargetUrl: sampleTarget?.url,
      endpoints: {
        sqs: sqsEmulator.endpoint,
        dynamodb: dynamo.endpoint,
        secretsManager: secrets.endpoint,
        lambda: lambdaApi.endpoint,
      },
    });
    stoppers.push(() => onCall.stop());
    writeSandboxInfo(stateDir, onCall.info);
    return sandbox;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** An event source mapping that can be disabled and enabled again, like Lambda's. */
class SwitchableEventSource {
  describe = '';
  start: (() => SqsEventSource) | undefined;
  private running: SqsEventSource | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly uuid: string,
    public enabled: boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** Like UpdateEventSourceMapping: answers at once; a disabled mapping lets in-flight batches finish. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    this.log(`event source ${this.describe} ${enabled ? 'enabled' : 'disabled'}`);
    if (enabled) void this.resume();
    else this.stopping = this.stop();
  }

  async resume(): Promise<void> {
    if (!this.enabled || this.running || !this.start) return;
    await this.stopping;
    if (this.enabled && !this.running) this.running = this.start();
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
  }
}

function scheduledEvent(rule: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${rule}`],
    detail: {},
  };
}

/** A second sandbox on the same state would re-synthesize the assembly under the first one's functions. */
async function refuseIfRunning(stateDir: string): Promise<void> {
  const info = readJson<{ gateway?: string; gatewayUrl?: string }>(join(stateDir, 'sandbox.json'), {});
  const gateway = info.gatewayUrl ?? info.gateway;
  if (!gateway) return;
  const alive = await fetch(gateway, { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );
  if (alive)
    throw new Error(`a sandbox is already running from ${stateDir} (gateway ${gateway}): stop it first`);
}

function declaredRate(integration: string | undefined): number {
  const found = validateIntegrations(integrations, 'local').find((i) => i.name === integration);
  return found?.target.rateLimitPerSecond ?? 10;
}

function secretNameOf(plan: SandboxPlan, arnOrName: string): string {
  return plan.secrets.find((s) => s.arn === arnOrName || s.name === arnOrName)?.name ?? arnOrName;
}

async function createQueues(plan: SandboxPlan, sqs: SQSClient): Promise<void> {
  for (const queue of plan.queues) {
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: queue.attributes }));
    } catch {
      // It exists from an earlier run with other attributes: bring them up to date with the template.
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: queue.attributes }));
    }
  }
}

async function createTables(plan: SandboxPlan, dynamodb: DynamoDBClient): Promise<void> {
  for (const table of plan.tables) {
    try {
      await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await dynamodb.send(
        new CreateTableCommand({
          TableName: table.name,
          KeySchema: [...table.keySchema],
          AttributeDefinitions: [...table.attributeDefinitions],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
  }
}
