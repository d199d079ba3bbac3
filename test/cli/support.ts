/** Shared by the CLI tests: run the real CLI process against a test's sandbox, wait for conditions. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleOrderBody } from '../../integrations/acme-orders/sample.js';

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

export const ORDER = sampleOrderBody();
