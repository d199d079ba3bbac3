/** Runs one cold start in a fresh `node` process (bench/lib/cold-child.mjs) and reads its times. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./cold-child.mjs', import.meta.url));

export interface ColdSample {
  /** Node's start-up, before the bundle is imported. */
  readonly bootMs: number;
  readonly importMs: number;
  readonly firstCallMs: number;
  /** A second call in the same process: what the first call costs beyond it is lazy initialisation. */
  readonly warmCallMs: number;
  /** Spawn to exit, seen from outside. */
  readonly processMs: number;
  readonly status: number;
  readonly warmStatus: number;
  readonly body: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** `process.execPath` is the Node the npm script runs on (node_modules/.bin/node, Node 24). */
export function runColdProcess(
  bundle: string,
  events: readonly [first: unknown, warm: unknown],
  env: Readonly<Record<string, string>>,
  /** Node flags before the child script, e.g. `--cpu-prof` (profiling runs only: it slows the process). */
  nodeArgs: readonly string[] = [],
): Promise<ColdSample> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, CHILD, bundle, JSON.stringify(events)], {
      // Only what Lambda would set: the bench's own environment stays out.
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      err += String(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('COLD_RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`cold start process exited ${code}: ${err.trim() || out.trim()}`));
        return;
      }
      const sample = JSON.parse(line.slice('COLD_RESULT '.length)) as Omit<ColdSample, 'processMs'>;
      resolve({ ...sample, processMs: performance.now() - started });
    });
  });
}
