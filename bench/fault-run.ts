/**
 * A run against the sample target in fault mode: N signed webhooks into the sandbox while the target
 * fails a share of requests at random, and some events can never be mapped. Prints what became of
 * them: delivered (once each), retried, dead-lettered, lost, doubled. A measurement, not a test.
 *
 *   npm run -s bench:faults -- --events 300 --error-rate 0.3 --unmappable 0.1
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { signStandardWebhook } from '../functions/shared/signatures/index.js';
import { integrationView } from '../local/integration-view.js';
import { isolatedSandboxOptions, startSandbox, synthesizeLocal } from '../local/sandbox.js';
import type { SandboxPlan } from '../local/stack-template.js';
import { changeDeliverySettings } from './lib/delivery-settings.js';
import { depth as depthOf } from './lib/queues.js';

const SAMPLE_INTEGRATION = 'acme-orders';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300' },
    'error-rate': { type: 'string', default: '0.3' },
    unmappable: { type: 'string', default: '0.1' },
    'timeout-seconds': { type: 'string', default: '180' },
  },
});
const events = Number(values.events);
const errorRate = Number(values['error-rate']);
const unmappableShare = Number(values.unmappable);
const timeoutMs = Number(values['timeout-seconds']) * 1000;
if (!(events > 0 && errorRate >= 0 && errorRate < 1 && unmappableShare >= 0 && unmappableShare <= 1)) {
  console.error('fault-run: --events > 0, --error-rate in [0, 1), --unmappable in [0, 1]');
  process.exit(2);
}

const fixture = JSON.parse(
  readFileSync(
    new URL('../integrations/acme-orders/fixtures/order-created.in.json', import.meta.url),
    'utf8',
  ),
);
/** updated_at before created_at: the mapping throws MappingError, a permanent failure. */
const unmappable = JSON.stringify({
  ...fixture,
  data: { ...fixture.data, updated_at: fixture.data.created_at - 60 },
});
const mappable = JSON.stringify(fixture);

// Redeliveries after 1 s instead of 30 s, so the run takes a minute, not an hour; the breaker checks every second.
const quick = (plan: SandboxPlan): SandboxPlan =>
  changeDeliverySettings(plan, SAMPLE_INTEGRATION, (s) => ({
    ...s,
    redelivery: { ...s.redelivery, baseSeconds: 1 },
    circuit: { ...s.circuit, openSeconds: 5 },
  }));

const work = mkdtempSync(join(tmpdir(), 'hookyard-faults-'));
const lines: string[] = [];
try {
  await synthesizeLocal(join(work, 'cdk.out'));
  const sandbox = await startSandbox({
    ...isolatedSandboxOptions(join(work, 'state'), join(work, 'cdk.out')),
    scheduleIntervalMs: 1000,
    adjust: quick,
    log: (line) => lines.push(line),
  });
  const target = sandbox.sampleTarget;
  if (!target) throw new Error('the sandbox has no sample target');
  target.setFaults({ errorRate, latencyMs: 10 });
  const secret = sandbox.signingSecret(SAMPLE_INTEGRATION);
  const view = integrationView(sandbox.plan, SAMPLE_INTEGRATION);

  const expectedDead = new Set<string>();
  const started = Date.now();
  for (let i = 0; i < events; i++) {
    const id = `evt_fault_${i}`;
    const bad = i < Math.round(events * unmappableShare);
    const body = bad ? unmappable : mappable;
    const response = await fetch(`${sandbox.gatewayUrl}/webhooks/${SAMPLE_INTEGRATION}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signStandardWebhook(secret, { id, timestamp: new Date(), body }),
      },
      body,
    });
    if (response.status !== 202) throw new Error(`webhook ${id} answered ${response.status}`);
    if (bad) expectedDead.add(id);
  }

  const sqs = new SQSClient(sandbox.awsClientConfig(sandbox.sqsEndpoint));
  const depth = async (url: string) => {
    const d = await depthOf(sqs, url);
    return d.visible + d.inFlight;
  };
  const source = view.queue;
  const dlq = view.deadLetterQueue;
  const delivered = () => new Set(target.received().map((d) => d.idempotencyKey));
  // Done when every accepted event is either delivered or in the DLQ, and the source queue is empty.
  while (Date.now() - started < timeoutMs) {
    const settled = delivered().size + (await depth(dlq.url)) >= events;
    if (settled && (await depth(source.url)) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const elapsed = (Date.now() - started) / 1000;
  const stats = target.stats();
  const got = delivered();
  const count = (pattern: RegExp) => lines.filter((l) => pattern.test(l)).length;
  const dlqDepth = await depth(dlq.url);
  const sourceDepth = await depth(source.url);
  const lost = Math.max(0, events - got.size - dlqDepth - sourceDepth);
  const unmappableDelivered = [...expectedDead].filter((id) => got.has(id)).length;
  await sandbox.stop();

  console.log(
    `fault run: ${events} webhooks, target errorRate ${errorRate}, ${expectedDead.size} unmappable, ${elapsed.toFixed(1)} s`,
  );
  console.table({
    accepted: events,
    'delivered (unique at target)': got.size,
    'delivered twice at target': stats.duplicates,
    'target requests (incl. failures)': stats.received,
    'target answered 500 (injected)': stats.byStatus[500] ?? 0,
    'records retried (delivery failed; will retry)': count(/delivery failed; will retry/),
    'dead-lettered, all (DLQ depth)': dlqDepth,
    'dead-lettered at once (mapping error)': count(/event dead-lettered/),
    'dead-lettered after maxReceiveCount (retries exhausted)': dlqDepth - count(/event dead-lettered/),
    'still queued at the end': sourceDepth,
    'circuit opened': count(/circuit opened/),
    'lost (accepted, not delivered, not queued, not in DLQ)': lost,
  });
  const ok = lost === 0 && stats.duplicates === 0 && unmappableDelivered === 0;
  console.log(`verdict: nothing lost, nothing doubled, no unmappable event delivered: ${ok ? 'yes' : 'no'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
