/**
 * What a million webhooks cost on AWS, from what one measured run used per event, at list prices.
 * Pure: `bench/cost.ts` measures, this prices. Prices are constants with their source and date;
 * there is no network here, so they are as published when written: check before quoting.
 */

/** AWS list prices, us-east-1, as published (checked from memory of the pricing pages, Nov 2026). */
export const AWS_PRICES = {
  source: 'aws.amazon.com/{lambda,api-gateway,sqs,dynamodb,secrets-manager,cloudwatch}/pricing, us-east-1',
  asOf: '2026-11 (as published; check before quoting)',
  /** Lambda arm64: $0.0000133334 per GB-second (first 7.5 B GB-s/month). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Lambda requests: $0.20 per million. */
  lambdaPerRequest: 0.2 / 1e6,
  /** HTTP API: $1.00 per million requests (first 300 M/month), each 512 KB counted as one. */
  httpApiPerRequest: 1.0 / 1e6,
  /** SQS standard: $0.40 per million requests (after the first million a month), each 64 KB chunk one request. */
  sqsPerRequest: 0.4 / 1e6,
  /** DynamoDB on-demand: $0.625 per million write request units (halved in Nov 2024). */
  dynamoPerWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand: $0.125 per million read request units. */
  dynamoPerReadUnit: 0.125 / 1e6,
  /** Secrets Manager: $0.05 per 10,000 API calls. */
  secretsManagerPerCall: 0.05 / 1e4,
  /** Secrets Manager: $0.40 per secret per month (fixed, not per event). */
  secretsManagerPerSecretMonth: 0.4,
  /** CloudWatch Logs standard ingestion: $0.50 per GB (Lambda's logs, EMF included). */
  logsPerGb: 0.5,
  /** CloudWatch custom metrics: $0.30 per metric per month (first 10,000; fixed, not per event). */
  metricPerMonth: 0.3,
  /** CloudWatch standard alarm: $0.10 per alarm metric per month (fixed). */
  alarmPerMonth: 0.1,
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
  /** Every byte the functions wrote to their log groups (JSON lines, EMF, START/END/REPORT). */
  readonly logBytesPerEvent: number;
}

export interface CostLine {
  readonly line: string;
  readonly perMillion: number;
  readonly detail: string;
}

const MILLION = 1e6;

export function costPerMillion(usage: PerEventUsage, prices = AWS_PRICES): CostLine[] {
  const lines: CostLine[] = [];
  for (const fn of usage.lambda) {
    const gbSeconds = (fn.billedMsPerEvent / 1000) * (fn.memoryMb / 1024);
    lines.push({
      line: `Lambda ${fn.fn} duration (arm64)`,
      perMillion: gbSeconds * prices.lambdaArmPerGbSecond * MILLION,
      detail: `${fn.billedMsPerEvent.toFixed(1)} billed ms/event at ${fn.memoryMb} MB`,
    });
    lines.push({
      line: `Lambda ${fn.fn} requests`,
      perMillion: fn.invocationsPerEvent * prices.lambdaPerRequest * MILLION,
      detail: `${fn.invocationsPerEvent.toFixed(3)} invocations/event`,
    });
  }
  lines.push({
    line: 'API Gateway HTTP API requests',
    perMillion: usage.httpApiRequestsPerEvent * prices.httpApiPerRequest * MILLION,
    detail: `${usage.httpApiRequestsPerEvent.toFixed(2)} requests/event`,
  });
  const sqs = Object.values(usage.sqsRequestsPerEvent).reduce((a, b) => a + b, 0);
  lines.push({
    line: 'SQS requests',
    perMillion: sqs * prices.sqsPerRequest * MILLION,
    detail: Object.entries(usage.sqsRequestsPerEvent)
      .map(([action, n]) => `${action} ${n.toFixed(2)}`)
      .join(', '),
  });
  lines.push({
    line: 'DynamoDB on-demand writes',
    perMillion: usage.dynamoWriteUnitsPerEvent * prices.dynamoPerWriteUnit * MILLION,
    detail: `${usage.dynamoWriteUnitsPerEvent.toFixed(2)} WRU/event`,
  });
  lines.push({
    line: 'DynamoDB on-demand reads',
    perMillion: usage.dynamoReadUnitsPerEvent * prices.dynamoPerReadUnit * MILLION,
    detail: `${usage.dynamoReadUnitsPerEvent.toFixed(2)} RRU/event`,
  });
  lines.push({
    line: 'Secrets Manager API calls',
    perMillion: usage.secretsManagerCallsPerEvent * prices.secretsManagerPerCall * MILLION,
    detail: `${usage.secretsManagerCallsPerEvent.toFixed(4)} calls/event`,
  });
  lines.push({
    line: 'CloudWatch Logs ingestion (incl. EMF)',
    perMillion: (usage.logBytesPerEvent / 1024 ** 3) * prices.logsPerGb * MILLION,
    detail: `${usage.logBytesPerEvent.toFixed(0)} bytes/event`,
  });
  return lines.sort((a, b) => b.perMillion - a.perMillion);
}

export const total = (lines: readonly CostLine[]) => lines.reduce((sum, l) => sum + l.perMillion, 0);

export interface Lever {
  readonly setting: string;
  /** Dollars per million saved, estimated from the measured usage (not measured with the setting). */
  readonly savesPerMillion: number;
  readonly how: string;
}

/** The settings that move the largest lines, and by how much, from the measured usage. */
export function levers(
  usage: PerEventUsage,
  delivery: {
    readonly maxConcurrency: number;
    readonly ratePerSecond: number;
    readonly transformerMemoryMb: number;
  },
  prices = AWS_PRICES,
): Lever[] {
  const lines = costPerMillion(usage, prices);
  const cost = (name: string) => lines.find((l) => l.line === name)?.perMillion ?? 0;
  return [
    {
      setting: "endpoint: { type: 'function-url' }",
      savesPerMillion: cost('API Gateway HTTP API requests'),
      how: 'a Lambda function URL costs nothing per request; the HTTP API route costs $1.00 per million',
    },
    {
      setting: 'transformer memorySize 512 → 256 MB',
      savesPerMillion: cost('Lambda transformer duration (arm64)') / 2,
      how: 'its billed time is mostly waiting (rate-limit pacing, the target), which more memory does not shorten',
    },
    {
      setting: `delivery.maxConcurrency ${delivery.maxConcurrency} → 2`,
      // Each consumer is paced at rate ÷ maxConcurrency: an event costs ≥ maxConcurrency ÷ rate s of waiting.
      savesPerMillion:
        (Math.max(0, delivery.maxConcurrency - 2) / delivery.ratePerSecond) *
        (delivery.transformerMemoryMb / 1024) *
        prices.lambdaArmPerGbSecond *
        1e6,
      how: `each consumer is paced at rate ÷ maxConcurrency, so an event costs at least ${delivery.maxConcurrency} ÷ ${delivery.ratePerSecond} s of billed waiting; fewer consumers wait less each (the delivery rate stays the same while the target is healthy)`,
    },
    {
      setting: 'log level WARN (POWERTOOLS_LOG_LEVEL, Lambda system log level WARN)',
      savesPerMillion: cost('CloudWatch Logs ingestion (incl. EMF)') * 0.6,
      how: 'about 60 % of the logged bytes are INFO lines and START/END/REPORT; EMF metrics stay (estimate, not measured)',
    },
    {
      setting: 'idempotency table provisioned capacity (steady traffic)',
      savesPerMillion: cost('DynamoDB on-demand writes') * 0.65,
      how: 'the two writes per event (Powertools idempotency: in progress, then completed) cost 60–70 % less provisioned at steady load with auto scaling at 70 % utilisation (estimate)',
    },
  ].sort((a, b) => b.savesPerMillion - a.savesPerMillion);
}
