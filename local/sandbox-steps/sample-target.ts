/**
 * Step 3: the sample target, when some transformer delivers to its address on the local stage. Each
 * integration delivering there gets its route's credentials from its own target secret: the orders
 * route takes the OAuth2 client of the transformer with a token URL, the tickets route the API key
 * of the transformer with an `apiKey` secret.
 */
import { type DeliverySettings, ENV } from '../../functions/shared/contract.js';
import { secretOf } from '../integration-view.js';
import {
  type SampleTarget,
  type SampleTargetOptions,
  startSampleTarget,
  TICKETS_PATH,
} from '../sample-target/index.js';
import type { FunctionPlan, SandboxPlan } from '../stack-template.js';
import type { StepContext } from './context.js';
import type { LocalSecrets } from './secrets.js';

/** Where the sample integrations' targets live on the local stage (integrations/acme-orders, github-issues). */
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
 * How the sample target must authenticate the transformers that deliver to it (credentials from each
 * transformer's target secret, read through `secretValue(name)`), and the rate they declare together;
 * undefined when none delivers to the sample target. Also used by runs that host the target
 * themselves (bench/chaos.ts).
 */
export function sampleTargetAuthOf(
  plan: SandboxPlan,
  secretValue: (name: string) => string,
):
  | Pick<
      SampleTargetOptions,
      'auth' | 'ticketsAuth' | 'clientId' | 'clientSecret' | 'apiKey' | 'rateLimitPerSecond'
    >
  | undefined {
  const fns = plan.functions.filter(deliversToSampleTarget);
  if (fns.length === 0) return undefined;
  const credentialsOf = (fn: FunctionPlan | undefined): Record<string, string> => {
    const secretId = fn?.environment[ENV.targetSecretId];
    return secretId
      ? (JSON.parse(secretValue(secretOf(plan, secretId)?.name ?? secretId)) as Record<string, string>)
      : {};
  };
  const onTickets = (fn: FunctionPlan) => fn.environment[ENV.targetUrl]?.endsWith(TICKETS_PATH) ?? false;
  const orders = fns.find((fn) => !onTickets(fn));
  const tickets = fns.find(onTickets);
  const ordersCredentials = credentialsOf(orders);
  const ticketsCredentials = credentialsOf(tickets);
  return {
    auth: orders?.environment[ENV.targetTokenUrl] ? 'oauth2' : ordersCredentials.apiKey ? 'api-key' : 'none',
    ticketsAuth: ticketsCredentials.apiKey ? 'api-key' : 'none',
    clientId: ordersCredentials.clientId,
    clientSecret: ordersCredentials.clientSecret,
    // One key for the API-key routes: the tickets route's own (the orders route uses OAuth2).
    apiKey: ticketsCredentials.apiKey ?? ordersCredentials.apiKey,
    // The target enforces the rate the integrations declare together, as the real ones would.
    rateLimitPerSecond: declaredRate(fns),
  };
}

/** The rates in the transformers' delivery settings, summed; the target's default when they are absent. */
function declaredRate(fns: readonly FunctionPlan[]): number | undefined {
  let total = 0;
  for (const fn of fns) {
    try {
      const settings = JSON.parse(fn.environment[ENV.deliverySettings] ?? 'null') as DeliverySettings | null;
      if (!settings) return undefined;
      total += settings.rateLimitPerSecond;
    } catch {
      return undefined;
    }
  }
  return total;
}
