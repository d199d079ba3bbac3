/** Shared by the CLI tests: run the real CLI process against a test's sandbox, wait for conditions. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const ENTRY = join(ROOT, 'bin', 'hookyard.ts');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns `tsx bin/hookyard.ts <args> --state-dir <stateDir>` and waits for it. */
export function runCli(args: readonly string[], stateDir: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, stateDir);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += String(c);
    });
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function startCli(args: readonly string[], stateDir: string) {
  return spawn(TSX, [ENTRY, ...args, '--state-dir', stateDir], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: tsx runs the CLI in a child process, and a kill must reach both.
    detached: true,
  });
}

/** SIGKILL the CLI and tsx's child: no clean-up of any kind, as a crash would. */
export function killCli(child: ReturnType<typeof startCli>): void {
  if (child.pid) process.kill(-child.pid, 'SIGKILL');
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const ORDER = JSON.stringify({
  type: 'order.created',
  timestamp: '2026-11-20T10:00:05Z',
  data: {
    order_id: 'ord_1',
    created_at: 1763632800,
    updated_at: null,
    status: 'paid',
    currency: 'EUR',
    total_cents: 1000,
    tax_cents: null,
    customer: { id: 'cus_1', email: 'ada@example.com', name: null, phone: null },
    items: [{ sku: 'A', quantity: 1, unit_price_cents: 1000 }],
    note: null,
  },
});
