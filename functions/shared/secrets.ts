/**
 * Secrets Manager reads, cached per execution environment so a webhook costs ≈ 0 API calls.
 * A signing secret is read at both AWSCURRENT and AWSPREVIOUS, so a rotation never drops events.
 */
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { secretsManager } from './aws-clients.js';
import { numberEnv } from './env.js';
import { SecretCache } from './secret-cache.js';

type Stage = 'AWSCURRENT' | 'AWSPREVIOUS';

async function readSecret(key: string): Promise<string> {
  const [secretId, versionStage] = splitKey(key);
  try {
    const out = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: versionStage }),
    );
    return out.SecretString ?? '';
  } catch (error) {
    // No previous version until the first rotation: that is not an error.
    if (versionStage === 'AWSPREVIOUS' && error instanceof ResourceNotFoundException) return '';
    throw error;
  }
}

function splitKey(key: string): [string, Stage] {
  const at = key.lastIndexOf('|');
  return [key.slice(0, at), key.slice(at + 1) as Stage];
}

const cache = new SecretCache({
  ttlMs: numberEnv('SECRETS_TTL_SECONDS', 300) * 1000,
  now: Date.now,
  load: readSecret,
});

/** The secret's value at AWSCURRENT. */
export function currentSecret(secretId: string): Promise<string> {
  return cache.get(`${secretId}|AWSCURRENT`);
}

/** Every value a partner may sign with right now: AWSCURRENT, then AWSPREVIOUS if there is one. */
export async function signingSecrets(secretId: string): Promise<string[]> {
  const values = await Promise.all([
    cache.get(`${secretId}|AWSCURRENT`),
    cache.get(`${secretId}|AWSPREVIOUS`),
  ]);
  return values.filter((value) => value.length > 0);
}

const refreshedAt = new Map<string, number>();

/**
 * After a failed signature check: re-read the signing secret, at most once per `minIntervalMs`, so a
 * fresh rotation applies within seconds while a flood of forged webhooks costs no Secrets Manager
 * calls. Returns whether the cache was dropped (and a second check is worth making).
 */
export function refreshSigningSecrets(secretId: string, minIntervalMs: number, now = Date.now()): boolean {
  if (now - (refreshedAt.get(secretId) ?? Number.NEGATIVE_INFINITY) < minIntervalMs) return false;
  refreshedAt.set(secretId, now);
  forgetSecret(secretId);
  return true;
}

/** Forget cached values, e.g. after a signature failure that a fresh rotation may explain. */
export function forgetSecret(secretId: string): void {
  cache.forget(`${secretId}|AWSCURRENT`);
  cache.forget(`${secretId}|AWSPREVIOUS`);
}

/** Target credentials: a JSON object of strings (`apiKey`, `clientId`/`clientSecret`, `username`/`password`). */
export async function credentials(secretId: string): Promise<Record<string, string>> {
  const raw = await currentSecret(secretId);
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, string>;
  } catch {
    // fall through: never echo the value
  }
  throw new Error(`secret ${secretId} is not a JSON object of credentials`);
}
