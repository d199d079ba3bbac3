/**
 * The part of CloudWatch `hookyard status` reads, answered from the sandbox's own alarm evaluator and
 * metric store: DescribeAlarms (alarm states) and GetMetricStatistics (e.g. the queue's oldest message
 * age). AWS JSON 1.0 protocol, so the real `@aws-sdk/client-cloudwatch` is used on both paths.
 * Read-only; loopback hosts only; browsers refused.
 */
import { createServer, type ServerResponse } from 'node:http';
import { closeServer, guardRequests, listenOnLoopback, localAwsCheck, readBody } from '../http.js';

export interface LocalAlarm {
  readonly name: string;
  readonly state: string;
  readonly description: string;
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
}

export interface CloudWatchEmulatorOptions {
  readonly port?: number;
  /** The per-run access key id requests must be signed with. @default - any */
  readonly accessKeyId?: string;
  readonly alarms: () => readonly LocalAlarm[];
  /** The statistic over the last `periodSeconds`, or undefined without data. */
  readonly statistic: (query: {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    statistic: string;
    periodSeconds: number;
  }) => number | undefined;
}

export interface CloudWatchEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify(body));
}

const fail = (res: ServerResponse, status: number, type: string, message: string) =>
  answer(res, status, { __type: type, message });

export async function startCloudWatchEmulator(opts: CloudWatchEmulatorOptions): Promise<CloudWatchEmulator> {
  const server = createServer(async (req, res) => {
    const raw = await readBody(req, 256 * 1024);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw?.toString('utf8') || '{}');
    } catch {
      return fail(res, 400, 'InvalidParameterValueException', 'body is not JSON');
    }
    const action = String(req.headers['x-amz-target'] ?? '').replace(TARGET_PREFIX, '');
    if (action === 'DescribeAlarms') {
      const names = Array.isArray(input.AlarmNames) ? (input.AlarmNames as string[]) : undefined;
      const prefix = typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : undefined;
      const alarms = opts
        .alarms()
        .filter((a) => (!names || names.includes(a.name)) && (!prefix || a.name.startsWith(prefix)));
      return answer(res, 200, {
        MetricAlarms: alarms.map((a) => ({
          AlarmName: a.name,
          AlarmDescription: a.description,
          StateValue: a.state,
          StateReason: 'evaluated by the local sandbox',
          Threshold: a.threshold,
          ComparisonOperator: a.comparison,
          EvaluationPeriods: a.evaluationPeriods,
        })),
        CompositeAlarms: [],
      });
    }
    if (action === 'GetMetricStatistics') {
      const dims = Array.isArray(input.Dimensions)
        ? (input.Dimensions as { Name: string; Value: string }[])
        : [];
      const stats = Array.isArray(input.Statistics) ? (input.Statistics as string[]) : ['Average'];
      const periodSeconds = Number(input.Period ?? 60);
      const datapoint: Record<string, number> = {};
      for (const statistic of stats) {
        const value = opts.statistic({
          namespace: String(input.Namespace ?? ''),
          metricName: String(input.MetricName ?? ''),
          dimensions: Object.fromEntries(dims.map((d) => [d.Name, d.Value])),
          statistic,
          periodSeconds,
        });
        if (value !== undefined) datapoint[statistic] = value;
      }
      const hasData = Object.keys(datapoint).length > 0;
      return answer(res, 200, {
        Label: String(input.MetricName ?? ''),
        Datapoints: hasData ? [{ Timestamp: Math.floor(Date.now() / 1000), ...datapoint }] : [],
      });
    }
    return fail(res, 400, 'InvalidAction', `not emulated locally: ${action || '(no action)'}`);
  });
  guardRequests(server, localAwsCheck({ accessKeyId: opts.accessKeyId }));
  const endpoint = await listenOnLoopback(server, opts.port);
  return { endpoint, stop: () => closeServer(server) };
}
