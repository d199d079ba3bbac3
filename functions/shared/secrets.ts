/**
 * Secrets Manager reads, cached per execution environment so a webhook costs ≈ 0 API calls.
 * A signing secret is read at both AWSCURRENT and AWSPREVIOUS, so a rotation never drops events.
 *
 * How long a value that left Secrets Manager keeps working here (README "Signature schemes"): one
 * read at AWSCURRENT is served for `secretCacheSeconds` (at most 300 for a signing secret, checked at
 * synth), one at AWSPREVIOUS for at most `ROTATED_OUT_MAX_AGE_SECONDS`, however many checks succeed.
 */
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { secretsManager } from './clients/secrets-manager.js';
import { parseSecretCacheSeconds } from './contract.js';
import { SecretCache } from './secret-cache.js';

type Stage = 'AWSCURRENT' | 'AWSPREVIOUS';

/**
 * The longest a value read at AWSPREVIOUS is served: a rotated-out (or revoked) signing secret stops
 * being accepted within this, even while every check succeeds and the cache TTL is longer.
 */
export const ROTATED_OUT_MAX_AGE_SECONDS = 60;

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

const ttlMs = parseSecretCacheSeconds() * 1000;
// Date.now is read at each call (not captured), so the clock the tests move is the one used.
const now = () => Date.now();
const caches: Record<Stage, SecretCache> = {
  AWSCURRENT: new SecretCache({ ttlMs, now, load: readSecret }),
  AWSPREVIOUS: new SecretCache({
    ttlMs: Math.min(ttlMs, ROTATED_OUT_MAX_AGE_SECONDS * 1000),
    now,
    load: readSecret,
  }),
};

const cached = (secretId: string, stage: Stage) => caches[stage].get(`${secretId}|${stage}`);

/** The secret's value at AWSCURRENT. */
export function currentSecret(secretId: string): Promise<string> {
  return cached(secretId, 'AWSCURRENT');
}

/** Every value a partner may sign with right now: AWSCURRENT, then AWSPREVIOUS if there is one. */
export async function signingSecrets(secretId: string): Promise<string[]> {
  const values = await Promise.all([cached(secretId, 'AWSCURRENT'), cached(secretId, 'AWSPREVIOUS')]);
  return values.filter((value) => value.length > 0);
}

const refreshedAt = new Map<string, number>();

/**
 * After a failed signature check: re-read the signing secret, at most once per `minIntervalMs`, so a
 * fresh rotation applies within seconds while a flood of forged webhooks costs no Secrets Manager
 * calls. Returns whether the cache was dropped (and a second check is worth making).
 */
export function refreshSigningSecrets(secretId: string, minIntervalMs: number, at = now()): boolean {
  if (at - (refreshedAt.get(secretId) ?? Number.NEGATIVE_INFINITY) < minIntervalMs) return false;
  refreshedAt.set(secretId, at);
  forgetSecret(secretId);
  return true;
}

/** Forget cached values, e.g. after a signature failure that a fresh rotation may explain. */
export function forgetSecret(secretId: string): void {
  caches.AWSCURRENT.forget(`${secretId}|AWSCURRENT`);
  caches.AWSPREVIOUS.forget(`${secretId}|AWSPREVIOUS`);
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
