/**
 * The on-call tools against a real sandbox (the synthesized stack on the emulators): the `ops/` core
 * functions and the real CLI process (`tsx bin/hookyard.ts … --state-dir <the test's sandbox>`).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, withDeliverySettings } from '../../functions/shared/contract.js';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import { isolatedSandboxOptions, type Sandbox, startSandbox, synthesizeLocal } from '../../local/sandbox.js';
import { readSandboxInfo } from '../../local/sandbox-info.js';
import type { SandboxPlan } from '../../local/stack-template.js';
import { peekDlq } from '../../ops/dlq.js';
import { traceEvent } from '../../ops/event.js';
import { teeSandboxLog } from '../../ops/event-log.js';
import { integrationOf, localClients, localStage, type Stage, type StageClients } from '../../ops/stage.js';
import { integrationStatus } from '../../ops/status.js';
import { killCli, ORDER, runCli, startCli, waitFor } from './support.js';

const NAME = 'acme-orders';
let work: string;
let stateDir: string;
let sandbox: Sandbox;
let stage: Stage;
let clients: StageClients;

/** Retries come back after 1 s instead of 30 s × 2^n, so a retried event settles within the test. */
function quickRetries(plan: SandboxPlan): SandboxPlan {
  return {
    ...plan,
    functions: plan.functions.map((f) => {
      if (!f.environment[ENV.deadLetterQueueUrl]) return f;
      let env: Record<string, string> = {
        ...f.environment,
        REDELIVERY_BASE_SECONDS: '1',
        REDELIVERY_CAP_SECONDS: '1',
      };
      if (env[ENV.deliverySettings])
        env = withDeliverySettings(env, (s) => ({ ...s, redelivery: { baseSeconds: 1, capSeconds: 1 } }));
      return { ...f, environment: env };
    }),
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hookyard-cli-'));
  const assemblyDir = join(work, 'cdk.out');
  await synthesizeLocal(assemblyDir);
  stateDir = join(work, 'state');
  const lines: string[] = [];
  sandbox = await startSandbox({
    ...isolatedSandboxOptions(stateDir, assemblyDir),
    alarmIntervalMs: 200,
    adjust: quickRetries,
    log: teeSandboxLog(stateDir, (line) => lines.push(line)),
  });
  const info = readSandboxInfo(stateDir);
  if (!info) throw new Error('the sandbox wrote no sandbox.json');
  stage = localStage(info);
  clients = localClients(info);
}, 180_000);

afterAll(async () => {
  clients?.destroy();
  await sandbox?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function post(eventId: string) {
  const headers = signStandardWebhook(sandbox.signingSecret(NAME), {
    id: eventId,
    timestamp: new Date(),
    body: ORDER,
  });
  const response = await fetch(`${sandbox.gatewayUrl}/webhooks/${NAME}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: ORDER,
  });
  expect(response.status).toBe(202);
}

const deliveries = (eventId: string) =>
  sandbox.sampleTarget?.received().filter((d) => d.idempotencyKey === eventId).length ?? 0;
const target = () => sandbox.sampleTarget as NonNullable<Sandbox['sampleTarget']>;
const integration = () => integrationOf(stage, NAME);
const dlqTarget = () => ({
  integration: NAME,
  dlqUrl: integration().deadLetterQueue.url,
  table: integration().table,
});
const dlqIds = async () =>
  (await peekDlq(clients.sqs, clients.dynamodb, dlqTarget(), { holdSeconds: 5 })).messages;

/** Posts events while the target answers 400 (a permanent failure) and waits until all are dead-lettered. */
async function deadLetter(eventIds: readonly string[]) {
  target().setFaults({ status: 400 });
  try {
    for (const id of eventIds) await post(id);
    await waitFor(async () => {
      const inDlq = new Set((await dlqIds()).map((m) => m.eventId));
      return eventIds.every((id) => inDlq.has(id));
    }, `${eventIds.length} events in the DLQ`);
  } finally {
    target().setFaults({ status: null });
  }
}

const json = <T>(text: string) => JSON.parse(text) as T;

// Integration tests on a shared 2-core machine: generous timeouts, no timing asserted.
const SLOW = 120_000;

describe('hookyard against the sandbox', () => {
  it(
    'finds a permanent failure (dlq ls), explains it (dlq show), moves it (redrive --reason) and it is delivered once',
    async () => {
      // Prepare
      await deadLetter(['evt_cli_perm']);

      // Act: dlq ls
      const ls = await runCli(['dlq', 'ls', NAME, '--json'], stateDir);
      // Assess
      expect(ls.code).toBe(0);
      const listed = json<{
        events: { eventId: string; errorClass: string; httpStatus: number; reason: string; count: number }[];
      }>(ls.stdout).events.find((e) => e.eventId === 'evt_cli_perm');
      expect(listed).toMatchObject({ errorClass: 'permanent', httpStatus: 400, count: 1 });
      expect(listed?.reason).toContain('target-rejected');

      // Act: dlq show
      const show = await runCli(['dlq', 'show', NAME, 'evt_cli_perm', '--json'], stateDir);
      // Assess: reason, status, attempts and the mapped body
      expect(show.code).toBe(0);
      const details = json<{
        dlq: { httpStatus: number; attempts: number; reason: string }[];
        failure: { status: number; errorClass: string };
        mapped: { ok: boolean; body: Record<string, unknown> };
      }>(show.stdout);
      expect(details.dlq[0]).toMatchObject({ httpStatus: 400 });
      expect(details.dlq[0]?.attempts).toBeGreaterThanOrEqual(1);
      expect(details.failure).toMatchObject({ status: 400, errorClass: 'permanent' });
      expect(details.mapped.ok).toBe(true);
      expect(JSON.stringify(details.mapped.body)).toContain('ord_1');

      // Act: redrive by reason
      const moved = await runCli(
        ['redrive', NAME, '--reason', 'target-rejected', '--ids', 'evt_cli_perm', '--json'],
        stateDir,
      );
      // Assess: moved, delivered once, the DLQ no longer has it, an audit line
      expect(moved.code).toBe(0);
      expect(json<{ moved: number; failed: number }>(moved.stdout)).toMatchObject({ moved: 1, failed: 0 });
      await waitFor(() => deliveries('evt_cli_perm') === 1, 'the redriven delivery');
      expect((await dlqIds()).some((m) => m.eventId === 'evt_cli_perm')).toBe(false);
      const audit = readFileSync(join(stateDir, 'audit.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(audit.at(-1)).toMatchObject({
        audit: 'redrive',
        integration: NAME,
        moved: 1,
        filter: { ids: ['evt_cli_perm'] },
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(deliveries('evt_cli_perm')).toBe(1);
    },
    SLOW,
  );

  it(
    '--dry-run changes nothing: DLQ depth and message ids stay',
    async () => {
      // Prepare
      await deadLetter(['evt_cli_dry_1', 'evt_cli_dry_2']);
      const before = (await dlqIds()).map((m) => m.messageId).sort();
      // Act
      const run = await runCli(['redrive', NAME, '--reason', 'target-rejected', '--dry-run'], stateDir);
      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/would move \d+ message/);
      expect(run.stderr).toContain('nothing moved');
      const after = (await dlqIds()).map((m) => m.messageId).sort();
      expect(after).toEqual(before);
      expect(deliveries('evt_cli_dry_1') + deliveries('evt_cli_dry_2')).toBe(0);
      // Clean up for the next tests: move them back (delivered once each).
      expect((await runCli(['redrive', NAME, '--ids', 'evt_cli_dry_1,evt_cli_dry_2'], stateDir)).code).toBe(
        0,
      );
      await waitFor(
        () => deliveries('evt_cli_dry_1') === 1 && deliveries('evt_cli_dry_2') === 1,
        'both delivered',
      );
    },
    SLOW,
  );

  it(
    'a redrive killed half-way loses nothing, and a second redrive delivers each event once',
    async () => {
      // Prepare
      const ids = Array.from({ length: 8 }, (_, i) => `evt_cli_kill_${i}`);
      await deadLetter(ids);
      // Act: a slow redrive, killed (SIGKILL: no clean-up at all) once it has moved some
      const child = startCli(
        ['redrive', NAME, '--ids', ids.join(','), '--rate', '1/s', '--hold-seconds', '2'],
        stateDir,
      );
      const exited = new Promise((resolve) => child.on('close', resolve));
      await waitFor(() => ids.some((id) => deliveries(id) > 0), 'a first redriven delivery');
      killCli(child);
      await exited;
      const deliveredBeforeSecondRun = ids.filter((id) => deliveries(id) > 0).length;
      // Messages the killed run held come back after its hold (2 s).
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const second = await runCli(['redrive', NAME, '--ids', ids.join(','), '--json'], stateDir);
      // Assess
      expect(deliveredBeforeSecondRun).toBeLessThan(ids.length);
      expect(second.code).toBe(0);
      await waitFor(() => ids.every((id) => deliveries(id) >= 1), 'every event delivered');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(ids.map(deliveries)).toEqual(ids.map(() => 1));
      const left = (await dlqIds()).filter((m) => ids.includes(m.eventId));
      expect(left).toEqual([]);
    },
    SLOW,
  );

  it(
    'trace tells the story of a delivered, a retried and a dead-lettered event',
    async () => {
      // Prepare: delivered
      await post('evt_cli_trace_ok');
      await waitFor(() => deliveries('evt_cli_trace_ok') === 1, 'the delivery');
      // Prepare: retried (503 for this key until the fault is lifted)
      target().setFaults({ failKeys: ['evt_cli_trace_retry'] });
      await post('evt_cli_trace_retry');
      // Keep the trace that showed it retrying: a second read may find the next attempt in progress.
      let retrying: Awaited<ReturnType<typeof traceEvent>> | undefined;
      await waitFor(async () => {
        retrying = await traceEvent(clients, stage, integration(), 'evt_cli_trace_retry');
        return retrying.outcome === 'retrying' && retrying.steps.some((s) => s.state === 'attempt');
      }, 'a failed attempt');
      target().setFaults({ failKeys: [] });
      await waitFor(() => deliveries('evt_cli_trace_retry') === 1, 'the retried delivery');
      // Prepare: dead-lettered
      await deadLetter(['evt_cli_trace_dead']);

      // Act (one at a time: each trace peeks the DLQ, and a peek hides messages from other readers)
      const ok = await runCli(['trace', 'evt_cli_trace_ok', '--integration', NAME, '--json'], stateDir);
      const retried = await runCli(
        ['trace', 'evt_cli_trace_retry', '--integration', NAME, '--json'],
        stateDir,
      );
      const dead = await runCli(['trace', 'evt_cli_trace_dead', '--integration', NAME, '--json'], stateDir);
      // Assess
      type T = { outcome: string; steps: { state: string; detail: string }[]; next: string };
      const states = (t: T) => t.steps.map((s) => s.state);
      const okTrace = json<T>(ok?.stdout ?? '');
      expect(okTrace.outcome).toBe('delivered');
      expect(states(okTrace)).toEqual(expect.arrayContaining(['accepted', 'delivered']));

      expect(retrying?.outcome).toBe('retrying');
      expect(retrying?.steps.some((s) => s.state === 'attempt' && s.detail.includes('503'))).toBe(true);
      const retriedTrace = json<T>(retried?.stdout ?? '');
      expect(retriedTrace.outcome).toBe('delivered');
      const order = states(retriedTrace);
      expect(order.indexOf('accepted')).toBeLessThan(order.indexOf('attempt'));
      expect(order.indexOf('attempt')).toBeLessThan(order.lastIndexOf('delivered'));

      const deadTrace = json<T>(dead?.stdout ?? '');
      expect(dead?.code).toBe(0);
      expect(deadTrace.outcome).toBe('dead-lettered');
      expect(states(deadTrace)).toEqual(expect.arrayContaining(['accepted', 'dead-lettered']));
      expect(deadTrace.next).toContain('redrive acme-orders --ids evt_cli_trace_dead');
    },
    SLOW,
  );

  it(
    'pause stops consumption (the queue grows, the target count stays) and the breaker does not resume it; resume drains',
    async () => {
      // Act: pause
      const paused = await runCli(['pause', NAME], stateDir);
      expect(paused.code).toBe(0);
      // A receive already under way when the mapping is disabled may still take a message (AWS's
      // "Disabling" state); the local poller's receives last 1 s.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const deliveredBefore = target().stats().delivered;
      const queuedBefore = (await integrationStatus(clients, integration())).queue.visible;
      const ids = ['evt_cli_pause_1', 'evt_cli_pause_2', 'evt_cli_pause_3'];
      for (const id of ids) await post(id);
      await sandbox.runSchedules(); // the circuit breaker's check must leave a paused mapping alone
      await waitFor(
        async () =>
          (await integrationStatus(clients, integration())).queue.visible >= queuedBefore + ids.length,
        'the queue to hold the events',
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Assess: paused
      const status = json<{
        integrations: { paused?: unknown; consumption: string; queue: { visible: number } }[];
      }>((await runCli(['status', NAME, '--json'], stateDir)).stdout).integrations[0];
      expect(status?.paused).toBeDefined();
      expect(status?.consumption).toBe('Disabled');
      expect(status?.queue.visible).toBe(queuedBefore + ids.length);
      expect(target().stats().delivered).toBe(deliveredBefore);

      // Act: resume
      const resumed = await runCli(['resume', NAME], stateDir);
      // Assess: drained
      expect(resumed.code).toBe(0);
      await waitFor(() => ids.every((id) => deliveries(id) === 1), 'the queue to drain');
      expect((await integrationStatus(clients, integration())).paused).toBeUndefined();
    },
    SLOW,
  );

  it(
    'status shows depths, alarm states (from the local CloudWatch endpoint), circuit and consumption',
    async () => {
      // Act
      const run = await runCli(['status'], stateDir);
      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(NAME);
      expect(run.stdout).toMatch(/OK|ALARM/);
      expect(run.stdout).toContain('hookyard-local-acme-orders-dlq-not-empty');
      expect(run.stdout).toContain('Enabled');
    },
    SLOW,
  );

  it(
    'every command gives exit 2 and one line for bad arguments',
    async () => {
      const cases = [
        ['dlq', 'ls'],
        ['dlq', 'show', NAME],
        ['dlq', 'ls', 'no-such-integration'],
        ['redrive', NAME, '--status', '7xx'],
        ['redrive', NAME, '--since', 'yesterday'],
        ['redrive', NAME, '--rate', 'fast'],
        ['redrive', 'no-such-integration', '--dry-run'],
        ['trace'],
        ['status', '--bogus'],
        ['pause'],
        ['resume', 'no-such-integration'],
        ['send', NAME, '--times', '0'],
        ['dev', '--port', 'x'],
        ['frobnicate'],
      ];
      const runs = await Promise.all(cases.map((args) => runCli(args, stateDir)));
      for (const [i, run] of runs.entries()) {
        const args = cases[i]?.join(' ');
        expect({ args, code: run.code }).toEqual({ args, code: 2 });
        expect({ args, lines: run.stderr.trim().split('\n').length }).toEqual({ args, lines: 1 });
        expect(run.stderr).toMatch(/^hookyard: /);
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
    },
    SLOW,
  );

  it('writes sandbox.json readable only by its owner', () => {
    expect(statSync(join(stateDir, 'sandbox.json')).mode & 0o777).toBe(0o600);
  });
});
