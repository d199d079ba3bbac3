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
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { signStandardWebhook } from '../functions/shared/signatures/index.js';
import { shortFunctionName } from '../local/function-logs.js';
import {
  isolatedSandboxOptions,
  PROJECT_ROOT,
  type Sandbox,
  startSandbox,
  synthesizeLocal,
} from '../local/sandbox.js';
import type { SandboxPlan } from '../local/stack-template.js';

const INTEGRATION = 'acme-orders';
const FIXTURES_DIR = join(PROJECT_ROOT, 'integrations', INTEGRATION, 'fixtures');
/** Environments of a function without an event source (the ingest function): `?? 4` in local/sandbox.ts. */
const INGEST_POOL = 4;
/**
 * Lifted pace per transformer container: the limiter paces each container at
 * TARGET_RATE_LIMIT_PER_SECOND ÷ MAX_CONCURRENCY. 2000/s is ~25× what a container reaches here, and
 * keeps the limiter cheap: its acquire() scans up to 2 × ⌈rate⌉ past grants, ~8 µs at 2000/s but
 * ~270 µs at 20000/s once the history fills (functions/shared/delivery/token-bucket.ts).
 */
const LIFTED_RATE_PER_CONTAINER = 2_000;
/** Standard Webhooks timestamps must be within 300 s of receipt; every request is signed up front. */
const MAX_POSTING_SECONDS = 240;
const REQUEST_TIMEOUT_MS = 15_000;
const SAMPLE_EVERY_MS = 500;
const LOOP_RESOLUTION_MS = 10;
const IDLE_BASELINE_MS = 2_000;
const CORES = cpus().length;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

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
      "  --transform-concurrency M event source maxConcurrency and MAX_CONCURRENCY (default: the template's)",
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
// Small statistics and formatting helpers

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const ms = (value: number) =>
  Number.isNaN(value) ? 'n/a' : value < 10 ? value.toFixed(1) : String(Math.round(value));
const secs = (valueMs: number) => `${(valueMs / 1000).toFixed(2)} s`;
const pct = (share: number) => `${Math.round(share * 100)}%`;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** Most timestamps within any 1-second span. */
function peakPerSecond(sortedTimes: readonly number[]): number {
  let peak = 0;
  let from = 0;
  for (let to = 0; to < sortedTimes.length; to++) {
    while ((sortedTimes[from] ?? 0) <= (sortedTimes[to] ?? 0) - 1000) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}

// ---------------------------------------------------------------------------------------------------
// CPU per thread and for the whole machine, from /proc (Linux). Worker threads carry their Worker
// `name`, truncated to 15 characters; `schedstat` says how long a thread ran and how long it was
// runnable but waited for a core.

type ThreadKind = 'main' | 'functions' | 'client' | 'v8 helpers' | 'libuv pool' | 'other';

function threadKind(comm: string): ThreadKind {
  if (comm === 'MainThread') return 'main';
  if (comm.startsWith('lambda:')) return 'functions';
  if (comm.startsWith('bench-client')) return 'client';
  if (comm.startsWith('V8Worker')) return 'v8 helpers';
  if (comm.startsWith('libuv-worker')) return 'libuv pool';
  return 'other';
}

interface ThreadTime {
  readonly kind: ThreadKind;
  readonly runNs: number;
  readonly waitNs: number;
}

/** Run and run-queue wait time per live thread id; empty where /proc has no schedstat. */
function threadTimes(): Map<string, ThreadTime> {
  const threads = new Map<string, ThreadTime>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
      threads.set(tid, { kind: threadKind(comm), runNs: Number(run), waitNs: Number(wait) });
    } catch {
      // the thread ended while we looked, or no schedstat
    }
  }
  return threads;
}

interface KindTime {
  readonly run: number;
  readonly wait: number;
  readonly threads: number;
}

/** Seconds run and waited per thread kind between two snapshots (threads that ended are not counted). */
function timeByKind(
  before: Map<string, ThreadTime>,
  after: Map<string, ThreadTime>,
): Map<ThreadKind, KindTime> {
  const byKind = new Map<ThreadKind, KindTime>();
  for (const [tid, now] of after) {
    const then = before.get(tid);
    const entry = byKind.get(now.kind) ?? { run: 0, wait: 0, threads: 0 };
    byKind.set(now.kind, {
      run: entry.run + (now.runNs - (then?.runNs ?? 0)) / 1e9,
      wait: entry.wait + (now.waitNs - (then?.waitNs ?? 0)) / 1e9,
      threads: entry.threads + 1,
    });
  }
  return byKind;
}

/** Busy and total jiffies of all cores (every process on the machine), or undefined without /proc/stat. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
    return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// The sandbox's log, kept quiet: counted and parsed for invocation figures.

interface Invocation {
  readonly at: number;
  readonly durationMs: number;
}

class LogCapture {
  readonly invocations = new Map<string, Invocation[]>();
  readonly processed = new Map<string, { at: number; outcome: string }[]>();
  readonly problems: string[] = [];

  readonly log = (line: string): void => {
    const at = Date.now();
    const report = /^\[([^\]]+)\] REPORT RequestId: \S+\tDuration: ([\d.]+) ms/.exec(line);
    if (report?.[1] && report[2]) {
      const list = this.invocations.get(report[1]) ?? [];
      list.push({ at, durationMs: Number(report[2]) });
      this.invocations.set(report[1], list);
      return;
    }
    const milestone = /^\[([^\]]+)\] INFO\s+(event delivered|duplicate skipped)/.exec(line);
    if (milestone?.[1] && milestone[2]) {
      const list = this.processed.get(milestone[1]) ?? [];
      list.push({ at, outcome: milestone[2] });
      this.processed.set(milestone[1], list);
      return;
    }
    if (/\b(WARN|ERROR|FATAL)\b|^ALARM|failed and returns|Task timed out/.test(line))
      this.problems.push(line);
  };

  invocationsOf(fn: string, from: number): Invocation[] {
    return (this.invocations.get(fn) ?? []).filter((i) => i.at >= from);
  }

  processedOf(fn: string, outcome: string, from: number): number {
    return (this.processed.get(fn) ?? []).filter((p) => p.at >= from && p.outcome === outcome).length;
  }
}

// ---------------------------------------------------------------------------------------------------
// The load client (a worker thread)

interface PostResult {
  readonly id: string;
  readonly sentAt: number;
  readonly lateMs: number;
  readonly latencyMs: number;
  readonly status: number | 'timeout' | 'error' | 'not-sent';
  readonly bodyOk: boolean;
}

interface ClientRun {
  readonly results: PostResult[];
  readonly cpu: { user: number; system: number };
  readonly maxInFlight: number;
}

function loadFixtures(): string[] {
  const files = readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.in.json'))
    .sort();
  if (files.length === 0) throw new Error(`no fixtures (*.in.json) in ${FIXTURES_DIR}`);
  return files.map((f) => readFileSync(join(FIXTURES_DIR, f), 'utf8'));
}

function runClient(
  sandbox: Sandbox,
  ids: readonly string[],
  fixtures: readonly string[],
  rate: number,
  concurrency: number,
): Promise<ClientRun> {
  const secret = sandbox.signingSecret(INTEGRATION);
  const timestamp = new Date();
  const requests = ids.map((id, i) => {
    const body = fixtures[i % fixtures.length] ?? '';
    return {
      id,
      body,
      headers: {
        'content-type': 'application/json',
        ...signStandardWebhook(secret, { id, timestamp, body }),
      },
    };
  });
  const postingSeconds = ids.length / rate;
  const worker = new Worker(new URL('./load-client.mjs', import.meta.url), {
    name: 'bench-client',
    workerData: {
      url: `${sandbox.gatewayUrl}/webhooks/${INTEGRATION}`,
      requests,
      ratePerSecond: rate,
      concurrency,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      // Late sends are allowed up to twice the planned time (+10 s), never past the signatures' tolerance.
      deadlineMs: Math.min(MAX_POSTING_SECONDS + 30, postingSeconds * 2 + 10) * 1000,
    },
  });
  return new Promise<ClientRun>((resolve, reject) => {
    worker.once('message', (message: ClientRun) => resolve(message));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load client exited (${code}) without results`)));
  }).finally(() => void worker.terminate());
}

// ---------------------------------------------------------------------------------------------------
// The sandbox under test

interface Roles {
  readonly ingest: string;
  readonly transformer: string;
  readonly sourceQueueUrl: string;
  readonly dlqUrl: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly env: Record<string, string>;
}

function transformerOf(plan: SandboxPlan) {
  const source = plan.eventSources.find((e) =>
    plan.functions.some(
      (f) => f.logicalId === e.functionLogicalId && f.environment.INTEGRATION === INTEGRATION,
    ),
  );
  const fn = plan.functions.find((f) => f.logicalId === source?.functionLogicalId);
  if (!source || !fn) throw new Error(`the plan has no event source feeding a ${INTEGRATION} function`);
  return { source, fn };
}

function rolesOf(plan: SandboxPlan): Roles {
  const { source, fn } = transformerOf(plan);
  const ingest = plan.functions.find(
    (f) => f.environment.INTEGRATION === INTEGRATION && f.environment.SIGNING_SECRET_ID,
  );
  const queue = plan.queues.find((q) => q.logicalId === source.queueLogicalId);
  const dlq = plan.queues.find((q) => q.logicalId === queue?.deadLetterQueue);
  if (!ingest || !queue || !dlq) throw new Error(`the plan lacks ${INTEGRATION}'s ingest function or queues`);
  return {
    ingest: shortFunctionName(ingest.name),
    transformer: shortFunctionName(fn.name),
    sourceQueueUrl: queue.url,
    dlqUrl: dlq.url,
    batchSize: source.batchSize,
    maxBatchingWindowSeconds: source.maxBatchingWindowSeconds,
    maxConcurrency: source.maxConcurrency,
    env: fn.environment,
  };
}

/** Lift the target's rate for the transformer (and, when asked, its concurrency), consistently. */
function liftPlan(settings: Settings) {
  return (plan: SandboxPlan): SandboxPlan => {
    const { source, fn } = transformerOf(plan);
    const concurrency = settings.transformConcurrency ?? source.maxConcurrency;
    const env: Record<string, string> = settings.declaredRate
      ? { ...fn.environment, MAX_CONCURRENCY: String(concurrency) }
      : {
          ...fn.environment,
          TARGET_RATE_LIMIT_PER_SECOND: String(LIFTED_RATE_PER_CONTAINER * concurrency),
          MAX_CONCURRENCY: String(concurrency),
        };
    return {
      ...plan,
      functions: plan.functions.map((f) => (f.logicalId === fn.logicalId ? { ...f, environment: env } : f)),
      eventSources: plan.eventSources.map((e) => (e === source ? { ...e, maxConcurrency: concurrency } : e)),
    };
  };
}

interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

async function depth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

const total = (d: QueueDepth) => d.visible + d.inFlight + d.delayed;

/** Waits until `done()` or the deadline; resolves with whether it got done. */
async function waitUntil(done: () => boolean | Promise<boolean>, deadline: number, everyMs = 100) {
  while (Date.now() < deadline) {
    if (await done()) return true;
    await sleep(everyMs);
  }
  return done();
}

// ---------------------------------------------------------------------------------------------------
// Sampling during the measured phase

interface Sample {
  readonly at: number;
  readonly cpuMicros: number;
  readonly rss: number;
  readonly heapUsed: number;
}

class Sampler {
  readonly samples: Sample[] = [];
  maxBacklog = 0;
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(sqs: SQSClient, queueUrl: string) {
    const take = () => {
      const usage = process.resourceUsage();
      const memory = process.memoryUsage();
      this.samples.push({
        at: Date.now(),
        cpuMicros: usage.userCPUTime + usage.systemCPUTime,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
      });
      if (this.polling) return;
      this.polling = true;
      depth(sqs, queueUrl)
        .then((d) => {
          this.maxBacklog = Math.max(this.maxBacklog, total(d));
        })
        .catch(() => undefined)
        .finally(() => {
          this.polling = false;
        });
    };
    take();
    this.timer = setInterval(take, SAMPLE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The busiest sampling interval's CPU, as a share of all cores. */
  get peakCpuShare(): number {
    let peak = 0;
    for (let i = 1; i < this.samples.length; i++) {
      const [a, b] = [this.samples[i - 1], this.samples[i]] as [Sample, Sample];
      if (b.at - a.at >= SAMPLE_EVERY_MS / 2) {
        peak = Math.max(peak, (b.cpuMicros - a.cpuMicros) / 1000 / (b.at - a.at) / CORES);
      }
    }
    return peak;
  }

  get peakRss(): number {
    return Math.max(...this.samples.map((s) => s.rss));
  }

  get peakHeap(): number {
    return Math.max(...this.samples.map((s) => s.heapUsed));
  }
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const settings = parseSettings(process.argv.slice(2));
  const fixtures = loadFixtures();
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
    const roles = rolesOf(sandbox.plan);
    sqs = new SQSClient({ endpoint: sandbox.sqsEndpoint, region: 'us-east-1', credentials });
    const runId = Date.now().toString(36);

    // Warm-up: start the functions' environments and fetch the token, then forget it all at the target.
    if (settings.warmup > 0) {
      const ids = Array.from({ length: settings.warmup }, (_, i) => `bench_${runId}_warm_${i}`);
      const warm = await runClient(
        sandbox,
        ids,
        fixtures,
        Math.min(settings.rate, 200),
        settings.concurrency,
      );
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
    const client = await runClient(sandbox, ids, fixtures, settings.rate, settings.concurrency);
    const postedAt = Date.now();

    const results = client.results;
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
      capture.processedOf(roles.transformer, 'event delivered', t0) +
      capture.processedOf(roles.transformer, 'duplicate skipped', t0);
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
    const targetRate = Number(
      roles.env.TARGET_RATE_LIMIT_PER_SECOND ?? stats.rateLimitPerSecond ?? Number.NaN,
    );
    const perContainer = targetRate / Number(roles.env.MAX_CONCURRENCY ?? roles.maxConcurrency);
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
        `${settings.concurrency} HTTP clients, ${fixtures.length} fixtures of ${INTEGRATION}, drain timeout ${settings.drainTimeoutSeconds} s`,
    );
    console.log(
      `  target rate: ${settings.declaredRate ? 'declared' : 'lifted'} (sample target ${stats.rateLimitPerSecond === null ? 'unlimited' : `${stats.rateLimitPerSecond} req/s`}; ` +
        `transformer TARGET_RATE_LIMIT_PER_SECOND=${targetRate}, MAX_CONCURRENCY=${roles.env.MAX_CONCURRENCY ?? '?'} → ≤ ${+perContainer.toFixed(1)}/s per container)`,
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
      `${sent.length} of ${settings.events} in ${secs(postWallMs)} = ${postRate.toFixed(1)}/s (send lateness p99 ${ms(percentile(late, 99))} ms, most in flight ${client.maxInFlight})`,
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
        clientSaturated: client.maxInFlight >= settings.concurrency && postRate < settings.rate * 0.95,
        targetLimit: stats.rateLimitPerSecond,
        throttled: stats.byStatus['429'] ?? 0,
        perContainer,
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

interface Evidence {
  readonly settings: Settings;
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
  readonly maxConcurrency: number;
  readonly ingestCapacity: number;
  readonly transformCapacity: number;
  readonly meanBatchMs: number;
  readonly meanIngestMs: number;
  readonly clientSaturated: boolean;
  readonly targetLimit: number | null;
  readonly throttled: number;
  readonly perContainer: number;
}

/** One line naming what held throughput back, with the measured figures that show it. */
function limitedBy(e: Evidence): string {
  const cpu = `machine CPU ${pct(e.machineShare)} busy (this process ${pct(e.cpuShare)} of ${CORES} cores, others ${pct(Math.max(0, e.machineShare - e.cpuShare))})`;
  const mainThread = `main thread ran ${pct(e.mainRun)} + waited for a core ${pct(e.mainWait)} (loop utilization ${e.elu.toFixed(2)})`;
  const pools = Number.isNaN(e.ingestBusy)
    ? 'no function figures (--plain-logs)'
    : `ingest ${e.ingestBusy.toFixed(1)}/${INGEST_POOL} busy (${ms(e.meanIngestMs)} ms each), transformer ${e.transformBusy.toFixed(1)}/${e.maxConcurrency} busy (${Math.round(e.meanBatchMs)} ms per batch)`;
  if (e.settings.declaredRate && e.targetLimit !== null && e.deliveredPerSecond <= e.targetLimit * 1.1) {
    return (
      `the target's declared rate, by design: ${e.targetLimit} req/s, paced by the transformer at ≤ ${+e.perContainer.toFixed(1)}/s per container × ${e.maxConcurrency}; ` +
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
      e.ingestBusy / INGEST_POOL,
      `ingest pool of ${INGEST_POOL}: ${e.ingestBusy.toFixed(1)} busy, ${ms(e.meanIngestMs)} ms per webhook → ≤ ${Math.round(e.ingestCapacity)}/s`,
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

process.exitCode = await main();
// Keep-alive sockets or timers of the emulators must not keep a finished benchmark alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
