/**
 * `npm run bench -- --events 5000 --rate 600`: how fast the local sandbox carries acme-orders webhooks
 * from a partner's POST to the sample target. A measurement that prints figures; it asserts nothing
 * and exits 0 whether or not the aim (≥ 500 events/s end to end, none lost, none twice) is met, non-zero
 * only when the run itself broke.
 *
 * What runs: one `cdk synth` of the local stage into a temp dir, the sandbox on it (temp state, free
 * loopback ports, its log kept in memory), a warm-up, then N signed webhooks posted at a fixed rate by
 * a bounded pool of HTTP clients on a worker thread (bench/load-client.mjs), then a bounded drain.
 * Everything (emulators, gateway, sample target, event source, the functions' worker threads and the
 * load client) shares this one process, so its CPU and memory figures are the whole sandbox's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type DeliverySettings, MILESTONES } from '../functions/shared/contract.js';
import { shortFunctionName } from '../local/function-logs.js';
import { integrationView } from '../local/integration-view.js';
import {
  DEFAULT_FUNCTION_POOL,
  isolatedSandboxOptions,
  PROJECT_ROOT,
  type Sandbox,
  startSandbox,
  synthesizeLocal,
} from '../local/sandbox.js';
import type { SandboxPlan } from '../local/stack-template.js';
import {
  CORES,
  machineCpu,
  SAMPLE_EVERY_MS,
  Sampler,
  type ThreadKind,
  threadTimes,
  timeByKind,
} from './lib/cpu.js';
import { changeDeliverySettings, deliverySettingsOf } from './lib/delivery-settings.js';
import { loadFixtures, MAX_POSTING_SECONDS, runClient } from './lib/load-client.js';
import { LogCapture } from './lib/log-capture.js';
import { depth, total, waitUntil } from './lib/queues.js';
import { limitedBy } from './lib/report.js';
import { mb, ms, pct, peakPerSecond, percentile, secs, sum } from './lib/stats.js';

const SAMPLE_INTEGRATION = 'acme-orders';
/** Environments of a function without an event source (the ingest function). */
const INGEST_POOL = DEFAULT_FUNCTION_POOL;
/**
 * Lifted target rate: all the transformer's consumers together book their sends from one schedule
 * at the delivery settings' rateLimitPerSecond (functions/transform/delivery/rate-schedule.ts), so
 * this is the whole pipeline's delivery ceiling, whatever the event source's MaximumConcurrency.
 * 30000/s (what 2000/s per container × the template's 15 consumers gave before the schedule was
 * shared) is ~50× what the sandbox carries here; a booking costs one update per batch at any rate.
 */
const LIFTED_RATE_PER_SECOND = 30_000;
const LOOP_RESOLUTION_MS = 10;
const IDLE_BASELINE_MS = 2_000;

interface Settings {
  readonly events: number;
  readonly rate: number;
  readonly concurrency: number;
  readonly declaredRate: boolean;
  readonly warmup: number;
  readonly drainTimeoutSeconds: number;
  readonly transformConcurrency: number | undefined;
  readonly plainLogs: boolean;
}

function usage(problem?: string): never {
  if (problem) console.error(`bench: ${problem}`);
  console.error(
    [
      'usage: npm run bench -- [--events N] [--rate R] [--concurrency C] [--declared-rate]',
      '                        [--warmup W] [--drain-timeout S] [--transform-concurrency M] [--plain-logs]',
      '  --events N                webhooks to post (default 5000)',
      '  --rate R                  target posting rate per second (default 600)',
      '  --concurrency C           HTTP clients, i.e. requests in flight at most (default 32)',
      "  --declared-rate           keep acme-orders' declared target rate (50 req/s) instead of lifting it",
      '  --warmup W                webhooks posted and delivered before measuring, not counted (default 100)',
      '  --drain-timeout S         seconds after the last post to wait for deliveries (default 60)',
      "  --transform-concurrency M the event source's MaximumConcurrency (default: the template's)",
      '  --plain-logs              function logs at the sandbox default (no REPORT lines): a little less',
      '                            main-thread work, but no per-function figures',
    ].join('\n'),
  );
  process.exit(problem ? 2 : 0);
}

function parseSettings(argv: string[]): Settings {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        events: { type: 'string', default: '5000' },
        rate: { type: 'string', default: '600' },
        concurrency: { type: 'string', default: '32' },
        'declared-rate': { type: 'boolean', default: false },
        warmup: { type: 'string', default: '100' },
        'drain-timeout': { type: 'string', default: '60' },
        'transform-concurrency': { type: 'string' },
        'plain-logs': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help) usage();
  const int = (name: string, min: number, max: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be a whole number ${min}..${max}`);
    return n;
  };
  const events = int('events', 1, 100_000);
  const rateValue = Number(values.rate);
  if (!(Number.isFinite(rateValue) && rateValue > 0 && rateValue <= 20_000))
    usage('--rate must be 0 < R ≤ 20000');
  if (events / rateValue > MAX_POSTING_SECONDS) {
    usage(
      `--events / --rate is ${(events / rateValue).toFixed(0)} s of posting; at most ${MAX_POSTING_SECONDS} s`,
    );
  }
  return {
    events,
    rate: rateValue,
    concurrency: int('concurrency', 1, 1024),
    declaredRate: values['declared-rate'] === true,
    warmup: int('warmup', 0, 5_000),
    drainTimeoutSeconds: int('drain-timeout', 1, 600),
    transformConcurrency:
      values['transform-concurrency'] === undefined ? undefined : int('transform-concurrency', 2, 100),
    plainLogs: values['plain-logs'] === true,
  };
}

// ---------------------------------------------------------------------------------------------------
// The sandbox under test

/** Lift the target's rate for the transformer, and set its event source's concurrency when asked. */
function liftPlan(settings: Settings) {
  return (plan: SandboxPlan): SandboxPlan => {
    const view = integrationView(plan, SAMPLE_INTEGRATION);
    const source = view.eventSource;
    if (!source) throw new Error(`${SAMPLE_INTEGRATION}'s transformer has no event source`);
    const concurrency = settings.transformConcurrency ?? source.maxConcurrency;
    const lifted = settings.declaredRate
      ? plan
      : changeDeliverySettings(plan, SAMPLE_INTEGRATION, (s) => ({
          ...s,
          rateLimitPerSecond: LIFTED_RATE_PER_SECOND,
        }));
    return {
      ...lifted,
      eventSources: lifted.eventSources.map((e) =>
        e === source ? { ...e, maxConcurrency: concurrency } : e,
      ),
    };
  };
}

async function main(): Promise<number> {
  const settings = parseSettings(process.argv.slice(2));
  const fixtures = loadFixtures(join(PROJECT_ROOT, 'integrations', SAMPLE_INTEGRATION, 'fixtures'));
  const loadBefore = loadavg()[0] ?? 0;
  const work = mkdtempSync(join(tmpdir(), 'hookyard-bench-'));
  const capture = new LogCapture();
  let sandbox: Sandbox | undefined;
  let sqs: SQSClient | undefined;
  const stopAll = async () => {
    sqs?.destroy();
    await sandbox?.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  const interrupted = () => {
    console.error('bench: interrupted; stopping the sandbox');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  // The whole run is bounded: synth + start, warm-up, posting (≤ 2 × planned + 10 s), drain, settle.
  const boundSeconds =
    300 +
    60 +
    Math.min(MAX_POSTING_SECONDS + 30, (settings.events / settings.rate) * 2 + 10) +
    settings.drainTimeoutSeconds +
    30;
  const watchdog = setTimeout(() => {
    console.error(`bench: the run passed its ${Math.round(boundSeconds)} s bound; giving up`);
    void stopAll().finally(() => process.exit(1));
  }, boundSeconds * 1000);
  watchdog.unref();

  try {
    const synthStart = Date.now();
    const assemblyDir = join(work, 'cdk.out');
    await synthesizeLocal(assemblyDir);
    const synthMs = Date.now() - synthStart;
    const startAt = Date.now();
    sandbox = await startSandbox({
      ...isolatedSandboxOptions(join(work, 'state'), assemblyDir),
      log: capture.log,
      // REPORT lines carry every invocation's duration: the evidence for what limits throughput.
      verbose: !settings.plainLogs,
      ...(settings.declaredRate ? {} : { sampleTargetRateLimit: 0 }),
      adjust: liftPlan(settings),
    });
    const startMs = Date.now() - startAt;
    const target = sandbox.sampleTarget;
    if (!target) throw new Error('the sandbox started no sample target');
    const view = integrationView(sandbox.plan, SAMPLE_INTEGRATION);
    const delivery: Partial<DeliverySettings> = deliverySettingsOf(view.transformer) ?? {};
    const info = sandbox.info.integrations.find((i) => i.name === SAMPLE_INTEGRATION);
    if (!info || !view.eventSource)
      throw new Error(`sandbox.json has no ${SAMPLE_INTEGRATION} with an event source`);
    const roles = {
      ingest: shortFunctionName(info.functions.ingest),
      transformer: shortFunctionName(info.functions.transformer),
      sourceQueueUrl: info.queue.url,
      dlqUrl: info.deadLetterQueue.url,
      batchSize: view.eventSource.batchSize,
      maxBatchingWindowSeconds: view.eventSource.maxBatchingWindowSeconds,
      maxConcurrency: view.eventSource.maxConcurrency,
    };
    const client = { webhookUrl: info.webhookUrl, signingSecret: sandbox.signingSecret(SAMPLE_INTEGRATION) };
    sqs = new SQSClient(sandbox.awsClientConfig(sandbox.sqsEndpoint));
    const runId = Date.now().toString(36);

    // Warm-up: start the functions' environments and fetch the token, then forget it all at the target.
    if (settings.warmup > 0) {
      const ids = Array.from({ length: settings.warmup }, (_, i) => `bench_${runId}_warm_${i}`);
      const warm = await runClient(client, ids, fixtures, Math.min(settings.rate, 200), settings.concurrency);
      const accepted = warm.results.filter((r) => r.status === 202).length;
      const drained = await waitUntil(
        async () =>
          target.stats().delivered >= accepted &&
          total(await depth(sqs as SQSClient, roles.sourceQueueUrl)) === 0,
        Date.now() + 30_000,
        200,
      );
      if (!drained)
        throw new Error(`warm-up: ${target.stats().delivered} of ${accepted} delivered after 30 s`);
      target.reset();
    }

    // The sandbox's CPU when idle (pollers, alarm timer), so CPU per event can leave it out.
    const idleBefore = process.resourceUsage();
    const idleStart = performance.now();
    await sleep(IDLE_BASELINE_MS);
    const idleAfter = process.resourceUsage();
    const idleCores =
      (idleAfter.userCPUTime - idleBefore.userCPUTime + idleAfter.systemCPUTime - idleBefore.systemCPUTime) /
      1000 /
      (performance.now() - idleStart);

    // The measured run.
    const ids = Array.from({ length: settings.events }, (_, i) => `bench_${runId}_${i}`);
    const threadsBefore = threadTimes();
    const machineBefore = machineCpu();
    const cpuBefore = process.resourceUsage();
    const eluBefore = performance.eventLoopUtilization();
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loopDelay.enable();
    const sampler = new Sampler(sqs, roles.sourceQueueUrl);
    const t0 = Date.now();
    const run = await runClient(client, ids, fixtures, settings.rate, settings.concurrency);
    const postedAt = Date.now();

    const results = run.results;
    const sent = results.filter((r) => r.status !== 'not-sent');
    const acceptedIds = new Set(results.filter((r) => r.status === 202).map((r) => r.id));
    const drainDeadline = postedAt + settings.drainTimeoutSeconds * 1000;
    const drained = await waitUntil(() => target.stats().delivered >= acceptedIds.size, drainDeadline);
    const drainedAt = Date.now();
    sampler.stop();
    loopDelay.disable();
    const elu = performance.eventLoopUtilization(eluBefore);
    const cpuAfter = process.resourceUsage();
    const machineAfter = machineCpu();
    const threadsAfter = threadTimes();
    // Deletes follow deliveries: let the source queue settle (bounded), then read both queues.
    await waitUntil(
      async () => total(await depth(sqs as SQSClient, roles.sourceQueueUrl)) === 0,
      Date.now() + 5_000,
    );
    const sourceDepth = await depth(sqs, roles.sourceQueueUrl);
    const dlqDepth = await depth(sqs, roles.dlqUrl);
    const stats = target.stats();
    const received = target.received();

    // ----- figures
    const byStatus = new Map<string, number>();
    for (const r of results) {
      if (r.status !== 202) byStatus.set(String(r.status), (byStatus.get(String(r.status)) ?? 0) + 1);
    }
    const badBodies = results.filter((r) => r.status === 202 && !r.bodyOk).length;
    const latencies = sent.map((r) => r.latencyMs).sort((a, b) => a - b);
    const late = sent.map((r) => r.lateMs).sort((a, b) => a - b);
    const firstPost = Math.min(...sent.map((r) => r.sentAt));
    const lastPost = Math.max(...sent.map((r) => r.sentAt));
    const postWallMs = Math.max(1, lastPost - firstPost);

    const sentAt = new Map(sent.map((r) => [r.id, r.sentAt]));
    const deliveredAt = new Map<string, number>();
    let twice = 0;
    for (const d of received) {
      if (!sentAt.has(d.idempotencyKey)) continue;
      if (deliveredAt.has(d.idempotencyKey)) twice++;
      else deliveredAt.set(d.idempotencyKey, Date.parse(d.receivedAt));
    }
    const deliveredTimes = [...deliveredAt.values()].sort((a, b) => a - b);
    const lastDelivery = deliveredTimes[deliveredTimes.length - 1] ?? Number.NaN;
    const e2eWallMs = Math.max(1, lastDelivery - firstPost);
    const deliveredPerSecond = deliveredAt.size / (e2eWallMs / 1000);
    const e2e = [...deliveredAt].map(([id, at]) => at - (sentAt.get(id) ?? at)).sort((a, b) => a - b);
    const lost = [...acceptedIds].filter((id) => !deliveredAt.has(id)).length;
    const duplicates = stats.duplicates + twice;

    const wallSeconds = (drainedAt - t0) / 1000;
    const cpuSeconds =
      (cpuAfter.userCPUTime - cpuBefore.userCPUTime + cpuAfter.systemCPUTime - cpuBefore.systemCPUTime) / 1e6;
    const cpuShare = cpuSeconds / wallSeconds / CORES;
    const machineShare =
      machineBefore && machineAfter
        ? (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)
        : Number.NaN;
    const kinds = timeByKind(threadsBefore, threadsAfter);
    const main = kinds.get('main');
    const functions = kinds.get('functions');

    const ingestCalls = capture.invocationsOf(roles.ingest, t0);
    const transformCalls = capture.invocationsOf(roles.transformer, t0);
    const records =
      capture.processedOf(roles.transformer, MILESTONES.eventDelivered, t0) +
      capture.processedOf(roles.transformer, MILESTONES.duplicateSkipped, t0);
    // No REPORT lines with --plain-logs: the per-function figures are then NaN ('n/a').
    const meanIngestMs = sum(ingestCalls.map((c) => c.durationMs)) / ingestCalls.length;
    const meanBatchMs = sum(transformCalls.map((c) => c.durationMs)) / transformCalls.length;
    const meanBatchRecords = records / transformCalls.length;
    const ingestBusy =
      ingestCalls.length === 0 ? Number.NaN : sum(ingestCalls.map((c) => c.durationMs)) / postWallMs;
    const transformBusy =
      transformCalls.length === 0 ? Number.NaN : sum(transformCalls.map((c) => c.durationMs)) / e2eWallMs;
    const ingestCapacity = (INGEST_POOL * 1000) / meanIngestMs;
    const transformCapacity = (roles.maxConcurrency * meanBatchRecords * 1000) / meanBatchMs;
    const postRate = sent.length / (postWallMs / 1000);
    const tailMs = lastDelivery - lastPost;
    const targetRate = delivery.rateLimitPerSecond ?? stats.rateLimitPerSecond ?? Number.NaN;
    // Net of the idle baseline: what each event adds.
    const cpuMsPerEvent =
      (Math.max(0, cpuSeconds - idleCores * wallSeconds) * 1000) / Math.max(1, deliveredAt.size);
    const cpuCeiling = ((CORES - idleCores) * 1000) / cpuMsPerEvent;
    const lag = (p: number) => Math.max(0, loopDelay.percentile(p) / 1e6 - LOOP_RESOLUTION_MS);

    // ----- print
    const rows: [string, string][] = [];
    const section = (title: string) => rows.push([title, '']);
    const row = (label: string, value: string) => rows.push([`  ${label}`, value]);
    console.log('Hookyard sandbox throughput');
    console.log(
      `settings: ${settings.events} events (+${settings.warmup} warm-up, not counted) at ${settings.rate}/s, ` +
        `${settings.concurrency} HTTP clients, ${fixtures.length} fixtures of ${SAMPLE_INTEGRATION}, drain timeout ${settings.drainTimeoutSeconds} s`,
    );
    console.log(
      `  target rate: ${settings.declaredRate ? 'declared' : 'lifted'} (sample target ${stats.rateLimitPerSecond === null ? 'unlimited' : `${stats.rateLimitPerSecond} req/s`}; ` +
        `transformer delivery settings: rateLimitPerSecond ${targetRate}, one schedule shared by its ≤ ${roles.maxConcurrency} consumers → ≤ ${targetRate}/s all together)`,
    );
    console.log(
      `  event source: batch ${roles.batchSize}, window ${roles.maxBatchingWindowSeconds} s, maxConcurrency ${roles.maxConcurrency}; ` +
        `ingest pool ${INGEST_POOL} environments; function logs ${settings.plainLogs ? 'plain (no REPORT lines)' : 'verbose (REPORT lines parsed)'}`,
    );
    console.log(
      `  machine: ${CORES} cores (${cpus()[0]?.model ?? '?'}), load average before ${loadBefore.toFixed(2)}, node ${process.version}; ` +
        `synth ${secs(synthMs)}, sandbox start ${secs(startMs)}`,
    );
    section('ingest (client side, POST → answer)');
    row(
      'posted',
      `${sent.length} of ${settings.events} in ${secs(postWallMs)} = ${postRate.toFixed(1)}/s (send lateness p99 ${ms(percentile(late, 99))} ms, most in flight ${run.maxInFlight})`,
    );
    row(
      'accepted (202)',
      `${acceptedIds.size}${badBodies > 0 ? ` (${badBodies} with a body not naming the id)` : ''}`,
    );
    row('non-202', byStatus.size === 0 ? 'none' : [...byStatus].map(([s, n]) => `${s}: ${n}`).join(', '));
    row(
      'latency ms',
      `p50 ${ms(percentile(latencies, 50))} · p95 ${ms(percentile(latencies, 95))} · p99 ${ms(percentile(latencies, 99))} · max ${ms(latencies[latencies.length - 1] ?? Number.NaN)}`,
    );
    section('end to end (first post → last unique delivery at the sample target)');
    row(
      'delivered',
      `${deliveredAt.size} unique of ${acceptedIds.size} accepted${drained ? '' : ` (drain timed out after ${settings.drainTimeoutSeconds} s)`}`,
    );
    row('wall time', `${secs(e2eWallMs)} (last delivery ${secs(tailMs)} after the last post)`);
    row(
      'delivered/s',
      `${deliveredPerSecond.toFixed(1)} sustained · ${peakPerSecond(deliveredTimes)} in the busiest second`,
    );
    row(
      'latency ms',
      `p50 ${ms(percentile(e2e, 50))} · p99 ${ms(percentile(e2e, 99))} · max ${ms(e2e[e2e.length - 1] ?? Number.NaN)}`,
    );
    row(
      'target',
      `${stats.received} requests, by status ${JSON.stringify(stats.byStatus)}, peak ${stats.maxRequestsPerSecond}/s`,
    );
    section('exactly once');
    row(
      'duplicates',
      `${duplicates} (target stats.duplicates ${stats.duplicates}, keys twice in received() ${twice})`,
    );
    row('lost', `${lost} (accepted, not delivered within the drain timeout)`);
    row(
      'queues at end',
      `source ${sourceDepth.visible} visible / ${sourceDepth.inFlight} in flight / ${sourceDepth.delayed} delayed · DLQ ${total(dlqDepth)}`,
    );
    row('source backlog', `max ${sampler.maxBacklog} messages (sampled every ${SAMPLE_EVERY_MS} ms)`);
    row(
      'function warnings',
      capture.problems.length === 0
        ? 'none'
        : `${capture.problems.length}, first: ${capture.problems[0]?.slice(0, 160)}`,
    );
    section(`resources, first post → all delivered (${wallSeconds.toFixed(2)} s)`);
    row(
      'CPU',
      `this process ${cpuSeconds.toFixed(1)} s = ${pct(cpuShare)} of ${CORES} cores (busiest ${SAMPLE_EVERY_MS} ms ${pct(sampler.peakCpuShare)}); ` +
        `whole machine ${pct(machineShare)} busy → other processes ${pct(Math.max(0, machineShare - cpuShare))}`,
    );
    const perKind = (kind: ThreadKind) => {
      const k = kinds.get(kind);
      return k ? `${pct(k.run / wallSeconds)}` : '0%';
    };
    row(
      'threads (of a core)',
      kinds.size === 0
        ? 'n/a (no /proc/self/task/*/schedstat)'
        : `main ran ${pct((main?.run ?? 0) / wallSeconds)}, waited for a core ${pct((main?.wait ?? 0) / wallSeconds)} · ` +
            `functions (${functions?.threads ?? 0} threads) ran ${pct((functions?.run ?? 0) / wallSeconds)}, waited ${pct((functions?.wait ?? 0) / wallSeconds)} · ` +
            `V8 helpers ${perKind('v8 helpers')} · client ${perKind('client')} · libuv ${perKind('libuv pool')} · other ${perKind('other')}`,
    );
    const perEvent = (seconds: number | undefined) =>
      ms(((seconds ?? 0) * 1000) / Math.max(1, deliveredAt.size));
    row(
      'CPU per event',
      `${ms(cpuMsPerEvent)} ms net of the idle ${pct(idleCores)} of a core (gross: main ${perEvent(main?.run)}, functions ${perEvent(functions?.run)}, ` +
        `V8 helpers ${perEvent(kinds.get('v8 helpers')?.run)}) → ≤ ${Math.round(cpuCeiling)} events/s if ${CORES} cores did nothing else`,
    );
    row(
      'main event loop',
      `utilization ${elu.utilization.toFixed(2)} · lag p50 ${ms(lag(50))} ms, p99 ${ms(lag(99))} ms, max ${ms(Math.max(0, loopDelay.max / 1e6 - LOOP_RESOLUTION_MS))} ms`,
    );
    row(
      'memory',
      `peak RSS ${mb(sampler.peakRss)} (sampled), maxRSS ${mb(cpuAfter.maxRSS * 1024)}; main heap peak ${mb(sampler.peakHeap)}`,
    );
    const noReports = 'n/a (--plain-logs: no REPORT lines)';
    row(
      'ingest fn',
      settings.plainLogs
        ? noReports
        : `${ingestCalls.length} invocations, mean ${ms(meanIngestMs)} ms → busy ${ingestBusy.toFixed(1)} of ${INGEST_POOL} environments (≤ ${Math.round(ingestCapacity)}/s at this latency)`,
    );
    row(
      'transformer fn',
      settings.plainLogs
        ? noReports
        : `${transformCalls.length} batches × ${meanBatchRecords.toFixed(1)} records, mean ${ms(meanBatchMs)} ms → busy ${transformBusy.toFixed(1)} of ${roles.maxConcurrency} (≤ ${Math.round(transformCapacity)} records/s at this latency)`,
    );
    const width = Math.max(...rows.filter(([, value]) => value !== '').map(([label]) => label.length));
    for (const [label, value] of rows) console.log(value === '' ? label : `${label.padEnd(width)}  ${value}`);

    const yes = (ok: boolean) => (ok ? 'yes' : 'no');
    console.log(
      `verdict: ≥ 500 events/s end to end: ${yes(deliveredPerSecond >= 500 && lost === 0)}; lost 0: ${yes(lost === 0)}; duplicates 0: ${yes(duplicates === 0)}`,
    );
    console.log(
      `limited by: ${limitedBy({
        settings,
        ingestPool: INGEST_POOL,
        postRate,
        deliveredPerSecond,
        tailMs,
        maxBacklog: sampler.maxBacklog,
        cpuShare,
        machineShare,
        cpuMsPerEvent,
        cpuCeiling,
        mainRun: (main?.run ?? Number.NaN) / wallSeconds,
        mainWait: (main?.wait ?? Number.NaN) / wallSeconds,
        elu: elu.utilization,
        ingestBusy,
        transformBusy,
        maxConcurrency: roles.maxConcurrency,
        ingestCapacity,
        transformCapacity,
        meanBatchMs,
        meanIngestMs,
        clientSaturated: run.maxInFlight >= settings.concurrency && postRate < settings.rate * 0.95,
        targetLimit: stats.rateLimitPerSecond,
        throttled: stats.byStatus['429'] ?? 0,
        targetRate,
      })}`,
    );
    return 0;
  } catch (error) {
    console.error(
      `bench: the run broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    if (capture.problems.length > 0) {
      console.error(`last sandbox problems:\n${capture.problems.slice(-10).join('\n')}`);
    }
    return 1;
  } finally {
    await stopAll();
    clearTimeout(watchdog);
  }
}

process.exitCode = await main();
// Keep-alive sockets or timers of the emulators must not keep a finished benchmark alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
