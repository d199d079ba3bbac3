/**
 * Step 5: every function of the template, from its bundled asset, with the template's environment
 * pointed at the local endpoints and signed with the per-run credentials.
 */

import { LOCAL_REGION } from '../aws-local.js';
import { formatFunctionLog } from '../function-logs.js';
import { type LocalFunction, startLocalFunction } from '../runtime/lambda-runner.js';
import type { SandboxPlan } from '../stack-template.js';
import type { StepContext } from './context.js';
import { SAMPLE_TARGET_BASE } from './sample-target.js';

/** The endpoints the functions reach through `AWS_ENDPOINT_URL_*`. */
export interface FunctionEndpoints {
  readonly sqs: string;
  readonly dynamodb: string;
  readonly secretsManager: string;
  readonly lambda: string;
}

/** Environments of a function without an event source (e.g. the ingest function). */
export const DEFAULT_FUNCTION_POOL = 4;

/** Local functions by logical id. */
export type LocalFunctions = ReadonlyMap<string, LocalFunction>;

export async function startFunctions(
  ctx: StepContext,
  plan: SandboxPlan,
  opts: { readonly endpoints: FunctionEndpoints; readonly targetBase: string; readonly verbose: boolean },
): Promise<LocalFunctions> {
  const functions = new Map<string, LocalFunction>();
  for (const fn of plan.functions) {
    const env: Record<string, string> = {
      ...Object.fromEntries(
        Object.entries(fn.environment).map(([k, v]) => [k, v.replace(SAMPLE_TARGET_BASE, opts.targetBase)]),
      ),
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: ctx.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ctx.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: opts.endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: opts.endpoints.dynamodb,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: opts.endpoints.secretsManager,
      AWS_ENDPOINT_URL_LAMBDA: opts.endpoints.lambda,
    };
    const eventSource = plan.eventSources.find((e) => e.functionLogicalId === fn.logicalId);
    const local = await startLocalFunction({
      name: fn.name,
      assetDir: fn.assetDir,
      handler: fn.handler,
      env,
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
      runtime: fn.runtime,
      maxConcurrency: eventSource?.maxConcurrency ?? DEFAULT_FUNCTION_POOL,
      logFormat: 'JSON',
      onLog: (line) => {
        if (ctx.metrics.putEmf(line, Date.now())) return;
        const text = formatFunctionLog(fn.name, line, opts.verbose);
        if (text) ctx.log(text);
      },
    });
    functions.set(fn.logicalId, local);
    ctx.stoppers.add(() => local.stop());
  }
  return functions;
}

/** The local function and its plan behind `logicalId`; throws naming `what` needs it. */
export function functionAt(plan: SandboxPlan, functions: LocalFunctions, logicalId: string, what: string) {
  const local = functions.get(logicalId);
  const fn = plan.functions.find((f) => f.logicalId === logicalId);
  if (!local || !fn) throw new Error(`${what}: the template has no local function ${logicalId}`);
  return { local, fn };
}
