/**
 * What a million webhooks cost on AWS, from what one measured run used per event, at list prices.
 * Pure: `bench/cost.ts` measures, this prices. Prices are constants with their source and the date
 * they were checked; there is no network here: check before quoting.
 */

/** Where each price was checked, and when. */
const CHECKED = '2026-11-30';

/** AWS list prices, us-east-1 (the first tier of each: the one a million webhooks a month is in). */
export const AWS_PRICES = {
  region: 'us-east-1',
  checkedOn: CHECKED,
  /** Lambda arm64: $0.0000133334 per GB-second (first 7.5 B GB-s a month). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Lambda requests: $0.20 per million. */
  lambdaPerRequest: 0.2 / 1e6,
  /** HTTP API: $1.00 per million requests (first 300 M a month), each 512 KB counted as one. */
  httpApiPerRequest: 1.0 / 1e6,
  /** Lambda function URL: no charge of its own (the invocation is billed as any other). */
  functionUrlPerRequest: 0,
  /** SQS standard: $0.40 per million requests (first 100 B a month, after 1 M free), each 64 KB chunk one request. */
  sqsPerRequest: 0.4 / 1e6,
  /** DynamoDB on-demand: $0.625 per million write request units (halved on 2024-11-01, from $1.25). */
  dynamoPerWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand: $0.125 per million read request units (halved on 2024-11-01, from $0.25). */
  dynamoPerReadUnit: 0.125 / 1e6,
  /** Secrets Manager: $0.05 per 10,000 API calls. */
  secretsManagerPerCall: 0.05 / 1e4,
  /** Secrets Manager: $0.40 per secret per month (fixed, not per event). */
  secretsManagerPerSecretMonth: 0.4,
  /**
   * CloudWatch Logs, Lambda's logs (vended, tiered since 2025-05-01): $0.50 per GB for the first 10 TB
   * a month. EMF metrics are log lines: their bytes are billed here, no PutMetricData call.
   */
  logsPerGb: 0.5,
  /** CloudWatch custom metrics (EMF included): $0.30 per metric per month (first 10,000; fixed, not per event). */
  metricPerMonth: 0.3,
  /** CloudWatch standard alarm: $0.10 per alarm metric per month (fixed). */
  alarmPerMonth: 0.1,
} as const;

/** Where each price above was read (public pages and secondary sources that quote them), checked on `CHECKED` unless said. */
export const PRICE_SOURCES = {
  lambda:
    'aws.amazon.com/lambda/pricing (arm64 $0.0000133334/GB-s first 7.5 B GB-s; $0.20 per 1 M requests), quoted the same by cloudchipr.com/blog/aws-lambda-pricing',
  httpApi:
    'aws.amazon.com/api-gateway/pricing (HTTP APIs $1.00 per million, first 300 M), quoted the same by awsforengineers.com (May 2025)',
  functionUrl:
    'aws.amazon.com/lambda/pricing: function URLs have no charge beyond the invocation (as announced April 2022; quoted by dev.to/elifapaydin)',
  sqs: 'aws.amazon.com/sqs/pricing (standard $0.40 per million, 64 KB chunks), quoted the same by cloudburn.io (Mar 2026)',
  dynamodb:
    'aws.amazon.com/dynamodb/pricing/on-demand (WRU $0.625, RRU $0.125 per million after the 2024-11-01 cut of 50 %), quoted by airbyte.com (Jul 2025)',
  logs: 'aws.amazon.com/cloudwatch/pricing (Lambda logs tiered from 2025-05-01; first 10 TB $0.50/GB), per duckbillgroup.com; EMF billed as log ingestion + custom metrics (AWS Well-Architected Serverless Lens)',
  secretsManager:
    'aws.amazon.com/secrets-manager/pricing ($0.40/secret/month, $0.05 per 10,000 calls): not re-checked on CHECKED',
} as const;

/** Hosted alternatives, per million webhooks, as published when written: check before quoting. */
export const ALTERNATIVES = [
  {
    name: 'Amazon EventBridge Pipes + API destination',
    perMillion: 0.4 + 0.2,
    basis:
      'Pipes $0.40 per million requests (64 KB chunks) + API destinations $0.20 per million invocations; no ingest endpoint, signature check or mapping included',
    source: 'aws.amazon.com/eventbridge/pricing, us-east-1, as published 2025 (check before quoting)',
  },
  {
    name: 'Svix (sending webhooks, managed)',
    perMillion: 100,
    basis:
      'Professional plan $490/month with 50,000 messages, then about $0.0001 per message: about $100 per million beyond the plan',
    source: 'svix.com/pricing, as remembered from 2025 (not verified here: check before quoting)',
  },
  {
    name: 'Hookdeck Event Gateway (receiving webhooks, managed)',
    perMillion: 10,
    basis:
      'Team plan from $39/month, events metered beyond the plan at roughly $1 per 100,000: about $10 per million',
    source: 'hookdeck.com/pricing, as remembered from 2025 (not verified here: check before quoting)',
  },
] as const;

/** What one measured run used, divided by the events it carried (all per accepted, delivered event). */
export interface PerEventUsage {
  readonly lambda: readonly {
    readonly fn: string;
    readonly invocationsPerEvent: number;
    readonly billedMsPerEvent: number;
    readonly memoryMb: number;
  }[];
  readonly httpApiRequestsPerEvent: number;
  /** SQS requests by action, each counted in 64 KB chunks. */
  readonly sqsRequestsPerEvent: Readonly<Record<string, number>>;
  readonly dynamoWriteUnitsPerEvent: number;
  readonly dynamoReadUnitsPerEvent: number;
  readonly secretsManagerCallsPerEvent: number;
  /**
   * Bytes written to the functions' log groups: `application` what the functions wrote (JSON lines,
   * EMF), `platform` Lambda's own records in JSON format (platform.start/runtimeDone/report).
   */
  readonly logBytesPerEvent: { readonly application: number; readonly platform: number };
}

/** How the webhook route is exposed (`endpoint.type` of an integration). */
export type EndpointType = 'http-api' | 'function-url';

export interface CostLine {
  readonly line: string;
  readonly perMillion: number;
  readonly detail: string;
  /** The setting that moves it, and whether the per-event usage behind it was measured in this run. */
  readonly movedBy: string;
  readonly basis: 'measured' | 'estimate';
}

const MILLION = 1e6;

export function costPerMillion(
  usage: PerEventUsage,
  endpoint: EndpointType = 'http-api',
  prices = AWS_PRICES,
): CostLine[] {
  const lines: CostLine[] = [];
  for (const fn of usage.lambda) {
    const gbSeconds = (fn.billedMsPerEvent / 1000) * (fn.memoryMb / 1024);
    lines.push({
      line: `Lambda ${fn.fn} duration (arm64)`,
      perMillion: gbSeconds * prices.lambdaArmPerGbSecond * MILLION,
      detail: `${fn.billedMsPerEvent.toFixed(1)} billed ms/event at ${fn.memoryMb} MB`,
      movedBy:
        fn.fn === 'transformer'
          ? 'memorySize; maxBatchingWindowSeconds (batch size at partial load); the wait for its slots in the shared rate schedule and the target’s answer time'
          : 'memorySize; the SQS send it waits for',
      basis: 'measured',
    });
    lines.push({
      line: `Lambda ${fn.fn} requests`,
      perMillion: fn.invocationsPerEvent * prices.lambdaPerRequest * MILLION,
      detail: `${fn.invocationsPerEvent.toFixed(3)} invocations/event`,
      movedBy:
        fn.fn === 'transformer' ? 'delivery.batchSize, maxBatchingWindowSeconds' : 'none (one per webhook)',
      basis: 'measured',
    });
  }
  const endpointPrice = endpoint === 'http-api' ? prices.httpApiPerRequest : prices.functionUrlPerRequest;
  lines.push({
    line: endpoint === 'http-api' ? 'API Gateway HTTP API requests' : 'Lambda function URL requests',
    perMillion: usage.httpApiRequestsPerEvent * endpointPrice * MILLION,
    detail: `${usage.httpApiRequestsPerEvent.toFixed(2)} requests/event`,
    movedBy: "endpoint.type ('function-url' has no request charge)",
    basis: 'measured',
  });
  const sqs = Object.values(usage.sqsRequestsPerEvent).reduce((a, b) => a + b, 0);
  lines.push({
    line: 'SQS requests',
    perMillion: sqs * prices.sqsPerRequest * MILLION,
    detail: Object.entries(usage.sqsRequestsPerEvent)
      .map(([action, n]) => `${action} ${n.toFixed(2)}`)
      .join(', '),
    movedBy: 'receive/delete: delivery.batchSize and maxBatchingWindowSeconds (the send is one per webhook)',
    basis: 'measured',
  });
  lines.push({
    line: 'DynamoDB on-demand writes',
    perMillion: usage.dynamoWriteUnitsPerEvent * prices.dynamoPerWriteUnit * MILLION,
    detail: `${usage.dynamoWriteUnitsPerEvent.toFixed(2)} WRU/event`,
    movedBy:
      'the idempotency table’s billing mode (provisioned at steady traffic); not the two writes, which the guarantee needs',
    basis: 'measured',
  });
  lines.push({
    line: 'DynamoDB on-demand reads',
    perMillion: usage.dynamoReadUnitsPerEvent * prices.dynamoPerReadUnit * MILLION,
    detail: `${usage.dynamoReadUnitsPerEvent.toFixed(2)} RRU/event`,
    movedBy: 'duplicates and the circuit state reads',
    basis: 'measured',
  });
  lines.push({
    line: 'Secrets Manager API calls',
    perMillion: usage.secretsManagerCallsPerEvent * prices.secretsManagerPerCall * MILLION,
    detail: `${usage.secretsManagerCallsPerEvent.toFixed(4)} calls/event`,
    movedBy: 'secretCacheSeconds',
    basis: 'measured',
  });
  const { application, platform } = usage.logBytesPerEvent;
  lines.push({
    line: 'CloudWatch Logs ingestion (incl. EMF)',
    perMillion: ((application + platform) / 1024 ** 3) * prices.logsPerGb * MILLION,
    detail: `${application.toFixed(0)} B/event ours (measured) + ${platform.toFixed(0)} B Lambda's JSON platform records (reconstructed)`,
    movedBy: 'the functions’ system log level (platform records), the log level (our INFO lines)',
    basis: 'estimate',
  });
  return lines.sort((a, b) => b.perMillion - a.perMillion);
}

export const total = (lines: readonly CostLine[]) => lines.reduce((sum, l) => sum + l.perMillion, 0);

/** A vCPU share per MB of Lambda memory: one full vCPU at 1,769 MB (Lambda's documented point). */
const MB_PER_VCPU = 1769;

/**
 * The billed duration of an invocation on Lambda at `memoryMb`, from what it used here: `cpuMs` of CPU
 * (which Lambda hands out in proportion to memory) and `waitMs` waiting on I/O (which memory does not
 * shorten). An estimate: this machine's cores are not Graviton's, and below 1,769 MB a function gets a
 * share of one vCPU, so `cpuMs` stretches to `cpuMs × 1769 ÷ memoryMb`.
 */
export function lambdaBilledMs(memoryMb: number, cpuMs: number, waitMs: number): number {
  return Math.ceil(waitMs + cpuMs * Math.max(1, MB_PER_VCPU / memoryMb));
}

/** Dollars per million events for one function at `memoryMb`, from its CPU and wait per invocation. */
export function durationCostAt(
  memoryMb: number,
  perInvocation: { readonly cpuMs: number; readonly waitMs: number },
  invocationsPerEvent: number,
  prices = AWS_PRICES,
): number {
  const billedMs = lambdaBilledMs(memoryMb, perInvocation.cpuMs, perInvocation.waitMs);
  return (billedMs / 1000) * (memoryMb / 1024) * invocationsPerEvent * prices.lambdaArmPerGbSecond * MILLION;
}

export interface Lever {
  readonly setting: string;
  /** Dollars per million saved, computed from the measured usage (not measured with the setting). */
  readonly savesPerMillion: number;
  readonly how: string;
  readonly basis: 'exact' | 'estimate';
}

/** The settings that move the largest lines, and by how much, from the measured usage. */
export function levers(
  usage: PerEventUsage,
  measured: {
    /** Lambda's INFO platform records per event (what system log level WARN drops on success). */
    readonly platformLogBytesPerEvent: number;
    /** Per function: CPU and I/O wait per invocation, for the memory estimates. */
    readonly perInvocation: Readonly<Record<string, { readonly cpuMs: number; readonly waitMs: number }>>;
  },
  prices = AWS_PRICES,
): Lever[] {
  const lines = costPerMillion(usage, 'http-api', prices);
  const cost = (name: string) => lines.find((l) => l.line === name)?.perMillion ?? 0;
  const memoryLever = (fn: string, to: number): Lever[] => {
    const use = usage.lambda.find((l) => l.fn === fn);
    const per = measured.perInvocation[fn];
    if (!use || !per || to >= use.memoryMb) return [];
    const now = durationCostAt(use.memoryMb, per, use.invocationsPerEvent, prices);
    const then = durationCostAt(to, per, use.invocationsPerEvent, prices);
    return [
      {
        setting: `${fn} memorySize ${use.memoryMb} → ${to} MB`,
        savesPerMillion: now - then,
        how: `${per.cpuMs.toFixed(1)} ms CPU + ${per.waitMs.toFixed(0)} ms waiting per invocation here: about ${lambdaBilledMs(use.memoryMb, per.cpuMs, per.waitMs)} → ${lambdaBilledMs(to, per.cpuMs, per.waitMs)} billed ms on Lambda; the CPU part costs the same at any size, the waiting in proportion to memory (waits here are on in-process emulators of a loaded machine: on AWS they are shorter and so is the saving)`,
        basis: 'estimate',
      },
    ];
  };
  return [
    {
      setting: "endpoint: { type: 'function-url' }",
      savesPerMillion: cost('API Gateway HTTP API requests'),
      how: 'a Lambda function URL has no request charge; the HTTP API route costs $1.00 per million',
      basis: 'exact' as const,
    },
    {
      setting: 'idempotency table provisioned capacity (steady traffic)',
      savesPerMillion: cost('DynamoDB on-demand writes') * 0.65,
      how: 'the two writes per event (Powertools idempotency: in progress, then completed) cost 60–70 % less provisioned at steady load with auto scaling at 70 % utilisation; spiky traffic throttles instead',
      basis: 'estimate' as const,
    },
    {
      setting: 'systemLogLevel WARN on both functions (Lambda logging config)',
      savesPerMillion: (measured.platformLogBytesPerEvent / 1024 ** 3) * prices.logsPerGb * MILLION,
      how: 'drops the INFO platform records (start, runtimeDone, report: about 850 B per invocation, one invocation per webhook in ingest). Not the default: Lambda’s metrics keep Duration and Errors, but memory used and init duration (cold starts) are only in the report record (or in Lambda Insights, billed), and the memory defaults and on-call’s request-id join of a WARN line to its invocation read them',
      basis: 'exact' as const,
    },
    ...memoryLever('transformer', 256),
    ...memoryLever('ingest', 128),
  ].sort((a, b) => b.savesPerMillion - a.savesPerMillion);
}
