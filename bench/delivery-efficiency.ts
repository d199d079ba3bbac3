/**
 * `npm run bench:efficiency -- [--events N] [--label after]`: how much of the target's declared rate
 * the sandbox really uses, with a healthy target and with an imperfect one (issue 11): 20 % 503,
 * 5 % 429 (`Retry-After: 1`), 2 % slower than the 10 s attempt timeout, 1 % permanent 400.
 *
 * One sandbox (the synthesized local stage, default delivery settings, the sample target enforcing the
 * declared rate), per scenario: N signed webhooks posted at twice the declared rate so the queue never
 * runs dry, then a bounded drain. Prints, and writes to bench/results/delivery-efficiency.json under
 * `--label`: sustained unique deliveries/s ÷ declared rate (10th–90th percentile of delivery times),
 * and the guarantees — the target's peak requests in any second vs declared, 429s from its own rate
 * limit, duplicates, DLQ vs permanently refused keys, lost. A measurement: exits non-zero only when a
 * guarantee broke or the run itself failed. Everything shares this process and the machine's cores.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { acmeOrders } from '../integrations/acme-orders/index.js';
import { integrationView } from '../local/integration-view.js';
import {
  isolatedSandboxOptions,
  PROJECT_ROOT,
  type Sandbox,
  startSandbox,
  synthesizeLocal,
} from '../local/sandbox.js';
import { sampleTargetAuthOf } from '../local/sandbox-steps/sample-target.js';
import type { SandboxPlan } from '../local/stack-template.js';
import { pointAtTarget } from './lib/chaos-plan.js';
import { freePort, secretValue } from './lib/chaos-run.js';
import { deliverySettingsOf } from './lib/delivery-settings.js';
import {
  brokenGuarantees,
  lostCount,
  type ScenarioFigures,
  sustainedPerSecond,
  sustainedRequestsPerSecond,
} from './lib/efficiency-figures.js';
import { loadFixtures, runClient } from './lib/load-client.js';
import { LogCapture } from './lib/log-capture.js';
import { depth, total, waitUntil } from './lib/queues.js';
import { RemoteTarget } from './lib/remote-target.js';
import { pct } from './lib/stats.js';

const SAMPLE_INTEGRATION = acmeOrders.name;
const RESULTS = join(PROJECT_ROOT, 'bench', 'results', 'delivery-efficiency.json');
/** The imperfect target of issue 11. */
const FAULT_MIX = {
  mix: { '503': 0.2, '429': 0.05, slow: 0.02, '400': 0.01 },
  retryAfterSeconds: 1,
  slowMs: 11_000,
} as const;
const SCENARIOS = ['healthy', 'fault-mix'] as const;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '3000' },
    'post-factor': { type: 'string', default: '2' },
    'drain-timeout': { type: 'string', default: '240' },
    scenario: { type: 'string', default: 'all' },
    label: { type: 'string', default: 'latest' },
    'no-write': { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const postFactor = Number(values['post-factor']);
const drainTimeoutSeconds = Number(values['drain-timeout']);
const scenarios = values.scenario === 'all' ? SCENARIOS : SCENARIOS.filter((s) => s === values.scenario);
if (
  !(
    Number.isInteger(events) &&
    events >= 50 &&
    postFactor >= 1 &&
    drainTimeoutSeconds > 0 &&
    scenarios.length
  )
) {
  console.error(
    'usage: npm run bench:efficiency -- [--events N≥50] [--post-factor F≥1] [--drain-timeout S]\n' +
      '                                  [--scenario all|healthy|fault-mix] [--label NAME] [--no-write]',
  );
  process.exit(2);
}

async function runScenario(
  sandbox: Sandbox,
  target: RemoteTarget,
  sqs: SQSClient,
  scenario: (typeof SCENARIOS)[number],
): Promise<ScenarioFigures> {
  const info = sandbox.info.integrations.find((i) => i.name === SAMPLE_INTEGRATION);
  if (!info) throw new Error(`the sandbox has no ${SAMPLE_INTEGRATION}`);
  const declaredRate = (await target.stats()).rateLimitPerSecond;
  if (declaredRate === null) throw new Error('the sample target enforces no rate');
  await target.reset();
  if (scenario === 'fault-mix') await target.setFaults(FAULT_MIX);
  const fixtures = loadFixtures(join(PROJECT_ROOT, 'integrations', SAMPLE_INTEGRATION, 'fixtures'));
  const runId = `${scenario}_${Date.now().toString(36)}`;
  const ids = Array.from({ length: events }, (_, i) => `eff_${runId}_${i}`);
  const client = { webhookUrl: info.webhookUrl, signingSecret: sandbox.signingSecret(SAMPLE_INTEGRATION) };

  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  const posted = await runClient(client, ids, fixtures, declaredRate * postFactor, 32);
  const accepted = new Set(posted.results.filter((r) => r.status === 202).map((r) => r.id));
  const deadLetters = async () => total(await depth(sqs, info.deadLetterQueue.url));
  // Quiet: every accepted event delivered or dead-lettered, and the source queue empty.
  await waitUntil(
    async () =>
      (await target.stats()).delivered + (await deadLetters()) >= accepted.size &&
      total(await depth(sqs, info.queue.url)) === 0,
    Date.now() + drainTimeoutSeconds * 1000,
    500,
  );
  const drainSeconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const stats = await target.stats();
  const deliveredAt = (await target.received())
    .filter((d) => accepted.has(d.idempotencyKey))
    .map((d) => Date.parse(d.receivedAt));
  const sustained = sustainedPerSecond(deliveredAt);
  const arrivalTimes = await target.arrivals();
  const requestsPerSecond = sustainedRequestsPerSecond(deliveredAt, arrivalTimes);
  const counts = {
    accepted: accepted.size,
    uniqueDelivered: stats.delivered,
    deadLettered: await deadLetters(),
    stillQueued: total(await depth(sqs, info.queue.url)),
  };
  return {
    scenario,
    ...counts,
    sustainedPerSecond: round(sustained),
    declaredRate,
    efficiency: round(sustained / declaredRate, 3),
    sustainedRequestsPerSecond: round(requestsPerSecond),
    rateUsed: round(requestsPerSecond / declaredRate, 3),
    maxRequestsPerSecond: stats.maxRequestsPerSecond,
    rateLimited429: stats.rateLimited,
    injected429: (stats.byStatus['429'] ?? 0) - stats.rateLimited,
    duplicates: stats.duplicates,
    permanentlyRefused: stats.permanentlyRefused,
    lost: lostCount(counts),
    targetRequests: stats.received,
    drainSeconds: round(drainSeconds),
    cpuOfOneCore: round((cpu.user + cpu.system) / 1e6 / drainSeconds, 3),
  };
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

const work = mkdtempSync(join(tmpdir(), 'hookyard-efficiency-'));
const capture = new LogCapture();
let sandbox: Sandbox | undefined;
let target: RemoteTarget | undefined;
let exitCode = 0;
try {
  await synthesizeLocal(join(work, 'cdk.out'));
  // The target runs in a process of its own, as a real one runs on another machine: the sandbox's
  // emulators stall their event loop under load and would bunch the arrivals its rate limit counts.
  const targetPort = await freePort();
  let synthesized: SandboxPlan | undefined;
  sandbox = await startSandbox({
    ...isolatedSandboxOptions(join(work, 'state'), join(work, 'cdk.out')),
    adjust: (plan) => {
      synthesized = plan;
      return pointAtTarget(plan, `http://127.0.0.1:${targetPort}`);
    },
    log: capture.log,
  });
  const { secretsFile } = sandbox.info;
  const auth = synthesized && sampleTargetAuthOf(synthesized, (name) => secretValue(secretsFile, name));
  if (!auth) throw new Error(`no transformer delivers to the sample target`);
  // It enforces what acme-orders declares (not the sum of every integration delivering to it).
  target = await RemoteTarget.start({
    ...auth,
    port: targetPort,
    rateLimitPerSecond: acmeOrders.target.rateLimitPerSecond,
  });
  const view = integrationView(sandbox.plan, SAMPLE_INTEGRATION);
  const settings = deliverySettingsOf(view.transformer);
  const sqs = new SQSClient(sandbox.awsClientConfig(sandbox.sqsEndpoint));
  const figures: ScenarioFigures[] = [];
  for (const scenario of scenarios) {
    const f = await runScenario(sandbox, target, sqs, scenario);
    figures.push(f);
    console.log(
      `${scenario}: ${f.sustainedPerSecond} delivered/s sustained of ${f.declaredRate} declared = ${pct(f.efficiency)}; ` +
        `${f.sustainedRequestsPerSecond} requests/s = ${pct(f.rateUsed)} of the rate used`,
    );
  }
  sqs.destroy();
  console.table(Object.fromEntries(figures.map((f) => [f.scenario, { ...f, scenario: undefined }])));
  const broken = figures.flatMap(brokenGuarantees);
  for (const line of broken) console.error(`guarantee broken: ${line}`);
  exitCode = broken.length > 0 ? 1 : 0;
  if (!values['no-write']) {
    let previous: { runs?: Record<string, unknown> } = {};
    try {
      previous = JSON.parse(readFileSync(RESULTS, 'utf8'));
    } catch {
      previous = {};
    }
    const run = {
      command: `npm run bench:efficiency -- ${process.argv.slice(2).join(' ')}`.trim(),
      at: new Date().toISOString(),
      machine: { cores: cpus().length, node: process.version },
      events,
      postRate: (figures[0]?.declaredRate ?? 0) * postFactor,
      settings: settings && {
        maxConcurrency: view.eventSource?.maxConcurrency,
        batchSize: view.eventSource?.batchSize,
        // Runs before the 1 s default were measured with no batching window (0)
        maxBatchingWindowSeconds: view.eventSource?.maxBatchingWindowSeconds,
        timeoutSeconds: settings.timeoutSeconds,
        maxAttemptsPerReceive: settings.maxAttemptsPerReceive,
        redelivery: settings.redelivery,
      },
      scenarios: figures,
    };
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ ...previous, runs: { ...previous.runs, [String(values.label)]: run } }, null, 2)}\n`,
    );
    console.log(`written to ${RESULTS} as "${values.label}"`);
  }
} catch (error) {
  console.error('bench:efficiency failed:', error);
  for (const problem of capture.problems.slice(-20)) console.error(problem);
  exitCode = 1;
} finally {
  await sandbox?.stop().catch(() => undefined);
  await target?.stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
