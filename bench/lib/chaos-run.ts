/**
 * The chaos run: the sandbox in its own process group, the sample target (with its fault mix) here in
 * the parent so its ledger survives a crash, a partner posting signed events (10 % re-sent under the
 * same id) through a graceful restart and a crash, then a redrive of the transient DLQ messages with
 * the on-call core (ops/redrive.ts) and the verdict (chaos-core.ts). Bounded everywhere, loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MILESTONES } from '../../functions/shared/contract.js';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import type { SecretsFile } from '../../local/emulators/secrets-manager.js';
import type { Faults } from '../../local/sample-target/index.js';
import { startSampleTarget } from '../../local/sample-target/index.js';
import { PROJECT_ROOT } from '../../local/sandbox.js';
import { readSandboxInfo, type SandboxInfo } from '../../local/sandbox-info.js';
import { SAMPLE_TARGET_BASE, sampleTargetAuthOf } from '../../local/sandbox-steps/sample-target.js';
import { readCloudAssembly } from '../../local/stack-template.js';
import { peekDlq } from '../../ops/dlq.js';
import { parseSandboxLog, SANDBOX_LOG_FILE } from '../../ops/event-log.js';
import { redrive } from '../../ops/redrive.js';
import { integrationOf, localClients, localStage } from '../../ops/stage.js';
import {
  type ChaosLedger,
  type ChaosReport,
  type ChaosStop,
  chaosReport,
  type DlqEntry,
} from './chaos-core.js';
import type { ChaosSandboxArgs } from './chaos-plan.js';
import { depth, total } from './queues.js';

export const CHAOS_INTEGRATION = 'acme-orders';
const STACK_NAME = 'Hookyard-local';
const RUNNER = join(PROJECT_ROOT, 'bench', 'lib', 'chaos-sandbox-process.ts');

export interface ChaosOptions {
  /** Where state, logs and the cloud assembly go (synthesized beforehand: see `synthesizeLocal`). */
  readonly workDir: string;
  readonly assemblyDir: string;
  readonly events: number;
  /** Share of events the partner sends a second time under the same id. */
  readonly resendShare: number;
  readonly faults: Partial<Faults>;
  /** Requests/s the integration declares and the target enforces. */
  readonly rateLimitPerSecond: number;
  /** Webhooks/s the partner posts. */
  readonly postRatePerSecond: number;
  readonly quick?: ChaosSandboxArgs['quick'];
  /** Give up waiting for quiet after this long (each wait). */
  readonly quietTimeoutSeconds: number;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly report: ChaosReport;
  readonly ledger: ChaosLedger;
  readonly redriven: number;
  /** Where the sandbox's own log lines went. */
  readonly sandboxLog: string;
}

/** `promise`, or `fallback()` after `ms`; the timer never outlives the race (no dangling 3-minute waits). */
async function within<T>(promise: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((done) => {
    timer = setTimeout(() => done(fallback()), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

/** The sandbox as a child process in its own process group (so a crash can kill all of it). */
class SandboxProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    private readonly args: ChaosSandboxArgs,
    private readonly logFile: NodeJS.WritableStream,
  ) {}

  /** Starts it and resolves with sandbox.json once it says it is ready (bounded). */
  async start(timeoutMs = 180_000): Promise<SandboxInfo> {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, JSON.stringify(this.args)], {
      cwd: PROJECT_ROOT,
      detached: true, // its own process group: `kill(-pid)` reaches it and nothing else
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    child.stderr?.pipe(this.logFile, { end: false });
    const ready = new Promise<string>((done, fail) => {
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        this.logFile.write(chunk);
        buffered += chunk.toString('utf8');
        const line = /^ready (.+)$/m.exec(buffered);
        if (line?.[1]) done(line[1]);
        if (buffered.length > 65_536) buffered = buffered.slice(-1024);
      });
      child.once('exit', (code) => fail(new Error(`the sandbox exited (${code}) before it was ready`)));
    });
    const path = await within(ready, timeoutMs, () => '');
    if (path === '') {
      await this.kill();
      throw new Error(`the sandbox was not ready within ${timeoutMs / 1000} s`);
    }
    const info = readSandboxInfo(this.args.stateDir);
    if (!info) throw new Error('the sandbox said ready but wrote no sandbox.json');
    return info;
  }

  /** Ctrl-C: SIGINT to the group; in-flight batches finish. Resolves with whether it stopped in time. */
  async interrupt(timeoutMs = 120_000): Promise<boolean> {
    this.signal('SIGINT');
    const stopped = await within(
      this.exited?.then(() => true) ?? Promise.resolve(true),
      timeoutMs,
      () => false,
    );
    if (!stopped) await this.kill();
    return Boolean(stopped);
  }

  /** A crash: SIGKILL to the whole process group. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await within(this.exited ?? Promise.resolve(), 10_000, () => undefined);
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}

export function secretValue(file: string, name: string): string {
  const entry = (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SecretsFile) : {})[name];
  return typeof entry === 'string' ? entry : (entry?.current ?? '');
}

interface Partner {
  readonly accepted: Set<string>;
  readonly notAccepted: Set<string>;
  resent: number;
  posted: number;
  readonly done: Promise<void>;
}

/**
 * The partner: posts `events` signed webhooks at `rate`/s, and re-sends every 1/share-th one under the
 * same id a little later (a new signature: a new attempt). On a connection error or a 5xx it retries
 * the same request (same id, same signature) every 250 ms for up to 120 s, as real partners retry.
 */
function startPartner(
  webhookUrl: string,
  signingSecret: string,
  body: string,
  options: { events: number; resendShare: number; rate: number; stopped: AbortSignal },
): Partner {
  const partner: Partner = {
    accepted: new Set(),
    notAccepted: new Set(),
    resent: 0,
    posted: 0,
    done: Promise.resolve(),
  };
  const resendEvery = options.resendShare > 0 ? Math.round(1 / options.resendShare) : 0;
  const sends: { id: string; resend: boolean }[] = [];
  for (let i = 0; i < options.events; i++) {
    sends.push({ id: `evt_chaos_${i}`, resend: false });
    // A re-send of an event sent ~20 posts earlier.
    const earlier = i - 20;
    if (resendEvery > 0 && earlier >= 0 && earlier % resendEvery === 0)
      sends.push({ id: `evt_chaos_${earlier}`, resend: true });
  }
  const postOnce = async (id: string, resend: boolean) => {
    const headers = {
      'content-type': 'application/json',
      ...signStandardWebhook(signingSecret, { id, timestamp: new Date(), body }),
    };
    const giveUpAt = Date.now() + 120_000;
    for (let attempt = 0; Date.now() < giveUpAt && attempt < 600; attempt++) {
      const status = await fetch(webhookUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(15_000),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      if (status >= 200 && status < 300) {
        if (resend && partner.accepted.has(id)) partner.resent++;
        partner.accepted.add(id);
        partner.notAccepted.delete(id);
        return;
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) break; // refused: no retry
      await sleep(250);
    }
    if (!partner.accepted.has(id)) partner.notAccepted.add(id);
  };
  const gapMs = 1000 / options.rate;
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  const run = async () => {
    for (const [n, send] of sends.entries()) {
      if (options.stopped.aborted) break;
      const wait = started + n * gapMs - Date.now();
      if (wait > 0) await sleep(wait);
      // Bounded concurrency: while the sandbox is down, retrying posts pile up; hold new ones back.
      while (inFlight.size >= 64) await Promise.race(inFlight);
      partner.posted++;
      const p = postOnce(send.id, send.resend).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  };
  return Object.assign(partner, { done: run() });
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { log } = options;
  const stateDir = join(options.workDir, 'state');
  mkdirSync(stateDir, { recursive: true });
  const sandboxLog = join(options.workDir, 'sandbox.log');
  const logStream = createWriteStream(sandboxLog, { flags: 'a' });
  const targetPort = await freePort();
  const args: ChaosSandboxArgs = {
    stateDir,
    assemblyDir: options.assemblyDir,
    ports: {
      gateway: await freePort(),
      sqs: await freePort(),
      dynamo: await freePort(),
      secrets: await freePort(),
    },
    targetBase: `http://127.0.0.1:${targetPort}`,
    integration: CHAOS_INTEGRATION,
    rateLimitPerSecond: options.rateLimitPerSecond,
    redeliveryBaseSeconds: 1,
    ...(options.quick ? { quick: options.quick } : {}),
  };
  const sandbox = new SandboxProcess(args, logStream);
  const stopPartner = new AbortController();
  let target: Awaited<ReturnType<typeof startSampleTarget>> | undefined;
  try {
    log(`starting the sandbox (own process group, state ${stateDir})…`);
    let info = await sandbox.start();
    // The target's credentials are the transformer's target secret, which the first start generated.
    const plan = readCloudAssembly(options.assemblyDir, STACK_NAME, { sqs: info.endpoints.sqs });
    const auth = sampleTargetAuthOf(plan, (name) => secretValue(info.secretsFile, name));
    if (!auth) throw new Error(`no transformer delivers to the sample target (${SAMPLE_TARGET_BASE})`);
    target = await startSampleTarget({
      ...auth,
      port: targetPort,
      rateLimitPerSecond: options.rateLimitPerSecond,
      adminToken: randomBytes(24).toString('base64url'),
    });
    target.setFaults(options.faults);
    log(
      `sample target ${target.url}: ${options.rateLimitPerSecond}/s, faults ${JSON.stringify(options.faults)}`,
    );

    const integration = info.integrations.find((i) => i.name === CHAOS_INTEGRATION);
    if (!integration) throw new Error(`the sandbox has no ${CHAOS_INTEGRATION}`);
    const body = readFileSync(
      join(PROJECT_ROOT, 'integrations', CHAOS_INTEGRATION, 'fixtures', 'order-created.in.json'),
      'utf8',
    );
    const startedAt = Date.now();
    const partner = startPartner(
      integration.webhookUrl,
      secretValue(info.secretsFile, integration.signingSecretName),
      body,
      {
        events: options.events,
        resendShare: options.resendShare,
        rate: options.postRatePerSecond,
        stopped: stopPartner.signal,
      },
    );

    const stops: ChaosStop[] = [];
    const stopAt = async (share: number, kind: ChaosStop['kind']) => {
      const deadline = Date.now() + (options.events / options.postRatePerSecond) * 3000 + 60_000;
      while (partner.accepted.size < options.events * share && Date.now() < deadline) await sleep(100);
      const at = Date.now();
      log(`${kind} at ${partner.accepted.size} accepted…`);
      if (kind === 'crash') await sandbox.kill();
      else if (!(await sandbox.interrupt())) log('  the graceful stop took too long: killed');
      const restartedAt = Date.now();
      info = await sandbox.start();
      stops.push({ kind, at, restartedAt, upAgainAt: Date.now() });
      log(`  up again after ${((Date.now() - at) / 1000).toFixed(1)} s`);
    };
    await stopAt(1 / 3, 'graceful restart');
    await stopAt(2 / 3, 'crash');
    await partner.done;
    log(
      `partner done: ${partner.accepted.size} accepted, ${partner.resent} re-sent, ${partner.notAccepted.size} given up`,
    );

    const stage = localStage(info);
    const clients = localClients(info);
    const resources = integrationOf(stage, CHAOS_INTEGRATION);
    const settledWait = async (what: string) => {
      const deadline = Date.now() + options.quietTimeoutSeconds * 1000;
      let quietSince = 0;
      while (Date.now() < deadline) {
        const queued = total(await depth(clients.sqs, resources.queue.url));
        const dlq = total(await depth(clients.sqs, resources.deadLetterQueue.url));
        const delivered = target?.stats().delivered ?? 0;
        const settled = queued === 0 && delivered + dlq >= partner.accepted.size;
        quietSince = settled ? quietSince || Date.now() : 0;
        if (quietSince && Date.now() - quietSince >= 2000) return true;
        await sleep(1000);
      }
      log(`  not quiet within ${options.quietTimeoutSeconds} s (${what})`);
      return false;
    };
    log('waiting for quiet…');
    await settledWait('before the redrive');
    // Transient failures and receive-count exhaustion are worth another go; permanent ones stay.
    let redriven = 0;
    for (let round = 0; round < 3; round++) {
      const moved = await redrive(clients, stage, resources, {
        filter: { errorClass: 'transient' },
        holdSeconds: 30,
      });
      redriven += moved.moved;
      log(`redrive (error class transient): ${moved.moved} moved, ${moved.skipped} left (permanent)`);
      if (moved.moved === 0) break;
      await settledWait('after the redrive');
    }
    const drainedAt = Date.now();
    const peek = await peekDlq(clients.sqs, clients.dynamodb, {
      integration: CHAOS_INTEGRATION,
      dlqUrl: resources.deadLetterQueue.url,
      table: resources.table,
    });
    clients.destroy();
    // The sandbox's own log (timestamped, every start appended) says how often the ingest took each.
    const logText = readFileSync(join(stateDir, SANDBOX_LOG_FILE), 'utf8');
    const byEvent = new Map<string, DlqEntry>();
    for (const m of peek.messages) {
      const seen = byEvent.get(m.eventId);
      byEvent.set(m.eventId, {
        eventId: m.eventId,
        copies: (seen?.copies ?? 0) + 1,
        sentAt: [...(seen?.sentAt ?? []), m.sentAt].sort(),
        ingested:
          seen?.ingested ??
          parseSandboxLog(logText, m.eventId).filter((l) => l.message === MILESTONES.webhookAccepted).length,
        errorClass: m.errorClass,
        reason: m.reason,
        httpStatus: m.httpStatus,
      });
    }
    const ledger: ChaosLedger = {
      accepted: [...partner.accepted],
      notAccepted: [...partner.notAccepted],
      resent: partner.resent,
      delivered: target.received(),
      replays: target.replays(),
      permanentlyRefused: target.permanentlyRefusedKeys(),
      dlq: [...byEvent.values()],
      stops,
      startedAt,
      drainedAt,
    };
    return { report: chaosReport(ledger), ledger, redriven, sandboxLog };
  } finally {
    stopPartner.abort();
    await sandbox.interrupt(60_000).catch(() => undefined);
    await target?.stop();
    logStream.end();
  }
}
