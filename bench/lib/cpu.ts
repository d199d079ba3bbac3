/**
 * CPU per thread and for the whole machine, from /proc (Linux). Worker threads carry their Worker
 * `name`, truncated to 15 characters; `schedstat` says how long a thread ran and how long it was
 * runnable but waited for a core. Plus the process's CPU and memory, sampled while the run lasts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { depth, total } from './queues.js';

export const CORES = cpus().length;
export const SAMPLE_EVERY_MS = 500;

export type ThreadKind = 'main' | 'functions' | 'client' | 'v8 helpers' | 'libuv pool' | 'other';

export function threadKind(comm: string): ThreadKind {
  if (comm === 'MainThread') return 'main';
  if (comm.startsWith('lambda:')) return 'functions';
  if (comm.startsWith('bench-client')) return 'client';
  if (comm.startsWith('V8Worker')) return 'v8 helpers';
  if (comm.startsWith('libuv-worker')) return 'libuv pool';
  return 'other';
}

export interface ThreadTime {
  readonly kind: ThreadKind;
  readonly runNs: number;
  readonly waitNs: number;
}

/** Run and run-queue wait time per live thread id; empty where /proc has no schedstat. */
export function threadTimes(): Map<string, ThreadTime> {
  const threads = new Map<string, ThreadTime>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
      threads.set(tid, { kind: threadKind(comm), runNs: Number(run), waitNs: Number(wait) });
    } catch {
      // the thread ended while we looked, or no schedstat
    }
  }
  return threads;
}

export interface KindTime {
  readonly run: number;
  readonly wait: number;
  readonly threads: number;
}

/** Seconds run and waited per thread kind between two snapshots (threads that ended are not counted). */
export function timeByKind(
  before: Map<string, ThreadTime>,
  after: Map<string, ThreadTime>,
): Map<ThreadKind, KindTime> {
  const byKind = new Map<ThreadKind, KindTime>();
  for (const [tid, now] of after) {
    const then = before.get(tid);
    const entry = byKind.get(now.kind) ?? { run: 0, wait: 0, threads: 0 };
    byKind.set(now.kind, {
      run: entry.run + (now.runNs - (then?.runNs ?? 0)) / 1e9,
      wait: entry.wait + (now.waitNs - (then?.waitNs ?? 0)) / 1e9,
      threads: entry.threads + 1,
    });
  }
  return byKind;
}

/** Busy and total jiffies of all cores (every process on the machine), or undefined without /proc/stat. */
export function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
    return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
  } catch {
    return undefined;
  }
}

export interface Sample {
  readonly at: number;
  readonly cpuMicros: number;
  readonly rss: number;
  readonly heapUsed: number;
}

export class Sampler {
  readonly samples: Sample[] = [];
  maxBacklog = 0;
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(sqs: SQSClient, queueUrl: string) {
    const take = () => {
      const usage = process.resourceUsage();
      const memory = process.memoryUsage();
      this.samples.push({
        at: Date.now(),
        cpuMicros: usage.userCPUTime + usage.systemCPUTime,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
      });
      if (this.polling) return;
      this.polling = true;
      depth(sqs, queueUrl)
        .then((d) => {
          this.maxBacklog = Math.max(this.maxBacklog, total(d));
        })
        .catch(() => undefined)
        .finally(() => {
          this.polling = false;
        });
    };
    take();
    this.timer = setInterval(take, SAMPLE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The busiest sampling interval's CPU, as a share of all cores. */
  get peakCpuShare(): number {
    let peak = 0;
    for (let i = 1; i < this.samples.length; i++) {
      const [a, b] = [this.samples[i - 1], this.samples[i]] as [Sample, Sample];
      if (b.at - a.at >= SAMPLE_EVERY_MS / 2) {
        peak = Math.max(peak, (b.cpuMicros - a.cpuMicros) / 1000 / (b.at - a.at) / CORES);
      }
    }
    return peak;
  }

  get peakRss(): number {
    return Math.max(...this.samples.map((s) => s.rss));
  }

  get peakHeap(): number {
    return Math.max(...this.samples.map((s) => s.heapUsed));
  }
}
