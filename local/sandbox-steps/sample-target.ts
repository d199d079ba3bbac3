/** Step 3: the sample target, when some transformer delivers to its address on the local stage. */
import { type DeliverySettings, ENV } from '../../functions/shared/contract.js';
import { secretOf } from '../integration-view.js';
import { type SampleTarget, type SampleTargetOptions, startSampleTarget } from '../sample-target/index.js';
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
  const auth = sampleTargetAuthOf(plan, secrets.value);
  if (!auth) return { base: SAMPLE_TARGET_BASE };
  const target = await startSampleTarget({
    port: opts.port,
    ...auth,
    rateLimitPerSecond: opts.rateLimitPerSecond ?? auth.rateLimitPerSecond,
    adminToken: ctx.token,
    allowOrigins: opts.allowOrigins,
  });
  ctx.stoppers.add(() => target.stop());
  return { target, base: target.url };
}

/**
 * How the sample target must authenticate the transformer that delivers to it (credentials from that
 * transformer's target secret, read through `secretValue(name)`), and the rate it declares; undefined
 * when no transformer delivers to the sample target. Also used by runs that host the target
 * themselves (bench/chaos.ts).
 */
export function sampleTargetAuthOf(
  plan: SandboxPlan,
  secretValue: (name: string) => string,
):
  | Pick<SampleTargetOptions, 'auth' | 'clientId' | 'clientSecret' | 'apiKey' | 'rateLimitPerSecond'>
  | undefined {
  const fn = plan.functions.find(deliversToSampleTarget);
  if (!fn) return undefined;
  const secretId = fn.environment[ENV.targetSecretId];
  const credentials = secretId
    ? (JSON.parse(secretValue(secretOf(plan, secretId)?.name ?? secretId)) as Record<string, string>)
    : {};
  return {
    auth: fn.environment[ENV.targetTokenUrl] ? 'oauth2' : credentials.apiKey ? 'api-key' : 'none',
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    apiKey: credentials.apiKey,
    // The target enforces the rate the integration declares, as the real one would.
    rateLimitPerSecond: declaredRate(fn),
  };
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
