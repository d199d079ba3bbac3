/** The load client: signed webhooks posted at a fixed rate from a worker thread (load-client.mjs). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import type { SandboxIntegrationInfo } from '../../local/sandbox-info.js';

/** Standard Webhooks timestamps must be within 300 s of receipt; every request is signed up front. */
export const MAX_POSTING_SECONDS = 240;
const REQUEST_TIMEOUT_MS = 15_000;

export interface PostResult {
  readonly id: string;
  readonly sentAt: number;
  readonly lateMs: number;
  readonly latencyMs: number;
  readonly status: number | 'timeout' | 'error' | 'not-sent';
  readonly bodyOk: boolean;
}

export interface ClientRun {
  readonly results: PostResult[];
  readonly cpu: { user: number; system: number };
  readonly maxInFlight: number;
}

/** The integration's golden input fixtures (`integrations/<name>/fixtures/*.in.json`), as bodies. */
export function loadFixtures(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.in.json'))
    .sort();
  if (files.length === 0) throw new Error(`no fixtures (*.in.json) in ${dir}`);
  return files.map((f) => readFileSync(join(dir, f), 'utf8'));
}

export function runClient(
  integration: Pick<SandboxIntegrationInfo, 'webhookUrl'> & { readonly signingSecret: string },
  ids: readonly string[],
  fixtures: readonly string[],
  rate: number,
  concurrency: number,
): Promise<ClientRun> {
  const secret = integration.signingSecret;
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
  const worker = new Worker(new URL('../load-client.mjs', import.meta.url), {
    name: 'bench-client',
    workerData: {
      url: integration.webhookUrl,
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
