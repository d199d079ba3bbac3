/**
 * The sample target in a process of its own (target-process.ts), driven through its admin API: the
 * same calls a benchmark makes on an in-process SampleTarget.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Faults, ReceivedDelivery, TargetStats } from '../../local/sample-target/core.js';
import type { SampleTargetOptions } from '../../local/sample-target/index.js';
import { PROJECT_ROOT } from '../../local/sandbox.js';

export class RemoteTarget {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly adminToken: string,
  ) {}

  static async start(options: Omit<SampleTargetOptions, 'adminToken'>): Promise<RemoteTarget> {
    const adminToken = randomBytes(24).toString('base64url');
    const child = spawn(
      process.execPath,
      [...process.execArgv, 'bench/lib/target-process.ts', JSON.stringify({ ...options, adminToken })],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        if (line.startsWith('ready ')) resolve(line.slice('ready '.length));
      });
      child.once('exit', (code) =>
        reject(new Error(`the target process exited (${code}) before it was ready`)),
      );
    });
    return new RemoteTarget(child, url, adminToken);
  }

  stats(): Promise<TargetStats> {
    return this.admin('GET', 'stats') as Promise<TargetStats>;
  }

  received(): Promise<readonly ReceivedDelivery[]> {
    return this.admin('GET', 'received') as Promise<readonly ReceivedDelivery[]>;
  }

  arrivals(): Promise<readonly number[]> {
    return this.admin('GET', 'arrivals') as Promise<readonly number[]>;
  }

  async reset(): Promise<void> {
    await this.admin('POST', 'reset');
  }

  async setFaults(faults: Partial<Faults>): Promise<void> {
    await this.admin('POST', 'faults', faults);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}/_admin/${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
    if (!response.ok) throw new Error(`target admin ${method} ${path}: ${response.status}`);
    return response.json();
  }
}
