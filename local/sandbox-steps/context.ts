/** What every start-up step of the sandbox shares: where lines go, how to stop, local metrics. */
import type { MetricStore } from '../alarms.js';
import type { LocalCredentials } from '../aws-local.js';

/** Stop functions, run in reverse order of registration (last started, first stopped). */
export class Stoppers {
  private readonly stops: (() => Promise<unknown>)[] = [];

  add(stop: () => Promise<unknown>): void {
    this.stops.push(stop);
  }

  /** Runs every stop once; a failing stop does not keep the others from running. */
  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop().catch(() => undefined);
  }
}

export interface StepContext {
  readonly log: (line: string) => void;
  readonly stoppers: Stoppers;
  readonly metrics: MetricStore;
  /** The per-run token: the access key id of every local AWS endpoint, the sample target's admin token. */
  readonly token: string;
  readonly credentials: LocalCredentials;
}

/** Counts a failed invocation as Lambda's `Errors` metric would (alarms watch it). */
export function countFunctionError(ctx: StepContext, functionName: string): void {
  ctx.metrics.put('AWS/Lambda', 'Errors', { FunctionName: functionName }, 1, Date.now());
}
