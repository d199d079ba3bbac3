/**
 * The sandbox's on-call side (one call from local/sandbox.ts): the local CloudWatch endpoint (alarm
 * states and queue gauges for `hookyard status`), the web console, and the `sandbox.json` facts the
 * CLI reads. The console calls the same `ops/` code as the CLI.
 */
import type { AlarmWatcher, MetricStore } from '../alarms.js';
import { startCloudWatchEmulator } from '../emulators/cloudwatch.js';
import type { SandboxInfo, SandboxIntegrationInfo } from '../sandbox-info.js';
import type { SandboxPlan } from '../stack-template.js';
import { startConsoleServer } from './server.js';

export interface LocalOnCallOptions {
  readonly stateDir: string;
  readonly plan: SandboxPlan;
  readonly alarms: AlarmWatcher;
  readonly metrics: MetricStore;
  readonly adminToken: string;
  readonly region: string;
  readonly gatewayUrl: string;
  readonly secretsFile: string;
  readonly sampleTargetUrl?: string;
  readonly endpoints: { sqs: string; dynamodb: string; secretsManager: string; lambda: string };
  /** @default 0 - a free port */
  readonly consolePort?: number;
}

export interface LocalOnCall {
  readonly info: SandboxInfo;
  stop(): Promise<void>;
}

/** Pure: each integration's resources in the plan (by the functions' INTEGRATION variable). */
export function integrationsOfPlan(
  plan: SandboxPlan,
  gatewayUrl: string,
  sampleTargetUrl: string | undefined,
): SandboxIntegrationInfo[] {
  const names = [
    ...new Set(plan.functions.map((f) => f.environment.INTEGRATION).filter(Boolean)),
  ] as string[];
  return names.flatMap((name) => {
    const fns = plan.functions.filter((f) => f.environment.INTEGRATION === name);
    const transformer = fns.find((f) => f.environment.DLQ_URL);
    const ingest = fns.find((f) => f.environment.SIGNING_SECRET_ID);
    const breaker = fns.find((f) => f.environment.EVENT_SOURCE_MAPPING_ID);
    const queue = plan.queues.find((q) => q.url === transformer?.environment.QUEUE_URL);
    const dlq = plan.queues.find((q) => q.url === transformer?.environment.DLQ_URL);
    if (!transformer || !queue || !dlq) return [];
    const ref = (q: typeof queue) => ({ name: q.name, url: q.url, arn: q.arn });
    const secret = plan.secrets.find((s) => s.arn === ingest?.environment.SIGNING_SECRET_ID);
    const targetUrl = transformer.environment.TARGET_URL ?? '';
    return [
      {
        name,
        webhookUrl: `${gatewayUrl}/webhooks/${name}`,
        signingSecretName: secret?.name ?? '',
        queue: ref(queue),
        deadLetterQueue: ref(dlq),
        table: transformer.environment.IDEMPOTENCY_TABLE ?? '',
        functions: { ingest: ingest?.name ?? '', transformer: transformer.name, breaker: breaker?.name },
        eventSourceMappingId: plan.eventSources.find((e) => e.functionLogicalId === transformer.logicalId)
          ?.uuid,
        alarms: plan.alarms.filter((a) => a.name.includes(`-${name}-`)).map((a) => a.name),
        sampleTargetUrl:
          sampleTargetUrl && targetUrl.startsWith('http://127.0.0.1') ? sampleTargetUrl : undefined,
      },
    ];
  });
}

export async function startLocalOnCall(opts: LocalOnCallOptions): Promise<LocalOnCall> {
  const cloudwatch = await startCloudWatchEmulator({
    alarms: () =>
      opts.plan.alarms.map((a) => ({
        name: a.name,
        state: opts.alarms.state(a.name) ?? 'INSUFFICIENT_DATA',
        description: a.description,
        threshold: a.threshold,
        comparison: a.comparison,
        evaluationPeriods: a.evaluationPeriods,
      })),
    statistic: (q) =>
      opts.metrics.aggregate(
        {
          namespace: q.namespace,
          metricName: q.metricName,
          dimensions: q.dimensions,
          statistic: q.statistic,
          periodSeconds: q.periodSeconds,
        },
        Date.now(),
      ),
  });
  let info: SandboxInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stackName: opts.plan.stackName,
    region: opts.region,
    stateDir: opts.stateDir,
    gatewayUrl: opts.gatewayUrl,
    endpoints: { ...opts.endpoints, cloudwatch: cloudwatch.endpoint },
    secretsFile: opts.secretsFile,
    adminToken: opts.adminToken,
    integrations: integrationsOfPlan(opts.plan, opts.gatewayUrl, opts.sampleTargetUrl),
  };
  let consoleServer: Awaited<ReturnType<typeof startConsoleServer>>;
  try {
    consoleServer = await startConsoleServer({ port: opts.consolePort ?? 0, info: () => info });
  } catch (error) {
    await cloudwatch.stop();
    throw error;
  }
  info = { ...info, consoleUrl: consoleServer.url };
  return {
    info,
    stop: async () => {
      await consoleServer.stop();
      await cloudwatch.stop();
    },
  };
}
