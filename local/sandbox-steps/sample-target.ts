/** Step 3: the sample target, when some transformer delivers to its address on the local stage. */
import { type DeliverySettings, ENV } from '../../functions/shared/contract.js';
import { secretOf } from '../integration-view.js';
import { type SampleTarget, startSampleTarget } from '../sample-target/index.js';
import type { FunctionPlan, SandboxPlan } from '../stack-template.js';
import type { StepContext } from './context.js';
import type { LocalSecrets } from './secrets.js';

/** Where the sample integration's target lives on the local stage (integrations/acme-orders). */
export const SAMPLE_TARGET_BASE = 'http://127.0.0.1:4010';

export interface SampleTargetStep {
  readonly target?: SampleTarget;
  /** What `SAMPLE_TARGET_BASE` becomes in the functions' environment (the port may differ). */
  readonly base: string;
}

export function deliversToSampleTarget(fn: FunctionPlan): boolean {
  return fn.environment[ENV.targetUrl]?.startsWith(SAMPLE_TARGET_BASE) ?? false;
}

export async function startSampleTargetStep(
  ctx: StepContext,
  plan: SandboxPlan,
  secrets: LocalSecrets,
  opts: {
    readonly port: number;
    readonly rateLimitPerSecond?: number;
    readonly allowOrigins?: readonly string[];
  },
): Promise<SampleTargetStep> {
  const fn = plan.functions.find(deliversToSampleTarget);
  if (!fn) return { base: SAMPLE_TARGET_BASE };
  const secretId = fn.environment[ENV.targetSecretId];
  const credentials = secretId
    ? (JSON.parse(secrets.value(secretOf(plan, secretId)?.name ?? secretId)) as Record<string, string>)
    : {};
  const target = await startSampleTarget({
    port: opts.port,
    auth: fn.environment[ENV.targetTokenUrl] ? 'oauth2' : credentials.apiKey ? 'api-key' : 'none',
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    apiKey: credentials.apiKey,
    // The target enforces the rate the integration declares, as the real one would.
    rateLimitPerSecond: opts.rateLimitPerSecond ?? declaredRate(fn),
    adminToken: ctx.token,
    allowOrigins: opts.allowOrigins,
  });
  ctx.stoppers.add(() => target.stop());
  return { target, base: target.url };
}

/** The rate in the transformer's delivery settings; the target's default when they are absent. */
function declaredRate(fn: FunctionPlan): number | undefined {
  try {
    const settings = JSON.parse(fn.environment[ENV.deliverySettings] ?? 'null') as DeliverySettings | null;
    return settings?.rateLimitPerSecond;
  } catch {
    return undefined;
  }
}
