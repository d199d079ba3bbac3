/**
 * `npm start`: the synthesized stack, run on this machine. Synthesizes the `local` stage with the
 * CDK CLI, reads the template and cloud assembly, and runs what it finds against local emulators, in
 * steps (local/sandbox-steps/): data emulators with the queues and tables → secrets → sample target →
 * local Lambda API → functions → event sources → HTTP gateway → schedules → alarms → extensions (the
 * CLI's console, local CloudWatch) → `.hookyard/sandbox.json`.
 *
 * Every local endpoint is behind the local trust boundary (local/http.ts); the per-run token
 * (`info.adminToken`) is the access key id the local AWS endpoints require and the sample target's
 * admin token.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AlarmWatcher, MetricStore } from './alarms.js';
import { type LocalCredentials, localClientConfig, localCredentials, newLocalToken } from './aws-local.js';
import { localOnCall } from './console/index.js';
import { integrationView } from './integration-view.js';
import type { SampleTarget } from './sample-target/index.js';
import { removeSandboxInfo, type SandboxInfo, writeSandboxInfo } from './sandbox-info.js';
import { startAlarms } from './sandbox-steps/alarms.js';
import { type StepContext, Stoppers } from './sandbox-steps/context.js';
import { createDataResources, startDataEmulators } from './sandbox-steps/emulators.js';
import { startEventSources, startLambdaApi } from './sandbox-steps/event-sources.js';
import { type LocalFunctions, startFunctions } from './sandbox-steps/functions.js';
import { startGateway } from './sandbox-steps/gateway.js';
import { startSampleTargetStep } from './sandbox-steps/sample-target.js';
import { startSchedules } from './sandbox-steps/schedules.js';
import { startSecrets } from './sandbox-steps/secrets.js';
import { refuseIfRunning, sandboxInfoOf } from './sandbox-steps/state-file.js';
import { readCloudAssembly, type SandboxPlan } from './stack-template.js';

export { DEFAULT_FUNCTION_POOL } from './sandbox-steps/functions.js';
export { SAMPLE_TARGET_BASE } from './sandbox-steps/sample-target.js';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What an extension (the CLI's console, a local CloudWatch endpoint) gets when the sandbox is up. */
export interface SandboxExtensionContext {
  /** The sandbox's facts so far (without what extensions add). */
  readonly info: SandboxInfo;
  readonly plan: SandboxPlan;
  /** The alarms and their states, evaluated on local metrics. */
  readonly alarms: AlarmWatcher;
  readonly metrics: MetricStore;
  readonly log: (line: string) => void;
  /** Runs `stop` when the sandbox stops (before the emulators and functions go away). */
  registerStopper(stop: () => Promise<unknown>): void;
}

/** What an extension serves, recorded in sandbox.json. */
export interface SandboxExtensionResult {
  readonly consoleUrl?: string;
  /** A local CloudWatch endpoint (DescribeAlarms), as `endpoints.cloudwatch`. */
  readonly cloudwatchEndpoint?: string;
}

/** Started after the alarms, before sandbox.json is written; a throw stops the sandbox. */
export type SandboxExtension = (
  context: SandboxExtensionContext,
) => Promise<SandboxExtensionResult | undefined>;

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
  /** Requests/s the sample target accepts. @default - the transformer's delivery settings' rateLimitPerSecond */
  readonly sampleTargetRateLimit?: number;
  /** Change the plan before it runs (tests: shorter timeouts, a wrapped handler). */
  readonly adjust?: (plan: SandboxPlan) => SandboxPlan;
  /** Servers to start with the sandbox (the CLI's console, local CloudWatch). @default - none */
  readonly extensions?: readonly SandboxExtension[];
  /**
   * Browser origins besides the endpoints' own that may call the sample target and the local Lambda
   * API (e.g. a console page on a fixed port). @default - none: cross-site requests are refused
   */
  readonly allowOrigins?: readonly string[];
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
  /** What sandbox.json holds: endpoints, per-integration resource names, the per-run admin token. */
  readonly info: SandboxInfo;
  readonly gatewayUrl: string;
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly secretsEndpoint: string;
  readonly sampleTarget?: SampleTarget;
  readonly secretsFile: string;
  /** The alarms and their current states. */
  readonly alarms: AlarmWatcher;
  /** The per-run credentials the local AWS endpoints accept. */
  readonly credentials: LocalCredentials;
  /** An AWS SDK client configuration for one of the sandbox's endpoints, with the per-run credentials. */
  awsClientConfig(endpoint: string): ReturnType<typeof localClientConfig>;
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

  const token = newLocalToken();
  const ctx: StepContext = {
    log,
    stoppers: new Stoppers(),
    metrics: new MetricStore(),
    token,
    credentials: localCredentials(token),
  };
  const { allowOrigins } = options;
  try {
    const data = await startDataEmulators(ctx, {
      stateDir,
      sqsPort: options.sqsPort ?? 9324,
      dynamoPort: options.dynamoPort ?? 8000,
    });
    let plan = readCloudAssembly(assemblyDir, STACK_NAME, { sqs: data.sqsEmulator.endpoint });
    if (options.adjust) plan = options.adjust(plan);
    await createDataResources(plan, data);

    const secrets = await startSecrets(ctx, plan, {
      file: join(stateDir, 'secrets.json'),
      port: options.secretsPort ?? 4584,
    });
    const sample = await startSampleTargetStep(ctx, plan, secrets, {
      port: options.targetPort ?? 4010,
      rateLimitPerSecond: options.sampleTargetRateLimit,
      allowOrigins,
    });
    let functions: LocalFunctions | undefined;
    const { lambdaApi, controls } = await startLambdaApi(ctx, plan, () => functions, { allowOrigins });
    functions = await startFunctions(ctx, plan, {
      endpoints: {
        sqs: data.sqsEmulator.endpoint,
        dynamodb: data.dynamo.endpoint,
        secretsManager: secrets.emulator.endpoint,
        lambda: lambdaApi.endpoint,
      },
      targetBase: sample.base,
      verbose: options.verbose ?? false,
    });
    startEventSources(ctx, plan, functions, controls, data.sqs);
    const gateway = await startGateway(ctx, plan, functions, options.port ?? 3000);
    const runSchedules = startSchedules(ctx, plan, functions, options.scheduleIntervalMs);
    const alarms = startAlarms(ctx, plan, data.sqsEmulator, options.alarmIntervalMs ?? 2000);

    let info = sandboxInfoOf({
      plan,
      stateDir,
      gatewayUrl: gateway.url,
      endpoints: {
        sqs: data.sqsEmulator.endpoint,
        dynamodb: data.dynamo.endpoint,
        secretsManager: secrets.emulator.endpoint,
        lambda: lambdaApi.endpoint,
      },
      secretsFile: secrets.file,
      adminToken: token,
      sampleTargetUrl: sample.target?.url,
    });
    // The on-call side (local CloudWatch + console) always runs: `hookyard` and the console need it.
    for (const extension of [localOnCall(), ...(options.extensions ?? [])]) {
      const added = await extension({
        info,
        plan,
        alarms,
        metrics: ctx.metrics,
        log,
        registerStopper: (stop) => ctx.stoppers.add(stop),
      });
      if (!added) continue;
      info = {
        ...info,
        ...(added.consoleUrl ? { consoleUrl: added.consoleUrl } : {}),
        endpoints: {
          ...info.endpoints,
          ...(added.cloudwatchEndpoint ? { cloudwatch: added.cloudwatchEndpoint } : {}),
        },
      };
    }
    writeSandboxInfo(stateDir, info);

    return {
      plan,
      info,
      gatewayUrl: gateway.url,
      sqsEndpoint: data.sqsEmulator.endpoint,
      dynamoEndpoint: data.dynamo.endpoint,
      secretsEndpoint: secrets.emulator.endpoint,
      sampleTarget: sample.target,
      secretsFile: secrets.file,
      alarms,
      credentials: ctx.credentials,
      awsClientConfig: (endpoint) => localClientConfig(endpoint, ctx.credentials),
      runSchedules,
      signingSecret: (integration) => secrets.value(integrationView(plan, integration).signingSecret.name),
      stop: async () => {
        await ctx.stoppers.stopAll();
        removeSandboxInfo(stateDir);
      },
    };
  } catch (error) {
    await ctx.stoppers.stopAll();
    throw error;
  }
}
