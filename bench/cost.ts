/**
 * Cost per million webhooks on AWS list prices, from a measured sandbox run with the default
 * settings: N signed acme-orders webhooks posted at R/s (under the target's declared 50/s), each
 * delivered once. Counted: every request the emulators and the HTTP gateway answer (SQS in 64 KB
 * chunks, DynamoDB units, Secrets Manager calls), every Lambda invocation with its billed duration
 * (the local runner's REPORT lines) and every byte each function logs (EMF included). Hookdeck's,
 * Svix's and EventBridge Pipes' published prices are printed beside it.
 *
 *   npm run bench:cost -- [--events 400] [--rate 40] [--target-latency-ms 100]
 *
 * `--target-latency-ms` adds what a real target's answer time adds to each transformer invocation's
 * billed duration (the sample target answers on loopback in ~1 ms; a batch's records are delivered
 * in parallel, so a batch waits about one answer longer). Writes bench/results/cost.json.
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
  total,
} from './lib/cost-model.js';
import { clearInvocations, countRequests, readInvocations, wrapAssets } from './lib/cost-probe.js';
import { logBreakdown } from './lib/log-bytes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results/cost.json');
const AIM_PER_MILLION = 2.5;
const WARM_UP_EVENTS = 20;

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '400' },
    rate: { type: 'string', default: '40' },
    'target-latency-ms': { type: 'string', default: '100' },
  },
});
const events = Number(flags.events);
const rate = Number(flags.rate);
const targetLatencyMs = Number(flags['target-latency-ms']);
if (![events, rate].every((n) => Number.isFinite(n) && n > 0) || !(targetLatencyMs >= 0)) {
  console.error('--events and --rate must be numbers above 0, --target-latency-ms 0 or more');
  process.exit(2);
}

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

const REPORT = /^\[([^\]]+)\] (REPORT RequestId: .*Billed Duration: (\d+) ms\tMemory Size: (\d+) MB.*)$/;
const PLATFORM = /^\[([^\]]+)\] ((?:START|END) RequestId: .*)$/;

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
      adjust: wrapAssets(join(work, 'wrapped'), statsFile),
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

    // Per function: invocations, billed ms (REPORT lines), log bytes (wrapper + platform lines).
    const byShortName = new Map(plan.functions.map((f) => [shortFunctionName(f.name), f]));
    const perFn = new Map<
      string,
      { invocations: number; billedMs: number; memoryMb: number; logBytes: number }
    >();
    const entry = (logicalId: string, memoryMb: number) => {
      const e = perFn.get(logicalId) ?? { invocations: 0, billedMs: 0, memoryMb, logBytes: 0 };
      perFn.set(logicalId, e);
      return e;
    };
    for (const line of lines) {
      const report = REPORT.exec(line);
      const platform = report ?? PLATFORM.exec(line);
      if (!platform) continue;
      const fn = byShortName.get(platform[1] ?? '');
      if (!fn) continue;
      const e = entry(fn.logicalId, fn.memoryMb);
      e.logBytes += Buffer.byteLength(platform[2] ?? '') + 1;
      if (report) {
        e.invocations++;
        e.billedMs += Number(report[3]);
      }
    }
    for (const inv of invocations) {
      const fn = plan.functions.find((f) => f.logicalId === inv.fn);
      if (fn) entry(fn.logicalId, fn.memoryMb).logBytes += inv.logBytes;
    }
    const deliveries = stats?.received ?? events;
    const kind = (logicalId: string) =>
      /Ingest/i.test(logicalId) ? 'ingest' : /Transform/i.test(logicalId) ? 'transformer' : logicalId;
    const usage: PerEventUsage = {
      lambda: [...perFn].map(([logicalId, e]) => ({
        fn: kind(logicalId),
        invocationsPerEvent: e.invocations / events,
        // A real target answers in tens to hundreds of ms. The records of a batch are delivered in
        // parallel (paced by the rate limiter), so an invocation waits about one answer longer.
        billedMsPerEvent:
          (e.billedMs + (kind(logicalId) === 'transformer' ? targetLatencyMs * e.invocations : 0)) / events,
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
      logBytesPerEvent: [...perFn.values()].reduce((a, e) => a + e.logBytes, 0) / events,
    };
    const breakdown = logBreakdown(
      invocations.map((inv) => ({
        fn: kind(plan.functions.find((f) => f.logicalId === inv.fn)?.logicalId ?? inv.fn),
        output: inv.output,
      })),
    );
    const lineItems = costPerMillion(usage);
    const perMillion = total(lineItems);
    const dominant = lineItems[0];
    const transformerPlan = integrationView(plan, 'acme-orders').transformer;
    const moves = levers(usage, {
      maxConcurrency: plan.eventSources[0]?.maxConcurrency ?? 2,
      ratePerSecond: stats?.rateLimitPerSecond ?? 50,
      transformerMemoryMb: transformerPlan?.memoryMb ?? 512,
    });
    const result = {
      measuredAt: new Date().toISOString(),
      command: `npm run bench:cost -- --events ${events} --rate ${rate} --target-latency-ms ${targetLatencyMs}`,
      machine: { cpus: cpus().length, loadAverage1m: loadavg()[0] },
      settings: 'default (acme-orders: batch 10, maxConcurrency 5, 256 MB functions, target 50 req/s)',
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
      prices: AWS_PRICES,
      costPerMillion: { total: perMillion, lines: lineItems },
      aim: { perMillion: AIM_PER_MILLION, met: perMillion <= AIM_PER_MILLION },
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

    console.log(
      `\ncost per million webhooks, us-east-1 list prices (${events} events at ${rate}/s, target latency ${targetLatencyMs} ms)`,
    );
    for (const l of lineItems)
      console.log(`  $${l.perMillion.toFixed(3).padStart(7)}  ${l.line.padEnd(40)} ${l.detail}`);
    console.log(
      `  $${perMillion.toFixed(3).padStart(7)}  total (aim ≤ $${AIM_PER_MILLION.toFixed(2)}: ${result.aim.met ? 'met' : 'MISSED'}); largest: ${dominant?.line}`,
    );
    console.log('settings that move it (estimated from this run):');
    for (const m of moves)
      console.log(`  −$${m.savesPerMillion.toFixed(2).padStart(5)}  ${m.setting}: ${m.how}`);
    console.log('beside it (as published, check before quoting):');
    for (const a of ALTERNATIVES)
      console.log(`  $${a.perMillion.toFixed(2).padStart(7)}  ${a.name}: ${a.basis}`);
    console.log(
      'log bytes per event, by function and line (what the functions wrote; START/END/REPORT not included):',
    );
    for (const share of breakdown)
      console.log(
        `  ${(share.bytes / events).toFixed(0).padStart(5)} B  ${String(share.lines).padStart(5)} lines  ${share.fn.padEnd(12)} ${share.line.slice(0, 70)}`,
      );
    if (process.env.COST_SAMPLE_LINES)
      for (const inv of invocations.slice(0, Number(process.env.COST_SAMPLE_LINES))) console.log(inv.output);
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
