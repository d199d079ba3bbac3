/** The one-line diagnosis of what held throughput back. */
import { CORES } from './cpu.js';
import { ms, pct, secs } from './stats.js';

export interface Evidence {
  /** What the run was asked for. */
  readonly settings: { readonly declaredRate: boolean; readonly rate: number; readonly concurrency: number };
  /** Environments of the ingest function. */
  readonly ingestPool: number;
  readonly postRate: number;
  readonly deliveredPerSecond: number;
  readonly tailMs: number;
  readonly maxBacklog: number;
  readonly cpuShare: number;
  readonly machineShare: number;
  readonly cpuMsPerEvent: number;
  readonly cpuCeiling: number;
  readonly mainRun: number;
  readonly mainWait: number;
  readonly elu: number;
  readonly ingestBusy: number;
  readonly transformBusy: number;
  /** The transformer's event source MaximumConcurrency, from the plan: consumers in flight at most. */
  readonly maxConcurrency: number;
  readonly ingestCapacity: number;
  readonly transformCapacity: number;
  readonly meanBatchMs: number;
  readonly meanIngestMs: number;
  readonly clientSaturated: boolean;
  readonly targetLimit: number | null;
  readonly throttled: number;
  /**
   * The delivery settings' rateLimitPerSecond: all the transformer's consumers book their sends from
   * one schedule at this rate, so together they never exceed it, however many run.
   */
  readonly targetRate: number;
}

/** One line naming what held throughput back, with the measured figures that show it. */
export function limitedBy(e: Evidence): string {
  const cpu = `machine CPU ${pct(e.machineShare)} busy (this process ${pct(e.cpuShare)} of ${CORES} cores, others ${pct(Math.max(0, e.machineShare - e.cpuShare))})`;
  const mainThread = `main thread ran ${pct(e.mainRun)} + waited for a core ${pct(e.mainWait)} (loop utilization ${e.elu.toFixed(2)})`;
  const pools = Number.isNaN(e.ingestBusy)
    ? 'no function figures (--plain-logs)'
    : `ingest ${e.ingestBusy.toFixed(1)}/${e.ingestPool} busy (${ms(e.meanIngestMs)} ms each), transformer ${e.transformBusy.toFixed(1)}/${e.maxConcurrency} busy (${Math.round(e.meanBatchMs)} ms per batch)`;
  if (e.settings.declaredRate && e.targetLimit !== null && e.deliveredPerSecond <= e.targetLimit * 1.1) {
    return (
      `the target's declared rate, by design: ${e.targetLimit} req/s, paced by the transformer at ≤ ${e.targetRate}/s for all its ≤ ${e.maxConcurrency} consumers together (one shared schedule); ` +
      `delivered ${e.deliveredPerSecond.toFixed(1)}/s, 429s ${e.throttled}, backlog max ${e.maxBacklog}; ${cpu}`
    );
  }
  const keptUp = e.tailMs < 1500 && e.deliveredPerSecond >= e.postRate * 0.9 && !e.clientSaturated;
  if (keptUp && e.postRate >= e.settings.rate * 0.95) {
    return (
      `the offered rate (${e.settings.rate}/s): the pipeline kept up (last delivery ${Math.round(e.tailMs)} ms after the last post, backlog max ${e.maxBacklog}); ` +
      `${cpu}; ${mainThread}; ${pools}`
    );
  }
  // Not kept up: the cores (all of them busy), the one main thread every emulator shares, or a concurrency cap.
  const cpuBound = e.machineShare >= 0.8;
  const causes: [number, string][] = [
    [
      cpuBound ? 2 : e.machineShare,
      `CPU: ${cpu}; the sandbox spends ${ms(e.cpuMsPerEvent)} ms of CPU per event → ≤ ${Math.round(e.cpuCeiling)} events/s on ${CORES} cores`,
    ],
    [
      e.mainRun + e.mainWait,
      `the sandbox's one main thread (gateway, SQS + DynamoDB emulators, sample target, event source): ${mainThread}`,
    ],
    [
      e.transformBusy / e.maxConcurrency,
      `transformer maxConcurrency ${e.maxConcurrency}: ${e.transformBusy.toFixed(1)} busy, ${Math.round(e.meanBatchMs)} ms per batch → ≤ ${Math.round(e.transformCapacity)} records/s`,
    ],
    [
      e.ingestBusy / e.ingestPool,
      `ingest pool of ${e.ingestPool}: ${e.ingestBusy.toFixed(1)} busy, ${ms(e.meanIngestMs)} ms per webhook → ≤ ${Math.round(e.ingestCapacity)}/s`,
    ],
  ];
  const known = causes.filter(([share]) => !Number.isNaN(share));
  const ranked = known.filter(([share]) => share >= 0.85).sort(([a], [b]) => b - a);
  const named = ranked.length > 0 ? ranked : known.sort(([a], [b]) => b - a).slice(0, 1);
  const client = e.clientSaturated
    ? ` (so all ${e.settings.concurrency} clients waited and only ${e.postRate.toFixed(0)}/s of ${e.settings.rate}/s could be posted)`
    : '';
  if (cpuBound && named.length > 1) {
    const [first, ...rest] = named.map(([, text]) => text);
    return `${first}; it shows as: ${rest.join('; ')}${client} — backlog max ${e.maxBacklog}, last delivery ${secs(e.tailMs)} after the last post`;
  }
  return `${named.map(([, text]) => text).join('; ')}${client} — backlog max ${e.maxBacklog}, last delivery ${secs(e.tailMs)} after the last post`;
}
