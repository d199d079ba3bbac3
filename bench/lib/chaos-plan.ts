/** The chaos run's sandbox: its arguments and the plan changes it runs with. */

import { concurrencyForRate } from '../../integrations/resolve.js';
import { integrationView } from '../../local/integration-view.js';
import { SAMPLE_TARGET_BASE } from '../../local/sandbox-steps/sample-target.js';
import type { SandboxPlan } from '../../local/stack-template.js';
import { changeDeliverySettings } from './delivery-settings.js';

export interface ChaosSandboxArgs {
  readonly stateDir: string;
  readonly assemblyDir: string;
  readonly ports: {
    readonly gateway: number;
    readonly sqs: number;
    readonly dynamo: number;
    readonly secrets: number;
  };
  /** The parent's sample target, e.g. `http://127.0.0.1:4711`. */
  readonly targetBase: string;
  readonly integration: string;
  /** Requests/s the integration declares (and the parent's target enforces). */
  readonly rateLimitPerSecond: number;
  /** First redelivery delay; the synthesized 30 s would make a run take an hour. */
  readonly redeliveryBaseSeconds: number;
  /**
   * Shorter clocks for the small run inside `npm test` (a crash leaves messages in flight until
   * their visibility timeout): the source queue's visibility timeout, the transformer's timeout and
   * its per-attempt timeout. @default - as synthesized
   */
  readonly quick?: {
    readonly visibilityTimeoutSeconds: number;
    readonly functionTimeoutSeconds: number;
    readonly attemptTimeoutSeconds: number;
  };
}

/**
 * The plan pointed at a target outside the sandbox: the same rewrite the sandbox makes for its own
 * sample target (SAMPLE_TARGET_BASE → where it listens), done before the sandbox looks for one, so
 * it starts none.
 */
export function pointAtTarget(plan: SandboxPlan, targetBase: string): SandboxPlan {
  return {
    ...plan,
    functions: plan.functions.map((f) => ({
      ...f,
      environment: Object.fromEntries(
        Object.entries(f.environment).map(([k, v]) => [k, v.replaceAll(SAMPLE_TARGET_BASE, targetBase)]),
      ),
    })),
  };
}

/** The plan the chaos run's sandbox runs: external target, declared rate, quick redeliveries. */
export function chaosPlan(plan: SandboxPlan, args: ChaosSandboxArgs): SandboxPlan {
  const { quick } = args;
  const changed = changeDeliverySettings(pointAtTarget(plan, args.targetBase), args.integration, (s) => ({
    ...s,
    ...(quick ? { timeoutSeconds: quick.attemptTimeoutSeconds } : {}),
    rateLimitPerSecond: args.rateLimitPerSecond,
    redelivery: {
      baseSeconds: args.redeliveryBaseSeconds,
      capSeconds: Math.max(args.redeliveryBaseSeconds, Math.min(s.redelivery.capSeconds, 8)),
    },
    circuit: { ...s.circuit, openSeconds: Math.min(s.circuit.openSeconds, 5) },
  }));
  if (!quick) return changed;
  const { transformer, queue, eventSource } = integrationView(changed, args.integration);
  // The synthesized MaximumConcurrency is sized for the synthesized function timeout: with the quick
  // one, as many consumers would book the shared rate schedule further ahead than an invocation can
  // wait. Size it as the registry would have for this timeout.
  const fits = concurrencyForRate(
    args.rateLimitPerSecond,
    eventSource?.batchSize ?? 10,
    quick.functionTimeoutSeconds,
  );
  return {
    ...changed,
    eventSources: changed.eventSources.map((e) =>
      e === eventSource ? { ...e, maxConcurrency: Math.min(e.maxConcurrency, fits) } : e,
    ),
    functions: changed.functions.map((f) =>
      f === transformer ? { ...f, timeoutSeconds: quick.functionTimeoutSeconds } : f,
    ),
    queues: changed.queues.map((q) =>
      q.url === queue.url
        ? { ...q, attributes: { ...q.attributes, VisibilityTimeout: String(quick.visibilityTimeoutSeconds) } }
        : q,
    ),
  };
}
