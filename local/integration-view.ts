/**
 * One integration as the synthesized template declares it: its functions, queues, table, signing
 * secret, event source mapping and alarms. The one answer to "find integration X's ingest function"
 * for the sandbox, the benchmarks and the tests (the CLI reads the same facts from sandbox.json).
 * Functions are recognised by the variables their contract gives them (functions/shared/contract.ts).
 */
import { ENV } from '../functions/shared/contract.js';
import type {
  AlarmPlan,
  EventSourcePlan,
  FunctionPlan,
  QueuePlan,
  RoutePlan,
  SandboxPlan,
  SecretPlan,
  TablePlan,
} from './stack-template.js';

export interface IntegrationView {
  readonly name: string;
  /** The function behind `POST /webhooks/<name>`: it holds the signing secret. */
  readonly ingest: FunctionPlan;
  /** The queue's consumer: it holds the DLQ. */
  readonly transformer: FunctionPlan;
  /** The circuit breaker's scheduled function, when the integration has one. */
  readonly breaker?: FunctionPlan;
  readonly route?: RoutePlan;
  readonly queue: QueuePlan;
  readonly deadLetterQueue: QueuePlan;
  readonly table?: TablePlan;
  readonly signingSecret: SecretPlan;
  /** The transformer's event source mapping. */
  readonly eventSource?: EventSourcePlan;
  /** Alarms on any metric of this integration (its dimension, queues or functions). */
  readonly alarms: readonly AlarmPlan[];
}

/** The names of the integrations in the plan (those with an ingest function), in template order. */
export function integrationNames(plan: SandboxPlan): string[] {
  const names = plan.functions
    .filter((f) => f.environment[ENV.signingSecretId])
    .map((f) => f.environment[ENV.integration] ?? '');
  return [...new Set(names.filter(Boolean))];
}

/** The secret a function's `*_SECRET_ID` names (an ARN or a name). */
export function secretOf(plan: SandboxPlan, arnOrName: string): SecretPlan | undefined {
  return plan.secrets.find((s) => s.arn === arnOrName || s.name === arnOrName);
}

/** Integration `name` of the plan; throws, naming the known ones, when it has no such integration. */
export function integrationView(plan: SandboxPlan, name: string): IntegrationView {
  const own = plan.functions.filter((f) => f.environment[ENV.integration] === name);
  const withVar = (variable: string) => own.find((f) => f.environment[variable]);
  const ingest = withVar(ENV.signingSecretId);
  const transformer = withVar(ENV.deadLetterQueueUrl);
  const breaker = withVar(ENV.eventSourceMappingId);
  const queueAt = (url: string | undefined) => plan.queues.find((q) => q.url === url);
  const queue = queueAt(transformer?.environment[ENV.queueUrl]);
  const deadLetterQueue = queueAt(transformer?.environment[ENV.deadLetterQueueUrl]);
  const signingSecret = secretOf(plan, ingest?.environment[ENV.signingSecretId] ?? '');
  if (!ingest || !transformer || !queue || !deadLetterQueue || !signingSecret) {
    const known = integrationNames(plan);
    throw new Error(
      `no integration '${name}' in the sandbox (or it lacks an ingest function, transformer, queue, DLQ or signing secret); known: ${known.join(', ') || 'none'}`,
    );
  }
  const functionNames = new Set(own.map((f) => f.name));
  const queueNames = new Set([queue.name, deadLetterQueue.name]);
  const concerns = (alarm: AlarmPlan) =>
    alarm.metrics.some(
      (m) =>
        m.dimensions.integration === name ||
        queueNames.has(m.dimensions.QueueName ?? '') ||
        functionNames.has(m.dimensions.FunctionName ?? ''),
    );
  return {
    name,
    ingest,
    transformer,
    breaker,
    route: plan.routes.find((r) => r.functionLogicalId === ingest.logicalId),
    queue,
    deadLetterQueue,
    table: plan.tables.find((t) => t.name === transformer.environment[ENV.table]),
    signingSecret,
    eventSource: plan.eventSources.find((e) => e.functionLogicalId === transformer.logicalId),
    alarms: plan.alarms.filter(concerns),
  };
}
