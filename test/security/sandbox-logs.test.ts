/**
 * A small sandbox run with every function log line printed (`verbose`, log level DEBUG) through
 * accepted, rejected, delivered, failed-then-redelivered and dead-lettered events, and a token
 * revocation: its whole output, and the bundled code it ran, must hold none of the secrets in its
 * secrets file, none of the access tokens the sample target issued, and no credential-shaped string.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV, withDeliverySettings } from '../../functions/shared/contract.js';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import { sampleOrderBody } from '../../integrations/acme-orders/sample.js';
import { TokenIssuer } from '../../local/sample-target/core.js';
import { isolatedSandboxOptions, type Sandbox, startSandbox, synthesizeLocal } from '../../local/sandbox.js';
import type { SandboxPlan } from '../../local/stack-template.js';
import { type KnownSecret, scanForSecrets, secretValues } from './secret-scan.js';

const FORGING_SECRET = `whsec_${Buffer.from('not the partner secret, 24b').toString('base64')}`;
const order = (id: string) => sampleOrderBody(id);

let work: string;
let assemblyDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hookyard-secrets-'));
  assemblyDir = join(work, 'cdk.out');
  await synthesizeLocal(assemblyDir);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every function at DEBUG; the transformer redelivers a failed record at once instead of after 30 s. */
function loudAndQuick(plan: SandboxPlan): SandboxPlan {
  return {
    ...plan,
    functions: plan.functions.map((f) => {
      let environment: Record<string, string> = { ...f.environment, POWERTOOLS_LOG_LEVEL: 'DEBUG' };
      if (environment[ENV.deliverySettings]) {
        environment = withDeliverySettings(environment, (s) => ({
          ...s,
          redelivery: { ...s.redelivery, baseSeconds: 0 },
        }));
      }
      return { ...f, environment };
    }),
  };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function post(sandbox: Sandbox, body: string, headers: Record<string, string>) {
  const response = await fetch(`${sandbox.gatewayUrl}/webhooks/acme-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  await response.text();
  return response.status;
}

const signed = (secret: string, id: string, body: string) =>
  signStandardWebhook(secret, { id, timestamp: new Date(), body });

/** Text files of the bundled function code the sandbox ran (source maps left out: they hold comments). */
function bundleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name.startsWith('asset.') ? bundleFiles(path) : [];
    return /\.(m?js|cjs)$/.test(name) ? [path] : [];
  });
}

describe('the sandbox output', () => {
  it('holds no secret value, access token or credential-shaped string, through every outcome', async () => {
    // Prepare: remember every access token the sample target issues, and all output
    const issued: string[] = [];
    const issue = TokenIssuer.prototype.issue;
    const spy = vi.spyOn(TokenIssuer.prototype, 'issue').mockImplementation(function (this: TokenIssuer) {
      const token = issue.call(this);
      issued.push(token.accessToken);
      return token;
    });
    const output: string[] = [];
    // The sandbox's own lines come through `log`; anything else it or an emulator prints, through these.
    const writes = {
      out: process.stdout.write.bind(process.stdout),
      err: process.stderr.write.bind(process.stderr),
    };
    const capture =
      (write: typeof writes.out) =>
      (chunk: string | Uint8Array, ...rest: never[]): boolean => {
        output.push(String(chunk));
        return write(chunk, ...rest);
      };
    process.stdout.write = capture(writes.out) as typeof process.stdout.write;
    process.stderr.write = capture(writes.err) as typeof process.stderr.write;
    const sandbox = await startSandbox({
      ...isolatedSandboxOptions(join(work, 'state'), assemblyDir),
      verbose: true,
      alarmIntervalMs: 200,
      log: (line) => output.push(line),
      adjust: loudAndQuick,
    });
    const target = sandbox.sampleTarget;
    const secret = sandbox.signingSecret('acme-orders');
    const delivered = (id: string) => target?.received().some((d) => d.idempotencyKey === id) ?? false;
    const logged = (text: string, id: string) => output.some((l) => l.includes(text) && l.includes(id));
    try {
      // Act: accepted and delivered
      expect(await post(sandbox, order('o1'), signed(secret, 'evt_ok', order('o1')))).toBe(202);
      await waitFor('the first delivery', () => delivered('evt_ok'));
      // rejected: unsigned, forged with another secret, signed but not JSON, signed but not the schema
      expect(await post(sandbox, order('o2'), {})).toBe(401);
      expect(await post(sandbox, order('o2'), signed(FORGING_SECRET, 'evt_forged', order('o2')))).toBe(401);
      expect(await post(sandbox, '{"oops"', signed(secret, 'evt_not_json', '{"oops"'))).toBe(400);
      expect(await post(sandbox, '{"a":1}', signed(secret, 'evt_no_schema', '{"a":1}'))).toBe(400);
      // a revoked token: the transformer gets a 401, fetches a new one and delivers
      target?.revokeTokens();
      expect(await post(sandbox, order('o3'), signed(secret, 'evt_new_token', order('o3')))).toBe(202);
      await waitFor('the delivery with a new token', () => delivered('evt_new_token'));
      // failed (503), then redelivered and delivered
      target?.setFaults({ failKeys: ['evt_retry'] });
      expect(await post(sandbox, order('o4'), signed(secret, 'evt_retry', order('o4')))).toBe(202);
      await waitFor('a failed delivery', () => logged('delivery failed', 'evt_retry'));
      target?.setFaults({ failKeys: [] });
      await waitFor('the redelivery', () => delivered('evt_retry'));
      // dead-lettered: the target refuses it for good
      target?.setFaults({ status: 400 });
      expect(await post(sandbox, order('o5'), signed(secret, 'evt_dead', order('o5')))).toBe(202);
      await waitFor('the dead-lettering', () => logged('event dead-lettered', 'evt_dead'));
    } finally {
      await sandbox.stop();
      spy.mockRestore();
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }

    // Assess: what the scan looks for was there to find
    const secretsFile = JSON.parse(readFileSync(sandbox.secretsFile, 'utf8')) as Record<string, unknown>;
    const known: KnownSecret[] = [
      ...Object.entries(secretsFile).flatMap(([name, value]) => secretValues(name, value)),
      ...issued.map((value, i) => ({ name: `access token #${i + 1}`, value })),
    ];
    expect(known.map((k) => k.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/clientSecret$/), 'access token #2']),
    );
    expect(known.some((k) => k.value === secret)).toBe(true);
    for (const outcome of [
      'webhook accepted',
      'webhook rejected',
      'event delivered',
      'delivery failed',
      'event dead-lettered',
    ]) {
      expect(
        output.some((l) => l.includes(outcome)),
        outcome,
      ).toBe(true);
    }
    // Assess: none of it in the output, nor in the code the sandbox ran
    const log = output.join('\n');
    expect(scanForSecrets('sandbox output', log, known)).toEqual([]);
    for (const file of bundleFiles(assemblyDir)) {
      expect(scanForSecrets(file, readFileSync(file, 'utf8'), known)).toEqual([]);
    }
    // …and the same scan finds a secret planted deep inside a long line of that output
    const clientSecret = known.find((k) => k.name.endsWith('clientSecret'))?.value ?? '';
    const planted = `${log}\n[transformer] DEBUG token request ${'x'.repeat(300)}${clientSecret.slice(4)}`;
    expect(scanForSecrets('planted', planted, known).map((f) => f.what)).toEqual([
      expect.stringMatching(/^known secret: .*clientSecret$/),
    ]);
  }, 120_000);
});
