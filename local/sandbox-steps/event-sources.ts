/**
 * Step 4 and 6: the local Lambda API (Invoke, Get/UpdateEventSourceMapping, for the breaker and the
 * CLI), then the event source mappings it switches: SQS pollers feeding the functions.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { localArn } from '../aws-local.js';
import { type LambdaApiEmulator, startLambdaApiEmulator } from '../emulators/lambda-api.js';
import { shortFunctionName } from '../function-logs.js';
import { type SqsEventSource, startSqsEventSource } from '../runtime/sqs-event-source.js';
import type { SandboxPlan } from '../stack-template.js';
import { countFunctionError, type StepContext } from './context.js';
import { functionAt, type LocalFunctions } from './functions.js';

/** An event source mapping that can be disabled and enabled again, like Lambda's. */
export class SwitchableEventSource {
  describe = '';
  start: (() => SqsEventSource) | undefined;
  private running: SqsEventSource | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly uuid: string,
    public enabled: boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** Like UpdateEventSourceMapping: answers at once; a disabled mapping lets in-flight batches finish. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    this.log(`event source ${this.describe} ${enabled ? 'enabled' : 'disabled'}`);
    if (enabled) void this.resume();
    else this.stopping = this.stop();
  }

  async resume(): Promise<void> {
    if (!this.enabled || this.running || !this.start) return;
    await this.stopping;
    if (this.enabled && !this.running) this.running = this.start();
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
  }
}

export interface EventSourceControls {
  readonly lambdaApi: LambdaApiEmulator;
  readonly controls: readonly SwitchableEventSource[];
}

/**
 * The local Lambda API over the plan's mappings. `functions` is read when an invocation arrives (the
 * functions start after this, since their environment names this endpoint).
 */
export async function startLambdaApi(
  ctx: StepContext,
  plan: SandboxPlan,
  functions: () => LocalFunctions | undefined,
  opts: { readonly allowOrigins?: readonly string[] } = {},
): Promise<EventSourceControls> {
  const controls = plan.eventSources.map(
    (source) => new SwitchableEventSource(source.uuid, source.enabled, ctx.log),
  );
  const lambdaApi = await startLambdaApiEmulator({
    accessKeyId: ctx.token,
    allowOrigins: opts.allowOrigins,
    mappings: plan.eventSources.map((source, i) => {
      const control = controls[i] as SwitchableEventSource;
      const fnName = plan.functions.find((f) => f.logicalId === source.functionLogicalId)?.name;
      return {
        uuid: source.uuid,
        functionArn: localArn('lambda', `function:${fnName}`),
        eventSourceArn: plan.queues.find((q) => q.logicalId === source.queueLogicalId)?.arn ?? '',
        batchSize: source.batchSize,
        enabled: () => control.enabled,
        setEnabled: async (enabled) => control.setEnabled(enabled),
      };
    }),
    invoke: (name, payload) => {
      const fn = plan.functions.find((f) => f.name === name);
      const local = fn && functions()?.get(fn.logicalId);
      if (!local) return undefined;
      return local.invoke(payload).catch((error: Error) => {
        ctx.log(`[${shortFunctionName(name)}] invocation failed: ${error.message}`);
        throw error;
      });
    },
  });
  ctx.stoppers.add(() => lambdaApi.stop());
  return { lambdaApi, controls };
}

/** Starts every enabled mapping's poller; stopping them (first) lets in-flight batches finish. */
export function startEventSources(
  ctx: StepContext,
  plan: SandboxPlan,
  functions: LocalFunctions,
  controls: readonly SwitchableEventSource[],
  sqs: SQSClient,
): void {
  plan.eventSources.forEach((source, i) => {
    const queue = plan.queues.find((q) => q.logicalId === source.queueLogicalId);
    if (!queue)
      throw new Error(`event source ${source.uuid}: the template has no queue ${source.queueLogicalId}`);
    const { local, fn } = functionAt(plan, functions, source.functionLogicalId, `event source ${queue.name}`);
    const control = controls[i] as SwitchableEventSource;
    control.describe = `${queue.name} → ${shortFunctionName(fn.name)}`;
    control.start = () =>
      startSqsEventSource({
        sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        batchSize: source.batchSize,
        maxBatchingWindowSeconds: source.maxBatchingWindowSeconds,
        maxConcurrency: Math.max(2, source.maxConcurrency),
        reportBatchItemFailures: source.reportBatchItemFailures,
        invoke: (event: SQSEvent) => local.invoke(event),
        onBatch: (info) => {
          if (!info.error) return;
          countFunctionError(ctx, fn.name);
          ctx.log(
            `[${shortFunctionName(fn.name)}] batch of ${info.records} failed and returns to ${queue.name}: ${info.error}`,
          );
        },
      });
    void control.resume();
    ctx.stoppers.add(() => control.stop());
  });
}
