/**
 * Cost per million webhooks on AWS list prices, from a measured sandbox run with the default
 * settings: N signed acme-orders webhooks posted at R/s (under the target's declared 50/s), each
 * delivered once. Counted: every request the emulators and the HTTP gateway answer (SQS in 64 KB
 * chunks, DynamoDB units, Secrets Manager calls), every Lambda invocation with its billed duration
 * (the local runner's REPORT lines) and CPU time (its worker thread's schedstat), every byte each
 * function writes (EMF included, by line), and the JSON platform records Lambda adds per invocation.
 * Priced for both endpoint types; Hookdeck's, Svix's and EventBridge Pipes' prices beside it.
 *
 *   npm run bench:cost -- [--events 400] [--rate 40] [--target-latency-ms 100] [--batching-window S]
 *
 * `--target-latency-ms` adds what a real target's answer time adds to each transformer invocation's
 * billed duration (the sample target answers on loopback in ~1 ms; a batch's records are delivered
 * in parallel, so a batch waits about one answer longer). `--batching-window` measures the event
 * source's MaximumBatchingWindowInSeconds instead of the default (1 s; 0 measures no window). Writes bench/results/cost.json
 * (cost-batching-window-<S>s.json with the flag).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signStandardWebhook } from '../functions/shared/signatures/index.js';
import { sampleOrderBody } from '../integrations/acme-orders/sample.js';
import { shortFunctionName } from '../local/function-logs.js';
import { integrationView } from '../local/integration-view.js';
import { isolatedSandboxOptions, type Sandbox, startSandbox, synthesizeLocal } from '../local/sandbox.js';
import {
  ALTERNATIVES,
  AWS_PRICES,
  costPerMillion,
  levers,
  type PerEventUsage,
  PRICE_SOURCES,
  total,
} from './lib/cost-model.js';
import { clearInvocations, countRequests, readInvocations, wrapAssets } from './lib/cost-probe.js';
import { jsonPlatformRecords, logBreakdown, parseReportLine } from './lib/log-bytes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench/results');
const AIM_PER_MILLION = 2.5;
const WARM_UP_EVENTS = 20;

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '400' },
    rate: { type: 'string', default: '40' },
    'target-latency-ms': { type: 'string', default: '100' },
    /** Measure a setting instead of the default: the event source's MaximumBatchingWindowInSeconds. */
    'batching-window': { type: 'string' },
  },
});
const events = Number(flags.events);
const rate = Number(flags.rate);
const targetLatencyMs = Number(flags['target-latency-ms']);
const batchingWindow = flags['batching-window'] === undefined ? undefined : Number(flags['batching-window']);
if (batchingWindow !== undefined && !(Number.isInteger(batchingWindow) && batchingWindow >= 0)) {
  console.error('--batching-window must be a whole number of seconds');
  process.exit(2);
}
if (![events, rate].every((n) => Number.isFinite(n) && n > 0) || !(targetLatencyMs >= 0)) {
  console.error('--events and --rate must be numbers above 0, --target-latency-ms 0 or more');
  process.exit(2);
}
/** The default run writes cost.json; a measured setting writes beside it, so the default stays. */
const RESULTS = join(
  RESULTS_DIR,
  batchingWindow === undefined ? 'cost.json' : `cost-batching-window-${batchingWindow}s.json`,
);

const fixture = sampleOrderBody('ord_cost');

async function post(sandbox: Sandbox, id: string) {
  const headers = signStandardWebhook(sandbox.signingSecret('acme-orders'), {
    id,
    timestamp: new Date(),
    body: fixture,
  });
  const response = await fetch(`${sandbox.gatewayUrl}/webhooks/acme-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: fixture,
  });
  await response.text();
  if (response.status !== 202) throw new Error(`webhook ${id} answered ${response.status}`);
}

/** Posts `count` webhooks at `perSecond`, then waits until the target has them all. */
async function load(sandbox: Sandbox, prefix: string, count: number, perSecond: number) {
  const start = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sends.push(post(sandbox, `${prefix}_${i}`));
  }
  await Promise.all(sends);
  const deadline = Date.now() + 120_000;
  const delivered = () =>
    sandbox.sampleTarget?.received().filter((d) => d.idempotencyKey.startsWith(`${prefix}_`)).length ?? 0;
  while (delivered() < count) {
    if (Date.now() > deadline) throw new Error(`only ${delivered()} of ${count} delivered`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Let the last batches' deletes land.
  await new Promise((resolve) => setTimeout(resolve, 2000));
}

const PLATFORM = /^\[([^\]]+)\] ((?:START|END|REPORT) RequestId: .*)$/;

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'hookyard-cost-'));
  const statsFile = join(work, 'invocations.jsonl');
  const requests = countRequests();
  const lines: string[] = [];
  let sandbox: Sandbox | undefined;
  try {
    console.log('synthesizing the local stage…');
    await synthesizeLocal(join(work, 'cdk.out'));
    sandbox = await startSandbox({
      ...isolatedSandboxOptions(join(work, 'state'), join(work, 'cdk.out')),
      verbose: true,
      log: (line) => lines.push(line),
      // The breaker's minute check is a fixed monthly cost, not a per-event one: keep it out of the window.
      scheduleIntervalMs: 3_600_000,
      adjust: (plan) =>
        wrapAssets(
          join(work, 'wrapped'),
          statsFile,
        )(
          batchingWindow === undefined
            ? plan
            : {
                ...plan,
                eventSources: plan.eventSources.map((e) => ({
                  ...e,
                  maxBatchingWindowSeconds: batchingWindow,
                })),
              },
        ),
    });
    console.log(`warming up (${WARM_UP_EVENTS} webhooks)…`);
    await load(sandbox, 'evt_warm', WARM_UP_EVENTS, 20);
    clearInvocations(statsFile);
    lines.length = 0;
    requests.start();
    console.log(`posting ${events} webhooks at ${rate}/s…`);
    await load(sandbox, 'evt_cost', events, rate);
    const counted = requests.stop();
    const invocations = readInvocations(statsFile);
    const { plan } = sandbox;
    const stats = sandbox.sampleTarget?.stats();

    const kind = (logicalId: string) =>
      /Ingest/i.test(logicalId) ? 'ingest' : /Transform/i.test(logicalId) ? 'transformer' : logicalId;

    // Per function: invocations and billed ms (REPORT lines), the bytes Lambda's JSON platform records
    // for them would take, what the function wrote (the wrapper), and its CPU per invocation.
    const byShortName = new Map(plan.functions.map((f) => [shortFunctionName(f.name), f]));
    const perFn = new Map<
      string,
      {
        invocations: number;
        billedMs: number;
        memoryMb: number;
        textPlatformBytes: number;
        jsonPlatformBytes: number;
        appLogBytes: number;
        cpuNs: number;
        runQueueNs: number;
        maxMemoryMb: number;
      }
    >();
    const entry = (fn: { logicalId: string; memoryMb: number }) => {
      const name = kind(fn.logicalId);
      const e = perFn.get(name) ?? {
        invocations: 0,
        billedMs: 0,
        memoryMb: fn.memoryMb,
        textPlatformBytes: 0,
        jsonPlatformBytes: 0,
        appLogBytes: 0,
        cpuNs: 0,
        runQueueNs: 0,
        maxMemoryMb: 0,
      };
      perFn.set(name, e);
      return e;
    };
    for (const line of lines) {
      const platform = PLATFORM.exec(line);
      const fn = platform && byShortName.get(platform[1] ?? '');
      if (!platform || !fn) continue;
      const e = entry(fn);
      const text = platform[2] ?? '';
      e.textPlatformBytes += Buffer.byteLength(text) + 1;
      const report = parseReportLine(text);
      if (report) {
        e.invocations++;
        e.billedMs += report.billedMs;
        e.maxMemoryMb = Math.max(e.maxMemoryMb, report.maxMemoryMb);
        e.jsonPlatformBytes += jsonPlatformRecords(report).reduce((a, r) => a + Buffer.byteLength(r) + 1, 0);
      }
    }
    for (const inv of invocations) {
      const fn = plan.functions.find((f) => f.logicalId === inv.fn);
      if (!fn) continue;
      const e = entry(fn);
      e.appLogBytes += inv.logBytes;
      e.cpuNs += inv.cpuNs;
      e.runQueueNs += inv.runQueueNs;
    }
    const deliveries = stats?.received ?? events;
    // A real target answers in tens to hundreds of ms. The records of a batch are delivered in
    // parallel (paced by the rate limiter), so an invocation waits about one answer longer.
    const addedMs = (name: string) => (name === 'transformer' ? targetLatencyMs : 0);
    const perInvocation = Object.fromEntries(
      [...perFn].map(([name, e]) => {
        const n = Math.max(1, e.invocations);
        const cpuMs = e.cpuNs / 1e6 / n;
        const runQueueMs = e.runQueueNs / 1e6 / n;
        const billedMs = e.billedMs / n + addedMs(name);
        // What memory does not shorten: the invocation's time less its CPU and its wait for a core here.
        return [
          name,
          {
            cpuMs,
            cpuMsPerEvent: e.cpuNs / 1e6 / events,
            runQueueMs,
            billedMs,
            waitMs: Math.max(0, billedMs - cpuMs - runQueueMs),
            maxMemoryUsedMb: e.maxMemoryMb,
            memoryMb: e.memoryMb,
          },
        ];
      }),
    );
    const sum = (pick: (e: NonNullable<ReturnType<typeof perFn.get>>) => number) =>
      [...perFn.values()].reduce((a, e) => a + pick(e), 0);
    const usage: PerEventUsage = {
      lambda: [...perFn].map(([name, e]) => ({
        fn: name,
        invocationsPerEvent: e.invocations / events,
        billedMsPerEvent: (e.billedMs + addedMs(name) * e.invocations) / events,
        memoryMb: e.memoryMb,
      })),
      httpApiRequestsPerEvent: (counted.byAction.get('http-api:POST') ?? 0) / events,
      sqsRequestsPerEvent: Object.fromEntries(
        [...counted.byAction]
          .filter(([key]) => key.startsWith('sqs:'))
          .map(([key, n]) => [key.slice(4), n / events]),
      ),
      dynamoWriteUnitsPerEvent: counted.dynamoWriteUnits / events,
      dynamoReadUnitsPerEvent: counted.dynamoReadUnits / events,
      secretsManagerCallsPerEvent:
        [...counted.byAction]
          .filter(([k]) => k.startsWith('secretsmanager:'))
          .reduce((a, [, n]) => a + n, 0) / events,
      logBytesPerEvent: {
        application: sum((e) => e.appLogBytes) / events,
        platform: sum((e) => e.jsonPlatformBytes) / events,
      },
    };
    const breakdown = logBreakdown(invocations.map((inv) => ({ fn: kind(inv.fn), output: inv.output })));
    const byEndpoint = {
      'http-api': costPerMillion(usage, 'http-api'),
      'function-url': costPerMillion(usage, 'function-url'),
    };
    const lineItems = byEndpoint['http-api'];
    const perMillion = total(lineItems);
    const perMillionFunctionUrl = total(byEndpoint['function-url']);
    const dominant = lineItems[0];
    const moves = levers(usage, {
      platformLogBytesPerEvent: usage.logBytesPerEvent.platform,
      perInvocation,
    });
    const transformerPlan = integrationView(plan, 'acme-orders').transformer;
    const source = plan.eventSources[0];
    const result = {
      measuredAt: new Date().toISOString(),
      command: `npm run bench:cost -- --events ${events} --rate ${rate} --target-latency-ms ${targetLatencyMs}${batchingWindow === undefined ? '' : ` --batching-window ${batchingWindow}`}`,
      machine: { cpus: cpus().length, loadAverage1m: loadavg()[0] },
      settings: `${batchingWindow === undefined ? 'default' : `batching window ${batchingWindow} s, else default`} (acme-orders: batch ${source?.batchSize}, window ${source?.maxBatchingWindowSeconds} s, maxConcurrency ${source?.maxConcurrency}, ingest ${perFn.get('ingest')?.memoryMb} MB, transformer ${transformerPlan?.memoryMb} MB, target 50 req/s)`,
      events,
      rate,
      targetLatencyMs,
      targetRequests: deliveries,
      counted: {
        ...counted,
        byAction: Object.fromEntries(counted.byAction),
        invocations: invocations.length,
      },
      usagePerEvent: usage,
      perInvocation,
      logBytesPerEvent: {
        application: usage.logBytesPerEvent.application,
        lambdaPlatformJson: usage.logBytesPerEvent.platform,
        lambdaPlatformTextAsWrittenLocally: sum((e) => e.textPlatformBytes) / events,
        byLine: breakdown.map((b) => ({ ...b, bytesPerEvent: b.bytes / events })),
      },
      prices: AWS_PRICES,
      priceSources: PRICE_SOURCES,
      costPerMillion: {
        total: perMillion,
        totalWithFunctionUrl: perMillionFunctionUrl,
        lines: lineItems,
      },
      aim: {
        perMillion: AIM_PER_MILLION,
        met: perMillion <= AIM_PER_MILLION,
        metWithFunctionUrl: perMillionFunctionUrl <= AIM_PER_MILLION,
      },
      dominant: dominant?.line,
      levers: moves,
      fixedMonthly:
        'not per event: Secrets Manager $0.40/secret (2–3 per integration), custom metrics $0.30 each, alarms $0.10 each, the breaker function every minute (~43,200 invocations: cents), idle SQS long polls by the event source (~$0.3/queue)',
      alternatives: ALTERNATIVES,
    };
    writeFileSync(
      RESULTS,
      `${JSON.stringify(result, (_, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2)}\n`,
    );

    const usd = (n: number) => `$${n.toFixed(3).padStart(6)}`;
    console.log(
      `\ncost per million webhooks, ${AWS_PRICES.region} list prices checked ${AWS_PRICES.checkedOn} (${events} events at ${rate}/s, target latency ${targetLatencyMs} ms)`,
    );
    console.log(`  ${'http-api'.padStart(8)} ${'fn-url'.padStart(8)}  line`);
    for (const l of lineItems) {
      const other = byEndpoint['function-url'].find((f) => f.movedBy === l.movedBy && f.detail === l.detail);
      console.log(
        `  ${usd(l.perMillion)}  ${usd(other?.perMillion ?? l.perMillion)}  ${l.line.padEnd(38)} ${l.detail} [${l.basis}; moved by: ${l.movedBy}]`,
      );
    }
    console.log(
      `  ${usd(perMillion)}  ${usd(perMillionFunctionUrl)}  total (aim ≤ $${AIM_PER_MILLION.toFixed(2)}: http-api ${result.aim.met ? 'met' : 'MISSED'}, function-url ${result.aim.metWithFunctionUrl ? 'met' : 'MISSED'}); largest: ${dominant?.line}`,
    );
    console.log(
      'per invocation here (CPU from the thread’s schedstat; waiting = billed − CPU − waiting for a core):',
    );
    for (const [name, p] of Object.entries(perInvocation))
      console.log(
        `  ${name.padEnd(12)} CPU ${p.cpuMs.toFixed(2)} ms (${p.cpuMsPerEvent.toFixed(2)} ms/event), waited for a core ${p.runQueueMs.toFixed(1)} ms, billed ${p.billedMs.toFixed(1)} ms (incl. added target latency), waiting on I/O ${p.waitMs.toFixed(1)} ms; max memory used ${p.maxMemoryUsedMb} of ${p.memoryMb} MB`,
      );
    console.log('settings that move it (computed from this run; not run with the setting):');
    for (const m of moves)
      console.log(`  −$${m.savesPerMillion.toFixed(2).padStart(5)}  ${m.setting} [${m.basis}]: ${m.how}`);
    console.log(
      `log bytes per event: ${usage.logBytesPerEvent.application.toFixed(0)} written by the functions, ${usage.logBytesPerEvent.platform.toFixed(0)} Lambda's JSON platform records (the local runner writes them as text: ${result.logBytesPerEvent.lambdaPlatformTextAsWrittenLocally.toFixed(0)})`,
    );
    for (const share of breakdown)
      console.log(
        `  ${(share.bytes / events).toFixed(0).padStart(5)} B  ${String(share.lines).padStart(5)} lines  ${share.fn.padEnd(12)} ${share.line.slice(0, 70)}`,
      );
    if (process.env.COST_SAMPLE_LINES)
      for (const inv of invocations.slice(0, Number(process.env.COST_SAMPLE_LINES))) console.log(inv.output);
    console.log('beside it (as published, check before quoting):');
    for (const a of ALTERNATIVES)
      console.log(`  $${a.perMillion.toFixed(2).padStart(7)}  ${a.name}: ${a.basis}`);
    console.log(`results: ${RESULTS}`);
  } finally {
    await sandbox?.stop();
    requests.restore();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
