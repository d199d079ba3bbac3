/**
 * The template's CloudWatch alarms, evaluated on local metrics: EMF lines the functions print
 * (Powertools Metrics), Lambda errors the sandbox sees, and queue gauges sampled from the SQS emulator.
 */
import type { AlarmPlan, MetricStatPlan } from './stack-template.js';

interface Datapoint {
  readonly at: number;
  readonly value: number;
}

const keyOf = (namespace: string, name: string, dimensions: Readonly<Record<string, string>>) =>
  `${namespace}|${name}|${Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

/** Datapoints by metric identity (namespace, name, exact dimension set), kept for an hour. */
export class MetricStore {
  private readonly series = new Map<string, Datapoint[]>();

  put(
    namespace: string,
    name: string,
    dimensions: Readonly<Record<string, string>>,
    value: number,
    at: number,
  ): void {
    const key = keyOf(namespace, name, dimensions);
    const points = this.series.get(key) ?? [];
    points.push({ at, value });
    const horizon = at - 3_600_000;
    while (points.length > 0 && (points[0]?.at ?? at) < horizon) points.shift();
    this.series.set(key, points);
  }

  /** The statistic over (now − period, now], or undefined when there is no datapoint. */
  aggregate(metric: MetricStatPlan, now: number): number | undefined {
    const from = now - metric.periodSeconds * 1000;
    const values = (this.series.get(keyOf(metric.namespace, metric.metricName, metric.dimensions)) ?? [])
      .filter((p) => p.at > from && p.at <= now)
      .map((p) => p.value);
    if (values.length === 0) return undefined;
    switch (metric.statistic) {
      case 'Maximum':
        return Math.max(...values);
      case 'Minimum':
        return Math.min(...values);
      case 'Average':
        return values.reduce((a, b) => a + b, 0) / values.length;
      case 'SampleCount':
        return values.length;
      default:
        return values.reduce((a, b) => a + b, 0);
    }
  }

  /** Record every metric of one EMF log line; returns false when the line is not EMF. */
  putEmf(line: string, at: number): boolean {
    if (!line.includes('"_aws"')) return false;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line);
    } catch {
      return false;
    }
    const aws = doc._aws as
      | { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    if (!aws?.CloudWatchMetrics) return false;
    for (const directive of aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions.length > 0 ? directive.Dimensions : [[]]) {
        const dimensions = Object.fromEntries(dimensionSet.map((d) => [d, String(doc[d])]));
        for (const { Name } of directive.Metrics) {
          const raw = doc[Name];
          for (const value of Array.isArray(raw) ? raw : [raw]) {
            if (typeof value === 'number') this.put(directive.Namespace, Name, dimensions, value, at);
          }
        }
      }
    }
    return true;
  }
}

const COMPARE: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/**
 * The alarm's value now: one metric's statistic, or for metric math the sum of its metrics with
 * missing data as 0 (the only expression shape our stack emits: `FILL(a, 0) + FILL(b, 0)`).
 */
export function alarmValue(alarm: AlarmPlan, store: MetricStore, now: number): number | undefined {
  if (alarm.metrics.length === 1 && !alarm.expression)
    return store.aggregate(alarm.metrics[0] as MetricStatPlan, now);
  return alarm.metrics.reduce((sum, m) => sum + (store.aggregate(m, now) ?? 0), 0);
}

export type AlarmState = 'OK' | 'ALARM';

export interface AlarmTransition {
  readonly alarm: AlarmPlan;
  readonly state: AlarmState;
  readonly value: number | undefined;
  /** `docs/runbooks/<name>.md`, read from the alarm's description. */
  readonly runbook: string | undefined;
}

/**
 * Tracks each alarm's state. Missing data is not breaching (as the stack configures), and an alarm
 * with N evaluation periods must breach for (N − 1) whole periods before it fires.
 */
export class AlarmWatcher {
  private readonly states = new Map<string, { state: AlarmState; breachingSince?: number }>();

  constructor(
    private readonly alarms: readonly AlarmPlan[],
    private readonly store: MetricStore,
  ) {
    for (const alarm of alarms) this.states.set(alarm.name, { state: 'OK' });
  }

  state(name: string): AlarmState | undefined {
    return this.states.get(name)?.state;
  }

  evaluate(now: number): AlarmTransition[] {
    const transitions: AlarmTransition[] = [];
    for (const alarm of this.alarms) {
      const current = this.states.get(alarm.name) ?? { state: 'OK' as AlarmState };
      const value = alarmValue(alarm, this.store, now);
      const compare = COMPARE[alarm.comparison] ?? COMPARE.GreaterThanOrEqualToThreshold;
      const breaching = value !== undefined && Boolean(compare?.(value, alarm.threshold));
      const breachingSince = breaching ? (current.breachingSince ?? now) : undefined;
      const period = (alarm.metrics[0]?.periodSeconds ?? 60) * 1000;
      const sustained =
        breachingSince !== undefined && now - breachingSince >= (alarm.evaluationPeriods - 1) * period;
      const state: AlarmState = sustained ? 'ALARM' : breaching ? current.state : 'OK';
      if (state !== current.state) {
        transitions.push({
          alarm,
          state,
          value,
          runbook: /Runbook: (\S+\.md)/.exec(alarm.description)?.[1],
        });
      }
      this.states.set(alarm.name, { state, breachingSince });
    }
    return transitions;
  }
}
