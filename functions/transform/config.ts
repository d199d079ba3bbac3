/**
 * The transformer's configuration, read once at init: every setting from its environment (the
 * contract's parser: one clear error for everything missing), and from the registry only what is
 * code, not a number — the mapping and schemas, and the shape of the target's auth.
 */
import type { ResolvedIntegration } from '../../integrations/resolve.js';
import { parseTransformerEnv, type TransformerEnv } from '../shared/contract.js';
import { ConfigurationError } from '../shared/errors.js';
import { loadIntegration } from '../shared/integration.js';
import type { ResolvedTargetAuth } from './delivery/target-auth.js';

export interface TransformerConfig {
  /** Everything from the environment: names, URLs, delivery settings. */
  readonly env: TransformerEnv;
  /** The registry entry: its mapping and schemas (never its delivery numbers: `delivery` has them). */
  readonly integration: ResolvedIntegration;
  /** The target's auth, with the token URL of this deployment. */
  readonly auth: ResolvedTargetAuth;
}

export function loadTransformerConfig(env: NodeJS.ProcessEnv = process.env): TransformerConfig {
  const settings = parseTransformerEnv(env);
  const integration = loadIntegration(settings.integration, settings.stage);
  return { env: settings, integration, auth: resolveAuth(integration.target.auth, settings.targetTokenUrl) };
}

function resolveAuth(auth: ResolvedIntegration['target']['auth'], tokenUrl?: string): ResolvedTargetAuth {
  if (auth.type !== 'oauth2-client-credentials') return auth;
  if (!tokenUrl)
    throw new ConfigurationError('transformer environment: the target uses OAuth2 but has no token URL');
  return { ...auth, tokenUrl };
}
