/** The transformer's delivery settings (DELIVERY_SETTINGS, see the contract) in a plan, read and changed. */
import { type DeliverySettings, ENV, withDeliverySettings } from '../../functions/shared/contract.js';
import { integrationView } from '../../local/integration-view.js';
import type { FunctionPlan, SandboxPlan } from '../../local/stack-template.js';

/** The settings the template gives the transformer, or undefined when it has none. */
export function deliverySettingsOf(fn: FunctionPlan): DeliverySettings | undefined {
  const raw = fn.environment[ENV.deliverySettings];
  return raw === undefined ? undefined : (JSON.parse(raw) as DeliverySettings);
}

/**
 * The plan with the integration's transformer settings changed (shorter redeliveries, a lifted rate).
 * A template from before the contract has no DELIVERY_SETTINGS: the plan is then left as it is, and
 * the run says so on stderr rather than failing.
 */
export function changeDeliverySettings(
  plan: SandboxPlan,
  integration: string,
  change: (settings: DeliverySettings) => DeliverySettings,
): SandboxPlan {
  const { transformer } = integrationView(plan, integration);
  if (deliverySettingsOf(transformer) === undefined) {
    console.error(
      `bench: ${integration}'s transformer has no ${ENV.deliverySettings}: delivery settings left as synthesized`,
    );
    return plan;
  }
  return {
    ...plan,
    functions: plan.functions.map((f) =>
      f === transformer ? { ...f, environment: withDeliverySettings(f.environment, change) } : f,
    ),
  };
}
