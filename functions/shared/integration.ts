/** The integration this function serves, resolved from the registry with the stage's defaults. */
import { integrations } from '../../integrations/index.js';
import { type ResolvedIntegration, validateIntegrations } from '../../integrations/resolve.js';
import { ConfigurationError } from './errors.js';

export function loadIntegration(name: string, stage: string): ResolvedIntegration {
  const found = validateIntegrations(integrations, stage).find((i) => i.name === name);
  if (!found) throw new ConfigurationError(`integration '${name}' is not in the registry`);
  return found;
}
